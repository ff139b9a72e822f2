#pragma once

#include "protocol/messages.h"

#include <QHash>
#include <QSet>
#include <QString>
#include <QVarLengthArray>
#include <deque>
#include <functional>
#include <vector>

namespace confab::server {

// What the hub must know of a stored event to validate later edits, deletes and
// reactions without reading the disk.
struct EventMeta
{
    QString sender; // shares the hub's copy of the name
    protocol::EventKind kind = protocol::EventKind::Text;
    bool deleted = false;
};

// A step of a room's fan-out, run in seq order once everything before it is stored: an
// event waiting for its group commit, or a change of who receives the room's events
// (queued behind the events before it, so a leaver still sees its own leave and a joiner
// sees nothing from before its join).
struct FanoutStep
{
    enum class Kind { Event, Subscribe, Unsubscribe };
    Kind kind = Kind::Event;
    qint64 seq = 0;
    QByteArray frame;                // Event: encoded once, shared by every recipient
    QString user;                    // Subscribe / Unsubscribe
    QString ackKey;                  // Event: idempotency record whose waiters get the ack
    std::function<void(bool)> after; // Event: runs after its fan-out (true: stored)
};

// One room as the hub holds it. Owned by the hub thread.
struct RoomState
{
    QString id;
    QString name;
    protocol::RoomKind kind = protocol::RoomKind::Channel;
    bool isPrivate = false;
    QString topic;
    qint64 lastSeq = 0;   // the last seq assigned
    qint64 fannedOut = 0; // the last seq stored and sent to members: what clients may see
    qint64 lastTs = 0;
    QSet<QString> members; // membership as validated now (the fan-out view may lag)
    QSet<QString> invited;
    std::deque<FanoutStep> fanout;             // waiting for the writer, oldest first
    std::vector<EventMeta> events;             // index seq-1; empty entries for non-message kinds
    QSet<QString> reactions;                   // "<seq>\n<user>\n<emoji>" currently set
    QVarLengthArray<int, 8> sessionsPerWorker; // connected member sessions per I/O worker

    // The key of one user's reaction with one emoji to one message, as `reactions` holds it.
    static QString reactionKey(qint64 target, const QString &user, const QString &emoji)
    {
        return QString::number(target) + u'\n' + user + u'\n' + emoji;
    }

    const EventMeta *event(qint64 seq) const
    {
        if (seq < 1 || seq > qint64(events.size()))
            return nullptr;
        return &events[size_t(seq - 1)];
    }
};

// A user known to the hub.
struct UserState
{
    QString name;
    QString displayName;
    bool isAdmin = false;
    int sessions = 0;
    QVarLengthArray<int, 8> sessionsPerWorker;
    protocol::Presence presence = protocol::Presence::Offline;
    QHash<QString, qint64> readSeq;
    QSet<QString> rooms;      // rooms the user is a member of
    QSet<QString> subscribed; // rooms whose fan-out reaches the user's sessions
};

// An idempotency record: the seq a (user, client_msg_id) got, and who waits for its ack.
struct SentRecord
{
    QString room;
    qint64 seq = 0;
    qint64 ts = 0;
    bool committed = false;
    struct Waiter
    {
        int worker;
        quint64 session;
        std::optional<qint64> requestId;
    };
    QList<Waiter> waiters;
};

} // namespace confab::server
