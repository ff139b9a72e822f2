// The event path of the hub: validation, seq assignment, idempotency, and after each
// commit the broadcast and the acks.
#include "core/hub.h"

#include "core/metrics.h"
#include "core/seqbook.h"
#include "logging.h"
#include "protocol/codec.h"
#include "store/writer.h"
#include "wire/websocket.h"

#include <QDateTime>

namespace confab::server {

using namespace Qt::StringLiterals;
using protocol::ErrorCode;
using protocol::EventKind;

namespace {
constexpr qsizetype kMaxSentRecords = 1000000;

QString sentKey(const QString &user, const QString &clientMsgId)
{
    return user + QChar(0x1f) + clientMsgId;
}
} // namespace

void Hub::rememberSent(const QString &key, SentRecord record)
{
    if (!m_sent.contains(key))
        m_sentOrder.push_back(key);
    m_sent.insert(key, std::move(record));
    while (qsizetype(m_sentOrder.size()) > kMaxSentRecords) {
        const auto it = m_sent.constFind(m_sentOrder.front());
        // Records still waiting for their commit are never dropped.
        if (it != m_sent.constEnd() && !it->committed)
            break;
        m_sent.remove(m_sentOrder.front());
        m_sentOrder.pop_front();
    }
}

QString Hub::validateSend(const RoomState &room, const Caller &c, protocol::SendRequest &r,
                          ErrorCode *code, bool *removed)
{
    *code = ErrorCode::BadRequest;
    if (r.kind == EventKind::Text || r.kind == EventKind::File) {
        if (r.replyTo && !room.event(*r.replyTo))
            return u"reply_to %1 is not an event of '%2'"_s.arg(*r.replyTo).arg(room.id);
        // The session filled in the file from the store; without that it is a bug.
        if (r.kind == EventKind::File && (!r.file || r.file->mime.isEmpty()))
            return (*code = ErrorCode::Internal, u"the file was not looked up"_s);
        return {};
    }
    if (r.kind == EventKind::Topic)
        return room.kind == protocol::RoomKind::Dm
                   ? (*code = ErrorCode::Forbidden, u"direct-message rooms have no topic"_s)
                   : QString();
    const qint64 target = r.target.value_or(0);
    const EventMeta *meta = room.event(target);
    // A file event can be deleted and reacted to; only text can be edited.
    const bool editable = meta && meta->kind == EventKind::Text;
    if (!meta || !(editable || (meta->kind == EventKind::File && r.kind != EventKind::Edit))) {
        *code = ErrorCode::NotFound;
        return u"target %1 is not a message in '%2'"_s.arg(target).arg(room.id);
    }
    if (meta->deleted) {
        *code = ErrorCode::NotFound;
        return u"message %1 was deleted"_s.arg(target);
    }
    const bool own = meta->sender == c.user;
    if (r.kind == EventKind::Edit && !own) {
        *code = ErrorCode::Forbidden;
        return u"only the author can edit message %1"_s.arg(target);
    }
    if (r.kind == EventKind::Delete && !own && !m_users.value(c.user).isAdmin) {
        *code = ErrorCode::Forbidden;
        return u"only the author or an admin can delete message %1"_s.arg(target);
    }
    if (r.kind == EventKind::React)
        *removed = room.reactions.contains(RoomState::reactionKey(target, c.user, *r.emoji));
    return {};
}

void Hub::send(const Caller &c, const protocol::SendRequest &request)
{
    const QString key = sentKey(c.user, request.clientMsgId);
    auto sent = m_sent.find(key);
    if (sent != m_sent.end()) {
        // A resend: same seq, no second broadcast; ack once it is durable.
        bump(m_ctx->metrics->eventsDuplicate);
        if (sent->room != request.room)
            return fail(c, ErrorCode::Conflict,
                        u"client_msg_id was already used in '%1'"_s.arg(sent->room));
        if (sent->committed) {
            bump(m_ctx->metrics->acksSent);
            return reply(c.ref,
                         protocol::Ack{c.id, sent->room, request.clientMsgId, sent->seq, sent->ts});
        }
        sent->waiters.append({c.ref.worker, c.ref.id, c.id});
        return;
    }
    auto it = m_rooms.find(request.room);
    if (it == m_rooms.end())
        return fail(c, ErrorCode::NotFound, u"no room '%1'"_s.arg(request.room));
    RoomState &room = *it;
    if (!room.members.contains(c.user))
        return fail(c, ErrorCode::Forbidden, u"not a member of '%1'"_s.arg(request.room));
    if (refuseWrite(c))
        return;
    protocol::SendRequest r = request;
    ErrorCode code = ErrorCode::BadRequest;
    bool removed = false;
    const QString problem = validateSend(room, c, r, &code, &removed);
    if (!problem.isEmpty())
        return fail(c, code, problem);

    protocol::Event e;
    e.room = room.id;
    e.from = c.user;
    e.kind = r.kind;
    e.body = r.body;
    e.clientMsgId = r.clientMsgId;
    e.replyTo = r.replyTo;
    e.target = r.target;
    e.emoji = r.emoji;
    e.removed = removed;
    e.file = r.file;
    appendEvent(room, std::move(e), &c);
}

qint64 Hub::appendEvent(RoomState &room, protocol::Event e, const Caller *ackTo,
                        std::function<void(bool)> after)
{
    // ts never goes backwards within a room, whatever the wall clock does.
    e.ts = std::max(QDateTime::currentMSecsSinceEpoch(), room.lastTs);
    room.lastTs = e.ts;
    e.seq = ++room.lastSeq;
    bump(m_ctx->metrics->eventsAssigned);

    EventMeta meta{userState(e.from).name, e.kind, false};
    room.events.push_back(meta);
    if (e.kind == EventKind::Delete) {
        if (auto *target = const_cast<EventMeta *>(room.event(*e.target)))
            target->deleted = true;
    } else if (e.kind == EventKind::React) {
        const QString reactionKey = RoomState::reactionKey(*e.target, e.from, *e.emoji);
        if (e.removed)
            room.reactions.remove(reactionKey);
        else
            room.reactions.insert(reactionKey);
    } else if (e.kind == EventKind::Topic) {
        room.topic = e.body;
    }

    FanoutStep step;
    step.seq = e.seq;
    step.after = std::move(after);
    if (e.clientMsgId) {
        step.ackKey = sentKey(e.from, *e.clientMsgId);
        SentRecord record{room.id, e.seq, e.ts, false, {}};
        if (ackTo)
            record.waiters.append({ackTo->ref.worker, ackTo->ref.id, ackTo->id});
        rememberSent(step.ackKey, std::move(record));
    }
    // Encoded once; after the commit every worker writes these same bytes to its members.
    step.frame = wire::makeFrame(wire::Opcode::Text, protocol::encode(e));
    room.fanout.push_back(std::move(step));

    SeqBook *book = m_ctx->seqBook;
    const QString roomId = room.id;
    const qint64 seq = e.seq;
    m_ctx->writer->enqueue(AppendEvent{std::move(e)}, [this, book, roomId, seq](WriteStatus s) {
        // Readers waiting for this seq are released either way: a failed event is a hole
        // nobody has seen, never a reason to stall every resume of the room.
        book->markCommitted(roomId, seq);
        const bool stored = s == WriteStatus::Committed;
        postTo(this, [this, roomId, seq, stored] { eventStored(roomId, seq, stored); });
    });
    return seq;
}

void Hub::eventStored(const QString &roomId, qint64 seq, bool stored)
{
    auto it = m_rooms.find(roomId);
    if (it == m_rooms.end())
        return;
    RoomState &room = *it;
    runSubscriptionSteps(room);
    if (room.fanout.empty() || room.fanout.front().seq != seq) {
        // The writer reports in queue order, which is seq order within a room.
        qCCritical(lcCore) << "room" << roomId << "stored seq" << seq << "out of order";
        return;
    }
    FanoutStep step = std::move(room.fanout.front());
    room.fanout.pop_front();
    room.fannedOut = seq;
    if (stored) {
        broadcastRoom(room, step.frame);
    } else {
        bump(m_ctx->metrics->eventsFailed);
        qCCritical(lcStore) << "event" << roomId << seq
                            << "could not be stored; nobody saw it, its sender gets unavailable";
    }
    if (!step.ackKey.isEmpty())
        answerWaiters(step.ackKey, stored);
    if (step.after)
        step.after(stored);
    runSubscriptionSteps(room);
}

void Hub::answerWaiters(const QString &key, bool stored)
{
    auto it = m_sent.find(key);
    if (it == m_sent.end())
        return;
    const QString clientMsgId = key.section(QChar(0x1f), 1);
    const QList<SentRecord::Waiter> waiters = std::exchange(it->waiters, {});
    const QString roomId = it->room;
    const qint64 seq = it->seq;
    const qint64 ts = it->ts;
    if (stored) {
        it->committed = true;
    } else {
        // Forgotten, so a resend is a new message with a new seq, and the size cap can
        // trim past this record again.
        m_sent.erase(it);
    }
    for (const SentRecord::Waiter &w : waiters) {
        const SessionRef ref{w.worker, w.session};
        if (!stored) {
            fail(Caller{ref, {}, w.requestId}, ErrorCode::Unavailable,
                 u"the message could not be stored, send it again"_s);
            continue;
        }
        bump(m_ctx->metrics->acksSent);
        reply(ref, protocol::Ack{w.requestId, roomId, clientMsgId, seq, ts});
    }
}

} // namespace confab::server
