#include "net/acceptor.h"

#include "net/ioworker.h"

namespace confab::server {

Acceptor::Acceptor(ServerContext *context)
    : m_ctx(context)
{
}

void Acceptor::incomingConnection(qintptr descriptor)
{
    IoWorker *worker = m_ctx->workers[m_next];
    m_next = (m_next + 1) % int(m_ctx->workers.size());
    postTo(worker, [worker, descriptor] { worker->adoptSocket(descriptor); });
}

} // namespace confab::server
