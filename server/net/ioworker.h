#pragma once

#include "core/context.h"
#include "core/sessionsink.h"
#include "net/tls.h"

#include <QHash>
#include <QObject>
#include <QSet>
#include <QTimer>
#include <functional>
#include <memory>
#include <vector>

class QSocketNotifier;

namespace confab::server {

class Session;

// One I/O worker: runs on its own thread (a QThread with the epoll dispatcher, or a
// thread of the I/O QThreadPool), owns the sockets of the sessions handed to it and
// writes broadcast frames to its local members of a room. K of them run in parallel, one
// per core, so a broadcast fans out on all cores and one slow socket delays nobody else.
// Touched only from its worker thread; the acceptor reaches it with postTo(worker, ...),
// the hub through the SessionSink calls, which queue to this thread themselves.
class IoWorker : public QObject, public SessionSink
{
public:
    IoWorker(int index, ServerContext *context);
    ~IoWorker() override;

    // Every worker of the server, this one included; set before any of them starts.
    void setPeers(const QList<IoWorker *> &peers) { m_peers = peers; }
    const QList<IoWorker *> &peers() const { return m_peers; }
    // TLS certificate and mode, shared by all workers; set before any of them starts.
    void setTls(std::shared_ptr<const TlsSetup> tls) { m_tls = std::move(tls); }
    // Workers that take this one's plain-HTTP file transfers (set before the acceptor
    // runs): such a connection is told by its request line and handed over before a
    // byte of it is read.
    void setTransferWorkers(const QList<IoWorker *> &workers) { m_transferWorkers = workers; }
    const TlsSetup *tls() const { return m_tls.get(); }

    // SessionSink, from any thread.
    void postRoomFrame(const QString &room, const QByteArray &frame,
                       quint64 exceptSession) override;
    void postUsersFrame(const QStringList &users, const QByteArray &frame,
                        quint64 exceptSession) override;
    void postSessionFrame(quint64 session, const QByteArray &frame) override;
    void postSubscribe(const QString &user, const QString &room) override;
    void postUnsubscribe(const QString &user, const QString &room) override;
    void postAttached(quint64 session, const QList<protocol::RoomInfo> &visible,
                      const QStringList &subscribed, const QList<ReplayPlan> &plans) override;
    void postSearchAllowed(quint64 session, protocol::RequestId id,
                           const SearchPlan &plan) override;
    void postHistoryAllowed(quint64 session, const protocol::HistoryRequest &request,
                            qint64 lastSeq) override;

    int index() const { return m_index; }
    ServerContext *context() const { return m_ctx; }

    // Worker-thread entry points (always called through postTo).
    void start();
    // How to end this worker's event loop (set by whoever runs it), and doing so.
    void setQuit(std::function<void()> quit) { m_quit = std::move(quit); }
    void quit()
    {
        if (m_quit)
            m_quit();
    }
    void adoptSocket(qintptr descriptor);
    void deliverRoom(const QString &room, const QByteArray &frame, quint64 exceptSession);
    void deliverUsers(const QStringList &users, const QByteArray &frame, quint64 exceptSession);
    void deliverSession(quint64 session, const QByteArray &frame);
    void subscribe(const QString &user, const QString &room);
    void unsubscribe(const QString &user, const QString &room);
    void withSession(quint64 id, const std::function<void(Session *)> &fn);
    // Closes every session with 1001 (server going away).
    void closeAll();
    // Closes with 4001 the sessions of user whose token is revoked: the one given, or,
    // with an empty revokedToken, every one whose token hash is not in liveTokenHashes.
    void closeRevoked(const QString &user, const QString &revokedToken,
                      const QSet<QString> &liveTokenHashes, quint64 exceptSession);
    qsizetype sessionCount() const { return m_sessions.size(); }

    // Called by sessions of this worker.
    void sessionAuthenticated(Session *session, const QStringList &rooms);
    void sessionJoined(Session *session, const QString &room);
    void sessionGone(Session *session);
    // Pumps the session once everything already posted to this worker has run: frames
    // that a pass of deliveries queues for a session leave in one write.
    void schedulePump(Session *session);

private:
    void housekeeping();
    // A new connection's first bytes (looked at with TLS on, or transfer workers): a TLS
    // ClientHello (0x16) makes it a TLS session, a file transfer's request line goes to
    // a transfer worker, anything else is a plain session here. Wait: nothing came yet;
    // More: a request line that needs more bytes to tell.
    enum class Look { Wait, More, Closed, Tls, Plain, Transfer };
    Look lookAt(int fd) const;
    void route(int fd, Look look);
    // A connection whose first bytes were not there at once: its notifier fired.
    void sniff(int fd);
    void startSession(int fd, bool tls);
    void dropUnsniffed(int fd);

    int m_index;
    ServerContext *m_ctx;
    quint64 m_nextId = 1;
    QTimer *m_timer = nullptr;
    std::function<void()> m_quit;
    QList<IoWorker *> m_peers;
    QList<IoWorker *> m_transferWorkers;
    int m_nextTransfer = 0;
    std::shared_ptr<const TlsSetup> m_tls;
    struct Unsniffed
    {
        QSocketNotifier *notifier;
        qint64 since;
    };
    QHash<int, Unsniffed> m_unsniffed;
    std::vector<quint64> m_toPump; // sessions with frames queued in this pass
    bool m_pumpPosted = false;
    QHash<quint64, Session *> m_sessions;
    QHash<QString, QSet<Session *>> m_byRoom;
    QHash<QString, QSet<Session *>> m_byUser;
};

} // namespace confab::server
