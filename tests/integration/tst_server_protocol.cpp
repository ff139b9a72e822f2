// Every request type and every error code the server can produce, against the real
// confab-server binary.
#include "fixtures.h"

#include <QTcpSocket>
#include <QTemporaryFile>

using namespace confab;
using namespace confab::testing;
using namespace Qt::StringLiterals;
using protocol::ErrorCode;

class TestServerProtocol : public ServerTest
{
    Q_OBJECT

private:
    std::optional<protocol::RoomInfo> create(TestClient &c, const QString &room, bool priv = false)
    {
        protocol::CreateRequest r;
        r.id = c.nextId();
        r.room = room;
        r.isPrivate = priv;
        c.sendMessage(r);
        const auto reply = replyAs<protocol::RoomReply>(c, *r.id);
        if (!reply)
            return std::nullopt;
        return reply->room;
    }

    std::optional<protocol::ServerMessage> request(TestClient &c, protocol::ClientMessage m)
    {
        const qint64 id = c.nextId();
        std::visit(
            [id](auto &v) {
                if constexpr (requires { v.id; })
                    v.id = id;
            },
            m);
        c.sendMessage(m);
        return c.waitForReply(id);
    }

    std::optional<protocol::Ack> sendText(TestClient &c, const QString &room, const QString &body,
                                          const QString &cmid)
    {
        const qint64 id = c.nextId();
        c.sendMessage(textMessage(room, body, cmid, id));
        return replyAs<protocol::Ack>(c, id);
    }

private slots:
    void cleanup() { stopServer(); }

    void registerLoginAndTokens()
    {
        startServer();
        TestClient a;
        QVERIFY(a.connectTo(m_server->url()));
        const auto welcome = a.registerUser(u"Alice"_s, u"correct horse"_s);
        QVERIFY(welcome);
        QCOMPARE(welcome->user.user, u"alice"_s); // folded
        QVERIFY(welcome->token.size() >= 22);     // >= 128 bits, base64url
        QVERIFY(!welcome->epoch.isEmpty());
        QCOMPARE(welcome->limits, protocol::Limits{});
        QCOMPARE(welcome->protocol, 1);

        TestClient dup;
        QVERIFY(dup.connectTo(m_server->url()));
        QVERIFY(!dup.registerUser(u"alice"_s, u"another one"_s));
        QCOMPARE(dup.lastError()->code, ErrorCode::Conflict);
        QVERIFY(dup.waitForClose());
        QCOMPARE(dup.closeCode(), 4001);

        TestClient wrong;
        QVERIFY(wrong.connectTo(m_server->url()));
        QVERIFY(!wrong.login(u"alice"_s, u"wrong password"_s));
        QCOMPARE(wrong.lastError()->code, ErrorCode::Unauthenticated);
        QVERIFY(wrong.waitForClose());
        QCOMPARE(wrong.closeCode(), 4001);

        TestClient pw;
        QVERIFY(pw.connectTo(m_server->url()));
        const auto second = pw.login(u"ALICE"_s, u"correct horse"_s);
        QVERIFY(second);
        QVERIFY(second->token != welcome->token);
        QCOMPARE(second->epoch, welcome->epoch);

        TestClient tok;
        QVERIFY(tok.connectTo(m_server->url()));
        const auto resumed = tok.resume(welcome->token);
        QVERIFY(resumed);
        QCOMPARE(resumed->user.user, u"alice"_s);

        TestClient bad;
        QVERIFY(bad.connectTo(m_server->url()));
        QVERIFY(!bad.resume(u"not-a-token"_s));
        QCOMPARE(bad.lastError()->code, ErrorCode::Unauthenticated);
        QVERIFY(bad.waitForClose());
        QCOMPARE(bad.closeCode(), 4001);
    }

