// The wire form of the examples in the protocol brief (docs/protocol.md), read field by
// field, and the decoders' handling of unknown and defaulted fields.
#include "protocol/codec.h"

#include <QJsonDocument>
#include <QTest>

using namespace confab::protocol;
using namespace Qt::StringLiterals;

Q_DECLARE_METATYPE(confab::protocol::ClientMessage)
Q_DECLARE_METATYPE(confab::protocol::ServerMessage)

namespace {

Event textEvent(qint64 seq)
{
    Event e;
    e.room = u"general"_s;
    e.seq = seq;
    e.ts = 1763765000123;
    e.from = u"alice"_s;
    e.kind = EventKind::Text;
    e.body = u"hello **team**"_s;
    e.clientMsgId = u"5f0c-1"_s;
    return e;
}

// Parses a literal from the tests; a typo in a literal must fail loudly.
QJsonObject parseLiteral(const QByteArray &json)
{
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &error);
    if (error.error != QJsonParseError::NoError || !doc.isObject())
        qFatal("test literal is not a JSON object: %s", json.constData());
    return doc.object();
}

} // namespace

class TestProtocolWire : public QObject
{
    Q_OBJECT

private slots:
    void clientWireExamples_data();
    void clientWireExamples();
    void serverWireExamples_data();
    void serverWireExamples();
    void helloExampleFields();
    void eventExampleFields();
    void errorExampleFields();
    void unknownFieldsAreIgnored();
    void defaultsOfOptionalFields();
};

// Each example of the brief, verbatim: it decodes to the expected message, and the
// encoder writes exactly that object (key order aside).
void TestProtocolWire::clientWireExamples_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<ClientMessage>("expected");

    QTest::addRow("hello")
        << QByteArray(R"({"type":"hello","id":1,"protocol":1,"client":"confab-desktop/0.3",
 "auth":{"method":"password","user":"alice","password":"..."},
 "since":{"general":120,"dm:alice:bob":7}})")
        << ClientMessage(Hello{.id = 1,
                               .protocol = 1,
                               .client = u"confab-desktop/0.3"_s,
                               .auth = {.method = AuthMethod::Password,
                                        .user = u"alice"_s,
                                        .password = u"..."_s,
                                        .displayName = std::nullopt,
                                        .token = {}},
                               .since = {{u"general"_s, 120}, {u"dm:alice:bob"_s, 7}}});
    QTest::addRow("rooms") << QByteArray(R"({"type":"rooms","id":2})")
                           << ClientMessage(RoomsRequest{.id = 2});
    QTest::addRow("create")
        << QByteArray(R"({"type":"create","id":3,"room":"ops","private":true,"topic":"..."})")
        << ClientMessage(
               CreateRequest{.id = 3, .room = u"ops"_s, .isPrivate = true, .topic = u"..."_s});
    QTest::addRow("join") << QByteArray(R"({"type":"join","id":4,"room":"ops"})")
                          << ClientMessage(JoinRequest{.id = 4, .room = u"ops"_s});
    QTest::addRow("leave") << QByteArray(R"({"type":"leave","id":5,"room":"ops"})")
                           << ClientMessage(LeaveRequest{.id = 5, .room = u"ops"_s});
    QTest::addRow("invite") << QByteArray(R"({"type":"invite","id":6,"room":"ops","user":"bob"})")
                            << ClientMessage(
                                   InviteRequest{.id = 6, .room = u"ops"_s, .user = u"bob"_s});
    QTest::addRow("dm") << QByteArray(R"({"type":"dm","id":7,"user":"bob"})")
                        << ClientMessage(DmRequest{.id = 7, .user = u"bob"_s});
    QTest::addRow("members") << QByteArray(R"({"type":"members","id":8,"room":"ops"})")
                             << ClientMessage(MembersRequest{.id = 8, .room = u"ops"_s});
    QTest::addRow("send")
        << QByteArray(
               R"({"type":"send","id":9,"room":"general","client_msg_id":"5f0c…","kind":"text",
"body":"hello"})")
        << ClientMessage(SendRequest{.id = 9,
                                     .room = u"general"_s,
                                     .clientMsgId = u"5f0c\u2026"_s,
                                     .kind = EventKind::Text,
                                     .body = u"hello"_s,
                                     .replyTo = std::nullopt,
                                     .target = std::nullopt,
                                     .emoji = std::nullopt,
                                     .file = std::nullopt});
    QTest::addRow("history")
        << QByteArray(R"({"type":"history","id":10,"room":"general","before":124,"limit":50})")
        << ClientMessage(HistoryRequest{
               .id = 10, .room = u"general"_s, .before = 124, .after = std::nullopt, .limit = 50});
    QTest::addRow("read") << QByteArray(R"({"type":"read","room":"general","seq":124})")
                          << ClientMessage(ReadMarker{.room = u"general"_s, .seq = 124});
    QTest::addRow("typing") << QByteArray(R"({"type":"typing","room":"general"})")
                            << ClientMessage(TypingRequest{.room = u"general"_s});
    QTest::addRow("presence") << QByteArray(R"({"type":"presence","state":"away"})")
                              << ClientMessage(PresenceRequest{.state = Presence::Away});
    QTest::addRow("ping") << QByteArray(R"({"type":"ping","id":11})")
                          << ClientMessage(PingRequest{.id = 11});
    QTest::addRow("logout") << QByteArray(R"({"type":"logout","id":12})")
                            << ClientMessage(LogoutRequest{.id = 12});
}

