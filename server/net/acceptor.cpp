#include "net/acceptor.h"

#include "core/metrics.h"
#include "eventloop/filelimit.h"
#include "logging.h"
#include "net/ioworker.h"

#include <QSocketNotifier>
#include <QTimer>
#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace confab::server {

using namespace Qt::StringLiterals;

namespace {

constexpr int kOutOfDescriptorsPauseMs = 100;
constexpr qint64 kWarningIntervalMs = 10000;

QString systemError(int error)
{
    return QString::fromLocal8Bit(std::strerror(error));
}

// A bound, listening, non-blocking socket, or -1 with *error set.
int openListener(const QHostAddress &address, quint16 port, int backlog, bool dualStack,
                 QString *error)
{
    const bool v6 = dualStack || address.protocol() == QAbstractSocket::IPv6Protocol;
    const int fd = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        *error = systemError(errno);
        return -1;
    }
    const int on = 1;
    // A restarted server must be able to bind while old connections sit in TIME_WAIT.
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    sockaddr_storage storage{};
    socklen_t length = 0;
    if (v6) {
        const int v6Only = dualStack ? 0 : 1;
        ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6Only, sizeof v6Only);
        auto *in6 = reinterpret_cast<sockaddr_in6 *>(&storage);
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(port);
        if (!dualStack) {
            const Q_IPV6ADDR bytes = address.toIPv6Address();
            std::memcpy(&in6->sin6_addr, bytes.c, sizeof in6->sin6_addr);
            in6->sin6_scope_id = address.scopeId().toUInt();
        } else {
            in6->sin6_addr = in6addr_any;
        }
        length = sizeof(sockaddr_in6);
    } else {
        auto *in4 = reinterpret_cast<sockaddr_in *>(&storage);
        in4->sin_family = AF_INET;
        in4->sin_port = htons(port);
        in4->sin_addr.s_addr = htonl(address.toIPv4Address());
        length = sizeof(sockaddr_in);
    }
    if (::bind(fd, reinterpret_cast<sockaddr *>(&storage), length) != 0 ||
        ::listen(fd, backlog) != 0) {
        *error = systemError(errno);
        ::close(fd);
        return -1;
    }
    return fd;
}

quint16 boundPort(int fd)
{
    sockaddr_storage storage{};
    socklen_t length = sizeof storage;
    if (::getsockname(fd, reinterpret_cast<sockaddr *>(&storage), &length) != 0)
        return 0;
    if (storage.ss_family == AF_INET6)
        return ntohs(reinterpret_cast<sockaddr_in6 *>(&storage)->sin6_port);
    return ntohs(reinterpret_cast<sockaddr_in *>(&storage)->sin_port);
}

} // namespace

Acceptor::Acceptor(ServerContext *context, const QList<IoWorker *> &workers)
    : m_ctx(context)
    , m_workers(workers)
{
}

Acceptor::~Acceptor()
{
    close();
}

bool Acceptor::listen(const QHostAddress &address, quint16 port, int backlog, QString *error)
{
    close();
    if (address == QHostAddress::Any) {
        m_fd = openListener(address, port, backlog, true, error);
        if (m_fd < 0) // no IPv6 on this host: IPv4 only
            m_fd = openListener(QHostAddress(QHostAddress::AnyIPv4), port, backlog, false, error);
    } else {
        m_fd = openListener(address, port, backlog, false, error);
    }
    if (m_fd < 0)
        return false;
    m_port = boundPort(m_fd);
    m_notifier = new QSocketNotifier(m_fd, QSocketNotifier::Read, this);
    connect(m_notifier, &QSocketNotifier::activated, this, &Acceptor::acceptPending);
    return true;
}

void Acceptor::close()
{
    delete m_notifier;
    m_notifier = nullptr;
    if (m_fd >= 0)
        ::close(m_fd);
    m_fd = -1;
}

void Acceptor::acceptPending()
{
    // Everything the backlog holds, then back to the event loop.
    while (m_fd >= 0) {
        const int descriptor = ::accept4(m_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (descriptor < 0) {
            const int error = errno;
            if (error == EAGAIN || error == EWOULDBLOCK)
                return;
            if (error == EMFILE || error == ENFILE || error == ENOBUFS || error == ENOMEM) {
                pauseForDescriptors(error);
                return;
            }
            // ECONNABORTED, EPROTO, EINTR...: that one connection is gone, not the listener.
            qCDebug(lcNet).noquote() << "accept failed:" << systemError(error);
            continue;
        }
        IoWorker *worker = m_workers[m_next];
        m_next = (m_next + 1) % int(m_workers.size());
        postTo(worker, [worker, descriptor] { worker->adoptSocket(descriptor); });
    }
}

void Acceptor::pauseForDescriptors(int error)
{
    bump(m_ctx->metrics->acceptErrors);
    ++m_failuresSinceWarning;
    if (!m_lastWarning.isValid() || m_lastWarning.elapsed() >= kWarningIntervalMs) {
        qCWarning(lcNet).noquote().nospace()
            << "cannot accept connections: " << systemError(error) << " (file descriptor limit "
            << currentFileLimit().soft << "; failed " << m_failuresSinceWarning
            << " times since the last warning); new connections wait in the backlog until "
               "others close; raise LimitNOFILE or ulimit -n";
        m_failuresSinceWarning = 0;
        m_lastWarning.start();
    }
    m_notifier->setEnabled(false);
    QTimer::singleShot(kOutOfDescriptorsPauseMs, this, [this] {
        if (m_notifier) {
            m_notifier->setEnabled(true);
            acceptPending();
        }
    });
}

} // namespace confab::server
