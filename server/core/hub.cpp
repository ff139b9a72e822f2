#include "core/hub.h"

#include "core/metrics.h"
#include "core/seqbook.h"
#include "logging.h"
#include "protocol/codec.h"
#include "protocol/names.h"
#include "store/writer.h"
#include "wire/websocket.h"

#include <QDateTime>

namespace confab::server {

using namespace Qt::StringLiterals;
using protocol::ErrorCode;

namespace {
QByteArray frameOf(const QByteArray &json)
{
    return wire::makeFrame(wire::Opcode::Text, json);
}
} // namespace

Hub::Hub(ServerContext *context)
    : m_ctx(context)
{
}

void Hub::load(const QList<StoredRoom> &rooms, const QList<StoredUser> &users,
               const QList<EventFact> &facts)
{
    for (const StoredUser &u : users) {
        UserState &state = userState(u.name);
        state.displayName = u.displayName;
        state.isAdmin = u.isAdmin;
    }
    for (const StoredRoom &r : rooms)
        addRoom(r);
    const qint64 idempotencyFrom =
        QDateTime::currentMSecsSinceEpoch() - qint64(m_ctx->config.idempotencyDays) * 86400 * 1000;
    for (const EventFact &f : facts) {
        auto it = m_rooms.find(f.room);
        if (it == m_rooms.end() || f.seq < 1 || f.seq > it->lastSeq)
            continue;
        RoomState &room = *it;
        room.lastTs = std::max(room.lastTs, f.ts);
        room.events[size_t(f.seq - 1)] = EventMeta{userState(f.sender).name, f.kind, false};
        if (f.kind == protocol::EventKind::Delete && f.target) {
            if (auto *target = const_cast<EventMeta *>(room.event(*f.target)))
                target->deleted = true;
        } else if (f.kind == protocol::EventKind::React && f.target && f.emoji) {
            const QString key = RoomState::reactionKey(*f.target, f.sender, *f.emoji);
            if (f.removed)
                room.reactions.remove(key);
            else
                room.reactions.insert(key);
        }
        if (f.clientMsgId && f.ts >= idempotencyFrom) {
            SentRecord record{f.room, f.seq, f.ts, true, {}};
            rememberSent(f.sender + QChar(0x1f) + *f.clientMsgId, record);
        }
    }
    qCInfo(lcCore) << "loaded" << m_rooms.size() << "rooms," << m_users.size() << "users,"
                   << m_sent.size() << "recent client message ids";
}

RoomState &Hub::addRoom(const StoredRoom &r)
{
    RoomState room;
    room.id = r.id;
    room.name = r.name;
    room.kind = r.kind;
    room.isPrivate = r.isPrivate;
    room.topic = r.topic;
    room.lastSeq = r.lastSeq;
    room.fannedOut = r.lastSeq;
    room.events.resize(size_t(r.lastSeq));
    room.sessionsPerWorker.resize(m_ctx->sinks.size());
    std::fill(room.sessionsPerWorker.begin(), room.sessionsPerWorker.end(), 0);
    for (const QString &m : r.members) {
        room.members.insert(m);
        UserState &user = userState(m);
        user.rooms.insert(r.id);
        user.subscribed.insert(r.id); // nobody is connected yet: no counts to move
    }
    for (const QString &i : r.invited)
        room.invited.insert(i);
    m_ctx->seqBook->markCommitted(r.id, r.lastSeq);
    return *m_rooms.insert(r.id, std::move(room));
}

UserState &Hub::userState(const QString &name)
{
    auto it = m_users.find(name);
    if (it == m_users.end()) {
        UserState state;
        state.name = name;
        state.displayName = name;
        state.sessionsPerWorker.resize(m_ctx->sinks.size());
        std::fill(state.sessionsPerWorker.begin(), state.sessionsPerWorker.end(), 0);
        it = m_users.insert(name, state);
    }
    return *it;
}

bool Hub::canSee(const RoomState &room, const QString &user) const
{
    return room.members.contains(user) ||
           (room.kind == protocol::RoomKind::Channel && !room.isPrivate);
}

protocol::RoomInfo Hub::roomInfo(const RoomState &room, const QString &viewer) const
{
    protocol::RoomInfo info;
    info.room = room.id;
    info.name = room.name;
    info.kind = room.kind;
    info.isPrivate = room.isPrivate;
    info.topic = room.topic;
    info.lastSeq = room.fannedOut; // seqs still waiting for the writer are nobody's yet
    const auto user = m_users.constFind(viewer);
    info.readSeq = user == m_users.constEnd() ? 0 : user->readSeq.value(room.id, 0);
    info.members = int(room.members.size());
    info.member = room.members.contains(viewer);
    return info;
}

void Hub::replyFrame(const SessionRef &ref, const QByteArray &frame)
{
    if (SessionSink *sink = m_ctx->sinks.value(ref.worker))
        sink->postSessionFrame(ref.id, frame);
}

void Hub::fail(const Caller &c, ErrorCode code, const QString &message)
{
    bump(m_ctx->metrics->errorsByCode[size_t(code)]);
    reply(c.ref, protocol::makeError(code, message, c.id));
}

void Hub::broadcastRoom(const RoomState &room, const QByteArray &frame, quint64 exceptSession,
                        int exceptWorker)
{
    for (int w = 0; w < room.sessionsPerWorker.size(); ++w) {
        if (room.sessionsPerWorker[w] == 0)
            continue;
        m_ctx->sinks[w]->postRoomFrame(room.id, frame, w == exceptWorker ? exceptSession : 0);
    }
}

void Hub::broadcastPresence(const UserState &user)
{
    // Everyone who shares a room with the user, each once. Rooms over the fan-out limit
    // are left out: in a room of N members every login would cost N notifications, N^2
    // for a morning's logins; their members see presence through `members`.
    QSet<QString> audience;
    const int limit = m_ctx->config.presenceFanoutLimit;
    for (const QString &roomId : user.rooms) {
        const auto it = m_rooms.constFind(roomId);
        if (it == m_rooms.constEnd() || (limit > 0 && it->members.size() > limit))
            continue;
        for (const QString &m : it->members) {
            if (m != user.name)
                audience.insert(m);
        }
    }
    if (audience.isEmpty())
        return;
    const QByteArray frame =
        frameOf(protocol::encode(protocol::PresenceNotice{user.name, user.presence}));
    QList<QStringList> perWorker(m_ctx->sinks.size());
    for (const QString &name : std::as_const(audience)) {
        const auto u = m_users.constFind(name);
        if (u == m_users.constEnd() || u->sessions == 0)
            continue;
        for (int w = 0; w < u->sessionsPerWorker.size(); ++w) {
            if (u->sessionsPerWorker[w] > 0)
                perWorker[w].append(name);
        }
    }
    for (int w = 0; w < perWorker.size(); ++w) {
        if (perWorker[w].isEmpty())
            continue;
        m_ctx->sinks[w]->postUsersFrame(perWorker[w], frame, 0);
    }
}

void Hub::attach(SessionRef ref, const AuthedUser &authed, const QMap<QString, qint64> &since)
{
    UserState &user = userState(authed.name);
    user.displayName = authed.displayName;
    user.isAdmin = authed.isAdmin;
    for (auto it = authed.readMarkers.cbegin(); it != authed.readMarkers.cend(); ++it)
        user.readSeq[it.key()] = std::max(user.readSeq.value(it.key(), 0), it.value());
    ++user.sessions;
    ++user.sessionsPerWorker[ref.worker];

    QList<protocol::RoomInfo> visible;
    QStringList subscribed;
    QList<ReplayPlan> plans;
    for (auto it = m_rooms.begin(); it != m_rooms.end(); ++it) {
        RoomState &room = *it;
        if (!canSee(room, authed.name))
            continue;
        visible.append(roomInfo(room, authed.name));
        if (!room.members.contains(authed.name))
            continue;
        if (user.subscribed.contains(room.id)) {
            ++room.sessionsPerWorker[ref.worker];
            subscribed.append(room.id);
        }
        // Replay what was fanned out before this session subscribed; everything after it
        // reaches the session live, so the two meet with no gap and no duplicate.
        const auto s = since.constFind(room.id);
        if (s != since.constEnd())
            plans.append(ReplayPlan{room.id, std::min(*s, room.fannedOut), room.fannedOut});
    }
    std::sort(visible.begin(), visible.end(),
              [](const auto &a, const auto &b) { return a.room < b.room; });
    const bool cameOnline = user.sessions == 1;
    if (cameOnline)
        user.presence = protocol::Presence::Online;
    m_ctx->sinks[ref.worker]->postAttached(ref.id, visible, subscribed, plans);
    if (cameOnline)
        broadcastPresence(user);
}

void Hub::detach(SessionRef ref, const QString &name)
{
    auto it = m_users.find(name);
    if (it == m_users.end() || it->sessions == 0)
        return;
    UserState &user = *it;
    --user.sessions;
    --user.sessionsPerWorker[ref.worker];
    for (const QString &roomId : std::as_const(user.subscribed)) {
        auto room = m_rooms.find(roomId);
        if (room != m_rooms.end() && room->sessionsPerWorker[ref.worker] > 0)
            --room->sessionsPerWorker[ref.worker];
    }
    if (user.sessions == 0) {
        user.presence = protocol::Presence::Offline;
        broadcastPresence(user);
    }
}

void Hub::rooms(const Caller &c)
{
    protocol::RoomsReply reply{c.id, {}};
    for (const RoomState &room : std::as_const(m_rooms)) {
        if (canSee(room, c.user))
            reply.rooms.append(roomInfo(room, c.user));
    }
    std::sort(reply.rooms.begin(), reply.rooms.end(),
              [](const auto &a, const auto &b) { return a.room < b.room; });
    this->reply(c.ref, reply);
}

void Hub::addMember(RoomState &room, const QString &name)
{
    room.members.insert(name);
    room.invited.remove(name);
    userState(name).rooms.insert(room.id);
    queueSubscription(room, name, FanoutStep::Kind::Subscribe);
}

void Hub::removeMember(RoomState &room, const QString &name)
{
    room.members.remove(name);
    userState(name).rooms.remove(room.id);
    queueSubscription(room, name, FanoutStep::Kind::Unsubscribe);
}

void Hub::queueSubscription(RoomState &room, const QString &name, FanoutStep::Kind kind)
{
    FanoutStep step;
    step.kind = kind;
    step.user = name;
    room.fanout.push_back(std::move(step));
    runSubscriptionSteps(room);
}

void Hub::runSubscriptionSteps(RoomState &room)
{
    // A step whose membership was undone meanwhile (leave, then join again before the
    // leave was stored) is skipped: the last change wins.
    while (!room.fanout.empty() && room.fanout.front().kind != FanoutStep::Kind::Event) {
        const FanoutStep step = std::move(room.fanout.front());
        room.fanout.pop_front();
        UserState &user = userState(step.user);
        const bool member = room.members.contains(step.user);
        if (step.kind == FanoutStep::Kind::Subscribe && member)
            subscribe(room, user);
        else if (step.kind == FanoutStep::Kind::Unsubscribe && !member)
            unsubscribe(room, user);
    }
}

void Hub::subscribe(RoomState &room, UserState &user)
{
    if (user.subscribed.contains(room.id))
        return;
    user.subscribed.insert(room.id);
    for (int w = 0; w < user.sessionsPerWorker.size(); ++w) {
        if (user.sessionsPerWorker[w] == 0)
            continue;
        room.sessionsPerWorker[w] += user.sessionsPerWorker[w];
        m_ctx->sinks[w]->postSubscribe(user.name, room.id);
    }
}

void Hub::unsubscribe(RoomState &room, UserState &user)
{
    if (!user.subscribed.remove(room.id))
        return;
    for (int w = 0; w < user.sessionsPerWorker.size(); ++w) {
        if (user.sessionsPerWorker[w] == 0)
            continue;
        room.sessionsPerWorker[w] -= user.sessionsPerWorker[w];
        m_ctx->sinks[w]->postUnsubscribe(user.name, room.id);
    }
}

bool Hub::refuseWrite(const Caller &c)
{
    if (m_ctx->draining.load()) {
        fail(c, ErrorCode::Unavailable, u"the server is shutting down, retry after it restarts"_s);
        return true;
    }
    if (m_ctx->writer->pending() >= m_ctx->config.maxPendingWrites) {
        fail(c, ErrorCode::Unavailable, u"the store is busy, retry later"_s);
        return true;
    }
    return false;
}

void Hub::logWriteFailure(const char *what, const QString &detail)
{
    qCCritical(lcStore) << what << detail << "could not be stored";
}

WriteDone Hub::whenStored(std::function<void(bool)> then)
{
    // The writer calls this on its own thread; the answer is the hub's to give.
    return [this, then = std::move(then)](WriteStatus s) {
        const bool stored = s == WriteStatus::Committed;
        postTo(this, [then, stored] { then(stored); });
    };
}

WriteDone Hub::failureLogger(const char *what, const QString &detail)
{
    return [this, what, detail](WriteStatus s) {
        if (s == WriteStatus::Failed)
            postTo(this, [this, what, detail] { logWriteFailure(what, detail); });
    };
}

void Hub::create(const Caller &c, const protocol::CreateRequest &r)
{
    if (m_rooms.contains(r.room))
        return fail(c, ErrorCode::Conflict, u"room '%1' already exists"_s.arg(r.room));
    if (refuseWrite(c))
        return;
    StoredRoom stored;
    stored.id = r.room;
    stored.name = r.room;
    stored.kind = protocol::RoomKind::Channel;
    stored.isPrivate = r.isPrivate;
    stored.topic = r.topic;
    stored.createdBy = c.user;
    stored.createdAt = QDateTime::currentMSecsSinceEpoch();
    m_ctx->writer->enqueue(CreateRoom{stored}, failureLogger("room", stored.id));
    RoomState &inserted = addRoom(stored);
    qCInfo(lcCore) << "room" << inserted.id << "created by" << c.user;
    // The creator's join is the room's first event.
    protocol::Event join;
    join.room = inserted.id;
    join.from = c.user;
    join.kind = protocol::EventKind::Join;
    addMember(inserted, c.user);
    appendEvent(inserted, join, nullptr, roomReplyWhenStored(c, inserted.id));
}

void Hub::join(const Caller &c, const QString &roomId)
{
    auto it = m_rooms.find(roomId);
    if (it == m_rooms.end())
        return fail(c, ErrorCode::NotFound, u"no room '%1'"_s.arg(roomId));
    RoomState &room = *it;
    if (!room.members.contains(c.user)) {
        const bool open = room.kind == protocol::RoomKind::Channel && !room.isPrivate;
        if (!open && !room.invited.contains(c.user))
            return fail(c, ErrorCode::Forbidden,
                        u"'%1' is private: an invite is needed"_s.arg(roomId));
        if (refuseWrite(c))
            return;
        protocol::Event join;
        join.room = room.id;
        join.from = c.user;
        join.kind = protocol::EventKind::Join;
        addMember(room, c.user);
        appendEvent(room, join, nullptr, roomReplyWhenStored(c, room.id));
        return;
    }
    reply(c.ref, protocol::RoomReply{c.id, roomInfo(room, c.user)});
}

void Hub::leave(const Caller &c, const QString &roomId)
{
    auto it = m_rooms.find(roomId);
    if (it == m_rooms.end())
        return fail(c, ErrorCode::NotFound, u"no room '%1'"_s.arg(roomId));
    RoomState &room = *it;
    if (!room.members.contains(c.user))
        return fail(c, ErrorCode::Forbidden, u"not a member of '%1'"_s.arg(roomId));
    if (room.kind == protocol::RoomKind::Dm)
        return fail(c, ErrorCode::Forbidden, u"direct-message rooms cannot be left"_s);
    if (refuseWrite(c))
        return;
    protocol::Event leave;
    leave.room = room.id;
    leave.from = c.user;
    leave.kind = protocol::EventKind::Leave;
    // Queued after the leave event: members, the leaver included, see it first.
    appendEvent(room, leave, nullptr, [this, c](bool stored) {
        if (stored)
            reply(c.ref, protocol::Ok{c.id});
        else
            fail(c, ErrorCode::Unavailable, u"the leave could not be stored, retry"_s);
    });
    removeMember(room, c.user);
}

std::function<void(bool)> Hub::roomReplyWhenStored(const Caller &c, const QString &roomId)
{
    // The joiner learns of its membership only once the join is durable, with the room as
    // its members see it then.
    return [this, c, roomId](bool stored) {
        const auto it = m_rooms.constFind(roomId);
        if (!stored || it == m_rooms.constEnd())
            return fail(c, ErrorCode::Unavailable, u"the room change could not be stored, retry"_s);
        reply(c.ref, protocol::RoomReply{c.id, roomInfo(*it, c.user)});
    };
}

void Hub::invite(const Caller &c, const QString &roomId, const StoredUser &invitee)
{
    auto it = m_rooms.find(roomId);
    if (it == m_rooms.end())
        return fail(c, ErrorCode::NotFound, u"no room '%1'"_s.arg(roomId));
    RoomState &room = *it;
    if (!room.members.contains(c.user))
        return fail(c, ErrorCode::Forbidden, u"not a member of '%1'"_s.arg(roomId));
    if (room.kind == protocol::RoomKind::Dm)
        return fail(c, ErrorCode::Forbidden, u"nobody can be invited to a direct-message room"_s);
    userRegistered(invitee);
    if (room.members.contains(invitee.name) || room.invited.contains(invitee.name))
        return reply(c.ref, protocol::Ok{c.id});
    if (refuseWrite(c))
        return;
    room.invited.insert(invitee.name);
    m_ctx->writer->enqueue(AddInvite{room.id, invitee.name}, whenStored([this, c](bool stored) {
                               if (stored)
                                   reply(c.ref, protocol::Ok{c.id});
                               else
                                   fail(c, ErrorCode::Unavailable,
                                        u"the invite could not be stored, retry"_s);
                           }));
}

void Hub::dm(const Caller &c, const StoredUser &other)
{
    if (other.name == c.user)
        return fail(c, ErrorCode::BadRequest, u"a direct-message room needs another user"_s);
    userRegistered(other);
    const QString id = protocol::dmRoomId(c.user, other.name);
    auto it = m_rooms.find(id);
    if (it == m_rooms.end()) {
        if (refuseWrite(c))
            return;
        StoredRoom stored;
        stored.id = id;
        stored.name = id;
        stored.kind = protocol::RoomKind::Dm;
        stored.isPrivate = true;
        stored.createdBy = c.user;
        stored.createdAt = QDateTime::currentMSecsSinceEpoch();
        RoomState &room = addRoom(stored);
        stored.members = {c.user, other.name}; // stored with the room, no join events
        addMember(room, c.user);
        addMember(room, other.name);
        m_ctx->writer->enqueue(CreateRoom{stored}, whenStored(roomReplyWhenStored(c, id)));
        return;
    }
    reply(c.ref, protocol::RoomReply{c.id, roomInfo(*it, c.user)});
}

void Hub::members(const Caller &c, const QString &roomId)
{
    const auto it = m_rooms.constFind(roomId);
    if (it == m_rooms.constEnd())
        return fail(c, ErrorCode::NotFound, u"no room '%1'"_s.arg(roomId));
    if (!canSee(*it, c.user))
        return fail(c, ErrorCode::Forbidden, u"not a member of '%1'"_s.arg(roomId));
    protocol::MembersReply out{c.id, roomId, {}};
    for (const QString &name : it->members) {
        const auto u = m_users.constFind(name);
        protocol::MemberInfo info{name, name, protocol::Presence::Offline};
        if (u != m_users.constEnd()) {
            info.displayName = u->displayName;
            info.presence = u->presence;
        }
        out.members.append(info);
    }
    std::sort(out.members.begin(), out.members.end(),
              [](const auto &a, const auto &b) { return a.user < b.user; });
    reply(c.ref, out);
}

void Hub::authorizeHistory(const Caller &c, const protocol::HistoryRequest &r)
{
    const auto it = m_rooms.constFind(r.room);
    if (it == m_rooms.constEnd())
        return fail(c, ErrorCode::NotFound, u"no room '%1'"_s.arg(r.room));
    if (!canSee(*it, c.user))
        return fail(c, ErrorCode::Forbidden, u"not a member of '%1'"_s.arg(r.room));
    m_ctx->sinks[c.ref.worker]->postHistoryAllowed(c.ref.id, r, it->fannedOut);
}

void Hub::authorizeSearch(const Caller &c, const protocol::SearchRequest &r, const search::Query &q)
{
    SearchPlan plan;
    plan.query = q;
    plan.user = c.user;
    plan.order = r.order;
    plan.limit = r.limit;
    plan.cursor = r.cursor;
    std::optional<QString> only = r.room;
    if (q.in) {
        const QString room = q.in->kind == search::InTarget::Kind::Direct
                                 ? protocol::dmRoomId(c.user, q.in->name)
                                 : q.in->name;
        if (only && *only != room)
            return fail(c, ErrorCode::Invalid,
                        u"in: names another room than the search's room '%1'"_s.arg(*only));
        only = room;
    }
    if (only) {
        const auto it = m_rooms.constFind(*only);
        if (it == m_rooms.constEnd())
            return fail(c, ErrorCode::NotFound,
                        q.in && q.in->kind == search::InTarget::Kind::Direct
                            ? u"no direct messages with '%1'"_s.arg(q.in->name)
                            : u"no room '%1'"_s.arg(*only));
        if (!canSee(*it, c.user))
            return fail(c, ErrorCode::Forbidden, u"not a member of '%1'"_s.arg(*only));
        plan.rooms = {*only};
        plan.oneRoom = true;
    } else {
        for (const RoomState &room : std::as_const(m_rooms)) {
            if (canSee(room, c.user))
                plan.rooms.append(room.id);
        }
    }
    m_ctx->sinks[c.ref.worker]->postSearchAllowed(c.ref.id, c.id, plan);
}

void Hub::read(const Caller &c, const protocol::ReadMarker &m)
{
    const auto it = m_rooms.constFind(m.room);
    if (it == m_rooms.constEnd() || !it->members.contains(c.user))
        return; // read has no reply; a marker for a foreign room is dropped
    UserState &user = userState(c.user);
    const qint64 seq = std::min(m.seq, it->fannedOut);
    if (seq <= user.readSeq.value(m.room, 0))
        return;
    user.readSeq[m.room] = seq;
    m_ctx->writer->enqueue(SetReadMarker{c.user, m.room, seq},
                           failureLogger("read marker in", m.room));
    if (user.sessions <= 1)
        return;
    const QByteArray frame = frameOf(protocol::encode(protocol::ReadMarker{m.room, seq}));
    for (int w = 0; w < user.sessionsPerWorker.size(); ++w) {
        if (user.sessionsPerWorker[w] == 0)
            continue;
        m_ctx->sinks[w]->postUsersFrame({c.user}, frame, w == c.ref.worker ? c.ref.id : 0);
    }
}

void Hub::typing(const Caller &c, const QString &roomId)
{
    const auto it = m_rooms.constFind(roomId);
    if (it == m_rooms.constEnd())
        return fail(c, ErrorCode::NotFound, u"no room '%1'"_s.arg(roomId));
    if (!it->members.contains(c.user))
        return fail(c, ErrorCode::Forbidden, u"not a member of '%1'"_s.arg(roomId));
    const QByteArray frame = frameOf(protocol::encode(protocol::TypingNotice{roomId, c.user}));
    broadcastRoom(*it, frame, c.ref.id, c.ref.worker);
}

void Hub::presence(const Caller &c, protocol::Presence state)
{
    UserState &user = userState(c.user);
    if (user.sessions == 0 || user.presence == state)
        return;
    user.presence = state;
    broadcastPresence(user);
}

void Hub::userRegistered(const StoredUser &stored)
{
    UserState &user = userState(stored.name);
    user.displayName = stored.displayName.isEmpty() ? stored.name : stored.displayName;
    user.isAdmin = stored.isAdmin;
}

} // namespace confab::server
