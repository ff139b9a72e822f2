#pragma once

#include "core/context.h"
#include "core/roomstate.h"
#include "core/sessionsink.h"
#include "protocol/codec.h"
#include "protocol/messages.h"
#include "store/storetypes.h"
#include "wire/websocket.h"

#include <QHash>
#include <QObject>
#include <deque>

namespace confab::server {

// Who asked: the session, its user and the request id to answer.
struct Caller
{
    SessionRef ref;
    QString user;
    protocol::RequestId id;
};

// The user a session authenticated as, with what the store knows of it.
struct AuthedUser
{
    QString name;
    QString displayName;
    bool isAdmin = false;
    QString token;
    QHash<QString, qint64> readMarkers;
};

// The single owner of room state: membership, next seq, idempotency records and
// presence. It assigns seqs in O(1), encodes each event once into a ready WebSocket
// frame, hands it to the I/O workers that hold members, and queues it for the writer.
// It never waits for the disk. Touched only from its own thread; other threads reach it
// with postTo(hub, ...).
class Hub : public QObject
{
public:
    explicit Hub(ServerContext *context);

    // Startup, before the hub's thread runs: state rebuilt from the store.
    void load(const QList<StoredRoom> &rooms, const QList<StoredUser> &users,
              const QList<EventFact> &facts);

    void attach(SessionRef ref, const AuthedUser &user, const QMap<QString, qint64> &since);
    void detach(SessionRef ref, const QString &user);
    void rooms(const Caller &c);
    void create(const Caller &c, const protocol::CreateRequest &r);
    void join(const Caller &c, const QString &room);
    void leave(const Caller &c, const QString &room);
    void invite(const Caller &c, const QString &room, const StoredUser &invitee);
    void dm(const Caller &c, const StoredUser &other);
    void members(const Caller &c, const QString &room);
    void send(const Caller &c, const protocol::SendRequest &r);
    // Checks that the caller may read the room, then lets its session run the read.
    void authorizeHistory(const Caller &c, const protocol::HistoryRequest &r);
    // q: r's query, parsed by the session.
    void authorizeSearch(const Caller &c, const protocol::SearchRequest &r, const search::Query &q);
    void read(const Caller &c, const protocol::ReadMarker &m);
    void typing(const Caller &c, const QString &room);
    void presence(const Caller &c, protocol::Presence state);
    void userRegistered(const StoredUser &user);

    qsizetype roomCount() const { return m_rooms.size(); }

private:
    UserState &userState(const QString &name);
    // Room state for a stored room (membership as stored, nobody subscribed yet).
    RoomState &addRoom(const StoredRoom &room);
    protocol::RoomInfo roomInfo(const RoomState &room, const QString &viewer) const;
    bool canSee(const RoomState &room, const QString &user) const;
    void replyFrame(const SessionRef &ref, const QByteArray &frame);
    template<class Message> void reply(const SessionRef &ref, const Message &message);
    void fail(const Caller &c, protocol::ErrorCode code, const QString &message);
    void broadcastRoom(const RoomState &room, const QByteArray &frame, quint64 exceptSession = 0,
                       int exceptWorker = -1);
    void broadcastPresence(const UserState &user);
    // Membership changes at once; who receives the room's fan-out changes in seq order.
    void addMember(RoomState &room, const QString &user);
    void removeMember(RoomState &room, const QString &user);
    void queueSubscription(RoomState &room, const QString &user, FanoutStep::Kind kind);
    void subscribe(RoomState &room, UserState &user);
    void unsubscribe(RoomState &room, UserState &user);
    // Refuses a request that would write while the server drains or the writer is full.
    bool refuseWrite(const Caller &c);
    // Assigns the next seq and queues the write; once it is stored the event is broadcast,
    // ackTo gets its ack and `after` runs. Nothing is sent before the commit.
    qint64 appendEvent(RoomState &room, protocol::Event event, const Caller *ackTo,
                       std::function<void(bool stored)> after = {});
    // The writer's verdict on one event, in seq order per room.
    void eventStored(const QString &roomId, qint64 seq, bool stored);
    void runSubscriptionSteps(RoomState &room);
    std::function<void(bool)> roomReplyWhenStored(const Caller &c, const QString &roomId);
    void answerWaiters(const QString &key, bool stored);
    void logWriteFailure(const char *what, const QString &detail);
    // A write completion that runs `then` on the hub's thread.
    WriteDone whenStored(std::function<void(bool stored)> then);
    WriteDone failureLogger(const char *what, const QString &detail);
    QString validateSend(const RoomState &room, const Caller &c, protocol::SendRequest &r,
                         protocol::ErrorCode *code, bool *removed);
    void rememberSent(const QString &key, SentRecord record);

    ServerContext *m_ctx;
    QHash<QString, RoomState> m_rooms;
    QHash<QString, UserState> m_users;
    QHash<QString, SentRecord> m_sent; // key: user + '\x1f' + client_msg_id
    std::deque<QString> m_sentOrder;   // oldest first, for the size cap
};

template<class Message> void Hub::reply(const SessionRef &ref, const Message &message)
{
    replyFrame(ref, wire::makeFrame(wire::Opcode::Text, protocol::encode(message)));
}

} // namespace confab::server
