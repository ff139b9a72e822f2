#pragma once

#include "core/context.h"
#include "core/hub.h"
#include "protocol/codec.h"
#include "wire/websocket.h"

#include <QByteArray>
#include <QHash>
#include <QList>
#include <QSet>
#include <memory>

class QTcpSocket;

namespace confab::server {

class FileTransfer;
class IoWorker;

// The result of authenticating a hello, computed on the auth pool.
struct AuthOutcome
{
    bool ok = false;
    protocol::ErrorCode code = protocol::ErrorCode::Unauthenticated;
    QString message;
    StoredUser user;
    QString token;
    QHash<QString, qint64> readMarkers;
    protocol::RequestId id;
};

// One client connection: HTTP sniffing (/healthz, /metrics or the WebSocket upgrade),
// WebSocket framing, the hello/auth handshake, request dispatch, replay on resume and a
// bounded outbound queue. Touched only from its I/O worker's thread.
class Session
{
public:
    // Transfer: a plain HTTP request for a file (FileTransfer) is being served.
    enum class State { Http, Transfer, Hello, Authenticating, Active, Closing, Closed };

    // socket is a QSslSocket when tls: the session starts the server side of the
    // handshake and reads nothing before it is done.
    Session(IoWorker *worker, quint64 id, QTcpSocket *socket, bool tls);
    ~Session();

    quint64 id() const { return m_id; }
    SessionRef ref() const;
    State state() const { return m_state; }
    const QString &user() const { return m_user; }
    const QString &token() const { return m_token; }
    const QSet<QString> &rooms() const { return m_rooms; }
    bool attachedToHub() const { return m_attached; }
    bool welcomed() const { return m_welcomed; }

    // Writes a ready frame, or holds it while the room is being replayed.
    void sendLive(const QString &room, const QByteArray &frame);
    void sendFrame(const QByteArray &frame);
    // A large reply the client asked for (history): written as the socket drains, not
    // charged against the outbound bound.
    void sendReply(const QByteArray &frame);
    template<class Message> void send(const Message &message)
    {
        sendFrame(wire::makeFrame(wire::Opcode::Text, protocol::encode(message)));
    }
    void sendError(protocol::ErrorCode code, const QString &message, protocol::RequestId id,
                   std::optional<QString> field = std::nullopt);
    void close(protocol::CloseCode code, const QString &reason);
    void abort();

    // Hub and pool callbacks (on this thread).
    void attached(const QList<protocol::RoomInfo> &rooms, const QStringList &subscribed,
                  const QList<ReplayPlan> &plans);
    void runHistory(const protocol::HistoryRequest &request, qint64 lastSeq);
    // A search the hub allowed, run on the search pool.
    void runSearch(protocol::RequestId id, const SearchPlan &plan);
    void roomSubscribed(const QString &room) { m_rooms.insert(room); }
    void roomUnsubscribed(const QString &room) { m_rooms.remove(room); }

    // Liveness, driven by the worker's housekeeping timer.
    void tick(qint64 nowMs);

    void authDone(const AuthOutcome &outcome);
    // The worker's flush of the sessions that queued frames during its pass.
    void scheduledPump();
    // Writes the answer to a plain HTTP request and ends the connection.
    void httpAnswered(const QByteArray &response);

    // For the file request this connection serves (on this thread).
    FileTransfer *transfer() const { return m_transfer.get(); }
    ServerContext *context() const { return m_ctx; }
    IoWorker *worker() const { return m_worker; }
    QTcpSocket *socket() const { return m_socket; }
    // The transfer wants its body now: what the socket holds is read at once.
    void resumeReading() { onReadyRead(); }
    // Bytes of a download, straight to the kernel while nothing is queued.
    void writeOutRaw(QByteArrayView bytes);
    // The download is written: the connection ends once it is flushed.
    void transferSent();

private:
    void onReadyRead();
    void consume(QByteArrayView bytes);
    // tls = required and this connection is plain: what it may still ask for.
    bool refusePlain(const wire::HttpRequest &request);
    void onBytesWritten();
    void handleHttp();
    void acceptUpgrade(const wire::HttpRequest &request, qsizetype headLength);
    void serveHttp(const wire::HttpRequest &request);
    void startTransfer(const wire::HttpRequest &request, qsizetype headLength);
    void handleFrames();
    void finishClosing();
    void shutdownWriteWhenFlushed();
    void handleText(const QByteArray &payload);
    void countBadRequest();
    void dispatch(protocol::ClientMessage &&message);
    void startAuth(const protocol::Hello &hello);
    void lookupUserThen(const QString &name, protocol::RequestId id,
                        std::function<void(const StoredUser &)> then);
    bool takeSendToken(protocol::RequestId id);
    // A send of kind file: the file's row fills in the event before the hub sees it.
    void lookupFileThen(protocol::SendRequest request);
    void replayDone(const QString &room, const QList<QByteArray> &frames, bool complete);
    void logout(protocol::RequestId id);
    // Frames queued by sends go out when the worker has run everything already posted to
    // it (IoWorker::schedulePump): one write per session per pass, not per frame.
    void schedulePump();
    void pump();
    // One sendmsg() of queued frames; false when the kernel did not take them all.
    bool writeGathered(qint64 *written, int *frames);
    void writeOut(const QByteArray &frame);
    // Adds to the bounded outbound bytes; false (and the session closed 4000) when over.
    bool charge(qint64 bytes);
    void queueReplay(const QList<QByteArray> &frames, const QList<QByteArray> &held,
                     const QString &room);
    Caller caller(protocol::RequestId id) const { return Caller{ref(), m_user, id}; }

    IoWorker *m_worker;
    ServerContext *m_ctx;
    quint64 m_id;
    QTcpSocket *m_socket;
    State m_state = State::Http;
    bool m_tls = false;       // a TLS connection
    bool m_encrypted = false; // its handshake is done
    bool m_upgraded = false;  // past the WebSocket handshake
    bool m_pumpScheduled = false;
    qint64 m_closingSince = 0; // when the state became Closing
    QByteArray m_httpBuffer;
    wire::FrameParser m_parser;
    std::unique_ptr<FileTransfer> m_transfer; // only while State::Transfer and after

    QString m_user;
    QString m_token;
    QString m_displayName;
    protocol::RequestId m_welcomeId;
    bool m_attached = false; // the hub was asked to attach this session
    bool m_welcomed = false; // the hub did, and the welcome went out
    QMap<QString, qint64> m_since;
    QSet<QString> m_rooms;
    QHash<QString, QList<QByteArray>> m_replaying; // live frames held until replay is sent

    // Frames not yet handed to the socket. m_outboxBytes counts what the outbound bound
    // applies to: the outbox and live frames held or queued behind a replay.
    struct Pending
    {
        QByteArray frame;
        bool charged;
    };
    // QList, not std::deque: an empty QList allocates nothing, an empty deque ~0.5 KB.
    // Capacity left by a burst is given back by tick() once they are empty.
    QList<QByteArray> m_outbox;
    QList<Pending> m_backlog; // replays (and live frames behind them)
    QSet<QString> m_draining; // rooms whose replay is in m_backlog
    qint64 m_outboxBytes = 0;

    qint64 m_openedAt = 0;
    qint64 m_lastSeen = 0;
    qint64 m_lastPing = 0;
    int m_helloStrikes = 0;
    QList<qint64> m_badRequests;
    double m_sendTokens = 0;
    qint64 m_tokensAt = 0;
};

} // namespace confab::server
