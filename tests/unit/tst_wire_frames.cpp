// RFC 6455 framing (shared/wire) as a unit: what the frame parser accepts, what it
// refuses and with which close code, fed whole, split at every byte or one byte at a
// time; and what makeCloseFrame() puts on the wire.
#include "../support/rawframe.h"
#include "protocol/errors.h"
#include "wire/websocket.h"

#include <QTest>
#include <QtEndian>

using namespace confab;
using namespace confab::wire;
using Role = FrameParser::Role;

Q_DECLARE_METATYPE(confab::wire::Message)
Q_DECLARE_METATYPE(confab::wire::FrameParser::Role)

namespace {

constexpr qint64 kLimit = 70000; // above 65535, so 64-bit lengths are reachable
using Length = testing::FrameLength;
using testing::closePayload;
using testing::kFin;
using testing::rawFrame;

// A frame as the role's peer sends it: masked towards a server, unmasked towards a client.
QByteArray frameTo(Role role, quint8 first, QByteArrayView payload)
{
    return rawFrame(first, payload, role == Role::Server);
}

struct Outcome
{
    QList<Message> messages;
    quint16 error = 0;
    QString errorText;
};

// Parses bytes fed in pieces of chunk bytes (0: all at once), taking messages after each.
Outcome parse(Role role, QByteArrayView bytes, qsizetype chunk = 0, qint64 limit = kLimit)
{
    FrameParser parser(role, limit);
    Outcome out;
    const qsizetype step = chunk > 0 ? chunk : std::max<qsizetype>(1, bytes.size());
    for (qsizetype at = 0; at < bytes.size(); at += step) {
        parser.feed(bytes.sliced(at, std::min(step, bytes.size() - at)));
        while (auto m = parser.next())
            out.messages.append(*m);
    }
    out.error = parser.error();
    out.errorText = parser.errorText();
    return out;
}

// The same bytes cut once at at: the parser must not care where reads end.
Outcome parseSplit(Role role, QByteArrayView bytes, qsizetype at)
{
    FrameParser parser(role, kLimit);
    Outcome out;
    for (const QByteArrayView piece : {bytes.first(at), bytes.sliced(at)}) {
        parser.feed(piece);
        while (auto m = parser.next())
            out.messages.append(*m);
    }
    out.error = parser.error();
    return out;
}

void addRoleRows(const char *name, const std::function<void(Role, const QByteArray &)> &row)
{
    for (const Role role : {Role::Server, Role::Client})
        row(role, QByteArray(name) + (role == Role::Server ? "/to-server" : "/to-client"));
}

} // namespace

namespace confab::wire {
// For QCOMPARE's messages.
char *toString(const Message &m)
{
    return qstrdup(QByteArray("opcode " + QByteArray::number(int(m.opcode)) + " code " +
                              QByteArray::number(m.closeCode) + " payload " +
                              m.payload.left(40).toHex() + " (" +
                              QByteArray::number(m.payload.size()) + " bytes)")
                       .constData());
}
} // namespace confab::wire

class TestWireFrames : public QObject
{
    Q_OBJECT

private slots:
    void goodFrames_data();
    void goodFrames();
    void goodCloseCodes_data();
    void goodCloseCodes();
    void invalidHeader_data();
    void invalidHeader();
    void invalidControlFrame_data();
    void invalidControlFrame();
    void invalidCloseFrame_data();
    void invalidCloseFrame();
    void minimumSize_data();
    void minimumSize();
    void tooLarge_data();
    void tooLarge();
    void invalidText_data();
    void invalidText();
    void splitAtEveryByte_data();
    void splitAtEveryByte();
    void closeCodeRanges();
    void closeFrameEncoding_data();
    void closeFrameEncoding();
    void framesAreCounted();
    void framingCloseCodes();

private:
    void checkOneMessageOrError();
};