    void registrationCanBeDisabled()
    {
        m_store = std::make_unique<TestStore>();
        QVERIFY2(m_store->error().isEmpty(), qPrintable(m_store->error()));
        QByteArray out;
        QCOMPARE(runAdmin(m_store->url(), {u"user"_s, u"add"_s, u"carol"_s, u"--password-stdin"_s},
                          "carol-password\n", &out),
                 0);
        // The harness passes --allow-register; a plain server must refuse it.
        QProcess plain;
        plain.start(ServerProcess::binary(),
                    {u"--db"_s, m_store->url(), u"--listen"_s, u"127.0.0.1:0"_s});
        QVERIFY(plain.waitForStarted());
        QTRY_VERIFY_WITH_TIMEOUT(plain.canReadLine() || plain.waitForReadyRead(100), 20000);
        const QByteArray line = plain.readLine();
        const quint16 port = quint16(line.mid(line.indexOf("port ") + 5).trimmed().toUInt());
        QVERIFY(port != 0);
        TestClient c;
        QVERIFY(c.connectTo(QUrl(u"ws://127.0.0.1:%1"_s.arg(port))));
        QVERIFY(!c.registerUser(u"mallory"_s, u"12345678"_s));
        QCOMPARE(c.lastError()->code, ErrorCode::Forbidden);
        TestClient ok;
        QVERIFY(ok.connectTo(QUrl(u"ws://127.0.0.1:%1"_s.arg(port))));
        QVERIFY(ok.login(u"carol"_s, u"carol-password"_s));
        plain.terminate();
        QVERIFY(plain.waitForFinished(20000));
        QCOMPARE(plain.exitCode(), 0);
    }

    void helloMustComeFirst()
    {
        startServer();
        TestClient c;
        QVERIFY(c.connectTo(m_server->url()));
        for (int i = 0; i < 3; ++i) {
            c.sendMessage(protocol::RoomsRequest{i + 1});
            const auto e = errorReply(c, i + 1);
            QVERIFY(e);
            QCOMPARE(e->code, ErrorCode::Unauthenticated);
        }
        QVERIFY(c.waitForClose());
        QCOMPARE(c.closeCode(), 4001);
    }

    void wrongProtocolVersion()
    {
        startServer();
        TestClient c;
        QVERIFY(c.connectTo(m_server->url()));
        c.sendRaw(R"({"type":"hello","id":1,"protocol":2,"auth":{"method":"token","token":"x"}})");
        QVERIFY(c.waitForClose());
        QCOMPARE(c.closeCode(), 4002);
    }

    void roomsCreateJoinLeaveMembers()
    {
        startServer();
        auto alice = connectUser(*m_server, u"alice"_s);
        auto bob = connectUser(*m_server, u"bob"_s);
        QVERIFY(alice && bob);
        const auto general = create(*alice, u"general"_s);
        QVERIFY(general);
        QCOMPARE(general->members, 1);
        QCOMPARE(general->kind, protocol::RoomKind::Channel);
        QVERIFY(!create(*alice, u"general"_s));
        // (the failed create above left its conflict error in the queue)

        // Before joining, bob sees the public channel as one he is not a member of.
        auto reply = request(*bob, protocol::RoomsRequest{});
        QVERIFY(reply && std::holds_alternative<protocol::RoomsReply>(*reply));
        QCOMPARE(std::get<protocol::RoomsReply>(*reply).rooms.size(), 1);
        QCOMPARE(std::get<protocol::RoomsReply>(*reply).rooms[0].member, false);

        reply = request(*bob, protocol::JoinRequest{{}, u"general"_s});
        QVERIFY(reply && std::holds_alternative<protocol::RoomReply>(*reply));
        QCOMPARE(std::get<protocol::RoomReply>(*reply).room.members, 2);
        const auto join = alice->waitForType<protocol::Event>(10000, [](const protocol::Event &e) {
            return e.kind == protocol::EventKind::Join && e.from == u"bob"_s;
        });
        QVERIFY(join);
        QCOMPARE(join->seq, 2);

        reply = request(*bob, protocol::RoomsRequest{});
        QVERIFY(reply && std::holds_alternative<protocol::RoomsReply>(*reply));
        QCOMPARE(std::get<protocol::RoomsReply>(*reply).rooms.size(), 1);
        QCOMPARE(std::get<protocol::RoomsReply>(*reply).rooms[0].member, true);

        reply = request(*bob, protocol::MembersRequest{{}, u"general"_s});
        QVERIFY(reply && std::holds_alternative<protocol::MembersReply>(*reply));
        const auto members = std::get<protocol::MembersReply>(*reply).members;
        QCOMPARE(members.size(), 2);
        QCOMPARE(members[0].user, u"alice"_s);
        QCOMPARE(members[0].presence, protocol::Presence::Online);

        reply = request(*bob, protocol::JoinRequest{{}, u"nowhere"_s});
        QVERIFY(reply && std::holds_alternative<protocol::Error>(*reply));
        QCOMPARE(std::get<protocol::Error>(*reply).code, ErrorCode::NotFound);

        reply = request(*bob, protocol::LeaveRequest{{}, u"general"_s});
        QVERIFY(reply && std::holds_alternative<protocol::Ok>(*reply));
        QVERIFY(alice->waitForType<protocol::Event>(10000, [](const protocol::Event &e) {
            return e.kind == protocol::EventKind::Leave && e.seq == 3;
        }));
        reply = request(*bob, protocol::LeaveRequest{{}, u"general"_s});
        QVERIFY(reply && std::holds_alternative<protocol::Error>(*reply));
        QCOMPARE(std::get<protocol::Error>(*reply).code, ErrorCode::Forbidden);
        // After leaving, bob gets nothing of the room.
        QVERIFY(bob->waitForType<protocol::Event>(10000, [](const auto &e) { return e.seq == 3; }));
        bob->takeEvents(u"general"_s);
        QVERIFY(sendText(*alice, u"general"_s, u"after bob left"_s, u"m1"_s));
        QVERIFY(!bob->receivesWithin(
            [](const auto &m) { return std::holds_alternative<protocol::Event>(m); }, 300));
    }

