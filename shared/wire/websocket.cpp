#include "wire/websocket.h"

#include <QCryptographicHash>
#include <QRandomGenerator>
#include <QtEndian>
#include <cstring>

namespace confab::wire {

namespace {

void appendHeader(QByteArray &out, quint8 first, quint64 length, bool mask)
{
    out.append(char(first));
    const quint8 maskBit = mask ? 0x80 : 0;
    if (length < 126) {
        out.append(char(maskBit | quint8(length)));
    } else if (length <= 0xFFFF) {
        out.append(char(maskBit | 126));
        char len[2];
        qToBigEndian(quint16(length), len);
        out.append(len, 2);
    } else {
        out.append(char(maskBit | 127));
        char len[8];
        qToBigEndian(length, len);
        out.append(len, 8);
    }
}

bool isControl(Opcode op)
{
    return quint8(op) & 0x8;
}

bool isKnown(Opcode op)
{
    switch (op) {
    case Opcode::Continuation:
    case Opcode::Text:
    case Opcode::Binary:
    case Opcode::Close:
    case Opcode::Ping:
    case Opcode::Pong:
        return true;
    }
    return false;
}

} // namespace

bool isValidCloseCode(quint16 code)
{
    if (code >= 3000)
        return code <= 4999;
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014);
}

QByteArray makeFrame(Opcode opcode, QByteArrayView payload, bool mask)
{
    QByteArray out;
    out.reserve(payload.size() + 14);
    appendHeader(out, 0x80 | quint8(opcode), quint64(payload.size()), mask);
    if (!mask) {
        out.append(payload.data(), payload.size());
        return out;
    }
    const quint32 key = QRandomGenerator::global()->generate();
    char keyBytes[4];
    qToBigEndian(key, keyBytes);
    out.append(keyBytes, 4);
    const qsizetype start = out.size();
    out.append(payload.data(), payload.size());
    char *p = out.data() + start;
    for (qsizetype i = 0; i < payload.size(); ++i)
        p[i] = char(p[i] ^ keyBytes[i & 3]);
    return out;
}

QByteArray makeCloseFrame(quint16 code, QByteArrayView reason, bool mask)
{
    if (code == kCloseNoStatus)
        return makeFrame(Opcode::Close, {}, mask);
    if (!isValidCloseCode(code))
        code = 1011;
    qsizetype cut = std::min(reason.size(), kMaxCloseReason);
    // Back to the start of the character the limit falls into: the peer fails the
    // connection (1007) on a reason that ends inside one.
    if (cut < reason.size()) {
        while (cut > 0 && (uchar(reason[cut]) & 0xC0) == 0x80)
            --cut;
    }
    QByteArray payload(2, Qt::Uninitialized);
    qToBigEndian(code, payload.data());
    payload.append(reason.data(), cut);
    return makeFrame(Opcode::Close, payload, mask);
}

