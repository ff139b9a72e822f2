#pragma once

#include "protocol/messages.h"

#include <QHash>
#include <QSet>
#include <QString>
#include <QVarLengthArray>
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

// One room as the hub holds it. Owned by the hub thread.
struct RoomState
{
    QString id;
    QString name;
    protocol::RoomKind kind = protocol::RoomKind::Channel;
    bool isPrivate = false;
    QString topic;
    qint64 lastSeq = 0;
    qint64 lastTs = 0;
    QSet<QString> members;
    QSet<QString> invited;
    std::vector<EventMeta> events;             // index seq-1; empty entries for non-message kinds
    QSet<QString> reactions;                   // "<seq>\n<user>\n<emoji>" currently set
    QVarLengthArray<int, 8> sessionsPerWorker; // connected member sessions per I/O worker

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
    QSet<QString> rooms; // rooms the user is a member of
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
