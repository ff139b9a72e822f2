#pragma once

#include <QtGlobal>
#include <chrono>

namespace confab::server {

// Milliseconds on a clock that never jumps (not the wall clock, which NTP, the admin or a
// resumed laptop may move): for timeouts, idle checks and rate limits. Only differences
// mean anything.
inline qint64 monotonicMs()
{
    using namespace std::chrono;
    return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

} // namespace confab::server
