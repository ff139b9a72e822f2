#include "scan.h"

#include <QtEndian>
#include <cstring>

namespace confab::bench {

// ---- frames -----------------------------------------------------------------------------

FrameReader::FrameReader(qint64 maxMessageBytes)
    : m_max(std::max<qint64>(0, maxMessageBytes))
{
}

void FrameReader::reset()
{
    m_carry = QByteArray();
    m_fragments = QByteArray();
    m_fragmentOpcode = 0;
    m_inFragment = false;
    m_error = 0;
    m_errorText = "";
    ++m_generation;
}

void FrameReader::fail(quint16 code, const char *text)
{
    if (m_error == 0) {
        m_error = code;
        m_errorText = text;
    }
    m_carry = QByteArray();
    m_fragments = QByteArray();
}

qsizetype FrameReader::frame(const uchar *p, qsizetype avail, int *header, quint8 *opcode,
                             bool *fin, qint64 *length)
{
    if (avail < 2)
        return 0;
    *fin = p[0] & 0x80;
    *opcode = p[0] & 0x0F;
    const quint8 length7 = p[1] & 0x7F;
    if (p[0] & 0x70) {
        fail(1002, "reserved bits set");
        return -1;
    }
    switch (*opcode) {
    case 0x0:
    case Text:
    case Binary:
    case Close:
    case Ping:
    case Pong:
        break;
    default:
        fail(1002, "reserved opcode");
        return -1;
    }
    if (p[1] & 0x80) {
        fail(1002, "server frames must not be masked");
        return -1;
    }
    if ((*opcode & 0x8) && (!*fin || length7 > 125)) {
        fail(1002, *fin ? "control frame over 125 bytes" : "fragmented control frame");
        return -1;
    }
    quint64 len = length7;
    *header = 2;
    if (length7 == 126) {
        if (avail < 4)
            return 0;
        len = qFromBigEndian<quint16>(p + 2);
        *header = 4;
    } else if (length7 == 127) {
        if (avail < 10)
            return 0;
        len = qFromBigEndian<quint64>(p + 2);
        *header = 10;
    }
    if (len > quint64(m_max)) {
        fail(1009, "message too large");
        return -1;
    }
    *length = qint64(len);
    if (avail - *header < *length)
        return 0;
    return *header + qsizetype(len);
}

// ---- JSON -------------------------------------------------------------------------------

namespace {

struct Cursor
{
    const char *p;
    const char *end;

