// What the decoders must refuse, with which error code and which offending field, and
// the boundaries right next to each limit that they must still accept.
#include "protocol/codec.h"

#include <QTest>

using namespace confab::protocol;
using namespace Qt::StringLiterals;

namespace {

QByteArray times(const QByteArray &unit, int n)
{
    return unit.repeated(n);
}

QByteArray sendText(const QByteArray &body)
{
    return R"({"type":"send","room":"general","client_msg_id":"m1","body":")" + body + R"("})";
}

QByteArray join(const QByteArray &room)
{
    return R"({"type":"join","id":4,"room":")" + room + R"("})";
}

QByteArray hello(const QByteArray &auth)
{
    return R"({"type":"hello","id":1,"auth":)" + auth + "}";
}

// A ping padded with an ignored field to exactly `size` bytes.
QByteArray pingOfSize(int size)
{
    const QByteArray head = R"({"type":"ping","pad":")";
    const QByteArray tail = R"("})";
    return head + QByteArray(size - head.size() - tail.size(), 'x') + tail;
}

QByteArray nested(int depth)
{
    // The frame itself is one level.
    return R"({"type":"ping","x":)" + times("[", depth - 1) + times("]", depth - 1) + "}";
}

const QByteArray kThumbsUp = "\xf0\x9f\x91\x8d"; // U+1F44D, 4 UTF-8 bytes, 2 UTF-16 units
const QByteArray kEuro = "\xe2\x82\xac";         // U+20AC, 3 UTF-8 bytes, 1 UTF-16 unit

void addRow(const char *name, const QByteArray &frame, const char *code, const char *field)
{
    QTest::addRow("%s", name) << frame << QString::fromLatin1(code) << QString::fromLatin1(field);
}

} // namespace

class TestProtocolReject : public QObject
{
    Q_OBJECT

private slots:
    void clientRejects_data();
    void clientRejects();
    void clientAcceptsBoundaries_data();
    void clientAcceptsBoundaries();
    void errorCarriesRequestId_data();
    void errorCarriesRequestId();
    void serverRejects_data();
    void serverRejects();
    void limitsAreConfigurable();
};

