#include "net/ioworker.h"

#include "auth/credentials.h"
#include "core/clock.h"
#include "core/hub.h"
#include "core/metrics.h"
#include "logging.h"
#include "net/filetransfer.h"
#include "net/session.h"

#include <QSocketNotifier>
#include <QSslSocket>
#include <QTcpSocket>
#include <QTimer>
#include <string_view>
#include <sys/socket.h>
#include <unistd.h>

namespace confab::server {

IoWorker::IoWorker(int index, ServerContext *context)
    : m_index(index)
    , m_ctx(context)
{
}

IoWorker::~IoWorker()
{
    qDeleteAll(m_sessions);
    const QList<int> unsniffed = m_unsniffed.keys();
    for (const int fd : unsniffed)
        dropUnsniffed(fd);
}

void IoWorker::start()
{
    const ServerConfig &cfg = m_ctx->config;
    m_timer = new QTimer(this);
    m_timer->setInterval(std::clamp(std::min(cfg.pingIntervalMs, cfg.idleTimeoutMs) / 4, 50, 1000));
    connect(m_timer, &QTimer::timeout, this, [this] { housekeeping(); });
    m_timer->start();
}

void IoWorker::adoptSocket(qintptr descriptor)
{
    bump(m_ctx->metrics->connectionsAccepted);
    bump(m_ctx->metrics->connectionsOpen);
    const int fd = int(descriptor);
    if ((!m_tls || !m_tls->enabled) && m_transferWorkers.isEmpty()) {
        startSession(fd, false);
        return;
    }
    // Nothing is read from the socket until its first bytes say which it is: a QTcpSocket
    // reads what is there at once, the TLS layer must see the ClientHello whole, and a
    // transfer is read on its own worker. Mostly they are there already (a client sends
    // its request right behind the handshake): then no notifier is needed.
    if (const Look look = lookAt(fd); look != Look::Wait && look != Look::More)
        return route(fd, look);
    auto *notifier = new QSocketNotifier(fd, QSocketNotifier::Read, this);
    m_unsniffed.insert(fd, Unsniffed{notifier, monotonicMs()});
    connect(notifier, &QSocketNotifier::activated, this, [this, fd] { sniff(fd); });
}

IoWorker::Look IoWorker::lookAt(int fd) const
{
    char start[FileTransfer::kStartBytes] = {};
    const ssize_t n = ::recv(fd, start, sizeof start, MSG_PEEK | MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return Look::Wait;
    if (n <= 0) // closed (or reset) before saying anything
        return Look::Closed;
    constexpr char kTlsHandshakeRecord = 0x16;
    if (start[0] == kTlsHandshakeRecord && m_tls && m_tls->enabled)
        return Look::Tls;
    if (m_transferWorkers.isEmpty())
        return Look::Plain;
    switch (FileTransfer::startOf(std::string_view(start, size_t(n)))) {
    case FileTransfer::Start::Transfer:
        return Look::Transfer;
    case FileTransfer::Start::Unknown:
        return Look::More;
    case FileTransfer::Start::Other:
        break;
    }
    return Look::Plain;
}

void IoWorker::route(int fd, Look look)
{
    switch (look) {
    case Look::Closed:
        ::close(fd);
        m_ctx->metrics->connectionsOpen.fetch_sub(1, std::memory_order_relaxed);
        return;
    case Look::Transfer: {
        IoWorker *to = m_transferWorkers[m_nextTransfer++ % m_transferWorkers.size()];
        postTo(to, [to, fd] { to->startSession(fd, false); });
        return;
    }
    case Look::Tls:
    case Look::Plain:
        startSession(fd, look == Look::Tls);
        return;
    case Look::Wait:
    case Look::More:
        return; // not for route()
    }
}

void IoWorker::sniff(int fd)
{
    const auto it = m_unsniffed.find(fd);
    if (it == m_unsniffed.end())
        return;
    const Look look = lookAt(fd);
    if (look == Look::Wait)
        return;
    if (look == Look::More) {
        // Only part of the request line is here: look again shortly (the notifier would
        // fire at once while those bytes wait, unread).
        it->notifier->setEnabled(false);
        QTimer::singleShot(5, this, [this, fd] {
            if (const auto again = m_unsniffed.find(fd); again != m_unsniffed.end())
                again->notifier->setEnabled(true);
        });
        return;
    }
    // Disabled before the socket gets its own notifier for the same descriptor; deleted
    // later, its signal is still on the stack.
    it->notifier->setEnabled(false);
    it->notifier->deleteLater();
    m_unsniffed.erase(it);
    route(fd, look);
}

void IoWorker::dropUnsniffed(int fd)
{
    const auto it = m_unsniffed.find(fd);
    if (it == m_unsniffed.end())
        return;
    it->notifier->setEnabled(false);
    delete it->notifier;
    m_unsniffed.erase(it);
    ::close(fd);
    m_ctx->metrics->connectionsOpen.fetch_sub(1, std::memory_order_relaxed);
}

void IoWorker::startSession(int fd, bool tls)
{
    QTcpSocket *socket = tls ? new QSslSocket(this) : new QTcpSocket(this);
    if (!socket->setSocketDescriptor(fd)) {
        qCWarning(lcNet) << "could not adopt socket:" << socket->errorString();
        delete socket;
        ::close(fd);
        m_ctx->metrics->connectionsOpen.fetch_sub(1, std::memory_order_relaxed);
        return;
    }
    socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
    const quint64 id = m_nextId++;
    m_sessions.insert(id, new Session(this, id, socket, tls));
}

void IoWorker::deliverRoom(const QString &room, const QByteArray &frame, quint64 exceptSession)
{
    const auto it = m_byRoom.constFind(room);
    if (it == m_byRoom.constEnd())
        return;
    for (Session *s : *it) {
        if (s->id() != exceptSession)
            s->sendLive(room, frame);
    }
}

void IoWorker::deliverUsers(const QStringList &users, const QByteArray &frame,
                            quint64 exceptSession)
{
    for (const QString &user : users) {
        const auto it = m_byUser.constFind(user);
        if (it == m_byUser.constEnd())
            continue;
        for (Session *s : *it) {
            if (s->id() != exceptSession)
                s->sendFrame(frame);
        }
    }
}

void IoWorker::deliverSession(quint64 session, const QByteArray &frame)
{
    if (Session *s = m_sessions.value(session))
        s->sendFrame(frame);
}

void IoWorker::subscribe(const QString &user, const QString &room)
{
    const auto it = m_byUser.constFind(user);
    if (it == m_byUser.constEnd())
        return;
    for (Session *s : *it) {
        s->roomSubscribed(room);
        m_byRoom[room].insert(s);
    }
}

void IoWorker::unsubscribe(const QString &user, const QString &room)
{
    const auto it = m_byUser.constFind(user);
    if (it == m_byUser.constEnd())
        return;
    auto members = m_byRoom.find(room);
    for (Session *s : *it) {
        s->roomUnsubscribed(room);
        if (members != m_byRoom.end())
            members->remove(s);
    }
    if (members != m_byRoom.end() && members->isEmpty())
        m_byRoom.erase(members);
}

void IoWorker::withSession(quint64 id, const std::function<void(Session *)> &fn)
{
    if (Session *s = m_sessions.value(id); s && s->state() != Session::State::Closed)
        fn(s);
}

void IoWorker::sessionAuthenticated(Session *session, const QStringList &rooms)
{
    m_byUser[session->user()].insert(session);
    for (const QString &room : rooms) {
        session->roomSubscribed(room);
        m_byRoom[room].insert(session);
    }
}

void IoWorker::sessionGone(Session *session)
{
    if (!m_sessions.remove(session->id()))
        return;
    for (const QString &room : session->rooms()) {
        auto it = m_byRoom.find(room);
        if (it != m_byRoom.end()) {
            it->remove(session);
            if (it->isEmpty())
                m_byRoom.erase(it);
        }
    }
    if (session->attachedToHub()) {
        auto it = m_byUser.find(session->user());
        if (it != m_byUser.end()) {
            it->remove(session);
            if (it->isEmpty())
                m_byUser.erase(it);
        }
        if (session->welcomed())
            m_ctx->metrics->sessionsActive.fetch_sub(1, std::memory_order_relaxed);
        Hub *hub = m_ctx->hub;
        postTo(hub,
               [hub, ref = session->ref(), user = session->user()] { hub->detach(ref, user); });
    }
    m_ctx->metrics->connectionsOpen.fetch_sub(1, std::memory_order_relaxed);
    // The socket's signal that brought us here is still on the stack.
    postTo(this, [session] { delete session; });
}

void IoWorker::schedulePump(Session *session)
{
    m_toPump.push_back(session->id());
    if (m_pumpPosted)
        return;
    m_pumpPosted = true;
    // Queued behind whatever is already posted (the rest of a burst of deliveries), not
    // on a timer: alone, a frame still leaves right after the call that queued it.
    postTo(this, [this] {
        m_pumpPosted = false;
        std::vector<quint64> ids;
        ids.swap(m_toPump);
        for (const quint64 id : ids) {
            if (Session *s = m_sessions.value(id))
                s->scheduledPump();
        }
    });
}

void IoWorker::postRoomFrame(const QString &room, const QByteArray &frame, quint64 exceptSession)
{
    postTo(this, [this, room, frame, exceptSession] { deliverRoom(room, frame, exceptSession); });
}

void IoWorker::postUsersFrame(const QStringList &users, const QByteArray &frame,
                              quint64 exceptSession)
{
    postTo(this,
           [this, users, frame, exceptSession] { deliverUsers(users, frame, exceptSession); });
}

void IoWorker::postSessionFrame(quint64 session, const QByteArray &frame)
{
    postTo(this, [this, session, frame] { deliverSession(session, frame); });
}

void IoWorker::postSubscribe(const QString &user, const QString &room)
{
    postTo(this, [this, user, room] { subscribe(user, room); });
}

void IoWorker::postUnsubscribe(const QString &user, const QString &room)
{
    postTo(this, [this, user, room] { unsubscribe(user, room); });
}

void IoWorker::postAttached(quint64 session, const QList<protocol::RoomInfo> &visible,
                            const QStringList &subscribed, const QList<ReplayPlan> &plans)
{
    postTo(this, [this, session, visible, subscribed, plans] {
        withSession(session, [&](Session *s) { s->attached(visible, subscribed, plans); });
    });
}

void IoWorker::postHistoryAllowed(quint64 session, const protocol::HistoryRequest &request,
                                  qint64 lastSeq)
{
    postTo(this, [this, session, request, lastSeq] {
        withSession(session, [&](Session *s) { s->runHistory(request, lastSeq); });
    });
}

void IoWorker::postSearchAllowed(quint64 session, protocol::RequestId id, const SearchPlan &plan)
{
    postTo(this, [this, session, id, plan] {
        withSession(session, [&](Session *s) { s->runSearch(id, plan); });
    });
}

void IoWorker::closeAll()
{
    const QList<Session *> sessions = m_sessions.values();
    for (Session *s : sessions)
        s->close(protocol::CloseCode::GoingAway, QStringLiteral("server shutting down"));
}

void IoWorker::closeRevoked(const QString &user, const QString &revokedToken,
                            const QSet<QString> &liveTokenHashes, quint64 exceptSession)
{
    const auto it = m_byUser.constFind(user);
    if (it == m_byUser.constEnd())
        return;
    const QList<Session *> sessions = it->values();
    for (Session *s : sessions) {
        if (s->id() == exceptSession)
            continue;
        const bool revoked = revokedToken.isEmpty()
                                 ? !liveTokenHashes.contains(hashToken(s->token()))
                                 : s->token() == revokedToken;
        if (revoked)
            s->close(protocol::CloseCode::AuthFailed, QStringLiteral("token revoked"));
    }
}

void IoWorker::housekeeping()
{
    const qint64 now = monotonicMs(); // sessions time out on it, whatever the wall clock does
    const QList<Session *> sessions = m_sessions.values();
    for (Session *s : sessions)
        s->tick(now);
    QList<int> late;
    for (auto it = m_unsniffed.cbegin(); it != m_unsniffed.cend(); ++it) {
        if (now - it->since > m_ctx->config.tlsHandshakeTimeoutMs)
            late.append(it.key());
    }
    for (const int fd : std::as_const(late)) {
        dropUnsniffed(fd);
        if (m_tls && m_tls->enabled)
            bump(m_ctx->metrics->tlsHandshakeTimeouts);
    }
}

} // namespace confab::server
