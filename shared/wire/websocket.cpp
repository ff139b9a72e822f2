#include "wire/websocket.h"

#include <QCryptographicHash>
#include <QRandomGenerator>
#include <QUtf8StringView>
#include <QtEndian>

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

QByteArray trimmed(QByteArrayView v)
{
    return v.toByteArray().trimmed();
}

bool isControl(Opcode op)
{
    return quint8(op) & 0x8;
}

} // namespace

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
    QByteArray payload(2, Qt::Uninitialized);
    qToBigEndian(code, payload.data());
    payload.append(reason.data(), std::min<qsizetype>(reason.size(), 123));
    return makeFrame(Opcode::Close, payload, mask);
}

QByteArray acceptKey(QByteArrayView key)
{
    QByteArray input = trimmed(key);
    input.append("258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
    return QCryptographicHash::hash(input, QCryptographicHash::Sha1).toBase64();
}

QByteArray makeClientKey()
{
    QByteArray raw(16, Qt::Uninitialized);
    QRandomGenerator::global()->fillRange(reinterpret_cast<quint32 *>(raw.data()), 4);
    return raw.toBase64();
}

FrameParser::FrameParser(Role role, qint64 maxMessageBytes)
    : m_role(role)
    , m_maxMessageBytes(maxMessageBytes)
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

std::optional<Message> FrameParser::next()
{
    while (!m_error) {
        const qsizetype avail = m_buffer.size() - m_pos;
        if (avail < 2)
            return std::nullopt;
        const auto *p = reinterpret_cast<const uchar *>(m_buffer.constData() + m_pos);
        const bool fin = p[0] & 0x80;
        if (p[0] & 0x70) {
            fail(1002, "reserved bits set");
            break;
        }
        const auto opcode = Opcode(p[0] & 0x0F);
        const bool masked = p[1] & 0x80;
        quint64 length = p[1] & 0x7F;
        qsizetype header = 2;
        if (length == 126) {
            if (avail < 4)
                return std::nullopt;
            length = qFromBigEndian<quint16>(p + 2);
            header = 4;
        } else if (length == 127) {
            if (avail < 10)
                return std::nullopt;
            length = qFromBigEndian<quint64>(p + 2);
            header = 10;
        }
        if (masked != (m_role == Role::Server)) {
            fail(1002,
                 masked ? "server frames must not be masked" : "client frames must be masked");
            break;
        }
        const bool known = opcode == Opcode::Continuation || opcode == Opcode::Text ||
                           opcode == Opcode::Binary || opcode == Opcode::Close ||
                           opcode == Opcode::Ping || opcode == Opcode::Pong;
        if (!known) {
            fail(1002, "unknown opcode");
            break;
        }
        if (isControl(opcode) && (!fin || length > 125)) {
            fail(1002, "invalid control frame");
            break;
        }
        if (!isControl(opcode) &&
            length + quint64(m_fragments.size()) > quint64(m_maxMessageBytes)) {
            fail(1009, "message too large");
            break;
        }
        const qsizetype maskLen = masked ? 4 : 0;
        if (quint64(avail) < quint64(header + maskLen) + length)
            return std::nullopt;
        QByteArray payload(m_buffer.constData() + m_pos + header + maskLen, qsizetype(length));
        if (masked) {
            const char *key = m_buffer.constData() + m_pos + header;
            char *d = payload.data();
            for (qsizetype i = 0; i < payload.size(); ++i)
                d[i] = char(d[i] ^ key[i & 3]);
        }
        m_pos += header + maskLen + qsizetype(length);
        compact();

        if (isControl(opcode)) {
            Message m{opcode, payload, 0};
            if (opcode == Opcode::Close) {
                if (payload.size() == 1) {
                    fail(1002, "bad close payload");
                    break;
                }
                m.closeCode = payload.size() >= 2 ? qFromBigEndian<quint16>(payload.constData())
                                                  : quint16(1005);
                m.payload = payload.mid(2);
            }
            return m;
        }
        if (opcode == Opcode::Continuation) {
            if (!m_fragmentOpcode) {
                fail(1002, "continuation without a message");
                break;
            }
            m_fragments.append(payload);
        } else {
            if (m_fragmentOpcode) {
                fail(1002, "new message inside a fragmented one");
                break;
            }
            m_fragmentOpcode = opcode;
            m_fragments = payload;
        }
        if (!fin)
            continue;
        Message m{*m_fragmentOpcode, std::move(m_fragments), 0};
        m_fragments = QByteArray();
        m_fragmentOpcode.reset();
        if (m.opcode == Opcode::Text && !QUtf8StringView(m.payload).isValidUtf8()) {
            fail(1007, "text message is not valid UTF-8");
            break;
        }
        return m;
    }
    return std::nullopt;
}

QByteArray HttpRequest::header(QByteArrayView lowerName) const
{
    for (const auto &[name, value] : headers) {
        if (name == lowerName)
            return value;
    }
    return {};
}

bool HttpRequest::headerHasToken(QByteArrayView lowerName, QByteArrayView token) const
{
    for (const auto &[name, value] : headers) {
        if (name != lowerName)
            continue;
        const QList<QByteArray> parts = value.split(',');
        for (const QByteArray &part : parts) {
            if (part.trimmed().compare(token, Qt::CaseInsensitive) == 0)
                return true;
        }
    }
    return false;
}

bool HttpRequest::isWebSocketUpgrade() const
{
    return method == "GET" && headerHasToken("upgrade", "websocket") &&
           headerHasToken("connection", "upgrade") && !header("sec-websocket-key").isEmpty();
}

namespace {
// Splits a head into lines; returns false when it is not terminated yet.
qsizetype headLength(QByteArrayView buffer)
{
    const qsizetype end = buffer.indexOf(QByteArrayView("\r\n\r\n"));
    return end < 0 ? 0 : end + 4;
}

void parseHeaders(const QList<QByteArray> &lines, QList<std::pair<QByteArray, QByteArray>> *out)
{
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const qsizetype colon = lines[i].indexOf(':');
        if (colon <= 0)
            continue;
        out->append({lines[i].left(colon).trimmed().toLower(), lines[i].mid(colon + 1).trimmed()});
    }
}
} // namespace