void TestProtocolReject::clientRejects_data()
{
    QTest::addColumn<QByteArray>("frame");
    QTest::addColumn<QString>("code");
    QTest::addColumn<QString>("field");

    // Not an object.
    addRow("array", "[]", "bad_request", "");
    addRow("array of object", R"([{"type":"ping"}])", "bad_request", "");
    addRow("string", R"("ping")", "bad_request", "");
    addRow("number", "42", "bad_request", "");
    addRow("null", "null", "bad_request", "");
    addRow("true", "true", "bad_request", "");

    // Malformed or truncated JSON.
    addRow("empty frame", "", "bad_request", "");
    addRow("whitespace only", " \n", "bad_request", "");
    addRow("unquoted key", R"({type:"ping"})", "bad_request", "");
    addRow("single quotes", R"({"type":'ping'})", "bad_request", "");
    addRow("trailing comma", R"({"type":"ping",})", "bad_request", "");
    addRow("garbage after object", R"({"type":"ping"} {})", "bad_request", "");
    addRow("NaN literal", R"({"type":"ping","id":NaN})", "bad_request", "");
    addRow("truncated in string", R"({"type":"send","room":"gen)", "bad_request", "");
    addRow("truncated after value", R"({"type":"ping")", "bad_request", "");
    addRow("truncated escape", R"({"type":"ping","x":"\u12)", "bad_request", "");

    // Wrong field types.
    addRow("id as string", R"({"type":"ping","id":"7"})", "bad_request", "id");
    addRow("id as object", R"({"type":"ping","id":{}})", "bad_request", "id");
    addRow("type as number", R"({"type":1})", "bad_request", "type");
    addRow("room as number", R"({"type":"join","room":5})", "bad_request", "room");
    addRow("private as string", R"({"type":"create","room":"ops","private":"yes"})", "bad_request",
           "private");
    addRow("limit as string", R"({"type":"history","room":"general","limit":"50"})", "bad_request",
           "limit");
    addRow("since not object", hello(R"({"method":"token","token":"t"},"since":[1])"),
           "bad_request", "since");
    addRow("since value as string",
           hello(R"({"method":"token","token":"t"},"since":{"general":"1"})"), "bad_request",
           "since.general");
    addRow("auth not object", hello(R"("alice")"), "bad_request", "auth");
    addRow("auth.user as number", hello(R"({"method":"password","user":7,"password":"pw"})"),
           "bad_request", "auth.user");
    addRow("body as number", R"({"type":"send","room":"general","client_msg_id":"m1","body":1})",
           "bad_request", "body");
    addRow("target as string",
           R"({"type":"send","room":"general","client_msg_id":"m1","kind":"delete","target":"5"})",
           "bad_request", "target");
    addRow("seq as bool", R"({"type":"read","room":"general","seq":true})", "bad_request", "seq");
    addRow("kind as number", R"({"type":"send","room":"general","client_msg_id":"m1","kind":0})",
           "bad_request", "kind");

    // Missing fields.
    addRow("type missing", R"({"id":1})", "bad_request", "type");
    addRow("type null", R"({"type":null})", "bad_request", "type");
    addRow("type empty", R"({"type":""})", "bad_request", "type");
    addRow("room missing", R"({"type":"join","id":4})", "bad_request", "room");
    addRow("client_msg_id missing", R"({"type":"send","room":"general","body":"hi"})",
           "bad_request", "client_msg_id");
    addRow("body missing", R"({"type":"send","room":"general","client_msg_id":"m1"})",
           "bad_request", "body");
    addRow("edit body missing",
           R"({"type":"send","room":"general","client_msg_id":"m1","kind":"edit","target":3})",
           "bad_request", "body");
    addRow("target missing",
           R"({"type":"send","room":"general","client_msg_id":"m1","kind":"delete"})",
           "bad_request", "target");
    addRow("emoji missing",
           R"({"type":"send","room":"general","client_msg_id":"m1","kind":"react","target":3})",
           "bad_request", "emoji");
    addRow("file missing", R"({"type":"send","room":"general","client_msg_id":"m1","kind":"file"})",
           "bad_request", "file");
    addRow("file.id missing",
           R"({"type":"send","room":"general","client_msg_id":"m1","kind":"file","file":{}})",
           "bad_request", "file.id");
    addRow(
        "file.id not hex",
        R"({"type":"send","room":"general","client_msg_id":"m1","kind":"file","file":{"id":"ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ"}})",
        "bad_request", "file.id");
    addRow(
        "file.id uppercase",
        R"({"type":"send","room":"general","client_msg_id":"m1","kind":"file","file":{"id":"0123456789ABCDEF0123456789ABCDEF"}})",
        "bad_request", "file.id");
    addRow(
        "file.id short",
        R"({"type":"send","room":"general","client_msg_id":"m1","kind":"file","file":{"id":"abc"}})",
        "bad_request", "file.id");
    addRow(
        "file not an object",
        R"({"type":"send","room":"general","client_msg_id":"m1","kind":"file","file":"0123456789abcdef0123456789abcdef"})",
        "bad_request", "file");
    addRow("auth missing", R"({"type":"hello","id":1})", "bad_request", "auth");
    addRow("auth.method missing", hello(R"({"user":"alice","password":"pw"})"), "bad_request",
           "auth.method");
    addRow("auth.user missing", hello(R"({"method":"password","password":"pw"})"), "bad_request",
           "auth.user");
    addRow("auth.password missing", hello(R"({"method":"password","user":"alice"})"), "bad_request",
           "auth.password");
    addRow("auth.token missing", hello(R"({"method":"token"})"), "bad_request", "auth.token");
    addRow("state missing", R"({"type":"presence"})", "bad_request", "state");
    addRow("invite user missing", R"({"type":"invite","room":"ops"})", "bad_request", "user");
    addRow("read seq missing", R"({"type":"read","room":"general"})", "bad_request", "seq");

    // Unknown names.
    addRow("unknown type", R"({"type":"shout","id":3})", "bad_request", "type");
    addRow("server-only type", R"({"type":"welcome"})", "bad_request", "type");
    addRow("type in wrong case", R"({"type":"PING"})", "bad_request", "type");
    addRow("unknown auth method", hello(R"({"method":"oauth","user":"alice"})"), "bad_request",
           "auth.method");
    addRow("send kind join",
           R"({"type":"send","room":"general","client_msg_id":"m1","kind":"join"})", "bad_request",
           "kind");
    addRow("send kind leave",
           R"({"type":"send","room":"general","client_msg_id":"m1","kind":"leave"})", "bad_request",
           "kind");
    addRow("send kind bogus",
           R"({"type":"send","room":"general","client_msg_id":"m1","kind":"bogus","body":"x"})",
           "bad_request", "kind");
    addRow("presence offline", R"({"type":"presence","state":"offline"})", "bad_request", "state");
    addRow("presence bogus", R"({"type":"presence","state":"busy"})", "bad_request", "state");

    // Sizes: bodies and frames are too_large; every other length limit is bad_request.
    addRow("body over limit", sendText(QByteArray(Limits{}.maxBodyBytes + 1, 'x')), "too_large",
           "body");
    addRow("body over limit in bytes, not chars", sendText(times(kEuro, 5462)), "too_large",
           "body");
    addRow("frame over limit", pingOfSize(Limits{}.maxFrameBytes + 1), "too_large", "");
    addRow("topic body over limit",
           R"({"type":"send","room":"general","client_msg_id":"m1","kind":"topic","body":")" +
               QByteArray(kMaxTopicBytes + 1, 't') + R"("})",
           "too_large", "body");
    addRow("empty body", sendText(""), "bad_request", "body");
    addRow("client_msg_id 65 chars",
           R"({"type":"send","room":"general","body":"x","client_msg_id":")" +
               QByteArray(kMaxClientMsgIdChars + 1, 'c') + R"("})",
           "bad_request", "client_msg_id");
    addRow("client_msg_id with space",
           R"({"type":"send","room":"general","body":"x","client_msg_id":"a b"})", "bad_request",
           "client_msg_id");
    addRow(
        "emoji 33 bytes",
        R"({"type":"send","room":"general","client_msg_id":"m1","kind":"react","target":3,"emoji":")" +
            times(kThumbsUp, 8) + "x\"}",
        "bad_request", "emoji");
    addRow(
        "emoji 36 bytes in 18 chars",
        R"({"type":"send","room":"general","client_msg_id":"m1","kind":"react","target":3,"emoji":")" +
            times(kThumbsUp, 9) + "\"}",
        "bad_request", "emoji");

    // Room ids.
    addRow("room uppercase", join("General"), "bad_request", "room");
    addRow("room with space", join("a b"), "bad_request", "room");
    addRow("room 41 chars", join(QByteArray(kMaxChannelNameChars + 1, 'r')), "bad_request", "room");
    addRow("room 200 chars", join(QByteArray(200, 'r')), "bad_request", "room");
    addRow("room dm unsorted", join("dm:bob:alice"), "bad_request", "room");
    addRow("room dm one user", join("dm:alice"), "bad_request", "room");
    addRow("room dm with self", join("dm:alice:alice"), "bad_request", "room");
    addRow("room empty", join(""), "bad_request", "room");
    addRow("create dm room", R"({"type":"create","room":"dm:alice:bob"})", "bad_request", "room");
    addRow("create 41 chars",
           R"({"type":"create","room":")" + QByteArray(kMaxChannelNameChars + 1, 'r') + R"("})",
           "bad_request", "room");
    addRow("since key not a room", hello(R"({"method":"token","token":"t"},"since":{"General":1})"),
           "bad_request", "since");
    addRow(
        "since key huge",
        hello(R"({"method":"token","token":"t"},"since":{")" + QByteArray(5000, 'K') + R"(":1})"),
        "bad_request", "since");

    // User names and passwords.
    addRow("user 33 chars",
           R"({"type":"dm","user":")" + QByteArray(kMaxUserNameChars + 1, 'u') + R"("})",
           "bad_request", "user");
    addRow("user with space", R"({"type":"dm","user":"al ice"})", "bad_request", "user");
    addRow("user with bang", hello(R"({"method":"password","user":"alice!","password":"pw"})"),
           "bad_request", "auth.user");
    addRow("user kelvin sign",
           hello("{\"method\":\"password\",\"user\":\"\\u212Aate\",\"password\":\"pw\"}"),
           "bad_request", "auth.user");
    addRow("register password 7 bytes",
           hello(R"({"method":"register","user":"alice","password":"1234567"})"), "bad_request",
           "auth.password");
    addRow("password 1025 bytes",
           hello(R"({"method":"password","user":"alice","password":")" +
                 QByteArray(kMaxPasswordBytes + 1, 'p') + R"("})"),
           "bad_request", "auth.password");
    addRow("login password empty", hello(R"({"method":"password","user":"alice","password":""})"),
           "bad_request", "auth.password");
    addRow(
        "display_name control char",
        hello(
            R"({"method":"register","user":"alice","password":"12345678","display_name":"A\u0007"})"),
        "bad_request", "auth.display_name");
    addRow("display_name 65 chars",
           hello(R"({"method":"register","user":"alice","password":"12345678","display_name":")" +
                 QByteArray(kMaxDisplayNameChars + 1, 'd') + R"("})"),
           "bad_request", "auth.display_name");
    addRow("display_name 300 bytes",
           hello(R"({"method":"register","user":"alice","password":"12345678","display_name":")" +
                 times(kEuro, 100) + R"("})"),
           "bad_request", "auth.display_name");
    addRow("create topic control char", R"({"type":"create","room":"ops","topic":"a\u001b[2J"})",
           "bad_request", "topic");

    // Nesting.
    addRow("100 nested arrays in a field", nested(101), "bad_request", "");
    addRow("depth one over the limit", nested(kMaxJsonDepth + 1), "bad_request", "");
    addRow("nested objects",
           R"({"type":"ping","x":)" + times(R"({"a":)", 40) + "1" + times("}", 40) + "}",
           "bad_request", "");

    // Encoding.
    addRow("byte 0xff in string",
           "{\"type\":\"send\",\"room\":\"general\",\"client_msg_id\":"
           "\"m1\",\"body\":\"\xff\"}",
           "bad_request", "");
    addRow("overlong slash", "{\"type\":\"ping\",\"x\":\"\xc0\xaf\"}", "bad_request", "");
    addRow("utf-8 encoded surrogate", "{\"type\":\"ping\",\"x\":\"\xed\xa0\x80\"}", "bad_request",
           "");
    addRow("beyond U+10FFFF", "{\"type\":\"ping\",\"x\":\"\xf4\x90\x80\x80\"}", "bad_request", "");
    addRow("truncated sequence", "{\"type\":\"ping\",\"x\":\"\xe2\x82\"}", "bad_request", "");
    addRow("lone surrogate escape in body", sendText(R"(\ud800)"), "bad_request", "body");
    addRow("lone low surrogate in user", R"({"type":"dm","user":"\udc00a"})", "bad_request",
           "user");

    // Numbers.
    addRow("id 1e300", R"({"type":"ping","id":1e300})", "bad_request", "id");
    addRow("id 2^53", R"({"type":"ping","id":9007199254740992})", "bad_request", "id");
    addRow("id fractional", R"({"type":"ping","id":0.5})", "bad_request", "id");
    addRow("seq 2^53+1", R"({"type":"read","room":"general","seq":9007199254740993})",
           "bad_request", "seq");
    addRow("seq negative", R"({"type":"read","room":"general","seq":-1})", "bad_request", "seq");
    addRow("since seq negative", hello(R"({"method":"token","token":"t"},"since":{"general":-1})"),
           "bad_request", "since.general");
    addRow("target fractional",
           R"({"type":"send","room":"general","client_msg_id":"m1","kind":"delete","target":1.5})",
           "bad_request", "target");
    addRow("target 0",
           R"({"type":"send","room":"general","client_msg_id":"m1","kind":"delete","target":0})",
           "bad_request", "target");
    addRow("reply_to 0",
           R"({"type":"send","room":"general","client_msg_id":"m1","body":"x","reply_to":0})",
           "bad_request", "reply_to");
    addRow("limit 201", R"({"type":"history","room":"general","limit":201})", "bad_request",
           "limit");
    addRow("limit 0", R"({"type":"history","room":"general","limit":0})", "bad_request", "limit");
    addRow("before 0", R"({"type":"history","room":"general","before":0})", "bad_request",
           "before");
    addRow("before and after", R"({"type":"history","room":"general","before":10,"after":2})",
           "bad_request", "after");
    addRow("protocol negative", hello(R"({"method":"token","token":"t"},"protocol":-1)"),
           "bad_request", "protocol");
}