void TestWireFrames::goodFrames_data()
{
    QTest::addColumn<Role>("role");
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<QList<Message>>("expected");

    const QByteArray utf8 = "Gr\xc3\xbc\xc3\x9f\x65 \xe2\x82\xac \xf0\x9f\x98\x80"; // Grüße € 😀
    addRoleRows("sizes", [&](Role role, const QByteArray &name) {
        for (const qsizetype size : {0, 1, 125, 126, 127, 65535, 65536, 69999}) {
            const QByteArray payload(size, 'a');
            QTest::addRow("%s/text-%lld", name.constData(), qlonglong(size))
                << role << frameTo(role, kFin | 0x1, payload)
                << QList<Message>{{Opcode::Text, payload, 0}};
        }
    });
    addRoleRows("binary-every-byte", [&](Role role, const QByteArray &name) {
        QByteArray all;
        for (int b = 0; b < 256; ++b)
            all.append(char(b));
        QTest::addRow("%s", name.constData())
            << role << frameTo(role, kFin | 0x2, all) << QList<Message>{{Opcode::Binary, all, 0}};
    });
    addRoleRows("utf8-text", [&](Role role, const QByteArray &name) {
        QTest::addRow("%s", name.constData())
            << role << frameTo(role, kFin | 0x1, utf8) << QList<Message>{{Opcode::Text, utf8, 0}};
    });
    addRoleRows("control", [&](Role role, const QByteArray &name) {
        const QByteArray ping(125, 'p');
        QTest::addRow("%s", name.constData())
            << role
            << frameTo(role, kFin | 0x9, ping) + frameTo(role, kFin | 0xA, {}) +
                   frameTo(role, kFin | 0x8, {}) + frameTo(role, kFin | 0x8, closePayload(1000)) +
                   frameTo(role, kFin | 0x8, closePayload(4001, utf8))
            << QList<Message>{{Opcode::Ping, ping, 0},
                              {Opcode::Pong, {}, 0},
                              {Opcode::Close, {}, kCloseNoStatus},
                              {Opcode::Close, {}, 1000},
                              {Opcode::Close, utf8, 4001}};
    });
    // A character split over two fragments, a ping between them, empty fragments.
    addRoleRows("fragmented", [&](Role role, const QByteArray &name) {
        QTest::addRow("%s", name.constData())
            << role
            << frameTo(role, 0x1, utf8.first(3)) + frameTo(role, kFin | 0x9, "p") +
                   frameTo(role, 0x0, {}) + frameTo(role, kFin | 0x0, utf8.sliced(3)) +
                   frameTo(role, 0x2, "ab") + frameTo(role, kFin | 0x0, "cd")
            << QList<Message>{
                   {Opcode::Ping, "p", 0}, {Opcode::Text, utf8, 0}, {Opcode::Binary, "abcd", 0}};
    });
}

void TestWireFrames::goodFrames()
{
    QFETCH(Role, role);
    QFETCH(QByteArray, bytes);
    QFETCH(QList<Message>, expected);
    for (const qsizetype chunk : {0, 1, 7}) {
        const Outcome out = parse(role, bytes, chunk);
        QCOMPARE(out.error, quint16(0));
        QCOMPARE(out.messages, expected);
    }
}

void TestWireFrames::goodCloseCodes_data()
{
    QTest::addColumn<int>("code");
    for (const int code : {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014,
                           3000, 3999, 4000, 4999})
        QTest::addRow("%d", code) << code;
}

void TestWireFrames::goodCloseCodes()
{
    QFETCH(int, code);
    const Outcome out =
        parse(Role::Server, frameTo(Role::Server, kFin | 0x8, closePayload(quint16(code), "bye")));
    QCOMPARE(out.error, quint16(0));
    QCOMPARE(out.messages, (QList<Message>{{Opcode::Close, "bye", quint16(code)}}));
}