    void privateRoomsAndInvites()
    {
        startServer();
        auto alice = connectUser(*m_server, u"alice"_s);
        auto bob = connectUser(*m_server, u"bob"_s);
        QVERIFY(alice && bob);
        QVERIFY(create(*alice, u"ops"_s, true));
        auto reply = request(*bob, protocol::RoomsRequest{});
        QVERIFY(reply && std::get<protocol::RoomsReply>(*reply).rooms.isEmpty());
        reply = request(*bob, protocol::JoinRequest{{}, u"ops"_s});
        QCOMPARE(std::get<protocol::Error>(*reply).code, ErrorCode::Forbidden);
        reply = request(*bob, protocol::InviteRequest{{}, u"ops"_s, u"bob"_s});
        QCOMPARE(std::get<protocol::Error>(*reply).code, ErrorCode::Forbidden);
        reply = request(*alice, protocol::InviteRequest{{}, u"ops"_s, u"nobody"_s});
        QCOMPARE(std::get<protocol::Error>(*reply).code, ErrorCode::NotFound);
        reply = request(*alice, protocol::InviteRequest{{}, u"ops"_s, u"bob"_s});
        QVERIFY(std::holds_alternative<protocol::Ok>(*reply));
        reply = request(*bob, protocol::JoinRequest{{}, u"ops"_s});
        QVERIFY(std::holds_alternative<protocol::RoomReply>(*reply));
        QVERIFY(std::get<protocol::RoomReply>(*reply).room.isPrivate);
        reply = request(*bob, protocol::HistoryRequest{{}, u"ops"_s, {}, {}, 50});
        QCOMPARE(std::get<protocol::HistoryReply>(*reply).events.size(), 2);
    }

    void directMessages()
    {
        startServer();
        auto alice = connectUser(*m_server, u"alice"_s);
        auto bob = connectUser(*m_server, u"bob"_s);
        QVERIFY(alice && bob);
        auto reply = request(*bob, protocol::DmRequest{{}, u"alice"_s});
        QVERIFY(reply && std::holds_alternative<protocol::RoomReply>(*reply));
        const auto room = std::get<protocol::RoomReply>(*reply).room;
        QCOMPARE(room.room, u"dm:alice:bob"_s);
        QCOMPARE(room.kind, protocol::RoomKind::Dm);
        QCOMPARE(room.members, 2);
        QVERIFY(sendText(*alice, u"dm:alice:bob"_s, u"psst"_s, u"d1"_s));
        QVERIFY(bob->waitForType<protocol::Event>(10000, [](const protocol::Event &e) {
            return e.room == u"dm:alice:bob"_s && e.body == u"psst"_s;
        }));
        reply = request(*bob, protocol::DmRequest{{}, u"ghost"_s});
        QCOMPARE(std::get<protocol::Error>(*reply).code, ErrorCode::NotFound);
        auto carol = connectUser(*m_server, u"carol"_s);
        reply = request(*carol, protocol::JoinRequest{{}, u"dm:alice:bob"_s});
        QCOMPARE(std::get<protocol::Error>(*reply).code, ErrorCode::Forbidden);
    }

