// The receive fast path (scan.h): frames taken apart across reads of any size, the
// members the checks need picked out of real server frames, and malformed input refused
// without a crash.
#include "body.h"
#include "protocol/codec.h"
#include "scan.h"
#include "wire/websocket.h"

#include <QRandomGenerator>
#include <QTest>

using namespace confab;
using namespace confab::bench;
using namespace Qt::StringLiterals;

namespace {

struct Got
{
    quint8 opcode;
    QByteArray payload;
};

// Feeds stream in chunks of the given sizes (the last chunk takes the rest).
std::vector<Got> feedChunks(FrameReader &reader, const QByteArray &stream,
                            const std::vector<qsizetype> &sizes)
{
    std::vector<Got> got;
    auto sink = [&got](quint8 op, QByteArrayView payload) {
        got.push_back({op, payload.toByteArray()});
        return true;
    };
    qsizetype pos = 0;
    for (const qsizetype n : sizes) {
        const qsizetype take = std::min(n, stream.size() - pos);
        reader.feed(QByteArrayView(stream).sliced(pos, take), sink);
        pos += take;
    }
    if (pos < stream.size())
        reader.feed(QByteArrayView(stream).sliced(pos), sink);
    return got;
}

protocol::Event makeEvent(const QString &room, qint64 seq, const QString &body)
{
    protocol::Event e;
    e.room = room;
    e.seq = seq;
    e.ts = 1763765000123;
    e.from = u"b-run-7"_s;
    e.kind = protocol::EventKind::Text;
    e.body = body;
    e.clientMsgId = u"run-7-%1"_s.arg(seq);
    return e;
}

QByteArray serverFrame(const protocol::ServerMessage &m)
{
    // What the server writes: the shared codec's JSON in one unmasked text frame.
    return wire::makeFrame(wire::Opcode::Text, protocol::encode(m));
}

QByteArray header(quint8 first, quint8 second)
{
    QByteArray h;
    h.append(char(first));
    h.append(char(second));
    return h;
}

} // namespace

class TestBenchScan : public QObject
{
    Q_OBJECT

private slots:
    void realServerEvents_data();
    void realServerEvents();
    void membersInAnyOrder();
    void escapedStrings();
    void otherServerFrames();
    void peerEcho();
    void malformedJson_data();
    void malformedJson();
    void framesAcrossEveryReadBoundary();
    void framesInRandomChunks();
    void fragmentedMessageWithPingBetween();
    void largeFrames();
    void malformedFrames_data();
    void malformedFrames();
    void sinkStopsAndReset();
    void bodyStampFromBytes();
};

void TestBenchScan::realServerEvents_data()
{
    QTest::addColumn<QString>("room");
    QTest::addColumn<qint64>("seq");
    QTest::addColumn<QString>("body");
    const QString stamp = makeBody(3, 17, 1763765000123456, 64);
    QTest::newRow("bench body") << u"brun-fan"_s << qint64(1) << stamp;
    QTest::newRow("large seq") << u"brun-r12"_s << qint64(9007199254740991) << stamp;
    QTest::newRow("quotes and members in the body")
        << u"r"_s << qint64(42) << stamp + uR"( "type":"presence","seq":1,"room":"x" \ " })"_s;
    QTest::newRow("control characters and unicode")
        << u"r"_s << qint64(5) << stamp + u"\n\t\u00e9\u20ac\U0001F600 \u0001"_s;
    QTest::newRow("empty body") << u"r"_s << qint64(6) << QString();
}

