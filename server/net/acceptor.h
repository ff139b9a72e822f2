#pragma once

#include "core/context.h"

#include <QTcpServer>

namespace confab::server {

// Owns the listening socket and hands each accepted descriptor, untouched, to the next
// I/O worker in turn; the worker creates the socket on its own thread. Touched only
// from the acceptor thread.
class Acceptor : public QTcpServer
{
public:
    explicit Acceptor(ServerContext *context);

protected:
    void incomingConnection(qintptr descriptor) override;

private:
    ServerContext *m_ctx;
    int m_next = 0;
};

} // namespace confab::server
