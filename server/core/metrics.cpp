#include "core/metrics.h"

namespace confab::server {

Metrics &Metrics::instance()
{
    static Metrics metrics;
    return metrics;
}

} // namespace confab::server