    void sendEditDeleteReactTopic()
    {
        startServer();
        auto alice = connectUser(*m_server, u"alice"_s);
        auto bob = connectUser(*m_server, u"bob"_s);
        QVERIFY(alice && bob);
        QVERIFY(create(*alice, u"general"_s));
        QVERIFY(request(*bob, protocol::JoinRequest{{}, u"general"_s}));
        const auto ack = sendText(*alice, u"general"_s, u"hello **team**"_s, u"c1"_s);
        QVERIFY(ack);
        QCOMPARE(ack->seq, 3);
        QCOMPARE(ack->clientMsgId, u"c1"_s);
        const auto ev =
            bob->waitForType<protocol::Event>(10000, [](const auto &e) { return e.seq == 3; });
        QVERIFY(ev);
        QCOMPARE(ev->body, u"hello **team**"_s);
        QCOMPARE(ev->from, u"alice"_s);
        QCOMPARE(ev->ts, ack->ts);

        protocol::SendRequest edit;
        edit.room = u"general"_s;
        edit.kind = protocol::EventKind::Edit;
        edit.target = 3;
        edit.body = u"hello team"_s;
        edit.clientMsgId = u"e1"_s;
        auto reply = request(*bob, edit);
        QCOMPARE(std::get<protocol::Error>(*reply).code, ErrorCode::Forbidden);
        reply = request(*alice, edit);
        QCOMPARE(std::get<protocol::Ack>(*reply).seq, 4);

        protocol::SendRequest react;
        react.room = u"general"_s;
        react.kind = protocol::EventKind::React;
        react.target = 3;
        react.emoji = u"👍"_s;
        react.clientMsgId = u"r1"_s;
        QCOMPARE(std::get<protocol::Ack>(*request(*bob, react)).seq, 5);
        react.clientMsgId = u"r2"_s;
        QCOMPARE(std::get<protocol::Ack>(*request(*bob, react)).seq, 6);
        const auto removed =
            alice->waitForType<protocol::Event>(10000, [](const auto &e) { return e.seq == 6; });
        QVERIFY(removed && removed->removed);

        protocol::SendRequest del;
        del.room = u"general"_s;
        del.kind = protocol::EventKind::Delete;
        del.target = 3;
        del.clientMsgId = u"x1"_s;
        QCOMPARE(std::get<protocol::Error>(*request(*bob, del)).code, ErrorCode::Forbidden);
        QCOMPARE(std::get<protocol::Ack>(*request(*alice, del)).seq, 7);
        del.clientMsgId = u"x2"_s;
        QCOMPARE(std::get<protocol::Error>(*request(*alice, del)).code, ErrorCode::NotFound);
        del.target = 999;
        del.clientMsgId = u"x3"_s;
        QCOMPARE(std::get<protocol::Error>(*request(*alice, del)).code, ErrorCode::NotFound);

        protocol::SendRequest topic;
        topic.room = u"general"_s;
        topic.kind = protocol::EventKind::Topic;
        topic.body = u"release week"_s;
        topic.clientMsgId = u"t1"_s;
        QVERIFY(std::holds_alternative<protocol::Ack>(*request(*bob, topic)));
        const auto rooms =
            std::get<protocol::RoomsReply>(*request(*alice, protocol::RoomsRequest{}));
        QCOMPARE(rooms.rooms.value(0).topic, u"release week"_s);

        auto text = textMessage(u"general"_s, u"a reply"_s, u"c2"_s, 0);
        text.replyTo = 3;
        const auto replyAck = std::get<protocol::Ack>(*request(*bob, text));
        const auto replied = alice->waitForType<protocol::Event>(
            10000, [&](const auto &e) { return e.seq == replyAck.seq; });
        QCOMPARE(replied->replyTo, std::optional<qint64>(3));

        auto carol = connectUser(*m_server, u"carol"_s);
        QCOMPARE(std::get<protocol::Error>(
                     *request(*carol, textMessage(u"general"_s, u"x"_s, u"c"_s, 0)))
                     .code,
                 ErrorCode::Forbidden);
        QCOMPARE(
            std::get<protocol::Error>(*request(*carol, textMessage(u"nope"_s, u"x"_s, u"c"_s, 0)))
                .code,
            ErrorCode::NotFound);
    }

