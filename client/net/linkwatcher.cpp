#include "net/linkwatcher.h"

#include "logging.h"

#include <QDBusConnection>
#include <QDateTime>
#include <QNetworkInformation>

namespace confab::client {

using namespace Qt::StringLiterals;

LinkWatcher::LinkWatcher(QObject *parent, int checkIntervalMs, int jumpThresholdMs)
    : QObject(parent)
    , m_jumpThresholdMs(jumpThresholdMs)
{
    m_mono.start();
    m_wallAtStart = QDateTime::currentMSecsSinceEpoch();
    m_timer.setInterval(checkIntervalMs);
    connect(&m_timer, &QTimer::timeout, this, [this] { checkClocks(); });
    m_timer.start();
    QDBusConnection system = QDBusConnection::systemBus();
    if (!system.isConnected() ||
        !system.connect(u"org.freedesktop.login1"_s, u"/org/freedesktop/login1"_s,
                        u"org.freedesktop.login1.Manager"_s, u"PrepareForSleep"_s, this,
                        SLOT(onPrepareForSleep(bool))))
        qCDebug(lcNet) << "no logind on the system bus: sleep is found by the clocks alone";
    watchNetwork();
}

void LinkWatcher::watchNetwork()
{
    if (!QNetworkInformation::instance() &&
        !QNetworkInformation::loadBackendByFeatures(QNetworkInformation::Feature::Reachability)) {
        qCDebug(lcNet) << "no network information backend";
        return;
    }
    QNetworkInformation *info = QNetworkInformation::instance();
    connect(info, &QNetworkInformation::reachabilityChanged, this,
            [this](QNetworkInformation::Reachability r) {
                qCInfo(lcNet) << "network reachability" << r;
                // Local counts: the server is on the office LAN, which may well have no
                // default route (NetworkManager's CONNECTED_LOCAL).
                if (r == QNetworkInformation::Reachability::Online ||
                    r == QNetworkInformation::Reachability::Site ||
                    r == QNetworkInformation::Reachability::Local)
                    emit networkChanged();
            });
}

bool LinkWatcher::checkClocks(qint64 extraWallMs)
{
    // Wall time minus monotonic time is constant while the machine runs; a suspend (or a
    // clock step) changes it.
    const qint64 skew =
        (QDateTime::currentMSecsSinceEpoch() + extraWallMs - m_wallAtStart) - m_mono.elapsed();
    const qint64 jump = skew - m_lastSkew;
    m_lastSkew = skew;
    if (jump < m_jumpThresholdMs)
        return false;
    qCInfo(lcNet) << "clock jumped by" << jump << "ms: woke from sleep";
    emit wokeUp();
    return true;
}

void LinkWatcher::onPrepareForSleep(bool sleeping)
{
    if (!sleeping) {
        qCInfo(lcNet) << "logind: resumed";
        emit wokeUp();
    }
}

} // namespace confab::client
