#include "transport.h"

#include "client.h"

#include <QSocketNotifier>
#include <QSslSocket>
#include <QTcpSocket>
#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

namespace confab::bench {

using namespace Qt::StringLiterals;

namespace {
// One read per readiness takes up to this much: every frame a busy socket has queued.
constexpr qsizetype kReadBuffer = 256 * 1024;
constexpr int kMaxEvents = 512;
// A queue that grew past this is given back once it is empty again.
constexpr qsizetype kKeepOutCapacity = 64 * 1024;
// How often a socket is put back into delayed-ACK mode (below); the kernel leaves it
// when a delayed ACK's timer fires (40 ms at least).
constexpr qint64 kQuickAckRearmUs = 20'000;

qint64 coarseNowUs()
{
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return qint64(ts.tv_sec) * 1'000'000 + ts.tv_nsec / 1000;
}

quint64 tagOf(int slot, quint32 generation)
{
    return quint64(quint32(slot)) | (quint64(generation) << 32);
}

// sockaddr of address:port; its length, 0 when the address is not IPv4 or IPv6.
socklen_t toSockaddr(const QHostAddress &address, quint16 port, sockaddr_storage *out)
{
    std::memset(out, 0, sizeof(*out));
    bool v4 = false;
    const quint32 ip4 = address.toIPv4Address(&v4);
    if (v4) {
        auto *a = reinterpret_cast<sockaddr_in *>(out);
        a->sin_family = AF_INET;
        a->sin_port = htons(port);
        a->sin_addr.s_addr = htonl(ip4);
        return sizeof(sockaddr_in);
    }
    if (address.protocol() == QAbstractSocket::IPv6Protocol) {
        auto *a = reinterpret_cast<sockaddr_in6 *>(out);
        a->sin6_family = AF_INET6;
        a->sin6_port = htons(port);
        const Q_IPV6ADDR ip6 = address.toIPv6Address();
        std::memcpy(&a->sin6_addr, ip6.c, 16);
        return sizeof(sockaddr_in6);
    }
    return 0;
}
} // namespace

QString errnoKey(int error)
{
    // The keys QAbstractSocket's errors had in the table before (client.cpp).
    switch (error) {
    case ECONNREFUSED:
        return u"socket:refused"_s;
    case ETIMEDOUT:
        return u"socket:timeout"_s;
    case EMFILE:
    case ENFILE:
    case ENOBUFS:
    case ENOMEM:
        return u"socket:resource"_s;
    case EADDRNOTAVAIL:
        return u"socket:address-not-available"_s;
    case EADDRINUSE:
        return u"socket:address-in-use"_s;
    case ENETUNREACH:
    case EHOSTUNREACH:
        return u"socket:unreachable"_s;
    default:
        return u"socket:errno-%1"_s.arg(error);
    }
}

// ---- Poller -----------------------------------------------------------------------------

Poller::Poller()
    : m_epoll(epoll_create1(EPOLL_CLOEXEC))
    , m_buffer(new char[kReadBuffer])
{
    if (m_epoll < 0)
        qFatal("confab-bench: epoll_create1: %s", std::strerror(errno));
    m_notifier = std::make_unique<QSocketNotifier>(m_epoll, QSocketNotifier::Read);
    QObject::connect(m_notifier.get(), &QSocketNotifier::activated, m_notifier.get(),
                     [this] { onReady(); });
}

Poller::~Poller()
{
    m_notifier.reset();
    ::close(m_epoll);
}

int Poller::addSlot(RawSocket *socket)
{
    m_slots.push_back(socket);
    return int(m_slots.size() - 1);
}

void Poller::control(int op, int fd, quint32 events, quint64 tag)
{
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = tag;
    epoll_ctl(m_epoll, op, fd, &ev);
}

void Poller::markDirty(RawSocket *socket)
{
    if (socket->m_dirty)
        return;
    socket->m_dirty = true;
    m_dirty.push_back(socket);
}

void Poller::flushWrites()
{
    // Sending never calls back into a client, so the list cannot grow meanwhile.
    for (RawSocket *s : m_dirty) {
        s->m_dirty = false;
        if (s->m_state == RawSocket::State::Connected && !s->m_outArmed)
            s->sendQueued();
    }
    m_dirty.clear();
}

void Poller::onReady()
{
    epoll_event events[kMaxEvents];
    const int n = epoll_wait(m_epoll, events, kMaxEvents, 0);
    m_passUs = coarseNowUs();
    for (int i = 0; i < n; ++i) {
        const quint64 tag = events[i].data.u64;
        const auto slot = size_t(quint32(tag));
        if (slot >= m_slots.size())
            continue;
        RawSocket *s = m_slots[slot];
        // A socket closed (and maybe reopened) by an earlier event of this batch.
        if (s->m_generation != quint32(tag >> 32) || s->m_fd < 0)
            continue;
        s->events(events[i].events);
    }
    // What the clients answered (pongs, close frames, the handshake) goes out now.
    flushWrites();
}

// ---- RawSocket --------------------------------------------------------------------------

RawSocket::RawSocket(Poller *poller, BenchClient *client)
    : m_poller(poller)
    , m_client(client)
    , m_slot(poller->addSlot(this))
{
}

RawSocket::~RawSocket()
{
    closeFd();
    m_poller->m_slots[size_t(m_slot)] = nullptr;
}

void RawSocket::closeFd()
{
    if (m_fd >= 0) {
        ::close(m_fd); // leaves the epoll set with it
        m_fd = -1;
    }
    ++m_generation;
    m_quickAckUs = -kQuickAckNever;
    m_state = State::Closed;
    m_outArmed = false;
    m_closeWhenSent = false;
    m_out = QByteArray();
}

void RawSocket::open(const QString &hostName, const QHostAddress &address, quint16 port,
                     const QHostAddress &source)
{
    Q_UNUSED(hostName);
    closeFd();
    sockaddr_storage to;
    const socklen_t toLength = toSockaddr(address, port, &to);
    if (toLength == 0) {
        failConnect(EAFNOSUPPORT);
        return;
    }
    m_fd = ::socket(to.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (m_fd < 0) {
        failConnect(errno);
        return;
    }
    if (!source.isNull()) {
        sockaddr_storage from;
        const socklen_t fromLength = toSockaddr(source, 0, &from);
        if (fromLength == 0 || ::bind(m_fd, reinterpret_cast<sockaddr *>(&from), fromLength) < 0) {
            failConnect(fromLength == 0 ? EADDRNOTAVAIL : errno);
            return;
        }
    }
    // Latency is the point of the exercise: no Nagle delay on small frames.
    const int one = 1;
    ::setsockopt(m_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (::connect(m_fd, reinterpret_cast<sockaddr *>(&to), toLength) < 0 && errno != EINPROGRESS) {
        failConnect(errno);
        return;
    }
    // Connected or not yet: either way EPOLLOUT says so in the next pass.
    m_state = State::Connecting;
    m_poller->control(EPOLL_CTL_ADD, m_fd, EPOLLIN | EPOLLOUT, tagOf(m_slot, m_generation));
    m_outArmed = true;
}

void RawSocket::failConnect(int error)
{
    closeFd();
    m_client->onSocketError(errnoKey(error), true);
}

void RawSocket::events(quint32 ev)
{
    if (m_state == State::Connecting) {
        int error = 0;
        socklen_t length = sizeof(error);
        if (::getsockopt(m_fd, SOL_SOCKET, SO_ERROR, &error, &length) < 0)
            error = errno;
        if (error != 0) {
            failConnect(error);
            return;
        }
        if (!(ev & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
            return;
        m_state = State::Connected;
        setInterest(false);
        m_client->onConnected();
        return;
    }
    if (m_state != State::Connected)
        return;
    if ((ev & EPOLLOUT) && m_outArmed && sendQueued() && m_closeWhenSent) {
        closeFd();
        m_client->onDisconnected();
        return;
    }
    if (!(ev & (EPOLLIN | EPOLLHUP | EPOLLERR)))
        return;
    // One read per readiness: what is left is reported again in the next pass.
    const ssize_t n = ::read(m_fd, m_poller->m_buffer.get(), kReadBuffer);
    ++m_poller->m_reads;
    if (n > 0) {
        // A receiver that never sends makes the kernel ACK every read that empties its
        // queue (and the ACK's way through the server's socket is charged to the
        // harness: a third of its CPU at one frame per read). Delayed-ACK mode, which
        // TCP_QUICKACK=0 turns on, still ACKs every second segment and on the timer,
        // but not every read; the kernel turns it off again when its timer fires.
        if (m_poller->m_passUs - m_quickAckUs >= kQuickAckRearmUs) {
            const int zero = 0;
            ::setsockopt(m_fd, IPPROTO_TCP, TCP_QUICKACK, &zero, sizeof(zero));
            m_quickAckUs = m_poller->m_passUs;
        }
        m_client->onData(QByteArrayView(m_poller->m_buffer.get(), n));
        return;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    lost(n == 0 ? 0 : errno);
}

// The connection ended under us: end of stream or an error.
void RawSocket::lost(int error)
{
    closeFd();
    // As QAbstractSocket reported them: a reset is the remote host closing, not counted.
    if (error != 0 && error != ECONNRESET && error != EPIPE)
        m_client->onSocketError(errnoKey(error), false);
    m_client->onDisconnected();
}

void RawSocket::setInterest(bool out)
{
    if (m_fd < 0 || out == m_outArmed)
        return;
    m_outArmed = out;
    m_poller->control(EPOLL_CTL_MOD, m_fd, out ? EPOLLIN | EPOLLOUT : EPOLLIN,
                      tagOf(m_slot, m_generation));
}

void RawSocket::write(QByteArrayView bytes)
{
    if (m_state != State::Connected || m_closeWhenSent)
        return;
    m_out.append(bytes.data(), bytes.size());
    m_poller->markDirty(this);
}

bool RawSocket::sendQueued()
{
    qsizetype sent = 0;
    while (sent < m_out.size()) {
        const ssize_t n =
            ::send(m_fd, m_out.constData() + sent, size_t(m_out.size() - sent), MSG_NOSIGNAL);
        if (n > 0) {
            sent += n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN) {
            m_out.remove(0, sent);
            setInterest(true);
            return false;
        }
        // Reset or broken: the read side sees it and reports the end.
        m_out = QByteArray();
        setInterest(false);
        return true;
    }
    if (m_out.capacity() > kKeepOutCapacity)
        m_out = QByteArray();
    else
        m_out.clear();
    setInterest(false);
    return true;
}

void RawSocket::disconnectFromHost()
{
    if (m_state == State::Closed)
        return;
    if (m_state == State::Connected && !sendQueued()) {
        m_closeWhenSent = true; // closed once EPOLLOUT has taken the rest
        return;
    }
    closeFd();
    m_client->onDisconnected();
}

void RawSocket::abort()
{
    closeFd();
}

// ---- QtTransport ------------------------------------------------------------------------

QtTransport::QtTransport(BenchClient *client, bool tls, bool insecure)
    : m_client(client)
    , m_tls(tls)
    , m_insecure(insecure)
{
}

QtTransport::~QtTransport()
{
    abort();
}

void QtTransport::open(const QString &hostName, const QHostAddress &address, quint16 port,
                       const QHostAddress &source)
{
    Q_UNUSED(address);
    if (!m_socket) {
        if (m_tls) {
            auto *ssl = new QSslSocket;
            if (m_insecure)
                ssl->setPeerVerifyMode(QSslSocket::VerifyNone);
            QObject::connect(ssl, &QSslSocket::encrypted, ssl, [this] {
                m_socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
                m_client->onConnected();
            });
            m_socket.reset(ssl);
        } else {
            m_socket = std::make_unique<QTcpSocket>();
            QObject::connect(m_socket.get(), &QTcpSocket::connected, m_socket.get(), [this] {
                m_socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
                m_client->onConnected();
            });
        }
        QTcpSocket *s = m_socket.get();
        QObject::connect(s, &QTcpSocket::readyRead, s, [this] {
            const QByteArray data = m_socket->readAll();
            m_client->onData(data);
        });
        QObject::connect(s, &QTcpSocket::disconnected, s, [this] {
            if (!m_silent)
                m_client->onDisconnected();
        });
        QObject::connect(s, &QTcpSocket::errorOccurred, s, [this](QAbstractSocket::SocketError e) {
            if (m_silent)
                return;
            QString key;
            switch (e) {
            case QAbstractSocket::RemoteHostClosedError:
                break; // not counted: connection_lost says it when it matters
            case QAbstractSocket::ConnectionRefusedError:
                key = u"socket:refused"_s;
                break;
            case QAbstractSocket::SocketTimeoutError:
                key = u"socket:timeout"_s;
                break;
            case QAbstractSocket::SocketResourceError:
                key = u"socket:resource"_s;
                break;
            case QAbstractSocket::SslHandshakeFailedError:
                key = u"socket:tls-handshake"_s;
                break;
            case QAbstractSocket::SocketAddressNotAvailableError:
                key = u"socket:address-not-available"_s;
                break;
            case QAbstractSocket::AddressInUseError:
                key = u"socket:address-in-use"_s;
                break;
            default:
                key = u"socket:error-%1"_s.arg(int(e));
                break;
            }
            // A connect that never succeeded emits no disconnected(); every other error does.
            m_client->onSocketError(key, m_socket->state() == QAbstractSocket::UnconnectedState);
        });
    }
    abort();
    if (!source.isNull() && !m_socket->bind(source)) {
        // errorOccurred counted why; the attempt is over unless that already ended it.
        m_client->onSocketError(QString(), true);
        return;
    }
    if (m_tls)
        static_cast<QSslSocket *>(m_socket.get())->connectToHostEncrypted(hostName, port);
    else
        m_socket->connectToHost(hostName, port);
}

bool QtTransport::isConnected() const
{
    return m_socket && m_socket->state() == QAbstractSocket::ConnectedState;
}

void QtTransport::write(QByteArrayView bytes)
{
    if (isConnected())
        m_socket->write(bytes.data(), bytes.size());
}

void QtTransport::disconnectFromHost()
{
    if (m_socket)
        m_socket->disconnectFromHost();
}

void QtTransport::abort()
{
    if (!m_socket || m_socket->state() == QAbstractSocket::UnconnectedState)
        return;
    m_silent = true;
    m_socket->abort();
    m_silent = false;
}

} // namespace confab::bench
