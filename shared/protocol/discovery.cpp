#include "protocol/discovery.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>

namespace confab::protocol {

using namespace Qt::StringLiterals;

namespace {

bool validNonce(const QString &nonce)
{
    if (nonce.size() < 8 || nonce.size() > 64)
        return false;
    for (const QChar c : nonce) {
        if (!((c >= u'0' && c <= u'9') || (c >= u'a' && c <= u'f')))
            return false;
    }
    return true;
}

std::optional<QJsonObject> parseObject(QByteArrayView datagram, QLatin1StringView type)
{
    if (datagram.isEmpty() || datagram.size() > kMaxDatagramSize)
        return std::nullopt;
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(datagram.toByteArray(), &error);
    if (error.error != QJsonParseError::NoError || !doc.isObject())
        return std::nullopt;
    QJsonObject o = doc.object();
    if (o.value("type"_L1).toString() != type || o.value("v"_L1).toInt() != 1)
        return std::nullopt;
    if (!validNonce(o.value("nonce"_L1).toString()))
        return std::nullopt;
    return o;
}

} // namespace

QByteArray encodeProbe(const DiscoveryProbe &probe)
{
    QJsonObject o{{"type"_L1, "confab.probe"_L1},
                  {"v"_L1, 1},
                  {"nonce"_L1, probe.nonce},
                  {"pad"_L1, QString()}};
    const qsizetype bare = QJsonDocument(o).toJson(QJsonDocument::Compact).size();
    o.insert("pad"_L1, QString(std::max<qsizetype>(0, kProbeSize - bare), u'x'));
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

std::optional<DiscoveryProbe> parseProbe(QByteArrayView datagram)
{
    const std::optional<QJsonObject> o = parseObject(datagram, "confab.probe"_L1);
    if (!o)
        return std::nullopt;
    return DiscoveryProbe{o->value("nonce"_L1).toString()};
}

QByteArray encodeAnswer(const DiscoveryAnswer &a)
{
    QJsonObject o{{"type"_L1, "confab.server"_L1},
                  {"v"_L1, 1},
                  {"nonce"_L1, a.nonce},
                  {"name"_L1, a.name},
                  {"host"_L1, a.host},
                  {"port"_L1, int(a.port)},
                  {"protocol"_L1, a.protocol},
                  {"tls"_L1, a.tls},
                  {"tls_required"_L1, a.tlsRequired}};
    if (a.tls && !a.fingerprint.isEmpty())
        o.insert("fingerprint"_L1, a.fingerprint);
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

std::optional<DiscoveryAnswer> parseAnswer(QByteArrayView datagram)
{
    const std::optional<QJsonObject> o = parseObject(datagram, "confab.server"_L1);
    if (!o)
        return std::nullopt;
    const int port = o->value("port"_L1).toInt(-1);
    if (port <= 0 || port > 65535)
        return std::nullopt;
    DiscoveryAnswer a;
    a.nonce = o->value("nonce"_L1).toString();
    a.name = o->value("name"_L1).toString();
    a.host = o->value("host"_L1).toString();
    a.port = quint16(port);
    a.protocol = o->value("protocol"_L1).toInt();
    a.tls = o->value("tls"_L1).toBool();
    a.tlsRequired = o->value("tls_required"_L1).toBool();
    a.fingerprint = a.tls ? o->value("fingerprint"_L1).toString() : QString();
    return a;
}

QString makeProbeNonce()
{
    // 16 lowercase hex characters: 64 random bits.
    return u"%1"_s.arg(qulonglong(QRandomGenerator::system()->generate64()), 16, 16, QChar(u'0'));
}

} // namespace confab::protocol