void TestProtocolWire::clientWireExamples()
{
    QFETCH(QByteArray, json);
    QFETCH(ClientMessage, expected);

    const ClientDecodeResult decoded = decodeClientMessage(json);
    QVERIFY2(decoded.ok(), qPrintable(decoded.error.message));
    QCOMPARE(encode(*decoded.message), encode(expected));
    QVERIFY(*decoded.message == expected);
    QCOMPARE(toJson(expected), parseLiteral(json));
}

void TestProtocolWire::serverWireExamples_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<ServerMessage>("expected");

    // "…" placeholders for numbers in the brief are replaced by numbers.
    QTest::addRow("welcome")
        << QByteArray(
               R"({"type":"welcome","id":1,"protocol":1,"server":"confab-server/0.3","epoch":"b41f…",
 "user":{"user":"alice","display_name":"Alice"},"token":"<opaque, ≥128 bits>",
 "limits":{"max_body_bytes":16384,"max_frame_bytes":65536,"rate_per_s":20,"burst":50},
 "rooms":[{"room":"general","name":"general","kind":"channel","private":false,
           "topic":"","last_seq":123,"read_seq":120,"members":42}]})")
        << ServerMessage(Welcome{.id = 1,
                                 .protocol = 1,
                                 .server = u"confab-server/0.3"_s,
                                 .epoch = u"b41f\u2026"_s,
                                 .user = {.user = u"alice"_s, .displayName = u"Alice"_s},
                                 .token = u"<opaque, \u2265128 bits>"_s,
                                 .limits = {.maxBodyBytes = 16384,
                                            .maxFrameBytes = 65536,
                                            .ratePerSecond = 20,
                                            .burst = 50},
                                 .rooms = {RoomInfo{.room = u"general"_s,
                                                    .name = u"general"_s,
                                                    .kind = RoomKind::Channel,
                                                    .isPrivate = false,
                                                    .topic = {},
                                                    .lastSeq = 123,
                                                    .readSeq = 120,
                                                    .members = 42}}});
    QTest::addRow("error")
        << QByteArray(
               R"({"type":"error","id":7,"code":"forbidden","message":"not a member of #ops"})")
        << ServerMessage(makeError(ErrorCode::Forbidden, u"not a member of #ops"_s, 7));
    QTest::addRow("synced") << QByteArray(R"({"type":"synced","room":"general","complete":true})")
                            << ServerMessage(Synced{.room = u"general"_s, .complete = true});
    QTest::addRow("rooms") << QByteArray(R"({"type":"rooms","id":2,"rooms":[]})")
                           << ServerMessage(RoomsReply{.id = 2, .rooms = {}});
    // A public channel the user has not joined: the only room object with "member".
    QTest::addRow("rooms, not a member")
        << QByteArray(R"({"type":"rooms","id":3,"rooms":[{"room":"random","name":"random",
 "kind":"channel","private":false,"topic":"","last_seq":7,"read_seq":0,"members":3,
 "member":false}]})")
        << ServerMessage(RoomsReply{.id = 3,
                                    .rooms = {RoomInfo{.room = u"random"_s,
                                                       .name = u"random"_s,
                                                       .kind = RoomKind::Channel,
                                                       .isPrivate = false,
                                                       .topic = {},
                                                       .lastSeq = 7,
                                                       .readSeq = 0,
                                                       .members = 3,
                                                       .member = false}}});
    QTest::addRow("ok") << QByteArray(R"({"type":"ok","id":5})") << ServerMessage(Ok{.id = 5});
    QTest::addRow("members") << QByteArray(R"({"type":"members","id":8,"room":"ops",
  "members":[{"user":"bob","display_name":"Bob","presence":"online"}]})")
                             << ServerMessage(
                                    MembersReply{.id = 8,
                                                 .room = u"ops"_s,
                                                 .members = {{.user = u"bob"_s,
                                                              .displayName = u"Bob"_s,
                                                              .presence = Presence::Online}}});
    Event event = textEvent(124);
    event.clientMsgId = u"5f0c\u2026"_s;
    event.replyTo = 120;
    QTest::addRow("event")
        << QByteArray(
               R"({"type":"event","room":"general","seq":124,"ts":1763765000123,"from":"alice",
 "kind":"text","body":"hello **team**","client_msg_id":"5f0c…","reply_to":120})")
        << ServerMessage(event);
    QTest::addRow("ack")
        << QByteArray(
               R"({"type":"ack","id":9,"room":"general","client_msg_id":"5f0c…","seq":124,"ts":1763765000123})")
        << ServerMessage(Ack{.id = 9,
                             .room = u"general"_s,
                             .clientMsgId = u"5f0c\u2026"_s,
                             .seq = 124,
                             .ts = 1763765000123});
    QTest::addRow("history")
        << QByteArray(R"({"type":"history","id":10,"room":"general","events":[],
"more":true})")
        << ServerMessage(HistoryReply{.id = 10, .room = u"general"_s, .events = {}, .more = true});
    QTest::addRow("read") << QByteArray(R"({"type":"read","room":"general","seq":124})")
                          << ServerMessage(ReadMarker{.room = u"general"_s, .seq = 124});
    QTest::addRow("typing") << QByteArray(R"({"type":"typing","room":"general",
  "user":"alice"})") << ServerMessage(TypingNotice{.room = u"general"_s, .user = u"alice"_s});
    QTest::addRow("presence") << QByteArray(R"({"type":"presence","user":"alice","state":"away"})")
                              << ServerMessage(
                                     PresenceNotice{.user = u"alice"_s, .state = Presence::Away});
    QTest::addRow("pong") << QByteArray(R"({"type":"pong","id":11,"ts":1763765000123})")
                          << ServerMessage(Pong{.id = 11, .ts = 1763765000123});
}