void TestProtocolReject::clientRejects()
{
    QFETCH(QByteArray, frame);
    QFETCH(QString, code);
    QFETCH(QString, field);

    const ClientDecodeResult r = decodeClientMessage(frame);
    QVERIFY2(!r.ok(), frame.left(200).constData());
    QCOMPARE(errorCodeName(r.error.code), code);
    QCOMPARE(r.error.field, field);
    QVERIFY(!r.error.message.isEmpty());
    if (!field.isEmpty())
        QVERIFY2(r.error.message.contains(field), qPrintable(r.error.message));

    // Whatever the server sends back about it, a client must be able to read.
    const Error reply = makeError(r.error);
    const ServerDecodeResult back = decodeServerMessage(encode(reply));
    QVERIFY2(back.ok(), qPrintable(back.error.message));
    QVERIFY(*back.message == ServerMessage(reply));
}

void TestProtocolReject::clientAcceptsBoundaries_data()
{
    QTest::addColumn<QByteArray>("frame");

    QTest::addRow("body at limit") << sendText(QByteArray(Limits{}.maxBodyBytes, 'x'));
    QTest::addRow("multi-byte body under limit") << sendText(times(kEuro, 5461));
    QTest::addRow("frame at limit") << pingOfSize(Limits{}.maxFrameBytes);
    QTest::addRow("depth at limit") << nested(kMaxJsonDepth);
    QTest::addRow("brackets inside strings") << sendText(times("[", 100));
    QTest::addRow("escaped quote before brackets") << sendText(R"(\"[[[[[[[[[[[[[[[[[[[[)");
    QTest::addRow("client_msg_id 64 chars")
        << R"({"type":"send","room":"general","body":"x","client_msg_id":")" +
               QByteArray(kMaxClientMsgIdChars, 'c') + R"("})";
    QTest::addRow("emoji 32 bytes")
        << R"({"type":"send","room":"general","client_msg_id":"m1","kind":"react","target":3,"emoji":")" +
               times(kThumbsUp, 8) + "\"}";
    QTest::addRow("channel 40 chars") << join(QByteArray(kMaxChannelNameChars, 'r'));
    QTest::addRow("dm room of longest names") << join("dm:" + QByteArray(kMaxUserNameChars, 'a') +
                                                      ":" + QByteArray(kMaxUserNameChars, 'b'));
    QTest::addRow("user 32 chars")
        << R"({"type":"dm","user":")" + QByteArray(kMaxUserNameChars, 'u') + R"("})";
    QTest::addRow("register password 8 bytes")
        << hello(R"({"method":"register","user":"alice","password":"12345678"})");
    QTest::addRow("password 1024 bytes")
        << hello(R"({"method":"password","user":"alice","password":")" +
                 QByteArray(kMaxPasswordBytes, 'p') + R"("})");
    QTest::addRow("login password 1 byte")
        << hello(R"({"method":"password","user":"alice","password":"p"})");
    QTest::addRow("display_name 64 chars")
        << hello(R"({"method":"register","user":"alice","password":"12345678","display_name":")" +
                 QByteArray(kMaxDisplayNameChars, 'd') + R"("})");
    QTest::addRow("limit 200") << QByteArray(R"({"type":"history","room":"general","limit":200})");
    QTest::addRow("limit 1") << QByteArray(R"({"type":"history","room":"general","limit":1})");
    QTest::addRow("limit as exponent")
        << QByteArray(R"({"type":"history","room":"general","limit":1e2})");
    QTest::addRow("after 0") << QByteArray(R"({"type":"history","room":"general","after":0})");
    QTest::addRow("seq 2^53-1") << QByteArray(
        R"({"type":"read","room":"general","seq":9007199254740991})");
    QTest::addRow("id -(2^53-1)") << QByteArray(R"({"type":"ping","id":-9007199254740991})");
    QTest::addRow("since seq 0") << hello(
        R"({"method":"token","token":"t"},"since":{"general":0})");
    QTest::addRow("surrogate pair escape") << sendText(R"(\ud83d\udc4d)");
    QTest::addRow("escaped control char in body") << sendText(R"(\u0007)");
    QTest::addRow("unknown field of any type") << QByteArray(R"({"type":"ping","x":[{"y":null}]})");
}

