// libFuzzer entry point for the HTTP request head parser and the client's handshake
// check (shared/wire).
#include "fuzzentry.h"
#include "wirechecks.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    return confab::fuzz::abortOnFailure("fuzz_http", confab::fuzz::checkHttpInput(data, size));
}
