// ClientSession: what the server says (dispatch, replies, errors) and what the session
// sends (outbox flushing, requests, read markers), plus the notification decision.
#include "logging.h"
#include "models/roomlistmodel.h"
#include "net/httplink.h"
#include "net/uploader.h"
#include "protocol/names.h"
#include "session/clientsession.h"
#include "session/mentions.h"
#include "store/outbox.h"
#include "store/storethread.h"
#include "text/markdown.h"

namespace confab::client {

using namespace Qt::StringLiterals;
using protocol::ErrorCode;

namespace {
constexpr int kUnavailableRetryMs = 1000;
}

qint64 ClientSession::sendRequest(const protocol::ClientMessage &message, Request request)
{
    if (!m_connection->isAuthenticated())
        return 0;
    const qint64 id = m_connection->nextRequestId();
    protocol::ClientMessage withId = message;
    std::visit(
        [id](auto &m) {
            if constexpr (requires { m.id; })
                m.id = id;
        },
        withId);
    m_requests.insert(id, std::move(request));
    m_connection->send(withId);
    return id;
}

void ClientSession::onMessage(const protocol::ServerMessage &message)
{
    if (const auto *e = std::get_if<protocol::Event>(&message))
        return onEvent(*e);
    if (const auto *a = std::get_if<protocol::Ack>(&message))
        return onAck(*a);
    if (const auto *s = std::get_if<protocol::Synced>(&message)) {
        if (Room *r = m_rooms.value(s->room))
            r->onSynced(s->complete);
        return;
    }
    if (const auto *err = std::get_if<protocol::Error>(&message))
        return onError(*err);
    if (const auto *h = std::get_if<protocol::HistoryReply>(&message)) {
        const Request req = m_requests.take(h->id.value_or(0));
        if (Room *r = m_rooms.value(h->room); r && req.kind == Request::Kind::History)
            r->onHistory(req.purpose, *h, req.tag);
        return;
    }
    if (const auto *sr = std::get_if<protocol::SearchReply>(&message))
        return onSearchReply(*sr);
    if (const auto *t = std::get_if<protocol::TypingNotice>(&message)) {
        if (Room *r = m_rooms.value(t->room))
            r->onTyping(t->user);
        return;
    }
    if (const auto *rd = std::get_if<protocol::ReadMarker>(&message)) {
        if (Room *r = m_rooms.value(rd->room))
            r->onRead(rd->seq); // from the user's other connections
        return;
    }
    if (const auto *p = std::get_if<protocol::PresenceNotice>(&message)) {
        for (Room *r : std::as_const(m_rooms))
            r->members()->setPresence(p->user, p->state);
        return;
    }
    if (const auto *m = std::get_if<protocol::MembersReply>(&message))
        return onMembersReply(*m);
    if (const auto *rr = std::get_if<protocol::RoomReply>(&message)) {
        const Request req = m_requests.take(rr->id.value_or(0));
        const bool joined = req.kind == Request::Kind::Join;
        return onRoomReply(rr->room, joined || req.kind == Request::Kind::RoomReply, joined);
    }
    if (const auto *ok = std::get_if<protocol::Ok>(&message)) {
        const Request req = m_requests.take(ok->id.value_or(0));
        if (req.kind == Request::Kind::Leave)
            removeRoom(req.room);
        return;
    }
    if (const auto *rooms = std::get_if<protocol::RoomsReply>(&message)) {
        m_requests.remove(rooms->id.value_or(0));
        for (const protocol::RoomInfo &info : rooms->rooms)
            ensureRoom(info)->setInfo(info);
        m_store->post([list = rooms->rooms](StoreWorker &w) { w.storeRooms(list); });
    }
}

void ClientSession::onMembersReply(const protocol::MembersReply &reply)
{
    m_requests.remove(reply.id.value_or(0));
    bool renamed = false;
    for (const protocol::MemberInfo &info : reply.members) {
        renamed = renamed || m_names.value(info.user) != info.displayName;
        m_names.insert(info.user, info.displayName);
    }
    if (Room *r = m_rooms.value(reply.room))
        r->onMembers(reply.members);
    if (renamed) {
        for (Room *r : std::as_const(m_rooms))
            r->namesChanged();
    }
}

void ClientSession::onEvent(const protocol::Event &event)
{
    Room *room = m_rooms.value(event.room);
    if (!room) {
        // A room we were just added to (an invite, someone's first DM to us).
        protocol::RoomInfo info;
        info.room = event.room;
        info.name = event.room;
        info.kind =
            protocol::isDmRoomId(event.room) ? protocol::RoomKind::Dm : protocol::RoomKind::Channel;
        room = ensureRoom(info);
        m_store->post([info](StoreWorker &w) { w.storeRooms({info}); });
    }
    if (event.kind == protocol::EventKind::Leave && event.from == m_options.user) {
        removeRoom(event.room);
        return;
    }
    if (event.kind == protocol::EventKind::Join && event.from == m_options.user &&
        !room->isMember()) {
        // Joined from another of this user's connections: the room is ours now.
        protocol::RoomInfo info = room->info();
        info.member = true;
        room->setInfo(info);
        m_store->post([info](StoreWorker &w) { w.storeRooms({info}); });
    }
    room->ingest(event, true);
}

void ClientSession::onRoomReply(const protocol::RoomInfo &info, bool announce, bool joined)
{
    const bool isNew = !m_rooms.contains(info.room);
    Room *room = ensureRoom(info);
    room->setInfo(info);
    if (joined)
        room->advanceRead(info.lastSeq); // what came before the join is not unread
    m_store->post([info](StoreWorker &w) { w.storeRooms({info}); });
    if (isNew)
        room->onWelcome(); // its newest page
    if (announce)
        emit roomReady(room);
}

void ClientSession::onAck(const protocol::Ack &ack)
{
    m_requests.remove(ack.id.value_or(0));
    m_inFlightRooms.remove(ack.room);
    m_outbox->remove(ack.clientMsgId);
    if (Room *r = m_rooms.value(ack.room); r && ack.seq <= r->highSeq()) {
        // The event is already held (it came before this ack, or before a restart): a
        // pending row left for it would be a second bubble.
        r->timeline()->removePending(ack.clientMsgId);
    }
    flushOutbox();
}

void ClientSession::onError(const protocol::Error &error)
{
    const auto it = m_requests.constFind(error.id.value_or(0));
    if (it == m_requests.constEnd()) {
        qCWarning(lcSession) << "server error:" << protocol::errorCodeName(error.code)
                             << logSafe(error.message);
        return;
    }
    const Request req = *it;
    m_requests.erase(it);
    switch (req.kind) {
    case Request::Kind::Send:
        return onSendError(req, error);
    case Request::Kind::History:
        if (Room *r = m_rooms.value(req.room))
            r->onHistoryFailed(req.purpose, req.tag);
        return;
    case Request::Kind::Search:
        // The server cannot search now (its store is down): the cache still can.
        if (error.code == ErrorCode::Unavailable && req.search)
            return runSearchOffline(*req.search, req.tag);
        return m_search->onFailed(
            req.tag, error.message.isEmpty() ? protocol::errorCodeName(error.code) : error.message);
    default:
        setActionError(error.message.isEmpty() ? protocol::errorCodeName(error.code)
                                               : error.message);
    }
}

void ClientSession::onSendError(const Request &request, const protocol::Error &error)
{
    m_inFlightRooms.remove(request.room);
    switch (error.code) {
    case ErrorCode::RateLimited:
        holdSends(int(error.retryAfterMs.value_or(kUnavailableRetryMs)));
        return;
    case ErrorCode::Unavailable:
        holdSends(kUnavailableRetryMs);
        return;
    default:
        m_outbox->markFailed(request.clientMsgId, protocol::errorCodeName(error.code),
                             error.message);
        flushOutbox(); // the next one of the room goes now
    }
}

void ClientSession::holdSends(int ms)
{
    qCInfo(lcSession) << "sends wait" << ms << "ms";
    m_sendHold.setRemainingTime(ms);
    QTimer::singleShot(ms, this, &ClientSession::flushOutbox);
}

void ClientSession::onLinkLost()
{
    // Nothing in flight will be answered now: the outbox resends after the next welcome; a
    // search goes to the cache.
    const auto requests = std::exchange(m_requests, {});
    for (const Request &req : requests) {
        if (req.kind == Request::Kind::Search && req.search)
            runSearchOffline(*req.search, req.tag);
    }
    m_inFlightRooms.clear();
    for (Room *r : std::as_const(m_rooms))
        r->onLinkLost();
}

void ClientSession::flushOutbox()
{
    if (!m_outbox || !m_connection->isAuthenticated() || !m_sendHold.hasExpired())
        return;
    // One send in flight per room: a later message can never be stored before an earlier
    // one that was refused for now (rate_limited, unavailable) or lost with the link.
    const QList<OutboxEntry> next = m_outbox->nextPerRoom(m_inFlightRooms);
    for (const OutboxEntry &e : next) {
        protocol::SendRequest s;
        s.room = e.room;
        s.clientMsgId = e.clientMsgId;
        s.kind = e.kind;
        s.body = e.body;
        s.replyTo = e.replyTo;
        s.target = e.target;
        s.emoji = e.emoji;
        if (e.kind == protocol::EventKind::File)
            s.file = protocol::FileInfo{e.uploadId, {}, 0, {}, {}, {}, {}};
        if (sendRequest(s, {Request::Kind::Send, e.room, e.clientMsgId, {}}) != 0)
            m_inFlightRooms.insert(e.room);
    }
    startUploads();
}

void ClientSession::startUploads()
{
    // Two at a time: each streams at the link's speed, a third would only split it.
    constexpr int kParallelUploads = 2;
    if (!m_outbox || !m_connection->isAuthenticated() || !m_http->hasToken() ||
        m_uploadRetry->isActive())
        return;
    const QList<OutboxEntry> uploads = m_outbox->pendingUploads();
    for (const OutboxEntry &e : uploads) {
        if (m_uploader->activeCount() >= kParallelUploads)
            break;
        m_uploader->start(e);
    }
}

void ClientSession::onUploadFailed(const QString &clientMsgId, const QString &code,
                                   const QString &text, bool retryLater)
{
    if (!retryLater) {
        m_outbox->markFailed(clientMsgId, code, text);
    } else {
        // The link or the server: try again after a wait that grows while it lasts (a
        // welcome does not wait: startUploads runs from flushOutbox once it expired).
        m_uploadRetryMs = std::clamp(m_uploadRetryMs * 2, 500, 30000);
        m_uploadRetry->start(m_uploadRetryMs);
    }
    startUploads();
}

bool ClientSession::enqueue(const OutboxEntry &entry)
{
    if (!m_outbox || !m_rooms.contains(entry.room))
        return false;
    const OutboxEntry &added = m_outbox->add(entry);
    m_rooms.value(entry.room)->timeline()->addPending(added);
    return true;
}

bool ClientSession::retry(const QString &clientMsgId)
{
    return m_outbox && m_outbox->retry(clientMsgId);
}

bool ClientSession::discard(const QString &clientMsgId)
{
    const OutboxEntry *e = m_outbox ? m_outbox->find(clientMsgId) : nullptr;
    if (!e)
        return false;
    if (e->isUpload()) // not sent yet whatever its state: the upload is cancelled
        m_uploader->cancel(clientMsgId, e->uploadId);
    else if (e->state != OutboxEntry::State::Failed)
        return false; // a queued one may be on the wire already
    if (Room *r = m_rooms.value(e->room))
        r->timeline()->removePending(clientMsgId);
    return m_outbox->remove(clientMsgId);
}

bool ClientSession::requestHistory(Room *room, Room::HistoryPurpose purpose,
                                   std::optional<qint64> before, std::optional<qint64> after,
                                   int limit, qint64 tag)
{
    protocol::HistoryRequest h;
    h.room = room->roomId();
    h.before = before;
    h.after = after;
    h.limit = limit;
    return sendRequest(h, {Request::Kind::History, room->roomId(), {}, purpose, tag}) != 0;
}

void ClientSession::runSearch(const protocol::SearchRequest &request, qint64 generation)
{
    // A later page comes from where the first came from: the cursors differ.
    const bool offline = request.cursor ? m_search->offline() : false;
    if (!offline && sendRequest(request, {Request::Kind::Search, {}, {}, {}, generation, request}))
        return;
    runSearchOffline(request, generation);
}

void ClientSession::runSearchOffline(const protocol::SearchRequest &request, qint64 generation)
{
    m_store->reply(
        this,
        [request, user = m_options.user](StoreWorker &w) {
            return w.searchCache(request.query, request.room, request.order, request.limit,
                                 request.cursor.value_or(QString()), request.tzOffsetMinutes, user);
        },
        [this, generation](const CacheSearchResult &result) {
            if (result.error)
                return m_search->onFailed(
                    generation, u"%1: %2"_s.arg(result.error->token, result.error->message));
            if (!result.failure.isEmpty())
                return m_search->onFailed(generation,
                                          tr("This computer's cache cannot be searched"));
            protocol::SearchReply reply;
            reply.results = result.hits;
            reply.cursor = result.cursor;
            m_search->onPage(generation, reply, true);
        });
}

void ClientSession::onSearchReply(const protocol::SearchReply &reply)
{
    const Request req = m_requests.take(reply.id.value_or(0));
    if (req.kind != Request::Kind::Search)
        return;
    m_search->onPage(req.tag, reply, false);
}

QString ClientSession::roomLabel(const QString &roomId) const
{
    if (const Room *r = m_rooms.value(roomId))
        return r->isDirect() ? r->displayName() : u"#"_s + r->displayName();
    if (const auto pair = protocol::parseDmRoomId(roomId))
        return displayNameOf(pair->first == m_options.user ? pair->second : pair->first);
    return u"#"_s + roomId;
}

void ClientSession::requestMembers(const QString &room)
{
    sendRequest(protocol::MembersRequest{{}, room}, {Request::Kind::Members, room, {}, {}});
}

void ClientSession::sendRead(const QString &room, qint64 seq)
{
    m_connection->send(protocol::ReadMarker{room, seq}); // offline: the welcome's read_seq
}

bool ClientSession::sendTyping(const QString &room)
{
    return m_connection->send(protocol::TypingRequest{room});
}

void ClientSession::createRoom(const QString &name, bool isPrivate, const QString &topic)
{
    if (!protocol::isValidChannelName(name))
        return setActionError(tr("A room name is 1 to 40 of a-z, 0-9, _ and -"));
    if (!sendRequest(protocol::CreateRequest{{}, name, isPrivate, topic},
                     {Request::Kind::RoomReply, name, {}, {}}))
        setActionError(tr("Not connected"));
}

void ClientSession::joinRoom(const QString &name)
{
    // Only a join that makes the user a member moves the read marker (the reply can come
    // after the join event, which already says "member"); joining a room the user is in
    // changes nothing, and its unread stays unread.
    const Room *known = m_rooms.value(name);
    const auto kind = known && known->isMember() ? Request::Kind::RoomReply : Request::Kind::Join;
    if (!sendRequest(protocol::JoinRequest{{}, name}, {kind, name, {}, {}}))
        setActionError(tr("Not connected"));
}

void ClientSession::refreshRooms()
{
    sendRequest(protocol::RoomsRequest{}, {Request::Kind::Rooms, {}, {}, {}});
}

void ClientSession::leaveRoom(const QString &roomId)
{
    if (!sendRequest(protocol::LeaveRequest{{}, roomId}, {Request::Kind::Leave, roomId, {}, {}}))
        setActionError(tr("Not connected"));
}

void ClientSession::openDirect(const QString &user)
{
    const QString folded = protocol::foldUserName(user);
    if (Room *existing = m_rooms.value(protocol::dmRoomId(m_options.user, folded))) {
        emit roomReady(existing);
        return;
    }
    if (!sendRequest(protocol::DmRequest{{}, folded}, {Request::Kind::RoomReply, {}, {}, {}}))
        setActionError(tr("Not connected"));
}

void ClientSession::invite(const QString &roomId, const QString &user)
{
    if (!sendRequest(protocol::InviteRequest{{}, roomId, protocol::foldUserName(user)},
                     {Request::Kind::Invite, roomId, {}, {}}))
        setActionError(tr("Not connected"));
}

void ClientSession::decideNotification(Room *room, const protocol::Event &event)
{
    if (m_doNotDisturb || room->muted())
        return;
    const bool viewing = m_windowActive && m_currentRoom == room;
    if (viewing)
        return;
    const bool mention = mentionsUser(event.body, m_options.user, displayName());
    QString reason;
    switch (room->effectiveNotifyLevel()) {
    case Room::NotifyLevel::Never:
        return;
    case Room::NotifyLevel::Mentions:
        if (!mention)
            return;
        reason = u"mention"_s;
        break;
    default:
        reason = mention ? u"mention"_s : room->isDirect() ? u"direct"_s : u"all"_s;
    }
    const QString title = room->isDirect()
                              ? displayNameOf(event.from)
                              : u"%1 in %2"_s.arg(displayNameOf(event.from), room->displayName());
    QString text = markdownToPlain(event.body);
    if (event.file)
        text = text.isEmpty() ? tr("Sent %1").arg(event.file->name)
                              : event.file->name + u" — "_s + text;
    emit notificationRequested(room->roomId(), title, text, event.seq, reason);
}

} // namespace confab::client
