// Round trips of every protocol message through encode() and the decoders. The wire
// form of the brief's examples is checked in tst_protocol_wire.
#include "protocol/codec.h"

#include <QJsonDocument>
#include <QTest>
#include <limits>

using namespace confab::protocol;
using namespace Qt::StringLiterals;

Q_DECLARE_METATYPE(confab::protocol::ClientMessage)
Q_DECLARE_METATYPE(confab::protocol::ServerMessage)
Q_DECLARE_METATYPE(confab::protocol::Event)
Q_DECLARE_METATYPE(confab::protocol::Ack)

namespace {

QString bytesOfX(int n)
{
    return QString(n, u'x');
}

RoomInfo generalRoom()
{
    return RoomInfo{.room = u"general"_s,
                    .name = u"general"_s,
                    .kind = RoomKind::Channel,
                    .isPrivate = false,
                    .topic = u"all hands"_s,
                    .lastSeq = 123,
                    .readSeq = 120,
                    .members = 42};
}

RoomInfo dmRoom()
{
    return RoomInfo{.room = u"dm:alice:bob"_s,
                    .name = u"Bob"_s,
                    .kind = RoomKind::Dm,
                    .isPrivate = true,
                    .topic = {},
                    .lastSeq = 7,
                    .readSeq = 7,
                    .members = 2};
}

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

FileInfo imageFile()
{
    return FileInfo{.id = u"0123456789abcdef0123456789abcdef"_s,
                    .name = u"shot 📷.png"_s,
                    .size = 48213,
                    .mime = u"image/png"_s,
                    .width = 1280,
                    .height = 800,
                    .thumb = u"fedcba9876543210fedcba9876543210"_s};
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

class TestProtocolRoundtrip : public QObject
{
    Q_OBJECT

private slots:
    void clientRoundTrip_data();
    void clientRoundTrip();
    void serverRoundTrip_data();
    void serverRoundTrip();
    void directEventEncoding_data();
    void directEventEncoding();
    void directAckEncoding_data();
    void directAckEncoding();
};

namespace {
// Text that exercises every branch of the direct string writer.
QList<std::pair<const char *, QString>> awkwardTexts()
{
    QString controls;
    for (char16_t c = 0; c < 0x20; ++c)
        controls.append(QChar(c));
    return {
        {"empty", QString()},
        {"ascii", u"plain words, digits 0123 and / slashes"_s},
        {"quotes and backslashes", u"say \"hi\" \\ C:\\path\\"_s},
        {"every control character", controls + u"\u007f"_s},
        {"latin-1 and two-byte", u"caf\u00e9 \u00d8re \u0416\u05d0"_s},
        {"three-byte", u"\u65e5\u672c\u8a9e \u2028\u2029 \uffff \ufeff"_s},
        {"surrogate pairs", u"\U0001F44D\U0001F3F3\uFE0F\u200D\U0001F308 end"_s},
        {"lone high surrogate", QString(QChar(0xd83d)) + u"x"_s},
        {"lone low surrogate", u"x"_s + QString(QChar(0xdc4d))},
        {"high surrogate at the end", u"x"_s + QString(QChar(0xd83d))},
        {"long", QString(5000, u'a') + u"\u00e9\n"_s},
    };
}
} // namespace

void TestProtocolRoundtrip::directEventEncoding_data()
{
    QTest::addColumn<Event>("event");
    Event base = textEvent(124);
    for (const auto &[name, text] : awkwardTexts()) {
        Event e = base;
        e.body = text;
        QTest::addRow("body/%s", name) << e;
        e.body = u"b"_s;
        e.from = text;
        e.room = text;
        e.clientMsgId = text;
        QTest::addRow("names/%s", name) << e;
    }
    Event bare = base;
    bare.clientMsgId.reset();
    bare.body.clear();
    QTest::addRow("no body, no client_msg_id") << bare;
    Event reply = base;
    reply.replyTo = 0;
    QTest::addRow("reply_to 0") << reply;
    Event react = base;
    react.kind = EventKind::React;
    react.body.clear();
    react.target = 123;
    react.emoji = u"\U0001F44D"_s;
    react.removed = true;
    QTest::addRow("react removed") << react;
    Event topic = base;
    topic.kind = EventKind::Topic;
    topic.body.clear();
    QTest::addRow("topic cleared") << topic;
    Event file = base;
    file.kind = EventKind::File;
    file.file = imageFile();
    QTest::addRow("file image") << file;
    file.file->width.reset();
    file.file->height.reset();
    file.file->thumb.reset();
    file.file->name = awkwardTexts().at(3).second;
    QTest::addRow("file without preview, awkward name") << file;
    for (const EventKind kind :
         {EventKind::Edit, EventKind::Delete, EventKind::Join, EventKind::Leave}) {
        Event e = base;
        e.kind = kind;
        e.target = 7;
        QTest::addRow("kind %s", qPrintable(eventKindName(kind))) << e;
    }
    Event numbers = base;
    numbers.seq = kMaxSafeInteger;
    numbers.ts = -1;
    numbers.replyTo = std::numeric_limits<qint64>::min() / 2;
    numbers.target = 9;
    QTest::addRow("extreme numbers") << numbers;
}

void TestProtocolRoundtrip::directEventEncoding()
{
    QFETCH(Event, event);
    const QByteArray direct = encode(event);
    QCOMPARE(direct, toFrame(toJson(event)));
    // And it reads back as the same event wherever the decoder accepts the text.
    const ServerDecodeResult decoded = decodeServerMessage(direct);
    if (decoded.ok())
        QVERIFY(*decoded.message == ServerMessage(event));
}

void TestProtocolRoundtrip::directAckEncoding_data()
{
    QTest::addColumn<Ack>("ack");
    for (const auto &[name, text] : awkwardTexts()) {
        QTest::addRow("%s", name) << Ack{
            .id = 9, .room = text, .clientMsgId = text, .seq = 124, .ts = 1763765000123};
    }
    QTest::addRow("no id") << Ack{
        .id = std::nullopt, .room = u"general"_s, .clientMsgId = u"5f0c-1"_s, .seq = 1, .ts = 0};
    QTest::addRow("negative id, max seq") << Ack{.id = -42,
                                                 .room = u"general"_s,
                                                 .clientMsgId = u"m"_s,
                                                 .seq = kMaxSafeInteger,
                                                 .ts = kMaxSafeInteger};
}

void TestProtocolRoundtrip::directAckEncoding()
{
    QFETCH(Ack, ack);
    const QByteArray direct = encode(ack);
    QCOMPARE(direct, toFrame(toJson(ack)));
    const ServerDecodeResult decoded = decodeServerMessage(direct);
    if (decoded.ok())
        QVERIFY(*decoded.message == ServerMessage(ack));
}

void TestProtocolRoundtrip::clientRoundTrip_data()
{
    QTest::addColumn<ClientMessage>("message");
    QTest::addColumn<QString>("type");

    const Auth password{.method = AuthMethod::Password,
                        .user = u"alice"_s,
                        .password = u"correct horse"_s,
                        .displayName = std::nullopt,
                        .token = {}};
    const Auth registerPlain{.method = AuthMethod::Register,
                             .user = u"bob.smith"_s,
                             .password = u"12345678"_s,
                             .displayName = std::nullopt,
                             .token = {}};
    Auth registerNamed = registerPlain;
    registerNamed.displayName = u"Bob Smith \u00c4 \U0001F680"_s;
    const Auth token{.method = AuthMethod::Token,
                     .user = {},
                     .password = {},
                     .displayName = std::nullopt,
                     .token = u"dG9rZW4tMTI4LWJpdHMtb3ItbW9yZQ"_s};
    const QMap<QString, qint64> since{{u"general"_s, 120}, {u"dm:alice:bob"_s, 7}, {u"ops"_s, 0}};

    QTest::addRow("hello/password") << ClientMessage(Hello{.id = 1,
                                                           .protocol = 1,
                                                           .client = u"confab-desktop/0.3"_s,
                                                           .auth = password,
                                                           .since = {}})
                                    << u"hello"_s;
    QTest::addRow("hello/password+since") << ClientMessage(Hello{.id = 1,
                                                                 .protocol = 1,
                                                                 .client = u"confab-desktop/0.3"_s,
                                                                 .auth = password,
                                                                 .since = since})
                                          << u"hello"_s;
    QTest::addRow("hello/register")
        << ClientMessage(Hello{
               .id = 2, .protocol = 1, .client = u"cli"_s, .auth = registerPlain, .since = {}})
        << u"hello"_s;
    QTest::addRow("hello/register+display_name")
        << ClientMessage(Hello{
               .id = 2, .protocol = 1, .client = u"cli"_s, .auth = registerNamed, .since = {}})
        << u"hello"_s;
    QTest::addRow("hello/token+since")
        << ClientMessage(Hello{
               .id = 3, .protocol = 1, .client = u"confab-bench"_s, .auth = token, .since = since})
        << u"hello"_s;
    QTest::addRow("hello/no id, no client")
        << ClientMessage(
               Hello{.id = std::nullopt, .protocol = 1, .client = {}, .auth = token, .since = {}})
        << u"hello"_s;

    QTest::addRow("rooms") << ClientMessage(RoomsRequest{.id = 2}) << u"rooms"_s;
    QTest::addRow("rooms/no id") << ClientMessage(RoomsRequest{}) << u"rooms"_s;
    QTest::addRow("create/public")
        << ClientMessage(CreateRequest{.id = 3, .room = u"ops"_s, .isPrivate = false, .topic = {}})
        << u"create"_s;
    QTest::addRow("create/private+topic")
        << ClientMessage(CreateRequest{.id = 3,
                                       .room = u"ops-2_x"_s,
                                       .isPrivate = true,
                                       .topic = u"on call \u2615\nrota"_s})
        << u"create"_s;
    QTest::addRow("join") << ClientMessage(JoinRequest{.id = 4, .room = u"ops"_s}) << u"join"_s;
    QTest::addRow("join/dm") << ClientMessage(JoinRequest{.id = 4, .room = u"dm:alice:bob"_s})
                             << u"join"_s;
    QTest::addRow("leave") << ClientMessage(LeaveRequest{.id = 5, .room = u"ops"_s}) << u"leave"_s;
    QTest::addRow("invite") << ClientMessage(
                                   InviteRequest{.id = 6, .room = u"ops"_s, .user = u"bob"_s})
                            << u"invite"_s;
    QTest::addRow("dm") << ClientMessage(DmRequest{.id = 7, .user = u"bob"_s}) << u"dm"_s;
    QTest::addRow("members") << ClientMessage(MembersRequest{.id = 8, .room = u"ops"_s})
                             << u"members"_s;

    SendRequest text{.id = 9,
                     .room = u"general"_s,
                     .clientMsgId = u"5f0c-1"_s,
                     .kind = EventKind::Text,
                     .body = u"hello **team** \U0001F44B"_s,
                     .replyTo = std::nullopt,
                     .target = std::nullopt,
                     .emoji = std::nullopt,
                     .file = std::nullopt};
    QTest::addRow("send/text") << ClientMessage(text) << u"send"_s;
    SendRequest file = text;
    file.kind = EventKind::File;
    file.body.clear();
    file.file = FileInfo{};
    file.file->id = QString(32, u'a');
    QTest::addRow("send/file") << ClientMessage(file) << u"send"_s;
    file.body = u"the caption"_s;
    file.replyTo = 3;
    QTest::addRow("send/file+caption+reply_to") << ClientMessage(file) << u"send"_s;
    SendRequest reply = text;
    reply.replyTo = 120;
    reply.id.reset();
    QTest::addRow("send/text+reply_to, no id") << ClientMessage(reply) << u"send"_s;
    SendRequest maxBody = text;
    maxBody.body = bytesOfX(Limits{}.maxBodyBytes);
    maxBody.clientMsgId = QString(kMaxClientMsgIdChars, u'c');
    QTest::addRow("send/text at max body and id length") << ClientMessage(maxBody) << u"send"_s;
    SendRequest dmText = text;
    dmText.room = u"dm:alice:bob"_s;
    QTest::addRow("send/text to dm") << ClientMessage(dmText) << u"send"_s;

    SendRequest edit = text;
    edit.kind = EventKind::Edit;
    edit.target = 124;
    edit.body = u"hello **everyone**"_s;
    QTest::addRow("send/edit") << ClientMessage(edit) << u"send"_s;
    SendRequest del = text;
    del.kind = EventKind::Delete;
    del.target = 124;
    del.body.clear();
    QTest::addRow("send/delete") << ClientMessage(del) << u"send"_s;
    SendRequest react = del;
    react.kind = EventKind::React;
    react.emoji = u"\U0001F44D"_s;
    QTest::addRow("send/react") << ClientMessage(react) << u"send"_s;
    SendRequest reactMax = react;
    reactMax.emoji = QString(kMaxEmojiBytes, u'+');
    QTest::addRow("send/react at max emoji") << ClientMessage(reactMax) << u"send"_s;
    SendRequest topic = del;
    topic.kind = EventKind::Topic;
    topic.target.reset();
    topic.body = u"release week"_s;
    QTest::addRow("send/topic") << ClientMessage(topic) << u"send"_s;
    SendRequest clearTopic = topic;
    clearTopic.body.clear();
    QTest::addRow("send/topic cleared") << ClientMessage(clearTopic) << u"send"_s;

    QTest::addRow("history/latest") << ClientMessage(HistoryRequest{.id = 10,
                                                                    .room = u"general"_s,
                                                                    .before = std::nullopt,
                                                                    .after = std::nullopt,
                                                                    .limit = 50})
                                    << u"history"_s;
    QTest::addRow("history/before")
        << ClientMessage(HistoryRequest{
               .id = 10, .room = u"general"_s, .before = 124, .after = std::nullopt, .limit = 50})
        << u"history"_s;
    QTest::addRow("history/after 0, max limit")
        << ClientMessage(HistoryRequest{
               .id = 10, .room = u"general"_s, .before = std::nullopt, .after = 0, .limit = 200})
        << u"history"_s;
    QTest::addRow("history/after, limit 1")
        << ClientMessage(HistoryRequest{
               .id = 10, .room = u"dm:alice:bob"_s, .before = std::nullopt, .after = 9, .limit = 1})
        << u"history"_s;
    QTest::addRow("read") << ClientMessage(ReadMarker{.room = u"general"_s, .seq = 124})
                          << u"read"_s;
    QTest::addRow("read/seq 0") << ClientMessage(ReadMarker{.room = u"general"_s, .seq = 0})
                                << u"read"_s;
    QTest::addRow("read/max seq") << ClientMessage(
                                         ReadMarker{.room = u"general"_s, .seq = kMaxSafeInteger})
                                  << u"read"_s;
    QTest::addRow("typing") << ClientMessage(TypingRequest{.room = u"general"_s}) << u"typing"_s;
    QTest::addRow("presence/online")
        << ClientMessage(PresenceRequest{.state = Presence::Online}) << u"presence"_s;
    QTest::addRow("presence/away")
        << ClientMessage(PresenceRequest{.state = Presence::Away}) << u"presence"_s;
    QTest::addRow("ping") << ClientMessage(PingRequest{.id = 11}) << u"ping"_s;
    QTest::addRow("ping/id 0") << ClientMessage(PingRequest{.id = 0}) << u"ping"_s;
    QTest::addRow("ping/negative id") << ClientMessage(PingRequest{.id = -5}) << u"ping"_s;
    QTest::addRow("ping/max id") << ClientMessage(PingRequest{.id = kMaxSafeInteger}) << u"ping"_s;
    QTest::addRow("logout") << ClientMessage(LogoutRequest{.id = 12}) << u"logout"_s;
}

void TestProtocolRoundtrip::clientRoundTrip()
{
    QFETCH(ClientMessage, message);
    QFETCH(QString, type);

    const QByteArray frame = encode(message);
    QCOMPARE(messageType(message), type);
    QCOMPARE(parseLiteral(frame).value("type"_L1).toString(), type);

    const ClientDecodeResult decoded = decodeClientMessage(frame);
    QVERIFY2(decoded.ok(),
             qPrintable(decoded.error.message + u" in "_s + QString::fromUtf8(frame)));
    QCOMPARE(decoded.message->index(), message.index());
    // The byte comparison shows which field differs; the struct comparison is the point.
    QCOMPARE(encode(*decoded.message), frame);
    QVERIFY(*decoded.message == message);
}

void TestProtocolRoundtrip::serverRoundTrip_data()
{
    QTest::addColumn<ServerMessage>("message");
    QTest::addColumn<QString>("type");

    const Welcome welcome{.id = 1,
                          .protocol = 1,
                          .server = u"confab-server/0.3"_s,
                          .epoch = u"b41f9c"_s,
                          .user = UserInfo{.user = u"alice"_s, .displayName = u"Alice"_s},
                          .token = u"dG9rZW4tMTI4LWJpdHMtb3ItbW9yZQ"_s,
                          .limits = Limits{},
                          .rooms = {generalRoom(), dmRoom()}};
    QTest::addRow("welcome") << ServerMessage(welcome) << u"welcome"_s;
    Welcome bare = welcome;
    bare.id.reset();
    bare.rooms.clear();
    bare.user.displayName.clear();
    bare.limits =
        Limits{.maxBodyBytes = 100, .maxFrameBytes = 1000, .ratePerSecond = 0, .burst = 1};
    QTest::addRow("welcome/no rooms, custom limits") << ServerMessage(bare) << u"welcome"_s;

    for (int c = int(ErrorCode::BadRequest); c <= int(ErrorCode::Internal); ++c) {
        const auto code = ErrorCode(c);
        QTest::addRow("error/%s", qPrintable(errorCodeName(code)))
            << ServerMessage(makeError(code, u"something about "_s + errorCodeName(code), 7))
            << u"error"_s;
    }
    Error limited = makeError(ErrorCode::RateLimited, u"slow down"_s, 9);
    limited.retryAfterMs = 250;
    QTest::addRow("error/rate_limited+retry_after_ms") << ServerMessage(limited) << u"error"_s;
    Error withField = makeError(ErrorCode::BadRequest, u"room: not a valid room id"_s);
    withField.field = u"room"_s;
    QTest::addRow("error/field, no id") << ServerMessage(withField) << u"error"_s;

    QTest::addRow("synced/complete")
        << ServerMessage(Synced{.room = u"general"_s, .complete = true}) << u"synced"_s;
    QTest::addRow("synced/incomplete")
        << ServerMessage(Synced{.room = u"dm:alice:bob"_s, .complete = false}) << u"synced"_s;
    QTest::addRow("rooms") << ServerMessage(RoomsReply{.id = 2, .rooms = {generalRoom(), dmRoom()}})
                           << u"rooms"_s;
    QTest::addRow("rooms/empty") << ServerMessage(RoomsReply{.id = 2, .rooms = {}}) << u"rooms"_s;
    QTest::addRow("room") << ServerMessage(RoomReply{.id = 3, .room = generalRoom()}) << u"room"_s;
    QTest::addRow("ok") << ServerMessage(Ok{.id = 5}) << u"ok"_s;
    QTest::addRow("ok/no id") << ServerMessage(Ok{}) << u"ok"_s;
    const QList<MemberInfo> members{
        {.user = u"bob"_s, .displayName = u"Bob"_s, .presence = Presence::Online},
        {.user = u"carol"_s, .displayName = {}, .presence = Presence::Away},
        {.user = u"dave"_s, .displayName = u"Dave \u00d8"_s, .presence = Presence::Offline}};
    QTest::addRow("members") << ServerMessage(
                                    MembersReply{.id = 8, .room = u"ops"_s, .members = members})
                             << u"members"_s;

    const Event text = textEvent(124);
    QTest::addRow("event/text") << ServerMessage(text) << u"event"_s;
    Event reply = text;
    reply.replyTo = 120;
    QTest::addRow("event/text+reply_to") << ServerMessage(reply) << u"event"_s;
    Event edit = text;
    edit.kind = EventKind::Edit;
    edit.target = 124;
    edit.seq = 125;
    QTest::addRow("event/edit") << ServerMessage(edit) << u"event"_s;
    Event del = edit;
    del.kind = EventKind::Delete;
    del.body.clear();
    QTest::addRow("event/delete") << ServerMessage(del) << u"event"_s;
    Event react = del;
    react.kind = EventKind::React;
    react.emoji = u"\U0001F44D"_s;
    QTest::addRow("event/react") << ServerMessage(react) << u"event"_s;
    react.removed = true;
    QTest::addRow("event/react removed") << ServerMessage(react) << u"event"_s;
    Event image = text;
    image.kind = EventKind::File;
    image.file = imageFile();
    QTest::addRow("event/file image") << ServerMessage(image) << u"event"_s;
    Event doc = image;
    doc.body.clear();
    doc.file = FileInfo{.id = QString(32, u'0'),
                        .name = u"résumé \"final\".pdf"_s,
                        .size = 0,
                        .mime = u"application/pdf"_s,
                        .width = {},
                        .height = {},
                        .thumb = {}};
    QTest::addRow("event/file empty, no caption") << ServerMessage(doc) << u"event"_s;
    Event join;
    join.room = u"ops"_s;
    join.seq = 1;
    join.ts = 0;
    join.from = u"bob"_s;
    join.kind = EventKind::Join;
    QTest::addRow("event/join") << ServerMessage(join) << u"event"_s;
    Event leave = join;
    leave.kind = EventKind::Leave;
    leave.seq = kMaxSafeInteger;
    leave.ts = kMaxSafeInteger;
    QTest::addRow("event/leave at max seq") << ServerMessage(leave) << u"event"_s;
    Event topic = join;
    topic.kind = EventKind::Topic;
    topic.body = u"release week"_s;
    QTest::addRow("event/topic") << ServerMessage(topic) << u"event"_s;
    topic.body.clear();
    QTest::addRow("event/topic cleared") << ServerMessage(topic) << u"event"_s;

    QTest::addRow("ack") << ServerMessage(Ack{.id = 9,
                                              .room = u"general"_s,
                                              .clientMsgId = u"5f0c-1"_s,
                                              .seq = 124,
                                              .ts = 1763765000123})
                         << u"ack"_s;
    QTest::addRow("history") << ServerMessage(
                                    HistoryReply{.id = 10,
                                                 .room = u"general"_s,
                                                 .events = {textEvent(1), textEvent(2), edit},
                                                 .more = true})
                             << u"history"_s;
    QTest::addRow("history/empty")
        << ServerMessage(HistoryReply{.id = 10, .room = u"general"_s, .events = {}, .more = false})
        << u"history"_s;
    QTest::addRow("read") << ServerMessage(ReadMarker{.room = u"general"_s, .seq = 124})
                          << u"read"_s;
    QTest::addRow("typing") << ServerMessage(TypingNotice{.room = u"general"_s, .user = u"alice"_s})
                            << u"typing"_s;
    QTest::addRow("presence/online")
        << ServerMessage(PresenceNotice{.user = u"alice"_s, .state = Presence::Online})
        << u"presence"_s;
    QTest::addRow("presence/away")
        << ServerMessage(PresenceNotice{.user = u"alice"_s, .state = Presence::Away})
        << u"presence"_s;
    QTest::addRow("presence/offline")
        << ServerMessage(PresenceNotice{.user = u"alice"_s, .state = Presence::Offline})
        << u"presence"_s;
    QTest::addRow("pong") << ServerMessage(Pong{.id = 11, .ts = 1763765000123}) << u"pong"_s;
}

void TestProtocolRoundtrip::serverRoundTrip()
{
    QFETCH(ServerMessage, message);
    QFETCH(QString, type);

    const QByteArray frame = encode(message);
    QCOMPARE(messageType(message), type);
    QCOMPARE(parseLiteral(frame).value("type"_L1).toString(), type);

    const ServerDecodeResult decoded = decodeServerMessage(frame);
    QVERIFY2(decoded.ok(),
             qPrintable(decoded.error.message + u" in "_s + QString::fromUtf8(frame)));
    QCOMPARE(decoded.message->index(), message.index());
    QCOMPARE(encode(*decoded.message), frame);
    QVERIFY(*decoded.message == message);
}
QTEST_GUILESS_MAIN(TestProtocolRoundtrip)
#include "tst_protocol_roundtrip.moc"
