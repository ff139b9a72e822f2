#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QString>
#include <utility>

// HTTP/1.1 request heads, plain HTTP answers and the client side of the WebSocket opening
// handshake (RFC 6455 section 4), QtCore only.
namespace confab::wire {

// The most a request head (request line, headers and the blank line) may take; a longer
// one is answered 431 without being read further.
inline constexpr qsizetype kMaxHttpHeadBytes = 16384;

// What parseHttpRequest() returns besides a head length.
inline constexpr qsizetype kHttpIncomplete = 0;
inline constexpr qsizetype kHttpMalformed = -1; // 400
inline constexpr qsizetype kHttpTooLarge = -2;  // 431

// A parsed HTTP/1.1 request head (the upgrade request or a plain GET).
struct HttpRequest
{
    QByteArray method;
    QByteArray target;
    QList<std::pair<QByteArray, QByteArray>> headers; // names lower-cased
    QByteArray header(QByteArrayView lowerName) const;
    bool headerHasToken(QByteArrayView lowerName, QByteArrayView token) const;
    bool isWebSocketUpgrade() const;
    friend bool operator==(const HttpRequest &, const HttpRequest &) = default;
};

// Looks for a complete request head at the start of buffer. Returns the head length
// (including the blank line) and fills request, or kHttpIncomplete, kHttpMalformed (a
// request line or header line that is not HTTP/1.0 or 1.1 syntax: bare CR or LF, a
// folded or nameless header, space before the colon, control characters) or
// kHttpTooLarge (no end of the head within kMaxHttpHeadBytes).
qsizetype parseHttpRequest(QByteArrayView buffer, HttpRequest *request);

// Client side: checks a server's handshake response head: status 101, Upgrade: websocket,
// Connection: upgrade, the accept key for clientKey, no extension (none is ever offered)
// and a subprotocol, if any, that is one of offeredProtocols (the request's
// comma-separated Sec-WebSocket-Protocol value; empty when none was offered). Returns the
// head length (*protocol set to the chosen subprotocol), 0 when incomplete, -1 when the
// handshake failed (*error set).
qsizetype parseHandshakeResponse(QByteArrayView buffer, QByteArrayView clientKey,
                                 QByteArrayView offeredProtocols, QByteArray *protocol,
                                 QString *error);

// An HTTP/1.1 response that closes the connection. extraHeaders: whole header lines, each
// ending in CRLF. headOnly: the answer to a HEAD request, the same head (Content-Length
// of the body included) without the body.
QByteArray httpResponse(int status, QByteArrayView reason, QByteArrayView contentType,
                        QByteArrayView body, QByteArrayView extraHeaders = {},
                        bool headOnly = false);

} // namespace confab::wire