void TestProtocolWire::serverWireExamples()
{
    QFETCH(QByteArray, json);
    QFETCH(ServerMessage, expected);

    const ServerDecodeResult decoded = decodeServerMessage(json);
    QVERIFY2(decoded.ok(), qPrintable(decoded.error.message));
    QCOMPARE(encode(*decoded.message), encode(expected));
    QVERIFY(*decoded.message == expected);
    QCOMPARE(toJson(expected), parseLiteral(json));
}

void TestProtocolWire::helloExampleFields()
{
    const ClientDecodeResult r = decodeClientMessage(
        R"({"type":"hello","id":1,"protocol":1,"client":"confab-desktop/0.3",
 "auth":{"method":"password","user":"alice","password":"..."},
 "since":{"general":120,"dm:alice:bob":7}})");
    QVERIFY2(r.ok(), qPrintable(r.error.message));
    const auto *hello = std::get_if<Hello>(&*r.message);
    QVERIFY(hello);
    QCOMPARE(hello->id, RequestId(1));
    QCOMPARE(hello->protocol, 1);
    QCOMPARE(hello->client, u"confab-desktop/0.3"_s);
    QCOMPARE(hello->auth.method, AuthMethod::Password);
    QCOMPARE(hello->auth.user, u"alice"_s);
    QCOMPARE(hello->auth.password, u"..."_s);
    QVERIFY(!hello->auth.displayName);
    QVERIFY(hello->auth.token.isEmpty());
    QCOMPARE(hello->since.size(), 2);
    QCOMPARE(hello->since.value(u"general"_s), 120);
    QCOMPARE(hello->since.value(u"dm:alice:bob"_s), 7);
}

void TestProtocolWire::eventExampleFields()
{
    const ServerDecodeResult r = decodeServerMessage(
        R"({"type":"event","room":"general","seq":124,"ts":1763765000123,"from":"alice",
 "kind":"text","body":"hello **team**","client_msg_id":"5f0c…","reply_to":120})");
    QVERIFY2(r.ok(), qPrintable(r.error.message));
    const auto *event = std::get_if<Event>(&*r.message);
    QVERIFY(event);
    QCOMPARE(event->room, u"general"_s);
    QCOMPARE(event->seq, 124);
    QCOMPARE(event->ts, Q_INT64_C(1763765000123));
    QCOMPARE(event->from, u"alice"_s);
    QCOMPARE(event->kind, EventKind::Text);
    QCOMPARE(event->body, u"hello **team**"_s);
    QCOMPARE(event->clientMsgId, std::optional<QString>(u"5f0c\u2026"_s));
    QCOMPARE(event->replyTo, std::optional<qint64>(120));
    QVERIFY(!event->target);
    QVERIFY(!event->emoji);
    QVERIFY(!event->removed);
}