    void idempotentSend()
    {
        startServer();
        auto alice = connectUser(*m_server, u"alice"_s);
        auto bob = connectUser(*m_server, u"bob"_s);
        QVERIFY(create(*alice, u"general"_s));
        QVERIFY(request(*bob, protocol::JoinRequest{{}, u"general"_s}));
        const auto first = sendText(*alice, u"general"_s, u"once"_s, u"same-id"_s);
        const auto second = sendText(*alice, u"general"_s, u"once"_s, u"same-id"_s);
        QVERIFY(first && second);
        QCOMPARE(second->seq, first->seq);
        QCOMPARE(second->ts, first->ts);
        QVERIFY(sendText(*alice, u"general"_s, u"next"_s, u"other-id"_s));
        QVERIFY(bob->waitForType<protocol::Event>(
            10000, [](const auto &e) { return e.body == u"next"_s; }));
        // Only one copy of "once" was ever broadcast.
        const auto history = std::get<protocol::HistoryReply>(
            *request(*bob, protocol::HistoryRequest{{}, u"general"_s, {}, {}, 50}));
        int copies = 0;
        for (const auto &e : history.events)
            copies += e.body == u"once"_s;
        QCOMPARE(copies, 1);
    }

    void historyPaging()
    {
        startServer();
        auto alice = connectUser(*m_server, u"alice"_s);
        QVERIFY(create(*alice, u"general"_s)); // seq 1 is the join
        for (int i = 0; i < 30; ++i)
            alice->sendMessage(
                textMessage(u"general"_s, u"m%1"_s.arg(i), u"h%1"_s.arg(i), 1000 + i));
        QVERIFY(replyAs<protocol::Ack>(*alice, 1029));
        auto h = std::get<protocol::HistoryReply>(
            *request(*alice, protocol::HistoryRequest{{}, u"general"_s, {}, {}, 10}));
        QCOMPARE(h.events.size(), 10);
        QCOMPARE(h.events.first().seq, 22);
        QCOMPARE(h.events.last().seq, 31);
        QVERIFY(h.more);
        h = std::get<protocol::HistoryReply>(
            *request(*alice, protocol::HistoryRequest{{}, u"general"_s, 22, {}, 50}));
        QCOMPARE(h.events.size(), 21);
        QCOMPARE(h.events.first().seq, 1);
        QVERIFY(!h.more);
        h = std::get<protocol::HistoryReply>(
            *request(*alice, protocol::HistoryRequest{{}, u"general"_s, {}, 25, 3}));
        QCOMPARE(h.events.size(), 3);
        QCOMPARE(h.events.first().seq, 26);
        QVERIFY(h.more);
        alice->sendRaw(R"({"type":"history","id":77,"room":"general","limit":500})");
        QCOMPARE(errorReply(*alice, 77)->code, ErrorCode::BadRequest);
    }

    void readMarkersSyncAcrossConnections()
    {
        startServer();
        auto phone = connectUser(*m_server, u"alice"_s);
        QVERIFY(create(*phone, u"general"_s));
        QVERIFY(sendText(*phone, u"general"_s, u"hi"_s, u"a"_s));
        auto desk = std::make_unique<TestClient>();
        QVERIFY(desk->connectTo(m_server->url()));
        QVERIFY(desk->login(u"alice"_s, u"alice-password"_s));
        phone->sendMessage(protocol::ReadMarker{u"general"_s, 2});
        const auto forwarded = desk->waitForType<protocol::ReadMarker>();
        QVERIFY(forwarded);
        QCOMPARE(forwarded->seq, 2);
        QVERIFY(!phone->receivesWithin(
            [](const auto &m) { return std::holds_alternative<protocol::ReadMarker>(m); }, 200));
        TestClient later;
        QVERIFY(later.connectTo(m_server->url()));
        const auto w = later.login(u"alice"_s, u"alice-password"_s);
        QVERIFY(w);
        QCOMPARE(w->rooms.value(0).readSeq, 2);
    }