void TestWireFrames::invalidHeader_data()
{
    QTest::addColumn<Role>("role");
    QTest::addColumn<QByteArray>("bytes");
    addRoleRows("rsv", [](Role role, const QByteArray &name) {
        for (const quint8 rsv : {0x40, 0x20, 0x10, 0x70})
            QTest::addRow("%s/0x%02x", name.constData(), rsv)
                << role << frameTo(role, kFin | rsv | 0x1, "x");
    });
    addRoleRows("reserved-opcode", [](Role role, const QByteArray &name) {
        for (const quint8 op : {0x3, 0x4, 0x5, 0x6, 0x7, 0xB, 0xC, 0xD, 0xE, 0xF})
            QTest::addRow("%s/0x%x", name.constData(), op) << role << frameTo(role, kFin | op, {});
    });
    QTest::addRow("unmasked-to-server") << Role::Server << rawFrame(kFin | 0x1, "x", false);
    QTest::addRow("masked-to-client") << Role::Client << rawFrame(kFin | 0x1, "x", true);
}

void TestWireFrames::invalidHeader()
{
    QFETCH(Role, role);
    QFETCH(QByteArray, bytes);
    // The first two bytes tell, so the parser refuses without waiting for the rest.
    const Outcome out = parse(role, bytes.first(2));
    QCOMPARE(out.error, quint16(1002));
    QVERIFY(out.messages.isEmpty());
}

void TestWireFrames::invalidControlFrame_data()
{
    QTest::addColumn<Role>("role");
    QTest::addColumn<QByteArray>("bytes");
    addRoleRows("control", [](Role role, const QByteArray &name) {
        for (const quint8 op : {0x8, 0x9, 0xA}) {
            QTest::addRow("%s/0x%x-126-bytes", name.constData(), op)
                << role << frameTo(role, kFin | op, QByteArray(126, 'x'));
            QTest::addRow("%s/0x%x-64-bit-length", name.constData(), op)
                << role << rawFrame(kFin | op, {}, role == Role::Server, Length::SixtyFour, 70000);
            QTest::addRow("%s/0x%x-fragmented", name.constData(), op)
                << role << frameTo(role, op, closePayload(1000));
        }
    });
}

void TestWireFrames::invalidControlFrame()
{
    QFETCH(Role, role);
    QFETCH(QByteArray, bytes);
    const Outcome out = parse(role, bytes.first(2));
    QCOMPARE(out.error, quint16(1002));
    QVERIFY(out.messages.isEmpty());
}

void TestWireFrames::invalidCloseFrame_data()
{
    QTest::addColumn<QByteArray>("payload");
    QTest::addColumn<int>("error");
    QTest::addRow("one-byte") << QByteArray(1, '\x03') << 1002;
    for (const int code : {0, 1, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535})
        QTest::addRow("code-%d", code) << closePayload(quint16(code)) << 1002;
    QTest::addRow("reason-lone-continuation") << closePayload(1000, "\x80") << 1007;
    QTest::addRow("reason-overlong") << closePayload(1000, "\xc0\xaf") << 1007;
    QTest::addRow("reason-surrogate") << closePayload(1000, "\xed\xa0\x80") << 1007;
    QTest::addRow("reason-past-10ffff") << closePayload(1000, "\xf4\x90\x80\x80") << 1007;
    QTest::addRow("reason-cut-character") << closePayload(1000, "ok \xe2\x82") << 1007;
}

void TestWireFrames::invalidCloseFrame()
{
    QFETCH(QByteArray, payload);
    QFETCH(int, error);
    for (const Role role : {Role::Server, Role::Client}) {
        // A valid frame first: it is delivered, the close is not.
        const Outcome out =
            parse(role, frameTo(role, kFin | 0x9, "p") + frameTo(role, kFin | 0x8, payload));
        QCOMPARE(out.error, quint16(error));
        QVERIFY(!out.errorText.isEmpty());
        QCOMPARE(out.messages, (QList<Message>{{Opcode::Ping, "p", 0}}));
    }
}

