#pragma once

#include <QStringList>

// The confab-bench command line: a scenario run, or `compare a.json b.json`.
namespace confab::bench {

// Exit codes: 0 run correct, 1 correctness failures (loss, duplicates, reorder, missing
// acks), 2 usage, 3 the run could not be carried out (setup failed, server unreachable).
int runCli(const QStringList &arguments);

} // namespace confab::bench
