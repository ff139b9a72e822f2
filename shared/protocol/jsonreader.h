#pragma once

#include "protocol/errors.h"

#include <QByteArrayView>
#include <QJsonArray>
#include <QJsonObject>
#include <QString>
#include <optional>

// Field access with validation for the decoder. The first failure is kept (code, field
// path, message); after it every accessor returns an empty value, so decoding code can
// read all fields and check failed() once.
namespace confab::protocol {

struct DecodeError
{
    ErrorCode code = ErrorCode::BadRequest;
    QString field;            // dotted path of the offending field, empty for the whole frame
    QString message;          // human readable, safe to send back
    std::optional<qint64> id; // request id, when it could be read
};

class JsonReader
{
public:
    JsonReader(const QJsonObject &object, QString prefix = {});

    QString requiredString(const char *key, int minChars, int maxChars);
    std::optional<QString> optionalString(const char *key, int minChars, int maxChars);
    // Length checks in UTF-8 bytes; over maxBytes is too_large.
    QString requiredText(const char *key, int minBytes, int maxBytes);
    std::optional<QString> optionalText(const char *key, int minBytes, int maxBytes);
    qint64 requiredInt(const char *key, qint64 min, qint64 max);
    std::optional<qint64> optionalInt(const char *key, qint64 min, qint64 max);
    bool optionalBool(const char *key, bool fallback);
    std::optional<QJsonObject> object(const char *key, bool required);
    std::optional<QJsonArray> array(const char *key, bool required);

    void fail(ErrorCode code, const QString &field, const QString &message);
    void failField(const char *key, const QString &message, ErrorCode code = ErrorCode::BadRequest);
    QString path(const char *key) const;
    QString path(const QString &key) const;

    bool failed() const { return m_failed; }
    const DecodeError &error() const { return m_error; }
    // Adopt the failure of a nested reader.
    void merge(const JsonReader &nested);

private:
    std::optional<QJsonValue> value(const char *key, bool required);
    std::optional<QString> string(const char *key, int min, int max, bool required, bool bytes);
    std::optional<qint64> integer(const char *key, qint64 min, qint64 max, bool required);

    QJsonObject m_object;
    QString m_prefix;
    bool m_failed = false;
    DecodeError m_error;
};

// Integer test shared by the reader and array parsing: a JSON number that is an exact
// integer within +-2^53.
std::optional<qint64> safeInteger(const QJsonValue &value);

// Parses one frame into an object, checking size, nesting depth and UTF-8 first.
struct ParsedFrame
{
    QJsonObject object;
    std::optional<DecodeError> error;
};
ParsedFrame parseFrame(QByteArrayView frame, int maxFrameBytes);

} // namespace confab::protocol
