#include "wirechecks.h"

#include "wire/websocket.h"

#include <QUtf8StringView>

using namespace confab::wire;
using namespace Qt::StringLiterals;

namespace confab::fuzz {

namespace {

using Role = FrameParser::Role;

struct Parsed
{
    QList<Message> messages;
    quint16 error = 0;
    QString errorText;
    qint64 frames = 0;
    friend bool operator==(const Parsed &a, const Parsed &b)
    {
        return a.messages == b.messages && a.error == b.error && a.frames == b.frames;
    }
};

// Feeds stream in the pieces that cuts ends at (ascending, the last one its size).
Parsed parseInPieces(Role role, qint64 limit, QByteArrayView stream, const QList<qsizetype> &cuts)
{
    FrameParser parser(role, limit);
    Parsed out;
    qsizetype from = 0;
    for (const qsizetype to : cuts) {
        parser.feed(stream.sliced(from, to - from));
        from = to;
        while (auto m = parser.next())
            out.messages.append(std::move(*m));
    }
    out.error = parser.error();
    out.errorText = parser.errorText();
    out.frames = parser.framesParsed();
    return out;
}

QString checkMessage(const Message &m, qint64 limit)
{
    switch (m.opcode) {
    case Opcode::Text:
        if (!Utf8Validator::isValid(m.payload))
            return u"text message that is not UTF-8"_s;
        [[fallthrough]];
    case Opcode::Binary:
        if (m.payload.size() > limit)
            return u"data message of %1 bytes over the limit %2"_s.arg(m.payload.size()).arg(limit);
        return {};
    case Opcode::Close:
        if (m.closeCode == kCloseNoStatus)
            return m.payload.isEmpty() ? QString() : u"a reason without a code"_s;
        if (!isValidCloseCode(m.closeCode))
            return u"close code %1 let through"_s.arg(m.closeCode);
        if (!Utf8Validator::isValid(m.payload) || m.payload.size() > kMaxCloseReason)
            return u"close reason that is not UTF-8 or too long"_s;
        return {};
    case Opcode::Ping:
    case Opcode::Pong:
        return m.payload.size() > kMaxControlPayload ? u"control payload over 125 bytes"_s
                                                     : QString();
    case Opcode::Continuation:
        break;
    }
    return u"message with opcode %1"_s.arg(int(m.opcode));
}

QByteArray frameAgain(const Message &m, bool mask)
{
    if (m.opcode == Opcode::Close)
        return makeCloseFrame(m.closeCode, m.payload, mask);
    return makeFrame(m.opcode, m.payload, mask);
}

} // namespace

QString checkFrameInput(const std::uint8_t *data, std::size_t size)
{
    if (size == 0)
        return {};
    const Role role = data[0] & 1 ? Role::Client : Role::Server;
    const qint64 limit = kFrameLimits[(data[0] >> 1) & 3];
    const QByteArrayView stream(data + 1, qsizetype(size - 1));
    const qsizetype n = stream.size();

    // Qt's validator and ours must agree on every input, as a cross-check of both.
    if (Utf8Validator::isValid(stream) != QUtf8StringView(stream).isValidUtf8())
        return u"Utf8Validator and QUtf8StringView disagree"_s;

    const Parsed whole = parseInPieces(role, limit, stream, {n});
    if (whole.error != 0 && whole.error != 1002 && whole.error != 1007 && whole.error != 1009)
        return u"error code %1"_s.arg(whole.error);
    if (whole.error != 0 && whole.errorText.isEmpty())
        return u"error %1 without a text"_s.arg(whole.error);
    if (whole.frames < whole.messages.size())
        return u"fewer frames counted than messages"_s;
    QList<qsizetype> bytewise;
    for (qsizetype i = 1; i <= n; ++i)
        bytewise.append(i);
    if (n > 0 && !(parseInPieces(role, limit, stream, bytewise) == whole))
        return u"fed a byte at a time, the stream parses differently"_s;
    if (n > 1 && !(parseInPieces(role, limit, stream, {n / 3 + 1, n}) == whole))
        return u"cut at %1, the stream parses differently"_s.arg(n / 3 + 1);

    QByteArray again;
    for (const Message &m : whole.messages) {
        if (QString e = checkMessage(m, limit); !e.isEmpty())
            return e;
        again += frameAgain(m, role == Role::Server);
    }
    const Parsed reparsed = parseInPieces(role, limit, again, {again.size()});
    if (reparsed.error || reparsed.messages != whole.messages)
        return u"messages changed when framed again (error %1)"_s.arg(reparsed.error);
    return {};
}

namespace {

bool isTokenChar(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           QByteArrayView("!#$%&'*+-.^_`|~").contains(c);
}

QString checkRequest(const HttpRequest &r)
{
    if (r.method.isEmpty() || !std::all_of(r.method.begin(), r.method.end(), isTokenChar))
        return u"method that is not a token"_s;
    if (r.target.isEmpty() ||
        std::any_of(r.target.begin(), r.target.end(), [](char c) { return uchar(c) <= 0x20; }))
        return u"empty target, or one with spaces or controls"_s;
    for (const auto &[name, value] : r.headers) {
        if (name.isEmpty() || name != name.toLower() ||
            !std::all_of(name.begin(), name.end(), isTokenChar))
            return u"header name '%1'"_s.arg(QString::fromLatin1(name));
        const bool padded = !value.isEmpty() && (value.front() == ' ' || value.front() == '\t' ||
                                                 value.back() == ' ' || value.back() == '\t');
        const bool control = std::any_of(value.begin(), value.end(), [](char c) {
            return (uchar(c) < 0x20 && c != '\t') || c == 0x7F;
        });
        if (padded || control)
            return u"header value of '%1' padded or with control characters"_s.arg(
                QString::fromLatin1(name));
    }
    return {};
}

QByteArray writeOut(const HttpRequest &r)
{
    QByteArray out = r.method + ' ' + r.target + " HTTP/1.1\r\n";
    for (const auto &[name, value] : r.headers)
        out += name + ": " + value + "\r\n";
    return out + "\r\n";
}

} // namespace

QString checkHttpInput(const std::uint8_t *data, std::size_t size)
{
    const QByteArrayView input(data, qsizetype(size));
    HttpRequest request;
    const qsizetype verdict = parseHttpRequest(input, &request);
    if (verdict > std::min(input.size(), kMaxHttpHeadBytes) || verdict < kHttpTooLarge)
        return u"verdict %1 for %2 bytes"_s.arg(verdict).arg(input.size());
    if (verdict != kHttpIncomplete) {
        HttpRequest other;
        if (parseHttpRequest(input.toByteArray() + "GET / HTTP/1.1\r\n\r\n", &other) != verdict)
            return u"bytes behind the head changed the verdict"_s;
    }
    if (verdict > 0) {
        if (QString e = checkRequest(request); !e.isEmpty())
            return e;
        HttpRequest prefix;
        if (parseHttpRequest(input.first(verdict - 1), &prefix) != kHttpIncomplete)
            return u"the head without its last byte is not incomplete"_s;
        const QByteArray written = writeOut(request);
        HttpRequest again;
        if (written.size() <= kMaxHttpHeadBytes &&
            (parseHttpRequest(written, &again) != written.size() ||
             again.method != request.method || again.target != request.target ||
             again.headers != request.headers))
            return u"the request parses differently when written out again"_s;
        request.isWebSocketUpgrade();
    }

    const QByteArray key = "dGhlIHNhbXBsZSBub25jZQ==";
    QByteArray protocol = "unset";
    QString error;
    const qsizetype head = parseHandshakeResponse(input, key, "chat, confab.v1", &protocol, &error);
    if (head < 0 && error.isEmpty())
        return u"handshake refused without a reason"_s;
    if (head > input.size() || head < -1)
        return u"handshake length %1 for %2 bytes"_s.arg(head).arg(input.size());
    if (head > 0 && !protocol.isEmpty() && protocol != "chat" && protocol != "confab.v1")
        return u"handshake accepted subprotocol '%1'"_s.arg(QString::fromLatin1(protocol));
    return {};
}

} // namespace confab::fuzz