    void skipSpace()
    {
        while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
            ++p;
    }
    bool eat(char c)
    {
        skipSpace();
        if (p < end && *p == c) {
            ++p;
            return true;
        }
        return false;
    }
};

bool isHex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// At the opening quote: moves past the closing one; the raw bytes between them in *raw.
bool scanString(Cursor &c, QByteArrayView *raw, bool *escaped)
{
    ++c.p; // the opening quote
    const char *start = c.p;
    bool esc = false;
    while (true) {
        // Plain bytes go by eight at a time when none is a quote, a backslash or a
        // control character.
        while (c.end - c.p >= 8) {
            quint64 w;
            std::memcpy(&w, c.p, 8);
            constexpr quint64 ones = 0x0101010101010101ULL;
            constexpr quint64 highs = 0x8080808080808080ULL;
            const quint64 quote = w ^ (ones * '"');
            const quint64 slash = w ^ (ones * '\\');
            // a zero byte in quote or slash, or a byte below 0x20 in w
            const quint64 hit =
                ((quote - ones) & ~quote) | ((slash - ones) & ~slash) | ((w - ones * 0x20) & ~w);
            if (hit & highs)
                break;
            c.p += 8;
        }
        if (c.p >= c.end)
            return false;
        const char ch = *c.p;
        if (ch == '"')
            break;
        if (uchar(ch) < 0x20)
            return false;
        if (ch == '\\') {
            esc = true;
            if (c.end - c.p < 2)
                return false;
            const char e = c.p[1];
            if (e == 'u') {
                if (c.end - c.p < 6 || !isHex(c.p[2]) || !isHex(c.p[3]) || !isHex(c.p[4]) ||
                    !isHex(c.p[5]))
                    return false;
                c.p += 6;
                continue;
            }
            if (!std::strchr("\"\\/bfnrt", e) || e == 0)
                return false;
            c.p += 2;
            continue;
        }
        ++c.p;
    }
    *raw = QByteArrayView(start, c.p - start);
    *escaped = esc;
    ++c.p; // the closing quote
    return true;
}

// A JSON number; *integer set (and *value) when it has no fraction or exponent and fits.
bool scanNumber(Cursor &c, bool *integer, qint64 *value)
{
    bool negative = false;
    if (c.p < c.end && *c.p == '-') {
        negative = true;
        ++c.p;
    }
    if (c.p >= c.end || *c.p < '0' || *c.p > '9')
        return false;
    quint64 v = 0;
    bool overflow = false;
    if (*c.p == '0') {
        ++c.p;
    } else {
        while (c.p < c.end && *c.p >= '0' && *c.p <= '9') {
            const quint64 digit = quint64(*c.p - '0');
            if (v > (quint64(std::numeric_limits<qint64>::max()) - digit) / 10)
                overflow = true;
            v = v * 10 + digit;
            ++c.p;
        }
    }
    bool fraction = false;
    if (c.p < c.end && *c.p == '.') {
        fraction = true;
        ++c.p;
        if (c.p >= c.end || *c.p < '0' || *c.p > '9')
            return false;
        while (c.p < c.end && *c.p >= '0' && *c.p <= '9')
            ++c.p;
    }
    if (c.p < c.end && (*c.p == 'e' || *c.p == 'E')) {
        fraction = true;
        ++c.p;
        if (c.p < c.end && (*c.p == '+' || *c.p == '-'))
            ++c.p;
        if (c.p >= c.end || *c.p < '0' || *c.p > '9')
            return false;
        while (c.p < c.end && *c.p >= '0' && *c.p <= '9')
            ++c.p;
    }
    *integer = !fraction && !overflow;
    *value = negative ? -qint64(v) : qint64(v);
    return true;
}

bool scanLiteral(Cursor &c, const char *word)
{
    const size_t n = std::strlen(word);
    if (size_t(c.end - c.p) < n || std::memcmp(c.p, word, n) != 0)
        return false;
    c.p += n;
    return true;
}

constexpr int kMaxDepth = 64;

// Any JSON value, skipped.
bool skipValue(Cursor &c, int depth)
{
    c.skipSpace();
    if (c.p >= c.end)
        return false;
    switch (*c.p) {
    case '"': {
        QByteArrayView raw;
        bool escaped = false;
        return scanString(c, &raw, &escaped);
    }
    case '{':
    case '[': {
        if (depth >= kMaxDepth)
            return false;
        const bool object = *c.p == '{';
        const char close = object ? '}' : ']';
        ++c.p;
        if (c.eat(close))
            return true;
        do {
            if (object) {
                c.skipSpace();
                QByteArrayView key;
                bool escaped = false;
                if (c.p >= c.end || *c.p != '"' || !scanString(c, &key, &escaped) || !c.eat(':'))
                    return false;
            }
            if (!skipValue(c, depth + 1))
                return false;
        } while (c.eat(','));
        return c.eat(close);
    }
    case 't':
        return scanLiteral(c, "true");
    case 'f':
        return scanLiteral(c, "false");
    case 'n':
        return scanLiteral(c, "null");
    default: {
        bool integer = false;
        qint64 v = 0;
        return scanNumber(c, &integer, &v);
    }
    }
}

enum class Field { Other, Type, Room, Kind, Body, ClientMsgId, Seq, Id };

Field fieldOf(QByteArrayView key)
{
    switch (key.size()) {
    case 2:
        return key == "id" ? Field::Id : Field::Other;
    case 3:
        return key == "seq" ? Field::Seq : Field::Other;
    case 4:
        if (key == "type")
            return Field::Type;
        if (key == "room")
            return Field::Room;
        if (key == "kind")
            return Field::Kind;
        if (key == "body")
            return Field::Body;
        return Field::Other;
    case 13:
        return key == "client_msg_id" ? Field::ClientMsgId : Field::Other;
    default:
        return Field::Other;
    }
}

} // namespace

bool scanFrame(QByteArrayView json, ScannedFrame &out)
{
    out = ScannedFrame();
    Cursor c{json.data(), json.data() + json.size()};
    if (!c.eat('{'))
        return false;
    if (!c.eat('}')) {
        do {
            c.skipSpace();
            QByteArrayView key;
            bool keyEscaped = false;
            if (c.p >= c.end || *c.p != '"' || !scanString(c, &key, &keyEscaped) || !c.eat(':'))
                return false;
            Field field = Field::Other;
            if (keyEscaped) {
                const auto plain = jsonUnescape(key);
                if (!plain)
                    return false;
                field = fieldOf(*plain);
            } else {
                field = fieldOf(key);
            }
            c.skipSpace();
            if (c.p >= c.end)
                return false;
            QByteArrayView *string = nullptr;
            bool *escaped = nullptr;
            qint64 *integer = nullptr;
            switch (field) {
            case Field::Type:
                string = &out.type;
                escaped = &out.typeEscaped;
                break;
            case Field::Room:
                string = &out.room;
                escaped = &out.roomEscaped;
                break;
            case Field::Kind:
                string = &out.kind;
                escaped = &out.kindEscaped;
                break;
            case Field::Body:
                string = &out.body;
                escaped = &out.bodyEscaped;
                break;
            case Field::ClientMsgId:
                string = &out.clientMsgId;
                escaped = &out.clientMsgIdEscaped;
                break;
            case Field::Seq:
                integer = &out.seq;
                break;
            case Field::Id:
                integer = &out.id;
                break;
            case Field::Other:
                break;
            }
            // A member of another JSON type than expected reads as absent (as the lean
            // QJsonObject path read it: toString() empty, toInteger() -1).
            if (string && *c.p == '"') {
                if (!scanString(c, string, escaped))
                    return false;
                // A present empty string is not a null view.
                if (string->isNull())
                    *string = QByteArrayView("", 0);
            } else if (integer && (*c.p == '-' || (*c.p >= '0' && *c.p <= '9'))) {
                bool isInteger = false;
                qint64 v = 0;
                if (!scanNumber(c, &isInteger, &v))
                    return false;
                *integer = isInteger && v >= 0 ? v : -1;
            } else {
                if (string) {
                    *string = QByteArrayView();
                    *escaped = false;
                } else if (integer) {
                    *integer = -1;
                }
                if (!skipValue(c, 1))
                    return false;
            }
        } while (c.eat(','));
        if (!c.eat('}'))
            return false;
    }
    c.skipSpace();
    return c.p == c.end;
}

std::optional<QByteArray> jsonUnescape(QByteArrayView raw)
{
    QByteArray out;
    out.reserve(raw.size());
    const char *p = raw.data();
    const char *const end = p + raw.size();
    auto hex4 = [](const char *h, char32_t *v) {
        *v = 0;
        for (int i = 0; i < 4; ++i) {
            const char ch = h[i];
            int d = 0;
            if (ch >= '0' && ch <= '9')
                d = ch - '0';
            else if (ch >= 'a' && ch <= 'f')
                d = ch - 'a' + 10;
            else if (ch >= 'A' && ch <= 'F')
                d = ch - 'A' + 10;
            else
                return false;
            *v = (*v << 4) | char32_t(d);
        }
        return true;
    };
    while (p < end) {
        if (*p != '\\') {
            out.append(*p++);
            continue;
        }
        if (end - p < 2)
            return std::nullopt;
        const char e = p[1];
        p += 2;
        switch (e) {
        case '"':
        case '\\':
        case '/':
            out.append(e);
            continue;
        case 'b':
            out.append('\b');
            continue;
        case 'f':
            out.append('\f');
            continue;
        case 'n':
            out.append('\n');
            continue;
        case 'r':
            out.append('\r');
            continue;
        case 't':
            out.append('\t');
            continue;
        case 'u':
            break;
        default:
            return std::nullopt;
        }
        char32_t cp = 0;
        if (end - p < 4 || !hex4(p, &cp))
            return std::nullopt;
        p += 4;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            char32_t low = 0;
            if (end - p >= 6 && p[0] == '\\' && p[1] == 'u' && hex4(p + 2, &low) && low >= 0xDC00 &&
                low <= 0xDFFF) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                p += 6;
            } else {
                cp = 0xFFFD; // a lone surrogate, as QJsonDocument reads it
            }
        } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            cp = 0xFFFD;
        }
        if (cp < 0x80) {
            out.append(char(cp));
        } else if (cp < 0x800) {
            out.append(char(0xC0 | (cp >> 6)));
            out.append(char(0x80 | (cp & 0x3F)));
        } else if (cp < 0x10000) {
            out.append(char(0xE0 | (cp >> 12)));
            out.append(char(0x80 | ((cp >> 6) & 0x3F)));
            out.append(char(0x80 | (cp & 0x3F)));
        } else {
            out.append(char(0xF0 | (cp >> 18)));
            out.append(char(0x80 | ((cp >> 12) & 0x3F)));
            out.append(char(0x80 | ((cp >> 6) & 0x3F)));
            out.append(char(0x80 | (cp & 0x3F)));
        }
    }
    return out;
}

std::optional<BodyStamp> parseBody(QByteArrayView body)
{
    if (!body.startsWith("cb1 "))
        return std::nullopt;
    qint64 fields[3] = {0, 0, 0};
    qsizetype pos = 4;
    for (qint64 &field : fields) {
        // Digits up to a space, at least one, as QString::toLongLong would take them.
        const qsizetype start = pos;
        bool negative = false;
        if (pos < body.size() && (body[pos] == '-' || body[pos] == '+')) {
            negative = body[pos] == '-';
            ++pos;
        }
        qint64 v = 0;
        while (pos < body.size() && body[pos] >= '0' && body[pos] <= '9') {
            if (v > (std::numeric_limits<qint64>::max() - 9) / 10)
                return std::nullopt;
            v = v * 10 + (body[pos] - '0');
            ++pos;
        }
        if (pos == start || (pos == start + 1 && (body[start] == '-' || body[start] == '+')) ||
            pos >= body.size() || body[pos] != ' ')
            return std::nullopt;
        field = negative ? -v : v;
        ++pos;
    }
    return BodyStamp{int(fields[0]), fields[1], fields[2]};
}

} // namespace confab::bench