void TestBenchScan::realServerEvents()
{
    QFETCH(QString, room);
    QFETCH(qint64, seq);
    QFETCH(QString, body);
    const QByteArray json = protocol::encode(protocol::ServerMessage(makeEvent(room, seq, body)));
    ScannedFrame f;
    QVERIFY2(scanFrame(json, f), json.constData());
    QCOMPARE(f.type, QByteArrayView("event"));
    QCOMPARE(QString::fromUtf8(*jsonUnescape(f.room)), room);
    QCOMPARE(f.seq, seq);
    QCOMPARE(f.kind, QByteArrayView("text"));
    const QByteArray value = f.bodyEscaped ? *jsonUnescape(f.body) : f.body.toByteArray();
    QCOMPARE(QString::fromUtf8(value), body);
    QCOMPARE(QString::fromUtf8(*jsonUnescape(f.clientMsgId)), u"run-7-%1"_s.arg(seq));
    // The stamp reads the same from the bytes as from the decoded QString.
    const auto fromBytes = parseBody(QByteArrayView(value));
    const auto fromString = parseBody(QStringView(body));
    QCOMPARE(bool(fromBytes), bool(fromString));
    if (fromBytes) {
        QCOMPARE(fromBytes->sender, fromString->sender);
        QCOMPARE(fromBytes->n, fromString->n);
        QCOMPARE(fromBytes->tUs, fromString->tUs);
    }

    // And the same through FrameReader, from the frame the server writes.
    FrameReader reader;
    const auto got = feedChunks(reader, serverFrame(makeEvent(room, seq, body)), {});
    QCOMPARE(reader.error(), quint16(0));
    QCOMPARE(got.size(), size_t(1));
    QCOMPARE(got[0].opcode, quint8(FrameReader::Text));
    QCOMPARE(got[0].payload, json);
}

void TestBenchScan::membersInAnyOrder()
{
    const QList<QByteArray> orders = {
        R"({"type":"event","room":"r1","seq":7,"kind":"text","body":"cb1 1 2 3 x"})",
        R"({"seq":7,"body":"cb1 1 2 3 x","kind":"text","room":"r1","type":"event"})",
        R"({"body":"cb1 1 2 3 x","ts":1,"from":"u","nested":{"type":"x","seq":1,"a":[1,{"room":"z"}]},"room":"r1","seq":7,"type":"event","kind":"text"})",
        " \n{ \"room\" : \"r1\" ,\t\"seq\":7 , \"type\":\"event\",\"kind\":\"text\",\"body\":\"cb1 "
        "1 2 3 x\" } \r\n",
        // A repeated member: the last one counts, as in QJsonDocument.
        R"({"seq":1,"room":"other","type":"event","kind":"text","body":"cb1 1 2 3 x","seq":7,"room":"r1"})",
    };
    for (const QByteArray &json : orders) {
        ScannedFrame f;
        QVERIFY2(scanFrame(json, f), json.constData());
        QCOMPARE(f.type, QByteArrayView("event"));
        QCOMPARE(f.room, QByteArrayView("r1"));
        QCOMPARE(f.seq, 7);
        QCOMPARE(f.kind, QByteArrayView("text"));
        QCOMPARE(f.body, QByteArrayView("cb1 1 2 3 x"));
        QVERIFY(!f.roomEscaped && !f.bodyEscaped);
    }
    // Absent members are null; a member of another type reads as absent.
    ScannedFrame f;
    QVERIFY(scanFrame(R"({"type":"event","room":5,"seq":"7","kind":null})", f));
    QVERIFY(f.room.isNull());
    QVERIFY(f.kind.isNull());
    QVERIFY(f.body.isNull());
    QCOMPARE(f.seq, -1);
    QVERIFY(scanFrame(R"({"type":"event","room":"","seq":2.5,"id":-3})", f));
    QVERIFY(!f.room.isNull());
    QVERIFY(f.room.isEmpty());
    QCOMPARE(f.seq, -1);
    QCOMPARE(f.id, -1);
    QVERIFY(scanFrame("{}", f));
    QVERIFY(f.type.isNull());
}

