#pragma once

#include <QString>
#include <cstddef>
#include <cstdint>

// The properties the decoder fuzzer checks, callable from a normal test as well.
namespace confab::fuzz {

// Runs one frame through decodeClientMessage() and decodeServerMessage(). Every message
// that decodes must survive encode() -> decode unchanged; every client frame that is
// rejected must yield an error the server can send and a client can read back.
// Returns an empty string when all of that holds, else what went wrong.
QString checkDecoderInput(const std::uint8_t *data, std::size_t size);

} // namespace confab::fuzz

// libFuzzer entry point: abort() when checkDecoderInput() reports a violation.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size);
