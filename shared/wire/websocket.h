#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QString>
#include <optional>

// RFC 6455 framing and handshake pieces, QtCore only, shared by the server (which frames
// each broadcast event once and writes the same bytes to every member) and the load
// harness (which drives tens of thousands of connections without QWebSocket's
// per-connection cost).
namespace confab::wire {

enum class Opcode : quint8 {
    Continuation = 0x0,
    Text = 0x1,
    Binary = 0x2,
    Close = 0x8,
    Ping = 0x9,
    Pong = 0xA,
};

// One unfragmented frame. mask=true for client-to-server frames (random mask key).
QByteArray makeFrame(Opcode opcode, QByteArrayView payload, bool mask = false);
QByteArray makeCloseFrame(quint16 code, QByteArrayView reason, bool mask = false);

// Sec-WebSocket-Accept for a Sec-WebSocket-Key.
QByteArray acceptKey(QByteArrayView key);
// A fresh random Sec-WebSocket-Key.
QByteArray makeClientKey();

struct Message
{
    Opcode opcode = Opcode::Text; // Text, Binary, Close, Ping or Pong (reassembled)
    QByteArray payload;
    quint16 closeCode = 0; // for Close: 1005 when no code was given
};

// Incremental parser for the frames of one connection. feed() bytes as they arrive, then
// take messages with next() until it returns nullopt. Data messages are reassembled from
// fragments; control frames may arrive between fragments. A protocol violation sets
// error() to the close code to send (1002 protocol error, 1007 invalid UTF-8 in a text
// message, 1009 too large) and stops parsing.
class FrameParser
{
public:
    enum class Role { Server, Client }; // a server requires masked frames, a client unmasked

    FrameParser(Role role, qint64 maxMessageBytes);

    void feed(QByteArrayView bytes);
    std::optional<Message> next();

    quint16 error() const { return m_error; }
    QString errorText() const { return m_errorText; }
    qsizetype buffered() const { return m_buffer.size() - m_pos; }

private:
    void fail(quint16 code, const char *text);
    void compact();

    Role m_role;
    qint64 m_maxMessageBytes;
    QByteArray m_buffer;
    qsizetype m_pos = 0;
    QByteArray m_fragments; // data message being reassembled
    std::optional<Opcode> m_fragmentOpcode;
    quint16 m_error = 0;
    QString m_errorText;
};

// A parsed HTTP/1.1 request head (the upgrade request or a plain GET).
struct HttpRequest
{
    QByteArray method;
    QByteArray target;
    QList<std::pair<QByteArray, QByteArray>> headers; // names lower-cased
    QByteArray header(QByteArrayView lowerName) const;
    bool headerHasToken(QByteArrayView lowerName, QByteArrayView token) const;
    bool isWebSocketUpgrade() const;
};

// Looks for a complete request head in buffer. Returns the head length (including the
// blank line) and fills request, 0 when more bytes are needed, -1 when malformed.
qsizetype parseHttpRequest(QByteArrayView buffer, HttpRequest *request);

// Client side: checks a server's handshake response head (status 101, accept key).
// Returns the head length, 0 when incomplete, -1 when the handshake failed (*error set).
qsizetype parseHandshakeResponse(QByteArrayView buffer, QByteArrayView clientKey,
                                 QByteArray *protocol, QString *error);

QByteArray httpResponse(int status, QByteArrayView reason, QByteArrayView contentType,
                        QByteArrayView body);

} // namespace confab::wire
