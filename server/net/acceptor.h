#pragma once

#include "core/context.h"

#include <QElapsedTimer>
#include <QHostAddress>
#include <QObject>

class QSocketNotifier;

namespace confab::server {

class IoWorker;

// Owns the listening socket and hands each accepted descriptor, untouched, to the next
// I/O worker in turn; the worker creates the socket on its own thread. Touched only
// from the acceptor thread.
//
// A plain non-blocking listening socket rather than QTcpServer, for what happens when
// the process runs out of descriptors: accept() then fails with EMFILE while the
// connection stays in the backlog, so the socket stays readable, and QTcpServer (Qt 6.4)
// retries at once, forever: one core at 100 % for as long as the server is full. Here
// the acceptor stops watching the socket for a moment instead, warns (at most every
// 10 s) and counts the failure; connections waiting in the backlog get in as soon as
// others close.
class Acceptor : public QObject
{
public:
    Acceptor(ServerContext *context, const QList<IoWorker *> &workers);
    ~Acceptor() override;

    // QHostAddress::Any listens on IPv6 and IPv4 (dual stack) when the host has IPv6.
    bool listen(const QHostAddress &address, quint16 port, int backlog, QString *error);
    quint16 port() const { return m_port; }
    void close();

private:
    void acceptPending();
    void pauseForDescriptors(int error);

    ServerContext *m_ctx;
    QList<IoWorker *> m_workers;
    int m_fd = -1;
    quint16 m_port = 0;
    QSocketNotifier *m_notifier = nullptr;
    int m_next = 0;
    qint64 m_failuresSinceWarning = 0;
    QElapsedTimer m_lastWarning;
};

} // namespace confab::server
