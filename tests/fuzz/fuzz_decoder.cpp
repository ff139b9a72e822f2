#include "fuzz_decoder.h"

#include "fuzzentry.h"
#include "protocol/codec.h"

using namespace confab::protocol;
using namespace Qt::StringLiterals;

namespace confab::fuzz {

namespace {

// Re-encoding may legitimately grow a frame (defaults get written out, control
// characters escaped), so the frame-size limit does not apply to the second decode.
// Every other limit does: it is a property of the message, not of its spelling.
Limits relaxedFor(const Limits &limits, const QByteArray &frame)
{
    Limits relaxed = limits;
    relaxed.maxFrameBytes = std::max<qsizetype>(limits.maxFrameBytes, frame.size());
    return relaxed;
}

template<class Message, class Decode>
QString checkRoundTrip(const char *side, const Message &message, const Limits &limits,
                       Decode decode)
{
    const QByteArray frame = encode(message);
    const auto again = decode(frame, relaxedFor(limits, frame));
    if (!again.ok())
        return u"%1 message does not decode after encode: %2\n  re-encoded: %3"_s.arg(
            QLatin1String(side), again.error.message, QString::fromUtf8(frame));
    if (!(*again.message == message))
        return u"%1 message changed in a round trip\n  first:  %2\n  second: %3"_s.arg(
            QLatin1String(side), QString::fromUtf8(frame),
            QString::fromUtf8(encode(*again.message)));
    return {};
}

QString checkError(const char *side, const DecodeError &error)
{
    if (error.message.isEmpty())
        return u"%1 rejection without a message (field %2)"_s.arg(QLatin1String(side), error.field);
    return {};
}

QString checkWithLimits(QByteArrayView frame, const Limits &limits)
{
    const ClientDecodeResult client = decodeClientMessage(frame, limits);
    if (client.ok()) {
        if (QString e = checkRoundTrip(
                "client", *client.message, limits,
                [](QByteArrayView f, const Limits &l) { return decodeClientMessage(f, l); });
            !e.isEmpty())
            return e;
    } else {
        if (QString e = checkError("client", client.error); !e.isEmpty())
            return e;
        // The server answers a bad request with an error; the client must understand it.
        const Error reply = makeError(client.error);
        if (QString e = checkRoundTrip(
                "error reply", ServerMessage(reply), Limits{},
                [](QByteArrayView f, const Limits &l) { return decodeServerMessage(f, l); });
            !e.isEmpty())
            return e;
    }

    const ServerDecodeResult server = decodeServerMessage(frame, limits);
    if (server.ok())
        return checkRoundTrip(
            "server", *server.message, limits,
            [](QByteArrayView f, const Limits &l) { return decodeServerMessage(f, l); });
    return checkError("server", server.error);
}

} // namespace

QString checkDecoderInput(const std::uint8_t *data, std::size_t size)
{
    const QByteArrayView frame(data, qsizetype(size));
    if (QString e = checkWithLimits(frame, Limits{}); !e.isEmpty())
        return e;
    // Small limits put the size checks within the fuzzer's reach.
    return checkWithLimits(
        frame, Limits{.maxBodyBytes = 8, .maxFrameBytes = 4096, .ratePerSecond = 1, .burst = 1});
}

} // namespace confab::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    return confab::fuzz::abortOnFailure("fuzz_decoder",
                                        confab::fuzz::checkDecoderInput(data, size));
}