// RFC 6455 5.2: "the minimal number of bytes MUST be used to encode the length", and the
// most significant bit of a 64-bit length MUST be 0.
void TestWireFrames::minimumSize_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<int>("error");
    const bool m = true; // towards the server
    for (const quint64 length : {0, 1, 125})
        QTest::addRow("16-bit-%llu", length)
            << rawFrame(kFin | 0x1, QByteArray(qsizetype(length), 'a'), m, Length::Sixteen) << 1002;
    for (const quint64 length : {0, 125, 126, 65535})
        QTest::addRow("64-bit-%llu", length)
            << rawFrame(kFin | 0x2, QByteArray(qsizetype(length), 'a'), m, Length::SixtyFour)
            << 1002;
    QTest::addRow("16-bit-126-is-shortest")
        << rawFrame(kFin | 0x1, QByteArray(126, 'a'), m, Length::Sixteen) << 0;
    QTest::addRow("64-bit-65536-is-shortest")
        << rawFrame(kFin | 0x2, QByteArray(65536, 'a'), m, Length::SixtyFour) << 0;
    QTest::addRow("64-bit-top-bit")
        << rawFrame(kFin | 0x2, {}, m, Length::SixtyFour, quint64(1) << 63) << 1002;
    QTest::addRow("64-bit-all-ones")
        << rawFrame(kFin | 0x2, {}, m, Length::SixtyFour, ~quint64(0)) << 1002;
    // The same with a fragment pending: its size must not wrap the length around.
    QTest::addRow("64-bit-all-ones-after-fragment")
        << rawFrame(0x2, "abc", m) + rawFrame(kFin | 0x0, {}, m, Length::SixtyFour, ~quint64(0))
        << 1002;
}

void TestWireFrames::minimumSize()
{
    checkOneMessageOrError();
}

void TestWireFrames::tooLarge_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<int>("error");
    const bool m = true;
    QTest::addRow("at-limit") << rawFrame(kFin | 0x2, QByteArray(kLimit, 'a'), m) << 0;
    QTest::addRow("over-limit") << rawFrame(kFin | 0x2, QByteArray(kLimit + 1, 'a'), m) << 1009;
    // Refused from the header alone, before any of the 2^63 - 1 bytes arrive.
    QTest::addRow("63-bit") << rawFrame(kFin | 0x2, {}, m, Length::SixtyFour,
                                        (quint64(1) << 63) - 1)
                            << 1009;
    QTest::addRow("fragments-at-limit")
        << rawFrame(0x2, QByteArray(kLimit - 1, 'a'), m) + rawFrame(kFin | 0x0, "b", m) << 0;
    QTest::addRow("fragments-over-limit")
        << rawFrame(0x2, QByteArray(kLimit - 1, 'a'), m) + rawFrame(kFin | 0x0, "bc", m) << 1009;
    QTest::addRow("63-bit-after-fragment")
        << rawFrame(0x1, "abc", m) +
               rawFrame(kFin | 0x0, {}, m, Length::SixtyFour, (quint64(1) << 63) - 1)
        << 1009;
    QTest::addRow("continuation-first") << rawFrame(kFin | 0x0, "a", m) << 1002;
    QTest::addRow("text-inside-fragmented")
        << rawFrame(0x1, "a", m) + rawFrame(kFin | 0x1, "b", m) << 1002;
}

void TestWireFrames::tooLarge()
{
    checkOneMessageOrError();
}

// The rows of minimumSize and tooLarge: bytes towards a server, one message or error.
void TestWireFrames::checkOneMessageOrError()
{
    QFETCH(QByteArray, bytes);
    QFETCH(int, error);
    const Outcome out = parse(Role::Server, bytes);
    QCOMPARE(out.error, quint16(error));
    QCOMPARE(out.messages.size(), error ? 0 : 1);
}

