#include "protocol/jsonwriter.h"

namespace confab::protocol {

namespace {

char hexDigit(uint v)
{
    return char(v < 10 ? '0' + v : 'a' + v - 10);
}

void appendEscape(QByteArray &out, char16_t u)
{
    out.append('\\');
    switch (u) {
    case u'"':
        out.append('"');
        return;
    case u'\\':
        out.append('\\');
        return;
    case u'\b':
        out.append('b');
        return;
    case u'\f':
        out.append('f');
        return;
    case u'\n':
        out.append('n');
        return;
    case u'\r':
        out.append('r');
        return;
    case u'\t':
        out.append('t');
        return;
    default:
        // Other control characters, and (as QJsonDocument does) a lone surrogate.
        out.append('u');
        out.append(hexDigit((u >> 12) & 0xf));
        out.append(hexDigit((u >> 8) & 0xf));
        out.append(hexDigit((u >> 4) & 0xf));
        out.append(hexDigit(u & 0xf));
    }
}

} // namespace

void JsonWriter::separate()
{
    if (!m_first)
        m_out.append(',');
    m_first = false;
}

void JsonWriter::beginObject()
{
    m_out.append('{');
    m_first = true;
}

void JsonWriter::endObject()
{
    m_out.append('}');
    m_first = false;
}

void JsonWriter::key(QLatin1StringView name)
{
    separate();
    m_out.append('"');
    m_out.append(name.data(), name.size());
    m_out.append("\":", 2);
    m_first = true; // the value that follows takes no comma
}

void JsonWriter::value(QLatin1StringView text)
{
    separate();
    m_out.append('"');
    m_out.append(text.data(), text.size());
    m_out.append('"');
}

void JsonWriter::value(const QString &text)
{
    separate();
    m_out.append('"');
    const char16_t *p = reinterpret_cast<const char16_t *>(text.utf16());
    const char16_t *end = p + text.size();
    while (p != end) {
        // Runs of plain ASCII go in one append.
        const char16_t *run = p;
        while (p != end && *p < 0x80 && *p >= 0x20 && *p != u'"' && *p != u'\\')
            ++p;
        if (p != run) {
            const qsizetype n = p - run;
            const qsizetype at = m_out.size();
            m_out.resize(at + n);
            char *dst = m_out.data() + at;
            for (qsizetype i = 0; i < n; ++i)
                dst[i] = char(run[i]);
        }
        if (p == end)
            break;
        const char16_t u = *p++;
        if (u < 0x80) {
            appendEscape(m_out, u);
        } else if (u < 0x800) {
            m_out.append(char(0xc0 | (u >> 6)));
            m_out.append(char(0x80 | (u & 0x3f)));
        } else if (QChar::isHighSurrogate(u) && p != end && QChar::isLowSurrogate(*p)) {
            const char32_t c = QChar::surrogateToUcs4(u, *p++);
            m_out.append(char(0xf0 | (c >> 18)));
            m_out.append(char(0x80 | ((c >> 12) & 0x3f)));
            m_out.append(char(0x80 | ((c >> 6) & 0x3f)));
            m_out.append(char(0x80 | (c & 0x3f)));
        } else if (QChar::isSurrogate(u)) {
            appendEscape(m_out, u);
        } else {
            m_out.append(char(0xe0 | (u >> 12)));
            m_out.append(char(0x80 | ((u >> 6) & 0x3f)));
            m_out.append(char(0x80 | (u & 0x3f)));
        }
    }
    m_out.append('"');
}

void JsonWriter::value(qint64 number)
{
    separate();
    char digits[24];
    char *end = digits + sizeof digits;
    char *p = end;
    quint64 magnitude = number < 0 ? 0 - quint64(number) : quint64(number);
    do {
        *--p = char('0' + magnitude % 10);
        magnitude /= 10;
    } while (magnitude != 0);
    if (number < 0)
        *--p = '-';
    m_out.append(p, end - p);
}

void JsonWriter::value(bool flag)
{
    separate();
    if (flag)
        m_out.append("true", 4);
    else
        m_out.append("false", 5);
}

} // namespace confab::protocol