    void typingPresencePing()
    {
        startServer();
        auto alice = connectUser(*m_server, u"alice"_s);
        auto bob = connectUser(*m_server, u"bob"_s);
        QVERIFY(create(*alice, u"general"_s));
        QVERIFY(request(*bob, protocol::JoinRequest{{}, u"general"_s}));
        alice->sendMessage(protocol::TypingRequest{u"general"_s});
        const auto typing = bob->waitForType<protocol::TypingNotice>();
        QVERIFY(typing);
        QCOMPARE(typing->user, u"alice"_s);
        QVERIFY(!alice->receivesWithin(
            [](const auto &m) { return std::holds_alternative<protocol::TypingNotice>(m); }, 200));

        alice->sendMessage(protocol::PresenceRequest{protocol::Presence::Away});
        const auto away = bob->waitForType<protocol::PresenceNotice>(10000, [](const auto &p) {
            return p.user == u"alice"_s && p.state == protocol::Presence::Away;
        });
        QVERIFY(away);

        const auto pong = request(*bob, protocol::PingRequest{});
        QVERIFY(pong && std::holds_alternative<protocol::Pong>(*pong));
        QVERIFY(std::get<protocol::Pong>(*pong).ts > 0);

        alice->socket().close();
        QVERIFY(bob->waitForType<protocol::PresenceNotice>(10000, [](const auto &p) {
            return p.user == u"alice"_s && p.state == protocol::Presence::Offline;
        }));
    }

    void presenceSkipsRoomsOverTheFanoutLimit()
    {
        QTemporaryFile ini;
        QVERIFY(ini.open());
        ini.write("[server]\npresence_fanout_limit = 2\n");
        ini.flush();
        startServer({u"--config"_s, ini.fileName()});
        auto alice = connectUser(*m_server, u"alice"_s);
        auto bob = connectUser(*m_server, u"bob"_s);
        auto carol = connectUser(*m_server, u"carol"_s);
        QVERIFY(create(*alice, u"big"_s));
        QVERIFY(request(*bob, protocol::JoinRequest{{}, u"big"_s}));
        QVERIFY(request(*carol, protocol::JoinRequest{{}, u"big"_s}));
        carol->sendMessage(protocol::PresenceRequest{protocol::Presence::Away});
        auto isAway = [](const protocol::ServerMessage &m) {
            const auto *p = std::get_if<protocol::PresenceNotice>(&m);
            return p && p->user == u"carol"_s && p->state == protocol::Presence::Away;
        };
        QVERIFY(!bob->receivesWithin(isAway, 300)); // three members, over the limit
        const auto members = request(*bob, protocol::MembersRequest{{}, u"big"_s});
        QCOMPARE(std::get<protocol::MembersReply>(*members).members.value(2).presence,
                 protocol::Presence::Away);
        QVERIFY(request(*bob, protocol::DmRequest{{}, u"carol"_s})); // two members: within it
        carol->sendMessage(protocol::PresenceRequest{protocol::Presence::Online});
        carol->sendMessage(protocol::PresenceRequest{protocol::Presence::Away});
        QVERIFY(bob->receivesWithin(isAway, 10000));
    }

    void logoutRevokesToken()
    {
        startServer();
        TestClient c;
        QVERIFY(c.connectTo(m_server->url()));
        const auto w = c.registerUser(u"alice"_s, u"alice-password"_s);
        QVERIFY(w);
        const auto reply = request(c, protocol::LogoutRequest{});
        QVERIFY(reply && std::holds_alternative<protocol::Ok>(*reply));
        QVERIFY(c.waitForClose());
        QCOMPARE(c.closeCode(), 1000);
        TestClient again;
        QVERIFY(again.connectTo(m_server->url()));
        QVERIFY(!again.resume(w->token));
        QCOMPARE(again.lastError()->code, ErrorCode::Unauthenticated);
        QVERIFY(again.waitForClose());
        QCOMPARE(again.closeCode(), 4001);
    }