void TestProtocolWire::errorExampleFields()
{
    const ServerDecodeResult r = decodeServerMessage(
        R"({"type":"error","id":7,"code":"forbidden","message":"not a member of #ops"})");
    QVERIFY2(r.ok(), qPrintable(r.error.message));
    const auto *error = std::get_if<Error>(&*r.message);
    QVERIFY(error);
    QCOMPARE(error->id, RequestId(7));
    QCOMPARE(error->code, ErrorCode::Forbidden);
    QCOMPARE(error->message, u"not a member of #ops"_s);
    QVERIFY(!error->retryAfterMs);
    QVERIFY(!error->field);

    const ServerDecodeResult limited = decodeServerMessage(
        R"({"type":"error","id":9,"code":"rate_limited","message":"slow down","retry_after_ms":250})");
    QVERIFY2(limited.ok(), qPrintable(limited.error.message));
    const auto *le = std::get_if<Error>(&*limited.message);
    QVERIFY(le);
    QCOMPARE(le->code, ErrorCode::RateLimited);
    QCOMPARE(le->retryAfterMs, std::optional<qint64>(250));
}

// Forward compatibility: fields a decoder does not know are ignored, not rejected.
void TestProtocolWire::unknownFieldsAreIgnored()
{
    const ClientDecodeResult c = decodeClientMessage(
        R"({"type":"join","id":4,"room":"ops","x-future":{"a":[1,2]},"flag":true})");
    QVERIFY2(c.ok(), qPrintable(c.error.message));
    QVERIFY(*c.message == ClientMessage(JoinRequest{.id = 4, .room = u"ops"_s}));

    const ServerDecodeResult s =
        decodeServerMessage(R"({"type":"pong","id":11,"ts":5,"server_load":0.5})");
    QVERIFY2(s.ok(), qPrintable(s.error.message));
    QVERIFY(*s.message == ServerMessage(Pong{.id = 11, .ts = 5}));
}

void TestProtocolWire::defaultsOfOptionalFields()
{
    // send: kind defaults to text.
    const ClientDecodeResult send =
        decodeClientMessage(R"({"type":"send","room":"general","client_msg_id":"m1","body":"hi"})");
    QVERIFY2(send.ok(), qPrintable(send.error.message));
    const auto *s = std::get_if<SendRequest>(&*send.message);
    QVERIFY(s);
    QCOMPARE(s->kind, EventKind::Text);
    QVERIFY(!s->id);

    // history: limit defaults to 50, neither bound given means the latest events.
    const ClientDecodeResult history = decodeClientMessage(R"({"type":"history","room":"ops"})");
    QVERIFY2(history.ok(), qPrintable(history.error.message));
    const auto *h = std::get_if<HistoryRequest>(&*history.message);
    QVERIFY(h);
    QCOMPARE(h->limit, 50);
    QVERIFY(!h->before);
    QVERIFY(!h->after);

    // create: public, no topic; hello: protocol 1, no since.
    const ClientDecodeResult create = decodeClientMessage(R"({"type":"create","room":"ops"})");
    QVERIFY2(create.ok(), qPrintable(create.error.message));
    QVERIFY(*create.message == ClientMessage(CreateRequest{
                                   .id = {}, .room = u"ops"_s, .isPrivate = false, .topic = {}}));
    const ClientDecodeResult hello =
        decodeClientMessage(R"({"type":"hello","auth":{"method":"token","token":"t"}})");
    QVERIFY2(hello.ok(), qPrintable(hello.error.message));
    const auto *he = std::get_if<Hello>(&*hello.message);
    QVERIFY(he);
    QCOMPARE(he->protocol, kProtocolVersion);
    QVERIFY(he->since.isEmpty());

    // synced: complete defaults to true; a null field counts as absent.
    const ServerDecodeResult synced =
        decodeServerMessage(R"({"type":"synced","room":"general","complete":null})");
    QVERIFY2(synced.ok(), qPrintable(synced.error.message));
    QVERIFY(*synced.message == ServerMessage(Synced{.room = u"general"_s, .complete = true}));
}

QTEST_GUILESS_MAIN(TestProtocolWire)
#include "tst_protocol_wire.moc"
