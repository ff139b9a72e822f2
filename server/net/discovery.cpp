#include "net/discovery.h"

#include "core/clock.h"
#include "core/metrics.h"
#include "logging.h"

#include <QNetworkDatagram>
#include <QNetworkInterface>
#include <QTimer>
#include <QUdpSocket>

namespace confab::server {

using namespace Qt::StringLiterals;

namespace {
// Per source address: a burst of this many answers, refilled at this rate. A client
// probes every two seconds on each of its interfaces; a few clients behind one NAT'ed
// address still get theirs.
constexpr double kBurst = 8;
constexpr double kPerSecond = 4;
constexpr qsizetype kMaxSources = 4096;
constexpr int kRejoinMs = 30000;
// A client sends each probe to several addresses (direct, broadcast, multicast); the
// copies that reach this server within this long get no second answer.
constexpr qint64 kCopyWindowMs = 2000;
} // namespace

Discovery::Discovery(ServerContext *context, protocol::DiscoveryAnswer answer, QObject *parent)
    : QObject(parent)
    , m_ctx(context)
    , m_answer(std::move(answer))
{
}

Discovery::~Discovery() = default;

bool Discovery::start(quint16 port, QString *error)
{
    m_socket = new QUdpSocket(this);
    // Shared, so that a second server on the box (or a test beside a real one) can answer
    // too: broadcast and multicast datagrams reach every socket bound to the port.
    if (!m_socket->bind(QHostAddress::AnyIPv4, port,
                        QUdpSocket::ShareAddress | QUdpSocket::ReuseAddressHint)) {
        *error =
            u"cannot bind UDP port %1 for discovery: %2"_s.arg(port).arg(m_socket->errorString());
        return false;
    }
    connect(m_socket, &QUdpSocket::readyRead, this, &Discovery::readPending);
    joinGroup();
    m_rejoin = new QTimer(this);
    connect(m_rejoin, &QTimer::timeout, this, &Discovery::joinGroup);
    m_rejoin->start(kRejoinMs);
    return true;
}

quint16 Discovery::port() const
{
    return m_socket ? m_socket->localPort() : 0;
}

void Discovery::joinGroup()
{
    const QHostAddress group(QLatin1String(protocol::kDiscoveryGroup));
    QSet<QString> up;
    const QList<QNetworkInterface> interfaces = QNetworkInterface::allInterfaces();
    for (const QNetworkInterface &iface : interfaces) {
        const auto flags = iface.flags();
        if (!flags.testFlag(QNetworkInterface::IsUp) ||
            !flags.testFlag(QNetworkInterface::IsRunning) ||
            !flags.testFlag(QNetworkInterface::CanMulticast))
            continue;
        up.insert(iface.name());
        if (m_joined.contains(iface.name()))
            continue;
        if (m_socket->joinMulticastGroup(group, iface)) {
            qCDebug(lcNet) << "discovery: joined" << group.toString() << "on" << iface.name();
            m_joined.insert(iface.name());
        }
    }
    m_joined.intersect(up); // gone interfaces left the group with them
}

bool Discovery::allow(const QString &source, qint64 now)
{
    if (m_buckets.size() >= kMaxSources && !m_buckets.contains(source)) {
        // Forget sources that have been quiet long enough to be full again anyway.
        for (auto it = m_buckets.begin(); it != m_buckets.end();) {
            if (now - it->at > qint64(kBurst / kPerSecond * 1000))
                it = m_buckets.erase(it);
            else
                ++it;
        }
        if (m_buckets.size() >= kMaxSources)
            return false;
    }
    auto it = m_buckets.find(source);
    if (it == m_buckets.end())
        it = m_buckets.insert(source, Bucket{kBurst, now});
    it->tokens = std::min(kBurst, it->tokens + double(now - it->at) * kPerSecond / 1000.0);
    it->at = now;
    if (it->tokens < 1)
        return false;
    it->tokens -= 1;
    return true;
}

void Discovery::readPending()
{
    Metrics &metrics = *m_ctx->metrics;
    while (m_socket->hasPendingDatagrams()) {
        const QNetworkDatagram datagram = m_socket->receiveDatagram(protocol::kMaxDatagramSize + 1);
        const QByteArray data = datagram.data();
        const std::optional<protocol::DiscoveryProbe> probe = protocol::parseProbe(data);
        if (!probe || datagram.senderPort() <= 0) {
            bump(metrics.discoveryIgnored);
            continue;
        }
        protocol::DiscoveryAnswer answer = m_answer;
        answer.nonce = probe->nonce;
        const QByteArray reply = protocol::encodeAnswer(answer);
        if (reply.size() > data.size()) { // never more bytes out than came in
            bump(metrics.discoveryIgnored);
            continue;
        }
        const qint64 now = monotonicMs();
        const QString source = datagram.senderAddress().toString();
        const QString copyKey = source + u' ' + probe->nonce;
        if (const auto seen = m_answered.constFind(copyKey);
            seen != m_answered.constEnd() && now - *seen < kCopyWindowMs) {
            bump(metrics.discoveryIgnored);
            continue;
        }
        if (!allow(source, now)) {
            bump(metrics.discoveryRateLimited);
            continue;
        }
        if (m_answered.size() >= kMaxSources)
            m_answered.removeIf(
                [now](const auto &entry) { return now - entry.value() >= kCopyWindowMs; });
        m_answered.insert(copyKey, now);
        m_socket->writeDatagram(reply, datagram.senderAddress(), quint16(datagram.senderPort()));
        bump(metrics.discoveryAnswers);
    }
}

} // namespace confab::server
