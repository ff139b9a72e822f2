#pragma once

#include <QElapsedTimer>
#include <QObject>
#include <QTimer>

namespace confab::client {

// Tells when the network link probably changed under a connection: the machine woke
// from sleep (logind's PrepareForSleep(false) on the system bus, or the wall clock
// jumping ahead of the monotonic clock, which stands still while suspended) or the
// network changed (QNetworkInformation, the NetworkManager backend on Debian).
class LinkWatcher : public QObject
{
    Q_OBJECT

public:
    explicit LinkWatcher(QObject *parent = nullptr, int checkIntervalMs = 5000,
                         int jumpThresholdMs = 5000);

    // Compares the clocks now (the timer does this every checkIntervalMs). Returns whether
    // a sleep was detected; tests pass a pretended wall-clock advance.
    bool checkClocks(qint64 extraWallMs = 0);

signals:
    void wokeUp();
    void networkChanged();

private slots:
    void onPrepareForSleep(bool sleeping);

private:
    void watchNetwork();
    QTimer m_timer;
    QElapsedTimer m_mono;
    qint64 m_wallAtStart = 0;
    qint64 m_lastSkew = 0;
    int m_jumpThresholdMs;
};

} // namespace confab::client
