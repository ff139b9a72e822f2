#include "faultserver.h"

#include "protocol/codec.h"

#include <QDateTime>
#include <QTcpSocket>
#include <QTimer>
#include <QUuid>
#include <optional>

namespace confab::bench::testing {

using namespace Qt::StringLiterals;
using protocol::ErrorCode;

struct FaultServer::Connection
{
    std::unique_ptr<QTcpSocket> socket;
    bool upgraded = false;
    QByteArray head;
    wire::FrameParser parser{wire::FrameParser::Role::Server, 1 << 20};
    QString user;                   // empty until hello succeeded
    std::optional<QByteArray> held; // the swapped event, sent after the next one
};

FaultServer::FaultServer(Faults faults)
    : m_faults(std::move(faults))
{
    QObject::connect(&m_server, &QTcpServer::newConnection, this, [this] { accept(); });
}

FaultServer::~FaultServer() = default;

bool FaultServer::listen(QString *error)
{
    if (!m_server.listen(QHostAddress::LocalHost, 0)) {
        *error = m_server.errorString();
        return false;
    }
    return true;
}

QUrl FaultServer::url() const
{
    QUrl url;
    url.setScheme(u"ws"_s);
    url.setHost(u"127.0.0.1"_s);
    url.setPort(m_server.serverPort());
    url.setPath(u"/"_s);
    return url;
}

void FaultServer::accept()
{
    while (QTcpSocket *socket = m_server.nextPendingConnection()) {
        auto c = std::make_unique<Connection>();
        socket->setParent(nullptr);
        c->socket.reset(socket);
        Connection *raw = c.get();
        QObject::connect(socket, &QTcpSocket::readyRead, this, [this, raw] { readable(raw); });
        // Queued: a connection is never deleted under its own readable().
        QObject::connect(
            socket, &QTcpSocket::disconnected, this, [this, raw] { forget(raw); },
            Qt::QueuedConnection);
        m_connections.push_back(std::move(c));
    }
}

void FaultServer::forget(Connection *c)
{
    for (auto it = m_connections.begin(); it != m_connections.end(); ++it) {
        if (it->get() == c) {
            c->socket.release()->deleteLater();
            m_connections.erase(it);
            return;
        }
    }
}

bool FaultServer::upgrade(Connection *c)
{
    c->head += c->socket->readAll();
    wire::HttpRequest request;
    const qsizetype length = wire::parseHttpRequest(c->head, &request);
    if (length == 0)
        return false;
    if (length < 0 || !request.isWebSocketUpgrade()) {
        // /metrics and the rest: nothing here (the harness then reports no server figures).
        c->socket->write(wire::httpResponse(404, "Not Found", "text/plain", "no\n"));
        c->socket->disconnectFromHost();
        return false;
    }
    QByteArray response = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                          "Connection: Upgrade\r\nSec-WebSocket-Accept: " +
                          wire::acceptKey(request.header("sec-websocket-key")) + "\r\n";
    if (!request.header("sec-websocket-protocol").isEmpty())
        response += QByteArray("Sec-WebSocket-Protocol: ") + protocol::kSubprotocol + "\r\n";
    c->socket->write(response + "\r\n");
    c->upgraded = true;
    c->parser.feed(QByteArrayView(c->head).sliced(length));
    c->head.clear();
    return true;
}

void FaultServer::readable(Connection *c)
{
    if (!c->upgraded) {
        if (!upgrade(c))
            return;
    } else {
        c->parser.feed(c->socket->readAll());
    }
    while (auto message = c->parser.next()) {
        if (message->opcode == wire::Opcode::Close) {
            closeConnection(c, message->closeCode == 1005 ? 1000 : message->closeCode);
            return;
        }
        if (message->opcode == wire::Opcode::Text) {
            m_faults.raw ? handleRaw(c, message->payload) : handleText(c, message->payload);
        }
    }
}

void FaultServer::closeConnection(Connection *c, quint16 code)
{
    write(c, wire::makeCloseFrame(code, {}));
    c->socket->disconnectFromHost();
}

void FaultServer::handleRaw(Connection *from, const QByteArray &payload)
{
    const int ordinal = ++m_textEvents;
    for (const auto &c : m_connections) {
        if (!m_rawVictim && c->upgraded && c.get() != from)
            m_rawVictim = c.get();
    }
    const QByteArray frame = wire::makeFrame(wire::Opcode::Text, payload);
    for (const auto &c : m_connections) {
        if (c->upgraded)
            deliver(c.get(), frame, c.get() == m_rawVictim ? ordinal : 0);
    }
}

void FaultServer::write(Connection *c, const QByteArray &frame)
{
    if (c->socket->state() == QAbstractSocket::ConnectedState)
        c->socket->write(frame);
}

// Writes a frame to one connection; a non-zero ordinal means it may be hurt.
void FaultServer::deliver(Connection *to, const QByteArray &frame, int ordinal)
{
    if (ordinal == 0) {
        write(to, frame);
        return;
    }
    if (ordinal == m_faults.dropText)
        return;
    if (ordinal == m_faults.resetText) {
        // Later: the caller is walking m_connections, which the disconnect changes.
        QTcpSocket *socket = to->socket.get();
        QTimer::singleShot(0, socket, [socket] { socket->abort(); });
        return;
    }
    if (ordinal == m_faults.swapText) {
        to->held = frame;
        return;
    }
    write(to, frame);
    if (ordinal == m_faults.duplicateText)
        write(to, frame);
    if (to->held && ordinal == m_faults.swapText + 1) {
        write(to, *to->held);
        to->held.reset();
    }
}

void FaultServer::reply(Connection *c, const protocol::ServerMessage &m)
{
    write(c, wire::makeFrame(wire::Opcode::Text, protocol::encode(m)));
}

void FaultServer::fail(Connection *c, ErrorCode code, protocol::RequestId id, bool close)
{
    reply(c, protocol::makeError(code, u"fault server says no"_s, id));
    if (close)
        closeConnection(c, quint16(protocol::CloseCode::AuthFailed));
}

void FaultServer::handleText(Connection *c, const QByteArray &payload)
{
    const auto decoded = protocol::decodeClientMessage(payload);
    if (!decoded.ok())
        return fail(c, ErrorCode::BadRequest, decoded.error.id);
    const protocol::ClientMessage &m = *decoded.message;
    if (const auto *hello = std::get_if<protocol::Hello>(&m))
        return onHello(c, *hello);
    if (c->user.isEmpty())
        return fail(c, ErrorCode::Unauthenticated, std::nullopt, true);
    if (const auto *create = std::get_if<protocol::CreateRequest>(&m))
        return onCreateOrJoin(c, create->room, create->id, true);
    if (const auto *join = std::get_if<protocol::JoinRequest>(&m))
        return onCreateOrJoin(c, join->room, join->id, false);
    if (const auto *send = std::get_if<protocol::SendRequest>(&m))
        return onSend(c, *send);
    if (const auto *ping = std::get_if<protocol::PingRequest>(&m))
        return reply(c, protocol::Pong{ping->id, QDateTime::currentMSecsSinceEpoch()});
    fail(c, ErrorCode::BadRequest, std::nullopt);
}

void FaultServer::onHello(Connection *c, const protocol::Hello &hello)
{
    const protocol::Auth &auth = hello.auth;
    QString user;
    switch (auth.method) {
    case protocol::AuthMethod::Register:
        if (m_passwords.contains(auth.user))
            return fail(c, ErrorCode::Conflict, hello.id, true);
        m_passwords.insert(auth.user, auth.password);
        user = auth.user;
        break;
    case protocol::AuthMethod::Password:
        if (m_passwords.value(auth.user) != auth.password || auth.password.isEmpty())
            return fail(c, ErrorCode::Unauthenticated, hello.id, true);
        user = auth.user;
        break;
    case protocol::AuthMethod::Token:
        user = m_tokens.value(auth.token);
        if (user.isEmpty())
            return fail(c, ErrorCode::Unauthenticated, hello.id, true);
        break;
    }
    c->user = user;
    protocol::Welcome welcome;
    welcome.id = hello.id;
    welcome.server = u"confab-faultserver"_s;
    welcome.epoch = u"fault"_s;
    welcome.user = {user, user};
    welcome.token = auth.method == protocol::AuthMethod::Token
                        ? auth.token
                        : QUuid::createUuid().toString(QUuid::Id128);
    m_tokens.insert(welcome.token, user);
    for (const Room &room : std::as_const(m_rooms)) {
        if (room.members.contains(user))
            welcome.rooms.append(info(room));
    }
    reply(c, welcome);
    // Replay what the client missed, then say so, room by room.
    for (auto it = hello.since.cbegin(); it != hello.since.cend(); ++it) {
        const auto room = m_rooms.constFind(it.key());
        if (room == m_rooms.cend() || !room->members.contains(user))
            continue;
        for (qint64 seq = it.value() + 1; seq <= qint64(room->events.size()); ++seq)
            write(c, room->events[size_t(seq - 1)]);
        reply(c, protocol::Synced{room->id, true});
    }
}

protocol::RoomInfo FaultServer::info(const Room &room) const
{
    protocol::RoomInfo i;
    i.room = room.id;
    i.name = room.id;
    i.lastSeq = qint64(room.events.size());
    i.members = int(room.members.size());
    return i;
}

void FaultServer::onCreateOrJoin(Connection *c, const QString &roomId, protocol::RequestId id,
                                 bool create)
{
    auto it = m_rooms.find(roomId);
    if (create && it != m_rooms.end())
        return fail(c, ErrorCode::Conflict, id);
    if (!create && it == m_rooms.end())
        return fail(c, ErrorCode::NotFound, id);
    if (create)
        it = m_rooms.insert(roomId, Room{roomId, {}, {}, 0});
    if (!it->members.contains(c->user)) {
        it->members.insert(c->user);
        protocol::Event join;
        join.room = roomId;
        join.from = c->user;
        join.kind = protocol::EventKind::Join;
        append(*it, join);
    }
    reply(c, protocol::RoomReply{id, info(*it)});
}

void FaultServer::onSend(Connection *c, const protocol::SendRequest &send)
{
    auto it = m_rooms.find(send.room);
    if (it == m_rooms.end() || !it->members.contains(c->user))
        return fail(c, ErrorCode::Forbidden, send.id);
    const QString key = c->user + u'\x1f' + send.clientMsgId;
    qint64 seq = m_sent.value(key, 0);
    if (seq == 0) {
        protocol::Event e;
        e.room = send.room;
        e.from = c->user;
        e.kind = protocol::EventKind::Text;
        e.body = send.body;
        e.clientMsgId = send.clientMsgId;
        seq = append(*it, e);
        m_sent.insert(key, seq);
    }
    if (++m_sends == m_faults.withholdAck)
        return;
    reply(c, protocol::Ack{send.id, send.room, send.clientMsgId, seq,
                           QDateTime::currentMSecsSinceEpoch()});
}

// Assigns the next seq, stores the frame for replays and broadcasts it to the members.
qint64 FaultServer::append(Room &room, protocol::Event event)
{
    event.seq = qint64(room.events.size()) + 1;
    event.ts = QDateTime::currentMSecsSinceEpoch();
    const bool text = event.kind == protocol::EventKind::Text;
    const int ordinal = text ? ++room.texts : 0;
    if (text)
        ++m_textEvents;
    const QByteArray frame = wire::makeFrame(wire::Opcode::Text, protocol::encode(event));
    room.events.push_back(frame);
    for (const auto &c : m_connections) {
        if (!c->user.isEmpty() && room.members.contains(c->user))
            deliver(c.get(), frame, c->user == m_faults.victim ? ordinal : 0);
    }
    return event.seq;
}

} // namespace confab::bench::testing
