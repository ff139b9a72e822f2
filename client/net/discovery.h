#pragma once

#include <QDeadlineTimer>
#include <QHash>
#include <QHostAddress>
#include <QObject>
#include <QTimer>
#include <QUrl>
#include <QtQml/qqmlregistration.h>

class QUdpSocket;

namespace confab::client {

class ServersModel;

// Finds confab servers on the LAN and keeps the "discovered" rows of a ServersModel.
// While active it sends a probe (shared/protocol/discovery.h, 512 bytes, a fresh nonce)
// every probeIntervalMs to the discovery port: to 255.255.255.255, to each running
// IPv4 interface's broadcast address, to the multicast group on each interface that can
// multicast (TTL 1, loopback on) and straight to the loopback address (a server on this
// machine). Answers that echo one of the last few nonces become rows: the answer's
// source address and WebSocket port, ws or wss. A server that answers on several
// addresses is one row (its loopback address when there is one, else the first one
// heard). An address not heard for three probes in a row is dropped. UI thread only.
class LanDiscovery : public QObject
{
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("Discovery belongs to Accounts")
    Q_PROPERTY(bool active READ isActive WRITE setActive NOTIFY activeChanged)

public:
    static constexpr quint16 kDefaultPort = 7681;

    struct Options
    {
        quint16 port = kDefaultPort;
        int probeIntervalMs = 2000;
        int missedProbes = 3; // an address unheard for this many probes is gone
    };

    LanDiscovery(ServersModel *servers, const Options &options, QObject *parent = nullptr);
    explicit LanDiscovery(ServersModel *servers, QObject *parent = nullptr);
    ~LanDiscovery() override;

    bool isActive() const { return m_active; }
    // Starts probing (the first probe goes at once) / stops and forgets every row.
    void setActive(bool active);
    quint16 port() const { return m_options.port; }
    // The UDP port probes go to, from the next setActive(true) on (tests use their own).
    void setPort(quint16 port) { m_options.port = port; }
    int probesSent() const { return m_probes; }
    // How many answers were thrown away (unknown nonce, not an answer).
    int answersIgnored() const { return m_ignored; }

signals:
    void activeChanged();

private:
    struct Heard
    {
        QString name;
        bool tls = false;
        QString fingerprint;
        QHash<QString, QDeadlineTimer> addresses; // address -> when it counts as gone
        QStringList order;                        // addresses, first heard first
        QUrl shownUrl;                            // the row in the model
    };

    void probe();
    void sendProbe(const QByteArray &datagram);
    void readAnswers();
    void expire();
    void update(const QString &key);
    QDeadlineTimer lifetime() const;

    ServersModel *m_servers;
    Options m_options;
    QUdpSocket *m_socket = nullptr;
    QTimer m_timer;
    QStringList m_nonces;          // of the last few probes, newest last
    QHash<QString, Heard> m_heard; // by name, host, port, fingerprint
    bool m_active = false;
    int m_probes = 0;
    int m_ignored = 0;
};

} // namespace confab::client