void TestProtocolReject::clientAcceptsBoundaries()
{
    QFETCH(QByteArray, frame);
    const ClientDecodeResult r = decodeClientMessage(frame);
    QVERIFY2(r.ok(), qPrintable(r.error.message));
    const ClientDecodeResult again = decodeClientMessage(encode(*r.message));
    QVERIFY2(again.ok(), qPrintable(again.error.message));
    QVERIFY(*again.message == *r.message);
}

void TestProtocolReject::errorCarriesRequestId_data()
{
    QTest::addColumn<QByteArray>("frame");
    QTest::addColumn<RequestId>("id");

    QTest::addRow("bad room") << QByteArray(R"({"type":"join","id":7,"room":"Bad Room"})")
                              << RequestId(7);
    QTest::addRow("id after the bad field")
        << QByteArray(R"({"room":"Bad Room","type":"join","id":8})") << RequestId(8);
    QTest::addRow("unknown type") << QByteArray(R"({"type":"shout","id":9})") << RequestId(9);
    QTest::addRow("type missing") << QByteArray(R"({"id":10})") << RequestId(10);
    QTest::addRow("body too large")
        << QByteArray(R"({"type":"send","id":11,"room":"general","client_msg_id":"m1","body":")" +
                      QByteArray(Limits{}.maxBodyBytes + 1, 'x') + R"("})")
        << RequestId(11);
    QTest::addRow("nested auth error")
        << hello(R"({"method":"password","user":"alice"})") << RequestId(1);
    QTest::addRow("id 0") << QByteArray(R"({"type":"join","id":0})") << RequestId(0);
    QTest::addRow("negative id") << QByteArray(R"({"type":"join","id":-3})") << RequestId(-3);
    QTest::addRow("no id") << QByteArray(R"({"type":"join","room":"Bad Room"})") << RequestId();
    QTest::addRow("id unreadable") << QByteArray(R"({"type":"join","id":"7"})") << RequestId();
    QTest::addRow("malformed JSON") << QByteArray(R"({"type":"join","id":7,)") << RequestId();
    QTest::addRow("frame too large") << pingOfSize(Limits{}.maxFrameBytes + 1) << RequestId();
}