void TestBenchScan::escapedStrings()
{
    ScannedFrame f;
    // An escaped room, type and key: the value is what counts.
    QVERIFY(scanFrame(R"({"\u0074ype":"ev\u0065nt","room":"r\u00311\/\"x\\","s\u0065q":12})", f));
    QCOMPARE(f.type, QByteArrayView(R"(ev\u0065nt)"));
    QVERIFY(f.typeEscaped);
    QCOMPARE(*jsonUnescape(f.type), QByteArray("event"));
    QVERIFY(f.roomEscaped);
    QCOMPARE(*jsonUnescape(f.room), QByteArray(R"(r11/"x\)"));
    QCOMPARE(f.seq, 12);
    // Every escape, and a surrogate pair, in UTF-8.
    QCOMPARE(*jsonUnescape(R"(\"\\\/\b\f\n\r\t\u00e9\u20ac\ud83d\ude00)"),
             QByteArray("\"\\/\b\f\n\r\t\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"));
    // A lone surrogate reads as U+FFFD, as QJsonDocument reads it.
    QCOMPARE(*jsonUnescape(R"(a\ud83db)"), QByteArray("a\xef\xbf\xbd"
                                                      "b"));
    QVERIFY(!jsonUnescape(R"(\x)"));
    QVERIFY(!jsonUnescape(R"(\u12)"));
    QVERIFY(!jsonUnescape("\\"));
}

void TestBenchScan::otherServerFrames()
{
    // Not events: the type is found, the fast path leaves them to the codec.
    protocol::Ack ack;
    ack.id = 9;
    ack.room = u"r1"_s;
    ack.seq = 4;
    ack.clientMsgId = u"c-9"_s;
    ScannedFrame f;
    QVERIFY(scanFrame(protocol::encode(protocol::ServerMessage(ack)), f));
    QCOMPARE(f.type, QByteArrayView("ack"));
    QCOMPARE(f.id, 9);
    QCOMPARE(f.seq, 4);
    QVERIFY(scanFrame(protocol::encode(protocol::ServerMessage(
                          protocol::PresenceNotice{u"u"_s, protocol::Presence::Online})),
                      f));
    QCOMPARE(f.type, QByteArrayView("presence"));
    protocol::Welcome welcome;
    welcome.user.user = u"u"_s;
    welcome.token = u"t"_s;
    protocol::RoomInfo info;
    info.room = u"r1"_s;
    info.topic = u"topic \"x\" with \"type\":\"event\""_s;
    info.lastSeq = 7;
    welcome.rooms.append(info);
    QVERIFY(scanFrame(protocol::encode(protocol::ServerMessage(welcome)), f));
    QCOMPARE(f.type, QByteArrayView("welcome"));
}

void TestBenchScan::peerEcho()
{
    protocol::SendRequest send;
    send.id = 12;
    send.room = u"peer"_s;
    send.clientMsgId = u"r-3-12"_s;
    send.body = makeBody(3, 12, 1763765000000001, 64);
    ScannedFrame f;
    QVERIFY(scanFrame(protocol::encode(protocol::ClientMessage(send)), f));
    QCOMPARE(f.type, QByteArrayView("send"));
    QCOMPARE(f.id, 12);
    QCOMPARE(f.clientMsgId, QByteArrayView("r-3-12"));
    const auto stamp = parseBody(f.body);
    QVERIFY(stamp);
    QCOMPARE(stamp->sender, 3);
    QCOMPARE(stamp->n, 12);
}

void TestBenchScan::malformedJson_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::newRow("empty") << QByteArray();
    QTest::newRow("not an object") << QByteArray(R"(["type","event"])");
    QTest::newRow("truncated") << QByteArray(R"({"type":"event","room":"r1","se)");
    QTest::newRow("truncated string") << QByteArray(R"({"type":"event","room":"r1)");
    QTest::newRow("truncated escape") << QByteArray(R"({"type":"event","room":"r1\)");
    QTest::newRow("bad escape") << QByteArray(R"({"type":"event","room":"r\q"})");
    QTest::newRow("short unicode escape") << QByteArray(R"({"room":"\u12"})");
    QTest::newRow("raw control character") << QByteArray("{\"room\":\"a\nb\"}");
    QTest::newRow("missing colon") << QByteArray(R"({"type" "event"})");
    QTest::newRow("missing comma") << QByteArray(R"({"type":"event" "seq":1})");
    QTest::newRow("trailing comma") << QByteArray(R"({"type":"event",})");
    QTest::newRow("unquoted key") << QByteArray(R"({type:"event"})");
    QTest::newRow("bad number") << QByteArray(R"({"seq":01})");
    QTest::newRow("bad fraction") << QByteArray(R"({"seq":1.})");
    QTest::newRow("bad exponent") << QByteArray(R"({"seq":1e})");
    QTest::newRow("lone minus") << QByteArray(R"({"seq":-})");
    QTest::newRow("bad literal") << QByteArray(R"({"x":tru})");
    QTest::newRow("unclosed nested") << QByteArray(R"({"x":{"a":[1,2})");
    QTest::newRow("mismatched nested") << QByteArray(R"({"x":[1,2}})");
    QTest::newRow("after the object") << QByteArray(R"({"type":"event"} x)");
    QTest::newRow("two objects") << QByteArray(R"({}{})");
    QTest::newRow("too deep") << "{\"x\":" + QByteArray(100, '[') + QByteArray(100, ']') + "}";
}

