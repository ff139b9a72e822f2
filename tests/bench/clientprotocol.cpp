// BenchClient, protocol half: hello, enrolment (create/join), timed sends and acks, and
// the per-stream continuity checks on everything that arrives.
#include "client.h"

#include "protocol/codec.h"
#include "worker.h"

#include <algorithm>

namespace confab::bench {

using namespace Qt::StringLiterals;
using protocol::AuthMethod;
using protocol::ErrorCode;

namespace {
constexpr qint64 kControlIdBase = qint64(1) << 40;

// A string member of a scanned frame as UTF-8 bytes: the raw bytes, or when escaped
// their value (in *storage). nullopt on an invalid escape.
std::optional<QByteArrayView> plain(QByteArrayView raw, bool escaped, QByteArray *storage)
{
    if (!escaped)
        return raw;
    auto value = jsonUnescape(raw);
    if (!value)
        return std::nullopt;
    *storage = std::move(*value);
    return QByteArrayView(*storage);
}
} // namespace

void BenchClient::sendHello()
{
    protocol::Hello hello;
    hello.id = m_nextControlId++;
    hello.client = u"confab-bench/0.3"_s;
    if (m_auth == AuthMethod::Token && m_token.isEmpty())
        m_auth = AuthMethod::Password;
    hello.auth.method = m_auth;
    if (m_auth == AuthMethod::Token) {
        hello.auth.token = m_token;
    } else {
        hello.auth.user = m_worker->plan().userName(m_index);
        hello.auth.password = m_worker->plan().options().password;
    }
    if (m_purpose == Purpose::Resume) {
        for (const auto &[stream, tracker] : m_streams) {
            if (tracker.hasBaseline())
                hello.since.insert(m_worker->plan().roomId(stream), tracker.last());
        }
    }
    writeText(protocol::encode(hello));
}

void BenchClient::handleText(QByteArrayView payload)
{
    if (!m_worker->plan().options().fullDecode) {
        // The frames that dominate a run (events, presence notices, and the ws peer's
        // echoes) are scanned for the few members the checks need; everything else is
        // rare and goes through the shared codec.
        ScannedFrame frame;
        if (!scanFrame(payload, frame)) {
            m_worker->countError(u"decode:json"_s);
            return;
        }
        if (handleScanned(frame))
            return;
    }
    const QByteArray json = payload.toByteArray();
    if (m_worker->plan().peer()) {
        // The ws peer echoes our own `send` frames; the shared codec reads them as a
        // client message.
        const auto r = protocol::decodeClientMessage(json);
        const auto *send = r.ok() ? std::get_if<protocol::SendRequest>(&*r.message) : nullptr;
        if (send)
            handlePeerEcho(parseBody(QStringView(send->body)), send->clientMsgId);
        else
            ++m_worker->stats().otherMessages;
        return;
    }
    const auto result = protocol::decodeServerMessage(json, m_worker->limits());
    if (!result.ok()) {
        m_worker->countError(u"decode:%1"_s.arg(result.error.field));
        return;
    }
    handleServerMessage(*result.message);
}

// The scanned fast path; false when the frame is not one of its kinds.
bool BenchClient::handleScanned(const ScannedFrame &f)
{
    if (f.typeEscaped)
        return false;
    const bool peer = m_worker->plan().peer();
    if (!peer && f.type == "presence") {
        // Every connect in a shared room brings one; counted, not decoded.
        ++m_worker->stats().presenceNotices;
        return true;
    }
    if (f.type != (peer ? QByteArrayView("send") : QByteArrayView("event")))
        return false;
    QByteArray bodyStorage;
    const auto body = plain(f.body, f.bodyEscaped, &bodyStorage);
    if (!body) {
        m_worker->countError(u"decode:event"_s);
        return true;
    }
    const std::optional<BodyStamp> stamp = parseBody(*body);
    if (peer) {
        QByteArray idStorage;
        const auto id = plain(f.clientMsgId, f.clientMsgIdEscaped, &idStorage);
        // Only the sender's own echo needs the id (its ack); decoded only then.
        const bool own = stamp && stamp->sender == m_index;
        handlePeerEcho(stamp, own && id ? QString::fromUtf8(*id) : QString());
        return true;
    }
    QByteArray roomStorage;
    const auto room = plain(f.room, f.roomEscaped, &roomStorage);
    if (!room || room->isEmpty()) {
        m_worker->countError(u"decode:event"_s);
        return true;
    }
    // An absent kind is a text message, as in the codec.
    const bool text = f.kind.isNull() || (!f.kindEscaped && f.kind == "text");
    handleEvent(m_worker->plan().roomIndex(*room), f.seq, text, stamp);
    return true;
}

void BenchClient::handleServerMessage(const protocol::ServerMessage &message)
{
    if (const auto *e = std::get_if<protocol::Event>(&message)) {
        handleEvent(m_worker->plan().roomIndex(e->room), e->seq,
                    e->kind == protocol::EventKind::Text, parseBody(QStringView(e->body)));
    } else if (const auto *w = std::get_if<protocol::Welcome>(&message)) {
        onWelcome(*w);
    } else if (const auto *a = std::get_if<protocol::Ack>(&message)) {
        onAck(*a);
    } else if (const auto *err = std::get_if<protocol::Error>(&message)) {
        onError(*err);
    } else if (const auto *room = std::get_if<protocol::RoomReply>(&message)) {
        onRoom(*room);
    } else if (const auto *synced = std::get_if<protocol::Synced>(&message)) {
        onSynced(*synced);
    } else if (const auto *pong = std::get_if<protocol::Pong>(&message)) {
        onPong(*pong);
    } else if (const auto *search = std::get_if<protocol::SearchReply>(&message)) {
        onSearch(*search);
    } else if (std::holds_alternative<protocol::PresenceNotice>(message)) {
        ++m_worker->stats().presenceNotices;
    } else {
        ++m_worker->stats().otherMessages;
    }
}

void BenchClient::onWelcome(const protocol::Welcome &welcome)
{
    if (!welcome.token.isEmpty())
        m_token = welcome.token;
    m_auth = AuthMethod::Token;
    const qint64 now = nowUs();
    switch (m_purpose) {
    case Purpose::Storm:
        if (m_worker->window().inWindow(m_connectStartUs)) {
            ++m_worker->stats().connects;
            m_worker->stats().connect.record(now - m_connectStartUs);
            SecondStats &second = m_worker->stats().second(m_worker->window().secondOf(now));
            ++second.connects;
            second.latency.record(now - m_connectStartUs);
        }
        closeGracefully();
        return;
    case Purpose::Enroll:
        m_state = State::Ready;
        m_enrollStep = 0;
        enrollNextRoom();
        return;
    case Purpose::Attach:
    case Purpose::Resume:
        break;
    }
    if (m_purpose == Purpose::Attach) {
        // The welcome lists every room the user can see; only its own rooms are streams
        // it must receive, starting after their last_seq.
        for (const int r : m_worker->plan().roomsOf(m_index)) {
            const QString &id = m_worker->plan().roomId(r);
            const auto room = std::find_if(welcome.rooms.cbegin(), welcome.rooms.cend(),
                                           [&id](const auto &info) { return info.room == id; });
            if (room == welcome.rooms.cend())
                m_worker->countError(u"welcome:room-missing"_s);
            else
                tracker(r).setBaseline(room->lastSeq);
        }
        becomeReady();
        return;
    }
    // Resume: the server replays every room we named in `since`, then says synced.
    m_syncPending = 0;
    for (const auto &[stream, tracker] : m_streams)
        m_syncPending += tracker.hasBaseline() ? 1 : 0;
    m_state = State::Authenticating;
    if (m_syncPending == 0)
        becomeReady();
}

void BenchClient::enrollNextRoom()
{
    const std::vector<int> &rooms = m_worker->plan().roomsOf(m_index);
    const bool creating = m_worker->currentStage() == Stage::EnrollCreators;
    while (m_enrollStep < rooms.size()) {
        const int r = rooms[m_enrollStep];
        const bool mine = m_worker->plan().creatorOf(r) == m_index;
        if (mine == creating) {
            sendRoomRequest(creating, r);
            return;
        }
        ++m_enrollStep;
    }
    closeGracefully(); // enrolled: the stage is reported once the server closed
}

void BenchClient::sendRoomRequest(bool create, int room)
{
    m_roomRequestId = m_nextControlId++;
    m_roomRequestRoom = room;
    const QString id = m_worker->plan().roomId(room);
    if (create)
        writeText(protocol::encode(protocol::CreateRequest{m_roomRequestId, id, false, {}}));
    else
        writeText(protocol::encode(protocol::JoinRequest{m_roomRequestId, id}));
}

void BenchClient::onRoom(const protocol::RoomReply &reply)
{
    if (m_purpose != Purpose::Enroll || reply.id != m_roomRequestId)
        return;
    ++m_enrollStep;
    enrollNextRoom();
}

void BenchClient::onError(const protocol::Error &error)
{
    const qint64 id = error.id.value_or(0);
    if (m_state == State::Authenticating && m_syncPending == 0) {
        // Register on a name taken by an earlier run with this run id, or a token the
        // server forgot: log in with the password instead (the server closes with 4001
        // now; the retry follows the close).
        const bool retry =
            (error.code == ErrorCode::Conflict && m_auth == AuthMethod::Register) ||
            (error.code == ErrorCode::Unauthenticated && m_auth == AuthMethod::Token);
        if (retry) {
            m_auth = AuthMethod::Password;
            m_authRetry = true;
            return;
        }
    }
    if (id == m_roomRequestId && error.code == ErrorCode::Conflict) {
        sendRoomRequest(false, m_roomRequestRoom); // created by an earlier run: join it
        return;
    }
    m_worker->countError(protocol::errorCodeName(error.code));
    if (const auto search = m_searches.constFind(id); search != m_searches.cend()) {
        const PendingSearch pending = *search;
        m_searches.erase(search);
        m_worker->searchAnswered(this, pending.query, pending.tUs, nullptr);
        return;
    }
    if (id == m_roomRequestId && m_purpose == Purpose::Enroll) {
        reportStage(false);
        closeGracefully();
        return;
    }
    if (id > 0 && id < kControlIdBase && m_outbox.remove(id) > 0) {
        ++m_worker->stats().refused;
        m_worker->sendSlotFreed(this);
    }
}

void BenchClient::onAck(const protocol::Ack &ack)
{
    const int r = m_worker->plan().roomIndex(ack.room);
    m_worker->shared().noteHighest(r, ack.seq);
    acknowledge(ack.id.value_or(-1), ack.clientMsgId);
}

void BenchClient::acknowledge(qint64 n, const QString &clientMsgId)
{
    const auto it = m_outbox.constFind(n);
    if (it == m_outbox.cend() || it->clientMsgId != clientMsgId) {
        ++m_worker->stats().ackMismatch;
        return;
    }
    const qint64 now = nowUs();
    Stats &stats = m_worker->stats();
    ++stats.acksTotal;
    stats.second(m_worker->window().secondOf(now)).acks++;
    if (m_worker->window().inWindow(it->tUs)) {
        ++stats.acks;
        stats.ack.record(now - it->tUs);
    }
    m_outbox.erase(it);
    m_worker->sendSlotFreed(this);
}

void BenchClient::onSynced(const protocol::Synced &synced)
{
    if (m_syncPending <= 0)
        return;
    if (!synced.complete)
        ++m_worker->stats().incompleteResync;
    if (--m_syncPending == 0)
        becomeReady();
}

void BenchClient::onPong(const protocol::Pong &pong)
{
    const auto sentAt = m_pings.take(pong.id.value_or(-1));
    if (sentAt == 0)
        return;
    const qint64 now = nowUs();
    if (m_worker->window().inWindow(sentAt)) {
        ++m_worker->stats().pings;
        m_worker->stats().ping.record(now - sentAt);
        m_worker->stats().second(m_worker->window().secondOf(now)).latency.record(now - sentAt);
    }
}

void BenchClient::onSearch(const protocol::SearchReply &reply)
{
    const auto it = m_searches.constFind(reply.id.value_or(-1));
    if (it == m_searches.cend()) {
        ++m_worker->stats().otherMessages;
        return;
    }
    const PendingSearch pending = *it;
    m_searches.erase(it);
    m_worker->searchAnswered(this, pending.query, pending.tUs, &reply);
}

void BenchClient::sendSearch(const SearchQuery &query)
{
    if (!isReady())
        return;
    protocol::SearchRequest request = query.request;
    const qint64 id = m_nextControlId++;
    request.id = id;
    m_searches.insert(id, PendingSearch{nowUs(), query});
    writeText(protocol::encode(request));
}

void BenchClient::becomeReady()
{
    m_state = State::Ready;
    if (m_purpose == Purpose::Attach) {
        m_attached = true;
        reportStage(true);
        return;
    }
    if (m_purpose != Purpose::Resume)
        return;
    ++m_worker->stats().reconnects;
    // From reopening the connection to the last `synced`: handshake, token login and
    // replay; the harness's own reconnect delay is not part of it.
    if (m_worker->window().inWindow(m_connectStartUs))
        m_worker->stats().resume.record(nowUs() - m_connectStartUs);
    // The outbox goes out again in order, with the same client_msg_id: the server
    // acks what it already stored without broadcasting it twice.
    for (auto it = m_outbox.begin(); it != m_outbox.end(); ++it) {
        if (it->onWire)
            ++m_worker->stats().resent;
        transmit(it.key(), *it);
        it->onWire = true;
    }
}

void BenchClient::handleEvent(int r, qint64 seq, bool text, const std::optional<BodyStamp> &stamp)
{
    if (m_purpose == Purpose::Enroll || m_purpose == Purpose::Storm)
        return; // not a receiver in these steps
    if (r < 0 || seq < 1) {
        ++m_worker->stats().otherMessages;
        return;
    }
    m_worker->shared().noteHighest(r, seq);
    const bool replayed = m_syncPending > 0;
    if (replayed)
        ++m_worker->stats().replayed;
    // A copy is counted as a duplicate, not as a second delivery.
    if (observe(r, seq) == StreamTracker::Verdict::Duplicate || !text)
        return;
    if (stamp)
        recordDelivery(*stamp, replayed);
}

void BenchClient::handlePeerEcho(const std::optional<BodyStamp> &stamp, QStringView clientMsgId)
{
    if (!stamp || stamp->sender < 0 || stamp->sender >= m_worker->plan().clients()) {
        ++m_worker->stats().otherMessages;
        return;
    }
    m_worker->shared().noteHighest(stamp->sender, stamp->n);
    if (observe(stamp->sender, stamp->n) == StreamTracker::Verdict::Duplicate)
        return;
    recordDelivery(*stamp, false);
    if (stamp->sender == m_index)
        acknowledge(stamp->n, clientMsgId.toString()); // the peer's echo is its only "ack"
}

StreamTracker::Verdict BenchClient::observe(int stream, qint64 n)
{
    return tracker(stream).observe(n);
}

StreamTracker &BenchClient::tracker(int stream)
{
    return m_streams[stream];
}

void BenchClient::recordDelivery(const BodyStamp &stamp, bool replayed)
{
    const qint64 now = nowUs();
    Stats &stats = m_worker->stats();
    ++stats.deliveriesTotal;
    SecondStats &second = stats.second(m_worker->window().secondOf(now));
    ++second.deliveries;
    if (replayed)
        return;                             // its latency is mostly the time the receiver was away
    second.latency.record(now - stamp.tUs); // the plot shows the warm-up too
    if (!m_worker->window().inWindow(stamp.tUs))
        return;
    ++stats.deliveries;
    stats.delivery.record(now - stamp.tUs);
}

void BenchClient::sendBench(int room)
{
    queueSend(room, {}, {});
}

void BenchClient::sendFile(int room, const QString &fileId)
{
    queueSend(room, {}, fileId);
}

void BenchClient::sendText(int room, const QString &body)
{
    queueSend(room, body, {});
}

// body empty and no file: a timed bench body is made when it first leaves.
void BenchClient::queueSend(int room, const QString &body, const QString &fileId)
{
    const qint64 n = ++m_counter;
    const qint64 t = nowUs();
    const Options &o = m_worker->plan().options();
    Pending p{room, t, u"%1-%2-%3"_s.arg(o.runId).arg(m_index).arg(n), body, false, fileId};
    Stats &stats = m_worker->stats();
    ++stats.sendsTotal;
    stats.second(m_worker->window().secondOf(t)).sends++;
    if (m_worker->window().inWindow(t))
        ++stats.sends;
    if (isReady()) {
        transmit(n, p);
        p.onWire = true;
    }
    m_outbox.insert(n, p);
}

void BenchClient::transmit(qint64 n, Pending &p)
{
    // Stamped when it first leaves, so delivery latency is the server's, not the time a
    // message created while disconnected waited in the outbox (ack latency includes that).
    if (p.body.isEmpty() && p.fileId.isEmpty())
        p.body = makeBody(m_index, n, nowUs(), m_worker->plan().options().payload);
    protocol::SendRequest send;
    send.id = n;
    send.room = p.room >= 0 ? m_worker->plan().roomId(p.room) : u"peer"_s;
    send.clientMsgId = p.clientMsgId;
    send.body = p.body;
    if (!p.fileId.isEmpty()) {
        send.kind = protocol::EventKind::File;
        protocol::FileInfo file;
        file.id = p.fileId;
        send.file = file;
    }
    writeText(protocol::encode(send));
}

void BenchClient::sendPing()
{
    if (!isReady())
        return;
    const qint64 id = m_nextControlId++;
    m_pings.insert(id, nowUs());
    writeText(protocol::encode(protocol::PingRequest{id}));
}

} // namespace confab::bench