qsizetype parseHttpRequest(QByteArrayView buffer, HttpRequest *request)
{
    const qsizetype len = headLength(buffer);
    if (len == 0)
        return buffer.size() > 16384 ? -1 : 0;
    const QList<QByteArray> lines = buffer.first(len - 4).toByteArray().split('\n');
    const QList<QByteArray> start = lines.value(0).trimmed().split(' ');
    if (start.size() != 3 || !start[2].startsWith("HTTP/1."))
        return -1;
    request->method = start[0];
    request->target = start[1];
    request->headers.clear();
    parseHeaders(lines, &request->headers);
    return len;
}

qsizetype parseHandshakeResponse(QByteArrayView buffer, QByteArrayView clientKey,
                                 QByteArray *protocol, QString *error)
{
    const qsizetype len = headLength(buffer);
    if (len == 0)
        return 0;
    const QList<QByteArray> lines = buffer.first(len - 4).toByteArray().split('\n');
    const QList<QByteArray> start = lines.value(0).trimmed().split(' ');
    if (start.size() < 2 || start[1] != "101") {
        *error = QStringLiteral("handshake refused: %1")
                     .arg(QString::fromLatin1(lines.value(0).trimmed()));
        return -1;
    }
    HttpRequest head;
    parseHeaders(lines, &head.headers);
    if (head.header("sec-websocket-accept") != acceptKey(clientKey)) {
        *error = QStringLiteral("handshake failed: bad Sec-WebSocket-Accept");
        return -1;
    }
    if (protocol)
        *protocol = head.header("sec-websocket-protocol");
    return len;
}

QByteArray httpResponse(int status, QByteArrayView reason, QByteArrayView contentType,
                        QByteArrayView body)
{
    QByteArray out = "HTTP/1.1 " + QByteArray::number(status) + ' ' + reason.toByteArray() +
                     "\r\nContent-Type: " + contentType.toByteArray() +
                     "\r\nContent-Length: " + QByteArray::number(body.size()) +
                     "\r\nConnection: close\r\n\r\n";
    out.append(body.data(), body.size());
    return out;
}

} // namespace confab::wire