void TestBenchScan::malformedJson()
{
    QFETCH(QByteArray, json);
    ScannedFrame f;
    QVERIFY(!scanFrame(json, f));
    // Every prefix of it is refused too, without reading past the end (ASan/valgrind).
    for (qsizetype n = 0; n < json.size(); ++n) {
        const QByteArray prefix = json.left(n); // its own allocation: no bytes beyond n
        scanFrame(prefix, f);
    }
}

void TestBenchScan::framesAcrossEveryReadBoundary()
{
    // Three events, a ping, a presence notice and a 126+ byte event in one stream, split
    // into two reads at every byte, then into three at many pairs of bytes.
    QByteArray stream;
    QList<QByteArray> texts;
    for (int seq = 1; seq <= 3; ++seq) {
        const protocol::Event e = makeEvent(u"brun-fan"_s, seq, makeBody(1, seq, 1000 + seq, 64));
        texts.append(protocol::encode(protocol::ServerMessage(e)));
        stream += serverFrame(e);
    }
    stream += wire::makeFrame(wire::Opcode::Ping, "hb");
    const protocol::ServerMessage presence =
        protocol::PresenceNotice{u"u"_s, protocol::Presence::Online};
    texts.append(protocol::encode(presence));
    stream += serverFrame(presence);
    const protocol::Event big = makeEvent(u"brun-fan"_s, 4, makeBody(1, 4, 1004, 300));
    texts.append(protocol::encode(protocol::ServerMessage(big)));
    stream += serverFrame(big);

    auto check = [&](const std::vector<Got> &got, const FrameReader &reader) {
        QCOMPARE(reader.error(), quint16(0));
        QCOMPARE(got.size(), size_t(6));
        QCOMPARE(got[0].payload, texts[0]);
        QCOMPARE(got[1].payload, texts[1]);
        QCOMPARE(got[2].payload, texts[2]);
        QCOMPARE(got[3].opcode, quint8(FrameReader::Ping));
        QCOMPARE(got[3].payload, QByteArray("hb"));
        QCOMPARE(got[4].payload, texts[3]);
        QCOMPARE(got[5].payload, texts[4]);
        QCOMPARE(reader.buffered(), 0);
        ScannedFrame f;
        for (int i = 0; i < 3; ++i) {
            QVERIFY(scanFrame(got[size_t(i)].payload, f));
            QCOMPARE(f.seq, i + 1);
            QCOMPARE(f.room, QByteArrayView("brun-fan"));
        }
    };
    for (qsizetype cut = 0; cut <= stream.size(); ++cut) {
        FrameReader reader;
        check(feedChunks(reader, stream, {cut}), reader);
    }
    for (qsizetype a = 0; a <= stream.size(); a += 7) {
        for (qsizetype b = 0; b <= stream.size() - a; b += 5) {
            FrameReader reader;
            check(feedChunks(reader, stream, {a, b}), reader);
        }
    }
    // One byte at a time.
    FrameReader reader;
    check(feedChunks(reader, stream, std::vector<qsizetype>(size_t(stream.size()), 1)), reader);
}

