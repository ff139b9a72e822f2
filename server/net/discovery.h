#pragma once

#include "core/context.h"
#include "protocol/discovery.h"

#include <QHash>
#include <QObject>
#include <QSet>

class QTimer;
class QUdpSocket;

namespace confab::server {

// Answers LAN discovery probes (protocol/discovery.h) on UDP: sent to the port directly,
// to a broadcast address, or to the multicast group, which it joins on every interface
// that can multicast (again as interfaces come up). It answers only a well-formed probe
// at least as large as the answer, once per probe (not each copy a client sent to
// another address), and at most a few times a second per source address.
// Lives on the main thread; a handful of datagrams, never on the message path.
class Discovery : public QObject
{
public:
    // answer: everything but the nonce, which each probe brings.
    Discovery(ServerContext *context, protocol::DiscoveryAnswer answer, QObject *parent);
    ~Discovery() override;

    // false + *error when the port cannot be bound.
    bool start(quint16 port, QString *error);
    quint16 port() const;

private:
    void readPending();
    void joinGroup();
    bool allow(const QString &source, qint64 now);

    struct Bucket
    {
        double tokens;
        qint64 at;
    };

    ServerContext *m_ctx;
    protocol::DiscoveryAnswer m_answer;
    QUdpSocket *m_socket = nullptr;
    QTimer *m_rejoin = nullptr;
    QSet<QString> m_joined; // interfaces that are in the group
    QHash<QString, Bucket> m_buckets;
    QHash<QString, qint64> m_answered; // "source nonce" -> when: copies get no answer
};

} // namespace confab::server