void TestProtocolReject::errorCarriesRequestId()
{
    QFETCH(QByteArray, frame);
    QFETCH(RequestId, id);
    const ClientDecodeResult r = decodeClientMessage(frame);
    QVERIFY(!r.ok());
    QCOMPARE(r.error.id, id);
    QCOMPARE(makeError(r.error).id, id);
}

void TestProtocolReject::serverRejects_data()
{
    QTest::addColumn<QByteArray>("frame");
    QTest::addColumn<QString>("code");
    QTest::addColumn<QString>("field");

    addRow("array", "[]", "bad_request", "");
    addRow("malformed", R"({"type":"event",)", "bad_request", "");
    addRow("frame too large", pingOfSize(Limits{}.maxFrameBytes + 1), "too_large", "");
    addRow("client-only type", R"({"type":"hello"})", "bad_request", "type");
    addRow("welcome without epoch",
           R"({"type":"welcome","protocol":1,"user":{"user":"alice"},"token":"t","rooms":[]})",
           "bad_request", "epoch");
    addRow(
        "welcome bad user",
        R"({"type":"welcome","protocol":1,"epoch":"e","user":{"user":"A B"},"token":"t","rooms":[]})",
        "bad_request", "user.user");
    addRow(
        "welcome zero body limit",
        R"({"type":"welcome","protocol":1,"epoch":"e","user":{"user":"alice"},"token":"t","rooms":[],
               "limits":{"max_body_bytes":0,"max_frame_bytes":1,"rate_per_s":1,"burst":1}})",
        "bad_request", "limits.max_body_bytes");
    addRow("error unknown code", R"({"type":"error","code":"oops","message":"m"})", "bad_request",
           "code");
    addRow("error without code", R"({"type":"error","message":"m"})", "bad_request", "code");
    addRow("error negative retry", R"({"type":"error","code":"rate_limited","retry_after_ms":-1})",
           "bad_request", "retry_after_ms");
    addRow("event seq 0",
           R"({"type":"event","room":"general","seq":0,"ts":1,"from":"alice","kind":"join"})",
           "bad_request", "seq");
    addRow("event bogus kind",
           R"({"type":"event","room":"general","seq":1,"ts":1,"from":"alice","kind":"bogus"})",
           "bad_request", "kind");
    addRow("event without from",
           R"({"type":"event","room":"general","seq":1,"ts":1,"kind":"join"})", "bad_request",
           "from");
    addRow("ack without client_msg_id", R"({"type":"ack","room":"general","seq":1,"ts":1})",
           "bad_request", "client_msg_id");
    addRow("rooms element not an object", R"({"type":"rooms","rooms":[1]})", "bad_request",
           "rooms[0]");
    addRow("rooms element bad room",
           R"({"type":"rooms","rooms":[{"room":"general"},{"room":"dm:bob:alice"}]})",
           "bad_request", "rooms[1].room");
    addRow("room reply not an object", R"({"type":"room","room":"general"})", "bad_request",
           "room");
    addRow("members element not an object", R"({"type":"members","room":"ops","members":["bob"]})",
           "bad_request", "members[0]");
    addRow("members bad presence",
           R"({"type":"members","room":"ops","members":[{"user":"bob","presence":"busy"}]})",
           "bad_request", "members[0].presence");
    addRow("history element not an object",
           R"({"type":"history","room":"general","events":[null]})", "bad_request", "events[0]");
    addRow(
        "history event without seq",
        R"({"type":"history","room":"general","events":[{"room":"general","ts":1,"from":"a","kind":"join"}]})",
        "bad_request", "events[0].seq");
    addRow("presence bogus state", R"({"type":"presence","user":"alice","state":"busy"})",
           "bad_request", "state");
    addRow("synced complete as string", R"({"type":"synced","room":"general","complete":"yes"})",
           "bad_request", "complete");
    addRow("pong without ts", R"({"type":"pong","id":1})", "bad_request", "ts");
}