void TestBenchScan::framesInRandomChunks()
{
    QRandomGenerator random(7);
    QByteArray stream;
    const int count = 2000;
    for (int seq = 1; seq <= count; ++seq)
        stream += serverFrame(makeEvent(u"r"_s, seq, makeBody(2, seq, seq, 32 + seq % 200)));
    for (int round = 0; round < 20; ++round) {
        std::vector<qsizetype> sizes;
        for (qsizetype total = 0; total < stream.size();) {
            sizes.push_back(qsizetype(random.bounded(1, 4000)));
            total += sizes.back();
        }
        FrameReader reader;
        const auto got = feedChunks(reader, stream, sizes);
        QCOMPARE(reader.error(), quint16(0));
        QCOMPARE(got.size(), size_t(count));
        ScannedFrame f;
        for (int i = 0; i < count; ++i) {
            QVERIFY(scanFrame(got[size_t(i)].payload, f));
            QCOMPARE(f.seq, i + 1);
        }
    }
}

void TestBenchScan::fragmentedMessageWithPingBetween()
{
    const QByteArray json =
        protocol::encode(protocol::ServerMessage(makeEvent(u"r"_s, 9, makeBody(1, 9, 9, 100))));
    // text (no FIN) + ping + continuation (no FIN) + continuation (FIN)
    auto fragment = [](quint8 first, QByteArrayView part) {
        QByteArray f = header(first, quint8(part.size()));
        f.append(part.data(), part.size());
        return f;
    };
    const qsizetype third = json.size() / 3;
    QByteArray stream = fragment(0x01, QByteArrayView(json).first(third)) + fragment(0x89, "p") +
                        fragment(0x00, QByteArrayView(json).sliced(third, third)) +
                        fragment(0x80, QByteArrayView(json).sliced(2 * third));
    for (qsizetype cut = 0; cut <= stream.size(); ++cut) {
        FrameReader reader;
        const auto got = feedChunks(reader, stream, {cut});
        QCOMPARE(reader.error(), quint16(0));
        QCOMPARE(got.size(), size_t(2));
        QCOMPARE(got[0].opcode, quint8(FrameReader::Ping));
        QCOMPARE(got[1].opcode, quint8(FrameReader::Text));
        QCOMPARE(got[1].payload, json);
    }
}

void TestBenchScan::largeFrames()
{
    // 16-bit and 64-bit lengths; the limit refuses what is larger (1009) before it has
    // arrived.
    const QByteArray mid(40000, 'a');
    const QByteArray large(70000, 'b');
    const QByteArray stream =
        wire::makeFrame(wire::Opcode::Binary, mid) + wire::makeFrame(wire::Opcode::Binary, large);
    FrameReader reader;
    const auto got = feedChunks(reader, stream, {3, 1000, 39000, 9, 20000});
    QCOMPARE(reader.error(), quint16(0));
    QCOMPARE(got.size(), size_t(2));
    QCOMPARE(got[0].payload, mid);
    QCOMPARE(got[1].payload, large);

    FrameReader small(50000);
    const auto none = feedChunks(small, stream.sliced(mid.size() + 4, 10), {});
    QCOMPARE(small.error(), quint16(1009));
    QVERIFY(none.empty());
}

