#pragma once

#include "body.h"
#include "protocol/messages.h"
#include "scan.h"
#include "searchbench.h"
#include "tracker.h"
#include "transport.h"

#include <QByteArray>
#include <QHash>
#include <QMap>
#include <memory>
#include <optional>

// One bench connection: a Transport (a raw descriptor, or QSslSocket for wss://), the
// RFC 6455 client framing (frames out with the shared code, in with FrameReader) and
// just enough of a Confab session to enrol, attach, send timed messages and check what
// arrives. Not a QObject and no QWebSocket: tens of thousands of these live in a few
// threads. Touched only from its worker's thread.
namespace confab::bench {

class Worker;

class BenchClient
{
public:
    // Why a connection is opened. Enrol: register (or log in), create/join the rooms,
    // close. Attach: log in with the token and stay. Storm: token login, close at once.
    // Resume: token login with `since` after a drop, replay, continue.
    enum class Purpose { Enroll, Attach, Storm, Resume };
    enum class State { Offline, Connecting, Upgrading, Authenticating, Ready, Closing };

    BenchClient(Worker *worker, int index);
    ~BenchClient();
    BenchClient(const BenchClient &) = delete;
    BenchClient &operator=(const BenchClient &) = delete;

    int index() const { return m_index; }
    State state() const { return m_state; }
    bool isReady() const { return m_state == State::Ready; }
    // Attached once: from then on it is expected to be connected and receiving.
    bool attached() const { return m_attached; }
    // When the current transition (connecting, closing) began; 0 when settled.
    qint64 busySinceUs() const;
    qsizetype outboxSize() const { return m_outbox.size(); }
    // The session token of the last welcome (what HTTP file transfers carry as Bearer).
    const QString &token() const { return m_token; }

    void start(Purpose purpose);
    // After a scheduled delay: retry the unfinished setup step, or resume the session.
    void reconnect();
    void closeGracefully();
    // A hard drop (like a pulled cable); the worker reconnects it later with Resume.
    void drop();
    // A handshake (or resume) that hangs: give up on this attempt.
    void timeOut();
    // One timed bench message to a room (stream index); kept in the outbox while offline
    // and sent (again) after the next welcome until acked.
    void sendBench(int room);
    // A send of kind file naming an uploaded file's id, acked and resent like sendBench.
    void sendFile(int room, const QString &fileId);
    // A message with this text (search: a seeded message), acked and resent the same way.
    void sendText(int room, const QString &body);
    // Bench messages created so far (also the id of the latest).
    qint64 sentCount() const { return m_counter; }
    // search: one query; the worker hears of its reply (or error) through searchAnswered.
    void sendSearch(const SearchQuery &query);
    int pendingSearches() const { return int(m_searches.size()); }
    void sendPing();
    // Streams this receiver has not caught up on yet (below the shared highest).
    int laggingStreams() const;
    // End of the run: tail losses, per-stream counts and missing acks into stats.
    void finish();

private:
    struct Pending
    {
        int room = -1;
        qint64 tUs = 0;
        QString clientMsgId;
        QString body;
        bool onWire = false; // transmitted at least once
        QString fileId;      // kind file: the upload's id (no body)
    };

    struct PendingSearch
    {
        qint64 tUs = 0;
        SearchQuery query;
    };

    friend class RawSocket;
    friend class QtTransport;

    // transport (client.cpp)
    void openSocket();
    // From the transport:
    void onConnected();
    void onData(QByteArrayView data);
    void onDisconnected();
    // key empty: nothing to count (the remote end closed). neverConnected: the attempt
    // is over and no onDisconnected follows.
    void onSocketError(const QString &key, bool neverConnected);
    // Ends the connection on a protocol failure (the transport reports nothing).
    void fail(const QString &key);
    bool readHandshake(QByteArrayView &data);
    // One message from FrameReader; false when the connection ended meanwhile.
    bool handleMessage(quint8 opcode, QByteArrayView payload);
    void writeText(const QByteArray &json);
    void writeFrame(const QByteArray &frame);
    void connectionEnded(bool wanted);
    void reportStage(bool ok);
    // protocol (clientprotocol.cpp)
    void sendHello();
    void handleText(QByteArrayView payload);
    bool handleScanned(const ScannedFrame &frame);
    void handleServerMessage(const protocol::ServerMessage &message);
    void handleEvent(int room, qint64 seq, bool text, const std::optional<BodyStamp> &stamp);
    void handlePeerEcho(const std::optional<BodyStamp> &stamp, QStringView clientMsgId);
    void onWelcome(const protocol::Welcome &welcome);
    void onError(const protocol::Error &error);
    void onRoom(const protocol::RoomReply &reply);
    void onAck(const protocol::Ack &ack);
    void onSynced(const protocol::Synced &synced);
    void onPong(const protocol::Pong &pong);
    void onSearch(const protocol::SearchReply &reply);
    void queueSend(int room, const QString &body, const QString &fileId);
    void acknowledge(qint64 n, const QString &clientMsgId);
    void enrollNextRoom();
    void becomeReady();
    void transmit(qint64 n, Pending &p);
    void recordDelivery(const BodyStamp &stamp, bool replayed);
    void sendRoomRequest(bool create, int room);
    StreamTracker &tracker(int stream);
    StreamTracker::Verdict observe(int stream, qint64 n);

    Worker *m_worker;
    int m_index;
    std::unique_ptr<Transport> m_transport;
    FrameReader m_reader;
    QByteArray m_handshake;
    QByteArray m_key;
    State m_state = State::Offline;
    Purpose m_purpose = Purpose::Enroll;
    protocol::AuthMethod m_auth = protocol::AuthMethod::Register;
    QString m_token;
    bool m_serverClosed = false; // a close frame from the server came first
    bool m_authRetry = false;    // register conflict: reconnect with the password
    bool m_inStage = false;      // a setup step (enrol, attach, storm) not reported yet
    bool m_attached = false;
    int m_attempts = 0; // failed attempts of the current purpose
    qint64 m_connectStartUs = 0;
    qint64 m_closeStartUs = 0;
    size_t m_enrollStep = 0;     // which of its rooms enrolment is at
    int m_syncPending = 0;       // rooms still replaying after a resume
    qint64 m_roomRequestId = -1; // enrolment: the create/join in flight
    int m_roomRequestRoom = -1;
    qint64 m_counter = 0; // bench messages created so far
    qint64 m_nextControlId;
    QMap<qint64, Pending> m_outbox; // by counter n (also the request id): unacked sends
    StreamSet m_streams;
    QHash<qint64, qint64> m_pings;           // ping id -> sent at (us)
    QHash<qint64, PendingSearch> m_searches; // by request id
};

} // namespace confab::bench
