#include "wire/handshake.h"

#include "wire/websocket.h"

#include <algorithm>

namespace confab::wire {

namespace {

using Headers = QList<std::pair<QByteArray, QByteArray>>;

// RFC 9110 5.6.2: the characters of a token (header names, methods).
bool isTokenChar(char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return QByteArrayView("!#$%&'*+-.^_`|~").contains(c);
}

bool isToken(QByteArrayView v)
{
    return !v.isEmpty() && std::all_of(v.begin(), v.end(), isTokenChar);
}

// One header line. Folded lines (obsolete, RFC 9112 5.2) and space before the colon are
// refused rather than guessed at: two parsers reading one head differently is how
// requests get smuggled past a proxy.
bool parseField(QByteArrayView line, Headers *headers)
{
    const qsizetype colon = line.indexOf(':');
    if (colon <= 0 || !isToken(line.first(colon)))
        return false;
    // Only spaces and tabs are optional white space around a value (RFC 9110 5.5).
    QByteArrayView value = line.sliced(colon + 1);
    while (!value.isEmpty() && (value.front() == ' ' || value.front() == '\t'))
        value = value.sliced(1);
    while (!value.isEmpty() && (value.back() == ' ' || value.back() == '\t'))
        value.chop(1);
    for (const char c : value) {
        if ((uchar(c) < 0x20 && c != '\t') || c == 0x7F)
            return false;
    }
    headers->append({line.first(colon).toByteArray().toLower(), value.toByteArray()});
    return true;
}

// Splits a head (without its blank line) into its start line and header fields; false
// when a line is not HTTP syntax (a CR or LF that does not end a line among them).
bool splitHead(QByteArrayView head, QByteArrayView *startLine, Headers *headers)
{
    qsizetype pos = 0;
    bool first = true;
    while (pos <= head.size()) {
        qsizetype eol = head.indexOf(QByteArrayView("\r\n"), pos);
        if (eol < 0)
            eol = head.size();
        const QByteArrayView line = head.sliced(pos, eol - pos);
        pos = eol + 2;
        if (line.contains('\r') || line.contains('\n'))
            return false;
        if (first) {
            *startLine = line;
            first = false;
        } else if (!parseField(line, headers)) {
            return false;
        }
    }
    return true;
}

// The length of the head at the start of buffer (blank line included), 0 while it is not
// complete, -1 when it cannot end within kMaxHttpHeadBytes.
qsizetype headLength(QByteArrayView buffer)
{
    const QByteArrayView window = buffer.first(std::min(buffer.size(), kMaxHttpHeadBytes));
    const qsizetype end = window.indexOf(QByteArrayView("\r\n\r\n"));
    if (end >= 0)
        return end + 4;
    return buffer.size() >= kMaxHttpHeadBytes ? -1 : 0;
}

QByteArray headerOf(const Headers &headers, QByteArrayView lowerName)
{
    for (const auto &[name, value] : headers) {
        if (name == lowerName)
            return value;
    }
    return {};
}

bool listHasToken(QByteArrayView list, QByteArrayView token, Qt::CaseSensitivity cs)
{
    const QList<QByteArray> parts = list.toByteArray().split(',');
    return std::any_of(parts.cbegin(), parts.cend(), [&](const QByteArray &part) {
        return part.trimmed().compare(token, cs) == 0;
    });
}

bool headersHaveToken(const Headers &headers, QByteArrayView lowerName, QByteArrayView token)
{
    return std::any_of(headers.cbegin(), headers.cend(), [&](const auto &field) {
        return field.first == lowerName && listHasToken(field.second, token, Qt::CaseInsensitive);
    });
}

} // namespace

QByteArray HttpRequest::header(QByteArrayView lowerName) const
{
    return headerOf(headers, lowerName);
}

bool HttpRequest::headerHasToken(QByteArrayView lowerName, QByteArrayView token) const
{
    return headersHaveToken(headers, lowerName, token);
}

bool HttpRequest::isWebSocketUpgrade() const
{
    return method == "GET" && headerHasToken("upgrade", "websocket") &&
           headerHasToken("connection", "upgrade") && !header("sec-websocket-key").isEmpty();
}

qsizetype parseHttpRequest(QByteArrayView buffer, HttpRequest *request)
{
    const qsizetype len = headLength(buffer);
    if (len <= 0)
        return len < 0 ? kHttpTooLarge : kHttpIncomplete;
    QByteArrayView startLine;
    HttpRequest parsed;
    if (!splitHead(buffer.first(len - 4), &startLine, &parsed.headers))
        return kHttpMalformed;
    const QList<QByteArray> start = startLine.toByteArray().split(' ');
    if (start.size() != 3 || !isToken(start[0]) || start[1].isEmpty() ||
        (start[2] != "HTTP/1.1" && start[2] != "HTTP/1.0"))
        return kHttpMalformed;
    for (const char c : start[1]) {
        if (uchar(c) <= 0x20 || c == 0x7F)
            return kHttpMalformed;
    }
    parsed.method = start[0];
    parsed.target = start[1];
    *request = std::move(parsed);
    return len;
}

qsizetype parseHandshakeResponse(QByteArrayView buffer, QByteArrayView clientKey,
                                 QByteArrayView offeredProtocols, QByteArray *protocol,
                                 QString *error)
{
    const qsizetype len = headLength(buffer);
    if (len == 0)
        return 0;
    auto failed = [error](const QString &why) {
        *error = why;
        return qsizetype(-1);
    };
    if (len < 0)
        return failed(
            QStringLiteral("handshake failed: response head over %1 bytes").arg(kMaxHttpHeadBytes));
    QByteArrayView statusLine;
    Headers headers;
    if (!splitHead(buffer.first(len - 4), &statusLine, &headers))
        return failed(QStringLiteral("handshake failed: malformed response head"));
    const QList<QByteArray> status = statusLine.toByteArray().split(' ');
    if (status.size() < 2 || !status[0].startsWith("HTTP/1.") || status[1] != "101")
        return failed(QStringLiteral("handshake refused: %1")
                          .arg(QString::fromLatin1(statusLine.toByteArray())));
    if (!headersHaveToken(headers, "upgrade", "websocket"))
        return failed(QStringLiteral("handshake failed: no Upgrade: websocket"));
    if (!headersHaveToken(headers, "connection", "upgrade"))
        return failed(QStringLiteral("handshake failed: no Connection: Upgrade"));
    if (headerOf(headers, "sec-websocket-accept") != acceptKey(clientKey))
        return failed(QStringLiteral("handshake failed: bad Sec-WebSocket-Accept"));
    // RFC 6455 4.1: the client fails the connection on an extension or subprotocol it
    // did not ask for; talking on would mean guessing at the framing or the protocol.
    if (!headerOf(headers, "sec-websocket-extensions").isEmpty())
        return failed(QStringLiteral("handshake failed: an extension that was not offered"));
    const QByteArray chosen = headerOf(headers, "sec-websocket-protocol");
    if (!chosen.isEmpty() && !listHasToken(offeredProtocols, chosen, Qt::CaseSensitive))
        return failed(QStringLiteral("handshake failed: subprotocol '%1' was not offered")
                          .arg(QString::fromLatin1(chosen)));
    if (protocol)
        *protocol = chosen;
    return len;
}

QByteArray httpResponse(int status, QByteArrayView reason, QByteArrayView contentType,
                        QByteArrayView body, QByteArrayView extraHeaders, bool headOnly)
{
    QByteArray out = "HTTP/1.1 " + QByteArray::number(status) + ' ' + reason.toByteArray() +
                     "\r\nContent-Type: " + contentType.toByteArray() +
                     "\r\nContent-Length: " + QByteArray::number(body.size()) + "\r\n";
    out.append(extraHeaders.data(), extraHeaders.size());
    out += "Connection: close\r\n\r\n";
    if (!headOnly)
        out.append(body.data(), body.size());
    return out;
}

} // namespace confab::wire