void TestBenchScan::malformedFrames_data()
{
    QTest::addColumn<QByteArray>("stream");
    QTest::addColumn<int>("code");
    QTest::addColumn<int>("before"); // messages delivered before the bad frame
    const QByteArray good = wire::makeFrame(wire::Opcode::Text, R"({"type":"pong"})");
    QTest::newRow("masked by the server")
        << good + wire::makeFrame(wire::Opcode::Text, "{}", true) << 1002 << 1;
    QTest::newRow("reserved bits") << good + header(0xC1, 0x00) << 1002 << 1;
    QTest::newRow("reserved opcode") << header(0x83, 0x00) + good << 1002 << 0;
    QTest::newRow("fragmented ping") << header(0x09, 0x00) << 1002 << 0;
    QTest::newRow("ping over 125 bytes") << header(0x89, 126) + QByteArray(2, 0) << 1002 << 0;
    QTest::newRow("continuation without a message") << header(0x80, 0x00) << 1002 << 0;
    QTest::newRow("new message inside a fragmented one")
        << header(0x01, 0x01) + "a" + header(0x81, 0x01) + "b" << 1002 << 0;
    QTest::newRow("64-bit length past the limit")
        << good + header(0x82, 127) + QByteArray("\x7f\xff\xff\xff\xff\xff\xff\xff", 8) << 1009
        << 1;
    QTest::newRow("64-bit length with the top bit")
        << header(0x82, 127) + QByteArray("\xff\xff\xff\xff\xff\xff\xff\xff", 8) << 1009 << 0;
}

void TestBenchScan::malformedFrames()
{
    QFETCH(QByteArray, stream);
    QFETCH(int, code);
    QFETCH(int, before);
    for (qsizetype cut = 0; cut <= stream.size(); ++cut) {
        FrameReader reader;
        const auto got = feedChunks(reader, stream + QByteArray("\x81\x02{}", 4), {cut});
        QCOMPARE(reader.error(), quint16(code));
        QVERIFY(*reader.errorText());
        QCOMPARE(int(got.size()), before); // nothing after the bad frame
        // Once failed, it stays failed and delivers nothing more.
        const auto after = feedChunks(reader, wire::makeFrame(wire::Opcode::Text, "{}"), {});
        QVERIFY(after.empty());
        reader.reset();
        QCOMPARE(reader.error(), quint16(0));
        QCOMPARE(feedChunks(reader, wire::makeFrame(wire::Opcode::Text, "{}"), {}).size(),
                 size_t(1));
    }
}

void TestBenchScan::sinkStopsAndReset()
{
    const QByteArray stream = wire::makeFrame(wire::Opcode::Text, "1") +
                              wire::makeFrame(wire::Opcode::Text, "2") +
                              wire::makeFrame(wire::Opcode::Text, "3").first(2);
    // The sink stops after the first message: the rest of the chunk is dropped.
    FrameReader reader;
    int seen = 0;
    reader.feed(stream, [&seen](quint8, QByteArrayView) {
        ++seen;
        return false;
    });
    QCOMPARE(seen, 1);
    // A reset from inside the sink (the connection reopened) drops the rest too.
    FrameReader other;
    seen = 0;
    other.feed(stream, [&](quint8, QByteArrayView) {
        ++seen;
        other.reset();
        return true;
    });
    QCOMPARE(seen, 1);
    QCOMPARE(other.buffered(), 0);
}

void TestBenchScan::bodyStampFromBytes()
{
    const QByteArray body = makeBody(42, 7, 1763765000123456, 100).toUtf8();
    const auto stamp = parseBody(QByteArrayView(body));
    QVERIFY(stamp);
    QCOMPARE(stamp->sender, 42);
    QCOMPARE(stamp->n, 7);
    QCOMPARE(stamp->tUs, 1763765000123456);
    for (const char *bad : {"hello", "cb1 1 x 3 ", "cb1 1 2 3", "cb1 1 2", "cb1  2 3 ",
                            "cb1 - 2 3 ", "cb1 99999999999999999999 2 3 ", ""}) {
        QVERIFY2(!parseBody(QByteArrayView(bad)), bad);
        QCOMPARE(bool(parseBody(QByteArrayView(bad))),
                 bool(parseBody(QStringView(QString::fromLatin1(bad)))));
    }
}

QTEST_GUILESS_MAIN(TestBenchScan)
#include "tst_bench_scan.moc"
