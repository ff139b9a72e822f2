#pragma once

#include "protocol/messages.h"
#include "store/search.h"

#include <QByteArray>
#include <QList>
#include <QSet>
#include <QString>
#include <QStringList>

namespace confab::server {

// A room the attaching session must be replayed: events (from, to].
struct ReplayPlan
{
    QString room;
    qint64 from = 0;
    qint64 to = 0;
};

// What the core needs of the connections: one sink per I/O worker, implemented in net.
// The core never sees a socket or a session object, only session ids on a sink. Every
// call may come from any thread; an implementation queues the work to its own thread,
// and calls from one thread to one sink run in the order they were made.
class SessionSink
{
public:
    virtual ~SessionSink() = default;

    // A ready frame to every local session subscribed to room, but exceptSession.
    virtual void postRoomFrame(const QString &room, const QByteArray &frame,
                               quint64 exceptSession) = 0;
    // A ready frame to every local session of these users, but exceptSession.
    virtual void postUsersFrame(const QStringList &users, const QByteArray &frame,
                                quint64 exceptSession) = 0;
    virtual void postSessionFrame(quint64 session, const QByteArray &frame) = 0;
    // The local sessions of user start or stop receiving room's fan-out.
    virtual void postSubscribe(const QString &user, const QString &room) = 0;
    virtual void postUnsubscribe(const QString &user, const QString &room) = 0;
    // The hub counted the session in: it may be welcomed, subscribed and replayed.
    virtual void postAttached(quint64 session, const QList<protocol::RoomInfo> &visible,
                              const QStringList &subscribed, const QList<ReplayPlan> &plans) = 0;
    // The caller may read the room: the session runs the read, up to lastSeq.
    virtual void postHistoryAllowed(quint64 session, const protocol::HistoryRequest &request,
                                    qint64 lastSeq) = 0;
    // The caller may run this search (its rooms are those it may read).
    virtual void postSearchAllowed(quint64 session, protocol::RequestId id,
                                   const SearchPlan &plan) = 0;
};

} // namespace confab::server
