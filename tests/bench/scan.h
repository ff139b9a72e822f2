#pragma once

#include "body.h"

#include <QByteArray>
#include <QByteArrayView>
#include <optional>

// The harness's receive fast path: RFC 6455 frames taken apart in the bytes as they were
// read (no copy of a frame that arrived whole), and the few fields of a JSON frame
// that the checks need found in one pass over the text, without building a document or
// a single QString. --full-decode hands every text frame to the shared codec instead.
namespace confab::bench {

// Incremental reader of the frames of one client connection (server -> client frames
// are unmasked). feed() every chunk read from the socket; each complete message goes to
// sink(opcode, payload, closeCode) at once, in place when the frame arrived whole
// (payload points into the chunk, valid only during the call). Fragmented data messages
// are reassembled; control frames may come between fragments. What the checks need of
// RFC 6455 is checked (reserved bits and opcodes, no masking from a server, control
// frames unfragmented and at most 125 bytes, lengths below the limit, fragments in order);
// a violation sets error() to the close code (1002, 1009) and ends the feeding. The sink
// returns false to stop (the connection ended while handling the message): the rest of
// the chunk is dropped. reset() may be called from inside the sink.
class FrameReader
{
public:
    // 0x0 continuation, 0x1 text, 0x2 binary, 0x8 close, 0x9 ping, 0xA pong
    enum Opcode : quint8 { Text = 0x1, Binary = 0x2, Close = 0x8, Ping = 0x9, Pong = 0xA };

    explicit FrameReader(qint64 maxMessageBytes = 16 * 1024 * 1024);

    template<typename Sink> void feed(QByteArrayView chunk, Sink &&sink);
    void reset();
    quint16 error() const { return m_error; }
    const char *errorText() const { return m_errorText; }
    // Bytes kept between reads: an incomplete frame, a fragmented message.
    qsizetype buffered() const { return m_carry.size() + m_fragments.size(); }

private:
    // Length of the frame at data (header and payload), 0 when incomplete, -1 on error.
    // On success also its header size, opcode, fin and payload length.
    qsizetype frame(const uchar *data, qsizetype avail, int *header, quint8 *opcode, bool *fin,
                    qint64 *length);
    void fail(quint16 code, const char *text);
    // A complete frame: delivers a message (or keeps a fragment). False: stop.
    template<typename Sink> bool take(quint8 opcode, bool fin, QByteArrayView payload, Sink &sink);

    qint64 m_max;
    QByteArray m_carry;     // an incomplete frame from the end of the last chunk
    QByteArray m_fragments; // data message being reassembled
    quint8 m_fragmentOpcode = 0;
    bool m_inFragment = false;
    quint16 m_error = 0;
    const char *m_errorText = "";
    quint32 m_generation = 0; // bumped by reset(), so a feed in progress stops
};

// The members of a server frame (or, against the ws peer, of the `send` it echoes) that
// the checks read. Strings are the raw bytes between the quotes; escaped is set when
// they contain a backslash escape (then jsonUnescape() gives the value). A member that
// is absent, or of another JSON type (a number for a string, a fraction or a negative
// number for seq and id), reads as absent: a null view, -1.
struct ScannedFrame
{
    QByteArrayView type, room, kind, body, clientMsgId;
    bool typeEscaped = false, roomEscaped = false, kindEscaped = false, bodyEscaped = false,
         clientMsgIdEscaped = false;
    qint64 seq = -1; // -1: absent
    qint64 id = -1;  // -1: absent
};

// One pass over a JSON text that must be an object: the members above are picked out
// (keys in any order, the last of a repeated key wins), every other value is skipped
// (nested objects and arrays included), and the whole text must be well-formed JSON
// (strings without raw control characters and with valid escapes, numbers, literals,
// nothing after the object). False when it is not; UTF-8 is not checked.
bool scanFrame(QByteArrayView json, ScannedFrame &out);

// The value of a JSON string's raw bytes (between the quotes) in UTF-8: \" \\ \/ \b \f
// \n \r \t and \uXXXX (surrogate pairs joined). nullopt on an invalid escape.
std::optional<QByteArray> jsonUnescape(QByteArrayView raw);

// parseBody on the UTF-8 bytes of a body.
std::optional<BodyStamp> parseBody(QByteArrayView body);

// ---- FrameReader::feed ------------------------------------------------------------------

template<typename Sink>
bool FrameReader::take(quint8 opcode, bool fin, QByteArrayView payload, Sink &sink)
{
    if (opcode & 0x8) // control: never fragmented (checked in frame())
        return sink(opcode, payload);
    if (opcode == 0) {
        if (!m_inFragment) {
            fail(1002, "continuation without a message");
            return false;
        }
        if (m_fragments.size() + payload.size() > m_max) {
            fail(1009, "message too large");
            return false;
        }
        m_fragments.append(payload.data(), payload.size());
        if (!fin)
            return true;
        m_inFragment = false;
        const QByteArray message = std::exchange(m_fragments, QByteArray());
        return sink(m_fragmentOpcode, QByteArrayView(message));
    }
    if (m_inFragment) {
        fail(1002, "new message inside a fragmented one");
        return false;
    }
    if (fin)
        return sink(opcode, payload);
    m_inFragment = true;
    m_fragmentOpcode = opcode;
    m_fragments = payload.toByteArray();
    return true;
}

template<typename Sink> void FrameReader::feed(QByteArrayView chunk, Sink &&sink)
{
    if (m_error || chunk.isEmpty())
        return;
    const quint32 generation = m_generation;
    // Usually the chunk starts on a frame boundary and is read in place; otherwise the
    // incomplete frame kept from the last chunk is completed first.
    QByteArray joined;
    if (!m_carry.isEmpty()) {
        joined = std::exchange(m_carry, QByteArray());
        joined.append(chunk.data(), chunk.size());
        chunk = QByteArrayView(joined);
    }
    const auto *p = reinterpret_cast<const uchar *>(chunk.data());
    qsizetype pos = 0;
    const qsizetype size = chunk.size();
    while (pos < size) {
        int header = 0;
        quint8 opcode = 0;
        bool fin = false;
        qint64 length = 0;
        const qsizetype n = frame(p + pos, size - pos, &header, &opcode, &fin, &length);
        if (n < 0)
            return;
        if (n == 0)
            break;
        const QByteArrayView payload(chunk.data() + pos + header, qsizetype(length));
        pos += n;
        if (!take(opcode, fin, payload, sink) || m_error || generation != m_generation)
            return;
    }
    if (pos < size)
        m_carry = QByteArray(chunk.data() + pos, size - pos);
}

} // namespace confab::bench
