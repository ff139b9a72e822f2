#pragma once

#include "report.h"

#include <QString>

// A PNG of a run over time, drawn with QPainter on a QImage (no display needed): delivery
// latency per second (p50, p99, max; log scale) above, throughput per second below,
// warm-up and drain shaded.
namespace confab::bench {

bool writePlot(const Report &report, const QString &file, QString *error);

} // namespace confab::bench