void TestWireFrames::invalidText_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<bool>("valid");
    QTest::addColumn<bool>("truncated"); // only the end of the message makes it invalid
    QTest::addRow("ascii") << QByteArray("plain text") << true << false;
    QTest::addRow("max-code-point") << QByteArray("\xf4\x8f\xbf\xbf") << true << false;
    QTest::addRow("last-before-surrogates") << QByteArray("\xed\x9f\xbf") << true << false;
    QTest::addRow("noncharacter-fffe") << QByteArray("\xef\xbf\xbe") << true << false;
    QTest::addRow("nul") << QByteArray(1, '\0') << true << false;
    QTest::addRow("lone-continuation") << QByteArray("a\x80z") << false << false;
    QTest::addRow("overlong-2") << QByteArray("\xc1\xbf") << false << false;
    QTest::addRow("overlong-3") << QByteArray("\xe0\x9f\xbf") << false << false;
    QTest::addRow("overlong-4") << QByteArray("\xf0\x8f\xbf\xbf") << false << false;
    QTest::addRow("surrogate") << QByteArray("\xed\xbf\xbf") << false << false;
    QTest::addRow("past-10ffff") << QByteArray("\xf4\x90\x80\x80") << false << false;
    QTest::addRow("f5") << QByteArray("\xf5\x80\x80\x80") << false << false;
    QTest::addRow("ff") << QByteArray("\xff") << false << false;
    QTest::addRow("cut-at-end") << QByteArray("abc\xf0\x9f\x98") << false << true;
    QTest::addRow("start-byte-in-sequence") << QByteArray("\xe2\x82\xe2\x82\xac") << false << false;
}

void TestWireFrames::invalidText()
{
    QFETCH(QByteArray, text);
    QFETCH(bool, valid);
    QFETCH(bool, truncated);
    QCOMPARE(Utf8Validator::isValid(text), valid);
    const Outcome out = parse(Role::Server, frameTo(Role::Server, kFin | 0x1, text));
    QCOMPARE(out.error, quint16(valid ? 0 : 1007));
    // Fragmented at every byte: the same verdict, and a bad byte fails the message at
    // once, with its final fragment still to come.
    QByteArray fragments;
    for (const char c : text)
        fragments += frameTo(Role::Server, fragments.isEmpty() ? 0x1 : 0x0, QByteArray(1, c));
    const Outcome early = parse(Role::Server, fragments);
    QCOMPARE(early.error, quint16(valid || truncated ? 0 : 1007));
    const Outcome whole = parse(Role::Server, fragments + frameTo(Role::Server, kFin | 0x0, {}));
    QCOMPARE(whole.error, quint16(valid ? 0 : 1007));
    QCOMPARE(whole.messages.size(), valid ? 1 : 0);
}

void TestWireFrames::splitAtEveryByte_data()
{
    QTest::addColumn<Role>("role");
    QTest::addColumn<QByteArray>("bytes");
    addRoleRows("conversation", [](Role role, const QByteArray &name) {
        QTest::addRow("%s", name.constData())
            << role
            << frameTo(role, kFin | 0x1, R"({"type":"ping","id":1})") +
                   frameTo(role, kFin | 0x1, QByteArray(300, 'x')) +
                   frameTo(role, 0x1, "\xe2\x82") + frameTo(role, kFin | 0xA, "pong") +
                   frameTo(role, kFin | 0x0, "\xac") +
                   frameTo(role, kFin | 0x8, closePayload(1001, "later"));
    });
    addRoleRows("ends-in-error", [](Role role, const QByteArray &name) {
        QTest::addRow("%s", name.constData())
            << role
            << frameTo(role, kFin | 0x9, "a") +
                   rawFrame(kFin | 0x2, "x", role == Role::Server, Length::Sixteen);
    });
}

void TestWireFrames::splitAtEveryByte()
{
    QFETCH(Role, role);
    QFETCH(QByteArray, bytes);
    const Outcome whole = parse(role, bytes);
    QVERIFY(!whole.messages.isEmpty());
    for (qsizetype at = 0; at <= bytes.size(); ++at) {
        const Outcome split = parseSplit(role, bytes, at);
        QCOMPARE(split.messages, whole.messages);
        QCOMPARE(split.error, whole.error);
    }
    const Outcome bytewise = parse(role, bytes, 1);
    QCOMPARE(bytewise.messages, whole.messages);
    QCOMPARE(bytewise.error, whole.error);
}

// Every code against the ranges of RFC 6455 7.4, written out independently.
void TestWireFrames::closeCodeRanges()
{
    for (int code = 0; code <= 0xFFFF; ++code) {
        const bool invalid = code < 1000 || (code >= 1004 && code <= 1006) || code == 1015 ||
                             (code >= 1016 && code <= 2999) || code >= 5000;
        QVERIFY2(isValidCloseCode(quint16(code)) == !invalid, qPrintable(QString::number(code)));
    }
}