QByteArray acceptKey(QByteArrayView key)
{
    QByteArray input = key.toByteArray().trimmed();
    input.append("258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
    return QCryptographicHash::hash(input, QCryptographicHash::Sha1).toBase64();
}

QByteArray makeClientKey()
{
    QByteArray raw(16, Qt::Uninitialized);
    QRandomGenerator::global()->fillRange(reinterpret_cast<quint32 *>(raw.data()), 4);
    return raw.toBase64();
}

bool Utf8Validator::feed(QByteArrayView bytes)
{
    const auto *p = reinterpret_cast<const uchar *>(bytes.data());
    const uchar *const end = p + bytes.size();
    while (!m_failed && p < end) {
        if (m_need > 0) {
            const uchar c = *p++;
            m_failed = c < m_low || c > m_high;
            m_low = 0x80;
            m_high = 0xBF;
            --m_need;
            continue;
        }
        // ASCII runs eight bytes at a time: most of every chat message.
        while (end - p >= 8) {
            quint64 word;
            std::memcpy(&word, p, 8);
            if (word & 0x8080808080808080ULL)
                break;
            p += 8;
        }
        if (p == end)
            break;
        const uchar c = *p++;
        if (c < 0x80)
            continue;
        // The second byte's bounds rule out overlong forms (E0, F0), surrogates (ED)
        // and code points past U+10FFFF (F4).
        if (c >= 0xC2 && c <= 0xDF) {
            m_need = 1;
        } else if (c >= 0xE0 && c <= 0xEF) {
            m_need = 2;
            m_low = c == 0xE0 ? 0xA0 : 0x80;
            m_high = c == 0xED ? 0x9F : 0xBF;
        } else if (c >= 0xF0 && c <= 0xF4) {
            m_need = 3;
            m_low = c == 0xF0 ? 0x90 : 0x80;
            m_high = c == 0xF4 ? 0x8F : 0xBF;
        } else {
            m_failed = true;
        }
    }
    return !m_failed;
}

bool Utf8Validator::isValid(QByteArrayView bytes)
{
    Utf8Validator v;
    v.feed(bytes);
    return v.complete();
}

FrameParser::FrameParser(Role role, qint64 maxMessageBytes)
    : m_role(role)
    , m_maxMessageBytes(std::max<qint64>(0, maxMessageBytes))
{
}

void FrameParser::fail(quint16 code, const char *text)
{
    if (m_error == 0) {
        m_error = code;
        m_errorText = QString::fromLatin1(text);
    }
}

void FrameParser::feed(QByteArrayView bytes)
{
    if (m_error)
        return;
    m_buffer.append(bytes.data(), bytes.size());
}

void FrameParser::compact()
{
    if (m_pos == m_buffer.size()) {
        m_buffer.clear();
        m_pos = 0;
    } else if (m_pos > 65536 && m_pos > m_buffer.size() / 2) {
        m_buffer.remove(0, m_pos);
        m_pos = 0;
    }
}

std::optional<FrameParser::Header> FrameParser::readHeader()
{
    const qsizetype avail = buffered();
    if (avail < 2)
        return std::nullopt;
    const auto *p = reinterpret_cast<const uchar *>(m_buffer.constData() + m_pos);
    const bool fin = p[0] & 0x80;
    const auto opcode = Opcode(p[0] & 0x0F);
    const bool masked = p[1] & 0x80;
    const quint8 length7 = p[1] & 0x7F;
    // Everything the first two bytes can tell is checked before waiting for more.
    if (p[0] & 0x70) {
        fail(1002, "reserved bits set");
        return std::nullopt;
    }
    if (!isKnown(opcode)) {
        fail(1002, "reserved opcode");
        return std::nullopt;
    }
    if (masked != (m_role == Role::Server)) {
        fail(1002, masked ? "server frames must not be masked" : "client frames must be masked");
        return std::nullopt;
    }
    if (isControl(opcode) && (!fin || length7 > kMaxControlPayload)) {
        fail(1002, fin ? "control frame over 125 bytes" : "fragmented control frame");
        return std::nullopt;
    }
    Header h{fin, opcode, 2, length7};
    if (length7 == 126) {
        if (avail < 4)
            return std::nullopt;
        h.length = qFromBigEndian<quint16>(p + 2);
        h.size = 4;
        if (h.length < 126) {
            fail(1002, "16-bit length not in its shortest form");
            return std::nullopt;
        }
    } else if (length7 == 127) {
        if (avail < 10)
            return std::nullopt;
        h.length = qFromBigEndian<quint64>(p + 2);
        h.size = 10;
        if (h.length >> 63) {
            fail(1002, "64-bit length with the most significant bit set");
            return std::nullopt;
        }
        if (h.length <= 0xFFFF) {
            fail(1002, "64-bit length not in its shortest form");
            return std::nullopt;
        }
    }
    if (masked)
        h.size += 4;
    return h;
}

bool FrameParser::checkData(const Header &h)
{
    if (h.opcode == Opcode::Continuation && !m_fragmentOpcode) {
        fail(1002, "continuation without a message");
        return false;
    }
    if (h.opcode != Opcode::Continuation && m_fragmentOpcode) {
        fail(1002, "new message inside a fragmented one");
        return false;
    }
    // What is buffered never exceeds the limit, so the subtraction cannot wrap, where
    // adding a 63-bit length to it could.
    const qint64 pending = h.opcode == Opcode::Continuation ? m_fragments.size() : 0;
    if (h.length > quint64(m_maxMessageBytes - pending)) {
        fail(1009, "message too large");
        return false;
    }
    return true;
}

std::optional<Message> FrameParser::takeControl(Opcode opcode, QByteArray payload)
{
    if (opcode != Opcode::Close)
        return Message{opcode, std::move(payload), 0};
    if (payload.isEmpty())
        return Message{opcode, {}, kCloseNoStatus};
    if (payload.size() == 1) {
        fail(1002, "close payload of one byte");
        return std::nullopt;
    }
    const quint16 code = qFromBigEndian<quint16>(payload.constData());
    if (!isValidCloseCode(code)) {
        fail(1002, "invalid close code");
        return std::nullopt;
    }
    payload.remove(0, 2);
    if (!Utf8Validator::isValid(payload)) {
        fail(1007, "close reason is not valid UTF-8");
        return std::nullopt;
    }
    return Message{opcode, std::move(payload), code};
}

std::optional<Message> FrameParser::next()
{
    while (!m_error) {
        const std::optional<Header> h = readHeader();
        if (!h || (!isControl(h->opcode) && !checkData(*h)))
            return std::nullopt;
        if (quint64(buffered()) < quint64(h->size) + h->length)
            return std::nullopt;
        const qsizetype length = qsizetype(h->length);
        QByteArray payload(m_buffer.constData() + m_pos + h->size, length);
        if (m_role == Role::Server) {
            const char *key = m_buffer.constData() + m_pos + h->size - 4;
            char *d = payload.data();
            for (qsizetype i = 0; i < length; ++i)
                d[i] = char(d[i] ^ key[i & 3]);
        }
        m_pos += h->size + length;
        ++m_frames;
        compact();

        if (isControl(h->opcode))
            return takeControl(h->opcode, std::move(payload));
        if (h->opcode != Opcode::Continuation) {
            m_fragmentOpcode = h->opcode;
            m_fragments = std::move(payload);
            m_utf8.reset();
            if (h->opcode == Opcode::Text)
                m_utf8.feed(m_fragments);
        } else {
            m_fragments.append(payload);
            if (*m_fragmentOpcode == Opcode::Text)
                m_utf8.feed(payload);
        }
        // A text message fails at its first bad byte, not after its last fragment.
        if (m_utf8.failed() ||
            (h->fin && *m_fragmentOpcode == Opcode::Text && !m_utf8.complete())) {
            fail(1007, "text message is not valid UTF-8");
            return std::nullopt;
        }
        if (!h->fin)
            continue;
        Message m{*m_fragmentOpcode, std::move(m_fragments), 0};
        m_fragments = QByteArray();
        m_fragmentOpcode.reset();
        return m;
    }
    return std::nullopt;
}

} // namespace confab::wire
