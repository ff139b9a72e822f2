#pragma once

#include <QString>
#include <cstdio>
#include <cstdlib>

namespace confab::fuzz {

// What each libFuzzer entry point does with its check's verdict: nothing, or abort() with
// the reason, so that libFuzzer keeps the input as a crash.
inline int abortOnFailure(const char *target, const QString &failure)
{
    if (!failure.isEmpty()) {
        std::fprintf(stderr, "%s: %s\n", target, failure.toUtf8().constData());
        std::abort();
    }
    return 0;
}

} // namespace confab::fuzz