void TestWireFrames::closeFrameEncoding_data()
{
    QTest::addColumn<int>("code");
    QTest::addColumn<QByteArray>("reason");
    QTest::addColumn<int>("sentCode");
    QTest::addColumn<QByteArray>("sentReason");
    const QByteArray ascii(200, 'r');
    QTest::addRow("normal") << 1000 << QByteArray("bye") << 1000 << QByteArray("bye");
    QTest::addRow("ascii-cut") << 4000 << ascii << 4000 << ascii.first(123);
    // 61 two-byte characters are 122 bytes; the 62nd would straddle the limit.
    const QByteArray two = QByteArray("\xc3\xa9").repeated(70);
    QTest::addRow("2-byte-cut") << 1008 << two << 1008 << two.first(122);
    const QByteArray three = "a" + QByteArray("\xe2\x82\xac").repeated(50); // 1 + 3n
    QTest::addRow("3-byte-cut") << 1001 << three << 1001 << three.first(121);
    const QByteArray four = "ab" + QByteArray("\xf0\x9f\x98\x80").repeated(40);
    QTest::addRow("4-byte-cut") << 4003 << four << 4003 << four.first(122);
    // An empty Close answers a Close without a code; 1005 itself never goes out.
    QTest::addRow("no-status") << 1005 << QByteArray("dropped") << 1005 << QByteArray();
    QTest::addRow("invalid-1006") << 1006 << QByteArray("x") << 1011 << QByteArray("x");
    QTest::addRow("invalid-0") << 0 << QByteArray() << 1011 << QByteArray();
    QTest::addRow("invalid-5000") << 5000 << QByteArray() << 1011 << QByteArray();
}

void TestWireFrames::closeFrameEncoding()
{
    QFETCH(int, code);
    QFETCH(QByteArray, reason);
    QFETCH(int, sentCode);
    QFETCH(QByteArray, sentReason);
    for (const bool mask : {false, true}) {
        const QByteArray frame = makeCloseFrame(quint16(code), reason, mask);
        QVERIFY(frame.size() <= 2 + (mask ? 4 : 0) + kMaxControlPayload);
        const Outcome out = parse(mask ? Role::Server : Role::Client, frame);
        QCOMPARE(out.error, quint16(0));
        QCOMPARE(out.messages, (QList<Message>{{Opcode::Close, sentReason, quint16(sentCode)}}));
    }
}

void TestWireFrames::framesAreCounted()
{
    FrameParser parser(Role::Server, kLimit);
    parser.feed(frameTo(Role::Server, 0x1, "a") + frameTo(Role::Server, kFin | 0x9, {}) +
                frameTo(Role::Server, kFin | 0x0, "b") + frameTo(Role::Server, kFin | 0x1, "c"));
    QCOMPARE(parser.framesParsed(), 0);
    QVERIFY(parser.next()); // the ping
    QCOMPARE(parser.framesParsed(), 2);
    QVERIFY(parser.next()); // "ab"
    QVERIFY(parser.next()); // "c"
    QVERIFY(!parser.next());
    QCOMPARE(parser.framesParsed(), 4);
}

// The parser's error codes are the protocol's close codes of the same meaning.
void TestWireFrames::framingCloseCodes()
{
    QCOMPARE(quint16(protocol::CloseCode::ProtocolError), quint16(1002));
    QCOMPARE(quint16(protocol::CloseCode::InvalidPayload), quint16(1007));
    QCOMPARE(quint16(protocol::CloseCode::TooLarge), quint16(1009));
    QCOMPARE(parse(Role::Server, rawFrame(kFin | 0x1, "x", false)).error,
             quint16(protocol::CloseCode::ProtocolError));
    QCOMPARE(parse(Role::Server, frameTo(Role::Server, kFin | 0x1, "\xff")).error,
             quint16(protocol::CloseCode::InvalidPayload));
}

QTEST_GUILESS_MAIN(TestWireFrames)
#include "tst_wire_frames.moc"
