#pragma once

#include <QByteArray>
#include <QLatin1StringView>
#include <QString>

// Compact JSON written straight into one buffer, for the frames the server sends most
// (an event per delivery, an ack per message): the same bytes QJsonDocument's compact
// form gives for the same object, without building a QJsonObject first. The caller
// writes an object's members in ascending key order (QJsonObject's order); the codec's
// tests compare both encodings byte for byte.
namespace confab::protocol {

class JsonWriter
{
public:
    explicit JsonWriter(qsizetype reserve = 256) { m_out.reserve(reserve); }

    void beginObject();
    void endObject();
    // Member names are ASCII literals of the protocol: written without escaping.
    void key(QLatin1StringView name);
    void value(const QString &text);
    void value(QLatin1StringView text);
    void value(qint64 number);
    void value(bool flag);

    template<class T> void member(QLatin1StringView name, const T &v)
    {
        key(name);
        value(v);
    }

    QByteArray take() { return std::move(m_out); }

private:
    void separate();

    QByteArray m_out;
    bool m_first = true; // no member written yet in the innermost open object
};

} // namespace confab::protocol
