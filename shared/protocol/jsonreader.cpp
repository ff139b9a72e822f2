#include "protocol/jsonreader.h"

#include <QJsonDocument>
#include <QJsonParseError>
#include <QUtf8StringView>
#include <cmath>

namespace confab::protocol {

JsonReader::JsonReader(const QJsonObject &object, QString prefix)
    : m_object(object)
    , m_prefix(std::move(prefix))
{
}

QString JsonReader::path(const char *key) const
{
    return path(QString::fromLatin1(key));
}

QString JsonReader::path(const QString &key) const
{
    return m_prefix.isEmpty() ? key : m_prefix + QLatin1Char('.') + key;
}

void JsonReader::fail(ErrorCode code, const QString &field, const QString &message)
{
    if (m_failed)
        return;
    m_failed = true;
    m_error.code = code;
    m_error.field = field;
    m_error.message = message;
}

void JsonReader::failField(const char *key, const QString &message, ErrorCode code)
{
    const QString p = path(key);
    fail(code, p, p + QLatin1String(": ") + message);
}

void JsonReader::merge(const JsonReader &nested)
{
    if (nested.failed())
        fail(nested.error().code, nested.error().field, nested.error().message);
}

std::optional<QJsonValue> JsonReader::value(const char *key, bool required)
{
    if (m_failed)
        return std::nullopt;
    const auto it = m_object.constFind(QLatin1String(key));
    if (it == m_object.constEnd() || it->isNull()) {
        if (required)
            failField(key, QStringLiteral("is required"));
        return std::nullopt;
    }
    return *it;
}

std::optional<qint64> safeInteger(const QJsonValue &value)
{
    if (!value.isDouble())
        return std::nullopt;
    const double d = value.toDouble();
    if (!std::isfinite(d) || std::trunc(d) != d || std::fabs(d) > double(kMaxSafeInteger))
        return std::nullopt;
    return value.toInteger(qint64(d));
}

std::optional<QString> JsonReader::string(const char *key, int min, int max, bool required,
                                          bool bytes)
{
    const auto v = value(key, required);
    if (!v)
        return std::nullopt;
    if (!v->isString()) {
        failField(key, QStringLiteral("must be a string"));
        return std::nullopt;
    }
    QString s = v->toString();
    // A \ud800-style escape yields a lone surrogate: not text, and not representable in
    // UTF-8 (storing it would silently change it).
    if (!QStringView(s).isValidUtf16()) {
        failField(key, QStringLiteral("is not valid Unicode text"));
        return std::nullopt;
    }
    const qsizetype size = bytes ? s.toUtf8().size() : s.size();
    if (size > max) {
        failField(key,
                  QStringLiteral("longer than %1 %2").arg(max).arg(bytes ? u"bytes" : u"chars"),
                  bytes ? ErrorCode::TooLarge : ErrorCode::BadRequest);
        return std::nullopt;
    }
    if (size < min) {
        failField(key, min == 1 ? QStringLiteral("must not be empty")
                                : QStringLiteral("shorter than %1").arg(min));
        return std::nullopt;
    }
    return s;
}

std::optional<qint64> JsonReader::integer(const char *key, qint64 min, qint64 max, bool required)
{
    const auto v = value(key, required);
    if (!v)
        return std::nullopt;
    const auto n = safeInteger(*v);
    if (!n) {
        failField(key, QStringLiteral("must be an integer"));
        return std::nullopt;
    }
    if (*n < min || *n > max) {
        failField(key, QStringLiteral("out of range [%1, %2]").arg(min).arg(max));
        return std::nullopt;
    }
    return n;
}

QString JsonReader::requiredString(const char *key, int minChars, int maxChars)
{
    return string(key, minChars, maxChars, true, false).value_or(QString());
}

std::optional<QString> JsonReader::optionalString(const char *key, int minChars, int maxChars)
{
    return string(key, minChars, maxChars, false, false);
}

QString JsonReader::requiredText(const char *key, int minBytes, int maxBytes)
{
    return string(key, minBytes, maxBytes, true, true).value_or(QString());
}

std::optional<QString> JsonReader::optionalText(const char *key, int minBytes, int maxBytes)
{
    return string(key, minBytes, maxBytes, false, true);
}

qint64 JsonReader::requiredInt(const char *key, qint64 min, qint64 max)
{
    return integer(key, min, max, true).value_or(0);
}

std::optional<qint64> JsonReader::optionalInt(const char *key, qint64 min, qint64 max)
{
    return integer(key, min, max, false);
}

bool JsonReader::optionalBool(const char *key, bool fallback)
{
    const auto v = value(key, false);
    if (!v)
        return fallback;
    if (!v->isBool()) {
        failField(key, QStringLiteral("must be a boolean"));
        return fallback;
    }
    return v->toBool();
}

std::optional<QJsonObject> JsonReader::object(const char *key, bool required)
{
    const auto v = value(key, required);
    if (!v)
        return std::nullopt;
    if (!v->isObject()) {
        failField(key, QStringLiteral("must be an object"));
        return std::nullopt;
    }
    return v->toObject();
}

std::optional<QJsonArray> JsonReader::array(const char *key, bool required)
{
    const auto v = value(key, required);
    if (!v)
        return std::nullopt;
    if (!v->isArray()) {
        failField(key, QStringLiteral("must be an array"));
        return std::nullopt;
    }
    return v->toArray();
}

namespace {

// Nesting depth of the JSON text, ignoring brackets inside strings. Checked before
// QJsonDocument sees the frame so a hostile frame cannot make the parser recurse deeply.
int nestingDepth(QByteArrayView text)
{
    int depth = 0;
    int maxDepth = 0;
    bool inString = false;
    bool escaped = false;
    for (const char c : text) {
        if (inString) {
            if (escaped)
                escaped = false;
            else if (c == '\\')
                escaped = true;
            else if (c == '"')
                inString = false;
            continue;
        }
        switch (c) {
        case '"':
            inString = true;
            break;
        case '{':
        case '[':
            maxDepth = std::max(maxDepth, ++depth);
            break;
        case '}':
        case ']':
            --depth;
            break;
        default:
            break;
        }
    }
    return maxDepth;
}

} // namespace

ParsedFrame parseFrame(QByteArrayView frame, int maxFrameBytes)
{
    ParsedFrame out;
    auto error = [&](ErrorCode code, const QString &message) {
        out.error = DecodeError{code, QString(), message, std::nullopt};
        return out;
    };
    if (frame.size() > maxFrameBytes)
        return error(ErrorCode::TooLarge,
                     QStringLiteral("frame larger than %1 bytes").arg(maxFrameBytes));
    if (!QUtf8StringView(frame).isValidUtf8())
        return error(ErrorCode::BadRequest, QStringLiteral("frame is not valid UTF-8"));
    if (nestingDepth(frame) > kMaxJsonDepth)
        return error(ErrorCode::BadRequest,
                     QStringLiteral("JSON nested deeper than %1 levels").arg(kMaxJsonDepth));
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(frame.toByteArray(), &parseError);
    if (parseError.error != QJsonParseError::NoError)
        return error(ErrorCode::BadRequest, QStringLiteral("malformed JSON at offset %1: %2")
                                                .arg(parseError.offset)
                                                .arg(parseError.errorString()));
    if (!doc.isObject())
        return error(ErrorCode::BadRequest, QStringLiteral("frame must be a JSON object"));
    out.object = doc.object();
    return out;
}

} // namespace confab::protocol
