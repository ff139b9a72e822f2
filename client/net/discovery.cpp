#include "net/discovery.h"

#include "logging.h"
#include "models/serversmodel.h"
#include "protocol/discovery.h"

#include <QNetworkDatagram>
#include <QNetworkInterface>
#include <QSet>
#include <QUdpSocket>

namespace confab::client {

using namespace Qt::StringLiterals;

namespace {
constexpr int kNoncesKept = 4;
} // namespace

LanDiscovery::LanDiscovery(ServersModel *servers, const Options &options, QObject *parent)
    : QObject(parent)
    , m_servers(servers)
    , m_options(options)
{
    m_timer.setInterval(m_options.probeIntervalMs);
    connect(&m_timer, &QTimer::timeout, this, &LanDiscovery::probe);
}

LanDiscovery::LanDiscovery(ServersModel *servers, QObject *parent)
    : LanDiscovery(servers, Options{}, parent)
{
}

LanDiscovery::~LanDiscovery() = default;

void LanDiscovery::setActive(bool active)
{
    if (active == m_active)
        return;
    m_active = active;
    if (active) {
        m_socket = new QUdpSocket(this);
        if (!m_socket->bind(QHostAddress::AnyIPv4, 0))
            qCWarning(lcNet) << "discovery: cannot bind a UDP socket:" << m_socket->errorString();
        m_socket->setSocketOption(QAbstractSocket::MulticastTtlOption, 1);
        m_socket->setSocketOption(QAbstractSocket::MulticastLoopbackOption, 1);
        connect(m_socket, &QUdpSocket::readyRead, this, &LanDiscovery::readAnswers);
        m_timer.start();
        probe();
    } else {
        m_timer.stop();
        delete m_socket;
        m_socket = nullptr;
        m_nonces.clear();
        for (const Heard &h : std::as_const(m_heard))
            m_servers->removeDiscovered(h.shownUrl);
        m_heard.clear();
    }
    emit activeChanged();
}

QDeadlineTimer LanDiscovery::lifetime() const
{
    // Three missed probes, and half an interval for the answer of the last one.
    return QDeadlineTimer(qint64(m_options.probeIntervalMs) * m_options.missedProbes +
                          m_options.probeIntervalMs / 2);
}

void LanDiscovery::sendProbe(const QByteArray &datagram)
{
    const quint16 port = m_options.port;
    QSet<QHostAddress> sent;
    const auto sendTo = [&](const QHostAddress &to) {
        if (sent.contains(to))
            return;
        sent.insert(to);
        if (m_socket->writeDatagram(datagram, to, port) != datagram.size())
            qCDebug(lcNet) << "discovery: probe to" << to.toString()
                           << "not sent:" << m_socket->errorString();
    };
    sendTo(QHostAddress::Broadcast);
    const QHostAddress group(QLatin1String(protocol::kDiscoveryGroup));
    const QList<QNetworkInterface> interfaces = QNetworkInterface::allInterfaces();
    for (const QNetworkInterface &iface : interfaces) {
        const auto flags = iface.flags();
        if (!flags.testFlag(QNetworkInterface::IsUp) ||
            !flags.testFlag(QNetworkInterface::IsRunning))
            continue;
        bool hasIpv4 = false;
        const QList<QNetworkAddressEntry> entries = iface.addressEntries();
        for (const QNetworkAddressEntry &entry : entries) {
            if (entry.ip().protocol() != QAbstractSocket::IPv4Protocol)
                continue;
            hasIpv4 = true;
            if (flags.testFlag(QNetworkInterface::IsLoopBack))
                sendTo(entry.ip()); // a server on this machine
            else if (flags.testFlag(QNetworkInterface::CanBroadcast) && !entry.broadcast().isNull())
                sendTo(entry.broadcast());
        }
        if (hasIpv4 && flags.testFlag(QNetworkInterface::CanMulticast)) {
            m_socket->setMulticastInterface(iface);
            if (m_socket->writeDatagram(datagram, group, port) != datagram.size())
                qCDebug(lcNet) << "discovery: multicast probe on" << iface.name()
                               << "not sent:" << m_socket->errorString();
        }
    }
}

void LanDiscovery::probe()
{
    if (!m_socket)
        return;
    expire();
    const QString nonce = protocol::makeProbeNonce();
    m_nonces.append(nonce);
    while (m_nonces.size() > kNoncesKept)
        m_nonces.removeFirst();
    const QByteArray datagram = protocol::encodeProbe(protocol::DiscoveryProbe{nonce});
    Q_ASSERT(datagram.size() == protocol::kProbeSize);
    sendProbe(datagram);
    ++m_probes;
}

void LanDiscovery::readAnswers()
{
    while (m_socket && m_socket->hasPendingDatagrams()) {
        const QNetworkDatagram datagram = m_socket->receiveDatagram(protocol::kMaxDatagramSize + 1);
        const std::optional<protocol::DiscoveryAnswer> answer =
            protocol::parseAnswer(datagram.data());
        const bool known = answer && m_nonces.contains(answer->nonce);
        QHostAddress from = datagram.senderAddress();
        bool isV4 = false;
        const quint32 v4 = from.toIPv4Address(&isV4);
        if (!known || !isV4) {
            ++m_ignored;
            qCDebug(lcNet) << "discovery: ignored a datagram from" << from.toString();
            continue;
        }
        from = QHostAddress(v4);
        const QString key = u"%1\n%2\n%3\n%4"_s.arg(answer->name, answer->host)
                                .arg(answer->port)
                                .arg(answer->fingerprint);
        Heard &h = m_heard[key];
        h.name = answer->name.isEmpty() ? answer->host : answer->name;
        h.tls = answer->tls;
        h.fingerprint = answer->fingerprint;
        const QString address = u"%1:%2"_s.arg(from.toString()).arg(answer->port);
        if (!h.addresses.contains(address))
            h.order.append(address);
        h.addresses.insert(address, lifetime());
        update(key);
    }
}

void LanDiscovery::expire()
{
    const QStringList keys = m_heard.keys();
    for (const QString &key : keys) {
        Heard &h = m_heard[key];
        for (auto it = h.addresses.begin(); it != h.addresses.end();) {
            if (it->hasExpired()) {
                h.order.removeOne(it.key());
                it = h.addresses.erase(it);
            } else {
                ++it;
            }
        }
        update(key);
    }
}

// Puts the row of a heard server in the model (or takes it out when no address is left).
void LanDiscovery::update(const QString &key)
{
    Heard &h = m_heard[key];
    if (h.order.isEmpty()) {
        if (!h.shownUrl.isEmpty())
            m_servers->removeDiscovered(h.shownUrl);
        m_heard.remove(key);
        return;
    }
    QString chosen = h.order.constFirst();
    for (const QString &a : std::as_const(h.order)) {
        if (QHostAddress(a.section(u':', 0, 0)).isLoopback()) {
            chosen = a;
            break;
        }
    }
    QUrl url;
    url.setScheme(h.tls ? u"wss"_s : u"ws"_s);
    url.setHost(chosen.section(u':', 0, 0));
    url.setPort(chosen.section(u':', 1, 1).toInt());
    if (!h.shownUrl.isEmpty() && h.shownUrl != url)
        m_servers->removeDiscovered(h.shownUrl);
    h.shownUrl = url;
    m_servers->addDiscovered(h.name, url, h.tls, h.fingerprint);
}

} // namespace confab::client
