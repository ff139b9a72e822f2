#pragma once

#include <QString>
#include <cstddef>
#include <cstdint>

// The properties the frame and HTTP head fuzzers check, callable from a normal test as
// well (tst_fuzz_wire_corpus replays the committed corpora through them).
namespace confab::fuzz {

// The first byte picks the parser: bit 0 its role (0: a server reading a client's masked
// frames, 1: a client reading a server's), bits 1-2 the message limit (kFrameLimits).
// The rest is the byte stream. Fed whole, one byte at a time or cut in two, the parser
// yields the same messages and the same error; every message is within the rules (UTF-8
// text and close reasons, valid close codes, sizes) and survives being framed again.
QString checkFrameInput(const std::uint8_t *data, std::size_t size);

// The input is the first bytes of a connection. parseHttpRequest() gives a verdict that
// more bytes behind a finished head do not change, a head that is a prefix of the input
// and within the cap, and a request that parses the same when written out again;
// parseHandshakeResponse() either fails with a reason or accepts a head within the input.
QString checkHttpInput(const std::uint8_t *data, std::size_t size);

inline constexpr std::int64_t kFrameLimits[4] = {16, 1024, 65536, 1 << 20};

} // namespace confab::fuzz