    void badRequestsKeepTheConnection()
    {
        startServer({u"--max-body-bytes"_s, u"100"_s});
        auto alice = connectUser(*m_server, u"alice"_s);
        QVERIFY(create(*alice, u"general"_s));
        alice->sendRaw("{not json");
        QVERIFY(alice->waitForType<protocol::Error>(
            10000, [](const auto &e) { return e.code == ErrorCode::BadRequest; }));
        alice->sendRaw(R"({"type":"fly","id":5})");
        QCOMPARE(errorReply(*alice, 5)->code, ErrorCode::BadRequest);
        alice->sendRaw(R"({"type":"join","id":6,"room":"Not A Room"})");
        const auto roomError = errorReply(*alice, 6);
        QCOMPARE(roomError->code, ErrorCode::BadRequest);
        QCOMPARE(roomError->field, std::optional<QString>(u"room"_s));
        alice->sendMessage(textMessage(u"general"_s, QString(101, u'x'), u"big"_s, 7));
        QCOMPARE(errorReply(*alice, 7)->code, ErrorCode::TooLarge);
        alice->sendBinary("binary");
        QVERIFY(alice->waitForType<protocol::Error>(
            10000, [](const auto &e) { return !e.id && e.code == ErrorCode::BadRequest; }));
        // Nothing of that was stored and the connection still works.
        const auto ack = sendText(*alice, u"general"_s, u"still here"_s, u"ok1"_s);
        QVERIFY(ack);
        QCOMPARE(ack->seq, 2);
    }

    void tooManyBadRequestsCloses()
    {
        startServer();
        auto alice = connectUser(*m_server, u"alice"_s);
        for (int i = 0; i < 21; ++i)
            alice->sendRaw("[]");
        QVERIFY(alice->waitForClose());
        QCOMPARE(alice->closeCode(), 1008);
    }

    void oversizeFrameCloses()
    {
        startServer();
        auto alice = connectUser(*m_server, u"alice"_s);
        alice->sendRaw(QByteArray(70000, ' ') + "{}");
        QVERIFY(alice->waitForClose());
        QCOMPARE(alice->closeCode(), 1009);
    }

    void rateLimited()
    {
        startServer({u"--rate"_s, u"1"_s, u"--burst"_s, u"3"_s});
        auto alice = connectUser(*m_server, u"alice"_s);
        QVERIFY(create(*alice, u"general"_s));
        for (int i = 0; i < 5; ++i)
            alice->sendMessage(textMessage(u"general"_s, u"flood"_s, u"f%1"_s.arg(i), 100 + i));
        int acks = 0;
        int limited = 0;
        for (int i = 0; i < 5; ++i) {
            const auto m = alice->waitForReply(100 + i);
            QVERIFY(m);
            if (std::holds_alternative<protocol::Ack>(*m))
                ++acks;
            const auto *e = std::get_if<protocol::Error>(&*m);
            if (e && e->code == ErrorCode::RateLimited) {
                ++limited;
                QVERIFY(e->retryAfterMs.value_or(0) > 0);
            }
        }
        QCOMPARE(acks, 3);
        QCOMPARE(limited, 2);
    }

    void httpEndpoints()
    {
        startServer();
        auto get = [this](const QByteArray &path) {
            QTcpSocket s;
            s.connectToHost(QHostAddress::LocalHost, m_server->port());
            if (!s.waitForConnected(5000))
                return QByteArray();
            s.write("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n");
            QByteArray all;
            while (s.waitForReadyRead(5000))
                all += s.readAll();
            return all;
        };
        const QByteArray health = get("/healthz");
        QVERIFY2(health.startsWith("HTTP/1.1 200"), health.constData());
        QVERIFY(health.endsWith("ok"));
        const QByteArray metrics = get("/metrics");
        QVERIFY(metrics.startsWith("HTTP/1.1 200"));
        QVERIFY(metrics.contains("confab_events_total"));
        QVERIFY(metrics.contains("process_cpu_seconds_total"));
        // A scraper tells a restarted server by its start time: a plausible epoch value.
        const qsizetype at = metrics.indexOf("\nprocess_start_time_seconds ");
        QVERIFY(at > 0);
        const double started =
            metrics.mid(at + 28, metrics.indexOf('\n', at + 1) - at - 28).toDouble();
        const double now = QDateTime::currentMSecsSinceEpoch() / 1000.0;
        QVERIFY2(started > now - 3600 && started <= now + 1,
                 qPrintable(QString::number(started, 'f', 2)));
        QVERIFY(get("/nope").startsWith("HTTP/1.1 404"));
    }
};

QTEST_GUILESS_MAIN(TestServerProtocol)
#include "tst_server_protocol.moc"
