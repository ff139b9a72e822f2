#pragma once

#include "wire/handshake.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QString>
#include <optional>

// RFC 6455 framing, QtCore only, shared by the server (which frames each broadcast event
// once and writes the same bytes to every member) and the load harness (which drives tens
// of thousands of connections without QWebSocket's per-connection cost). The HTTP side of
// the opening handshake is in handshake.h.
namespace confab::wire {

enum class Opcode : quint8 {
    Continuation = 0x0,
    Text = 0x1,
    Binary = 0x2,
    Close = 0x8,
    Ping = 0x9,
    Pong = 0xA,
};

// The most a control frame (Close, Ping, Pong) may carry, and the most of a close reason
// that fits beside its 2-byte code.
inline constexpr qsizetype kMaxControlPayload = 125;
inline constexpr qsizetype kMaxCloseReason = kMaxControlPayload - 2;
// What a received Close without a status code reports (RFC 6455 7.1.5); never on the wire.
inline constexpr quint16 kCloseNoStatus = 1005;

// Whether a Close frame may carry code (RFC 6455 7.4): 1000-1003, 1007-1014 and the
// registered and private ranges 3000-4999. 0-999, 1004-1006 (reserved, or only for
// reporting), 1015 (TLS failure, reporting only), 1016-2999 (unassigned) and codes past
// 4999 are protocol errors.
bool isValidCloseCode(quint16 code);

// One unfragmented frame. mask=true for client-to-server frames (random mask key).
QByteArray makeFrame(Opcode opcode, QByteArrayView payload, bool mask = false);
// A Close frame. kCloseNoStatus gives an empty Close (how a peer's code-less Close is
// answered); any other invalid code, a bug of the caller, goes out as 1011 rather than
// as a code the peer would have to reject. The reason is cut to kMaxCloseReason bytes,
// never inside a UTF-8 character.
QByteArray makeCloseFrame(quint16 code, QByteArrayView reason, bool mask = false);

// Sec-WebSocket-Accept for a Sec-WebSocket-Key.
QByteArray acceptKey(QByteArrayView key);
// A fresh random Sec-WebSocket-Key.
QByteArray makeClientKey();

// Validates UTF-8 as it arrives in pieces (RFC 3629: no overlong forms, no surrogates, no
// code points past U+10FFFF), so a fragmented text message fails at the first bad byte
// instead of after the whole message was buffered.
class Utf8Validator
{
public:
    // False from the first invalid byte on.
    bool feed(QByteArrayView bytes);
    bool failed() const { return m_failed; }
    // Valid and not inside a character.
    bool complete() const { return !m_failed && m_need == 0; }
    void reset() { *this = Utf8Validator(); }

    static bool isValid(QByteArrayView bytes);

private:
    int m_need = 0; // continuation bytes still expected
    uchar m_low = 0x80;
    uchar m_high = 0xBF; // bounds of the next continuation byte
    bool m_failed = false;
};

struct Message
{
    Opcode opcode = Opcode::Text; // Text, Binary, Close, Ping or Pong (reassembled)
    QByteArray payload;           // for Close: the reason, without the code
    quint16 closeCode = 0;        // for Close: kCloseNoStatus when none was given
    friend bool operator==(const Message &, const Message &) = default;
};

// Incremental parser for the frames of one connection. feed() bytes as they arrive, then
// take messages with next() until it returns nullopt. Data messages are reassembled from
// fragments; control frames may arrive between fragments. A protocol violation sets
// error() to the close code to send (1002 protocol error, 1007 invalid UTF-8 in a text
// message or a close reason, 1009 too large) and stops parsing. The checks are those of
// RFC 6455 section 5 and 7: reserved bits and opcodes, masking by role, lengths in their
// shortest form and below 2^63, control frames unfragmented and at most 125 bytes, close
// codes and reasons valid, fragments in order.
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
    // Frames parsed so far, control frames and fragments included.
    qint64 framesParsed() const { return m_frames; }

private:
    struct Header
    {
        bool fin;
        Opcode opcode;
        qsizetype size; // of the header, mask key included
        quint64 length; // of the payload
    };
    // The next frame's header, nullopt when it is incomplete or invalid (error() set).
    std::optional<Header> readHeader();
    bool checkData(const Header &header);
    std::optional<Message> takeControl(Opcode opcode, QByteArray payload);
    void fail(quint16 code, const char *text);
    void compact();

    Role m_role;
    qint64 m_maxMessageBytes;
    QByteArray m_buffer;
    qsizetype m_pos = 0;
    QByteArray m_fragments; // data message being reassembled
    std::optional<Opcode> m_fragmentOpcode;
    Utf8Validator m_utf8; // of the text message being reassembled
    qint64 m_frames = 0;
    quint16 m_error = 0;
    QString m_errorText;
};

} // namespace confab::wire