void TestProtocolReject::serverRejects()
{
    QFETCH(QByteArray, frame);
    QFETCH(QString, code);
    QFETCH(QString, field);

    const ServerDecodeResult r = decodeServerMessage(frame);
    QVERIFY2(!r.ok(), frame.left(200).constData());
    QCOMPARE(errorCodeName(r.error.code), code);
    QCOMPARE(r.error.field, field);
    QVERIFY(!r.error.message.isEmpty());
}

// The limits a server announces are the ones its decoder enforces.
void TestProtocolReject::limitsAreConfigurable()
{
    const Limits small{.maxBodyBytes = 10, .maxFrameBytes = 200, .ratePerSecond = 1, .burst = 1};

    QVERIFY(decodeClientMessage(sendText("0123456789"), small).ok());
    const ClientDecodeResult body = decodeClientMessage(sendText("0123456789A"), small);
    QVERIFY(!body.ok());
    QCOMPARE(body.error.code, ErrorCode::TooLarge);
    QCOMPARE(body.error.field, u"body"_s);

    QVERIFY(decodeClientMessage(pingOfSize(200), small).ok());
    const ClientDecodeResult frame = decodeClientMessage(pingOfSize(201), small);
    QVERIFY(!frame.ok());
    QCOMPARE(frame.error.code, ErrorCode::TooLarge);
    QVERIFY(frame.error.field.isEmpty());
}

QTEST_GUILESS_MAIN(TestProtocolReject)
#include "tst_protocol_reject.moc"
