// libFuzzer entry point for the WebSocket frame parser (shared/wire).
#include "fuzzentry.h"
#include "wirechecks.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    return confab::fuzz::abortOnFailure("fuzz_frames", confab::fuzz::checkFrameInput(data, size));
}
