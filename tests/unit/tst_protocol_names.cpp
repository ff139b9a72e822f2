// Name and room-id rules of the protocol (names.h) and their use by the decoder.
#include "protocol/codec.h"
#include "protocol/names.h"

#include <QSet>
#include <QTest>

using namespace confab::protocol;
using namespace Qt::StringLiterals;

class TestProtocolNames : public QObject
{
    Q_OBJECT

private slots:
    void userNames_data();
    void userNames();
    void foldUserNames_data();
    void foldUserNames();
    void channelNames_data();
    void channelNames();
    void roomIds_data();
    void roomIds();
    void dmRoomIdSorts_data();
    void dmRoomIdSorts();
    void clientMsgIds_data();
    void clientMsgIds();
    void controlChars_data();
    void controlChars();
    void decoderFoldsUserNames_data();
    void decoderFoldsUserNames();
};

void TestProtocolNames::userNames_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<bool>("valid");

    QTest::addRow("simple") << u"alice"_s << true;
    QTest::addRow("one char") << u"a"_s << true;
    QTest::addRow("digits") << u"007"_s << true;
    QTest::addRow("punctuation") << u"a.b_c-d"_s << true;
    QTest::addRow("32 chars") << QString(kMaxUserNameChars, u'a') << true;
    QTest::addRow("33 chars") << QString(kMaxUserNameChars + 1, u'a') << false;
    QTest::addRow("empty") << QString() << false;
    QTest::addRow("space") << u"al ice"_s << false;
    QTest::addRow("bang") << u"alice!"_s << false;
    QTest::addRow("colon") << u"dm:x"_s << false;
    QTest::addRow("uppercase (not folded)") << u"Alice"_s << false;
    QTest::addRow("non-ascii letter") << u"\u00e5lice"_s << false;
    QTest::addRow("tab") << u"al\tice"_s << false;
    QTest::addRow("slash") << u"a/b"_s << false;
}

void TestProtocolNames::userNames()
{
    QFETCH(QString, name);
    QFETCH(bool, valid);
    QCOMPARE(isValidUserName(name), valid);
}

void TestProtocolNames::foldUserNames_data()
{
    QTest::addColumn<QString>("input");
    QTest::addColumn<QString>("folded");
    QTest::addColumn<bool>("valid");

    QTest::addRow("lower") << u"alice"_s << u"alice"_s << true;
    QTest::addRow("upper") << u"ALICE"_s << u"alice"_s << true;
    QTest::addRow("mixed") << u"Bob.Smith-2"_s << u"bob.smith-2"_s << true;
    // Only ASCII letters fold: a look-alike must not become someone else's name.
    QTest::addRow("kelvin sign is not k") << u"\u212Aate"_s << u"\u212Aate"_s << false;
    QTest::addRow("dotted capital I is not i") << u"\u0130van"_s << u"\u0130van"_s << false;
    QTest::addRow("non-ascii stays invalid") << u"\u00c5SA"_s << u"\u00c5sa"_s << false;
}

void TestProtocolNames::foldUserNames()
{
    QFETCH(QString, input);
    QFETCH(QString, folded);
    QFETCH(bool, valid);
    QCOMPARE(foldUserName(input), folded);
    QCOMPARE(isValidUserName(foldUserName(input)), valid);
    QCOMPARE(foldUserName(foldUserName(input)), foldUserName(input));
}

void TestProtocolNames::channelNames_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<bool>("valid");

    QTest::addRow("simple") << u"general"_s << true;
    QTest::addRow("one char") << u"a"_s << true;
    QTest::addRow("dash underscore digits") << u"ops-2_x"_s << true;
    QTest::addRow("40 chars") << QString(kMaxChannelNameChars, u'c') << true;
    QTest::addRow("41 chars") << QString(kMaxChannelNameChars + 1, u'c') << false;
    QTest::addRow("empty") << QString() << false;
    QTest::addRow("uppercase") << u"General"_s << false;
    QTest::addRow("space") << u"a b"_s << false;
    QTest::addRow("dot") << u"a.b"_s << false;
    QTest::addRow("hash") << u"#ops"_s << false;
    QTest::addRow("dm id") << u"dm:alice:bob"_s << false;
}

void TestProtocolNames::channelNames()
{
    QFETCH(QString, name);
    QFETCH(bool, valid);
    QCOMPARE(isValidChannelName(name), valid);
}

void TestProtocolNames::roomIds_data()
{
    QTest::addColumn<QString>("room");
    QTest::addColumn<bool>("valid");
    QTest::addColumn<bool>("dm");

    QTest::addRow("channel") << u"general"_s << true << false;
    QTest::addRow("dm sorted") << u"dm:alice:bob"_s << true << true;
    QTest::addRow("dm punctuation") << u"dm:a-b:a.b"_s << true << true;
    QTest::addRow("dm unsorted") << u"dm:bob:alice"_s << false << false;
    QTest::addRow("dm one user") << u"dm:alice"_s << false << false;
    QTest::addRow("dm with self") << u"dm:alice:alice"_s << false << false;
    QTest::addRow("dm three users") << u"dm:alice:bob:carol"_s << false << false;
    QTest::addRow("dm uppercase") << u"dm:Alice:bob"_s << false << false;
    QTest::addRow("dm empty first") << u"dm::bob"_s << false << false;
    QTest::addRow("dm empty second") << u"dm:alice:"_s << false << false;
    QTest::addRow("dm prefix only") << u"dm:"_s << false << false;
    QTest::addRow("DM prefix") << u"DM:alice:bob"_s << false << false;
    QTest::addRow("dm user too long")
        << u"dm:alice:"_s + QString(kMaxUserNameChars + 1, u'z') << false << false;
    QTest::addRow("uppercase channel") << u"General"_s << false << false;
    QTest::addRow("empty") << QString() << false << false;
}

void TestProtocolNames::roomIds()
{
    QFETCH(QString, room);
    QFETCH(bool, valid);
    QFETCH(bool, dm);
    QCOMPARE(isValidRoomId(room), valid);
    QCOMPARE(isDmRoomId(room), dm);
    QCOMPARE(parseDmRoomId(room).has_value(), dm);
}

void TestProtocolNames::dmRoomIdSorts_data()
{
    QTest::addColumn<QString>("a");
    QTest::addColumn<QString>("b");
    QTest::addColumn<QString>("room");

    QTest::addRow("sorted") << u"alice"_s << u"bob"_s << u"dm:alice:bob"_s;
    QTest::addRow("reversed") << u"bob"_s << u"alice"_s << u"dm:alice:bob"_s;
    QTest::addRow("prefix sorts first") << u"bobby"_s << u"bob"_s << u"dm:bob:bobby"_s;
    QTest::addRow("punctuation by code point") << u"a.b"_s << u"a-b"_s << u"dm:a-b:a.b"_s;
    QTest::addRow("digits before letters") << u"zed"_s << u"42"_s << u"dm:42:zed"_s;
}

void TestProtocolNames::dmRoomIdSorts()
{
    QFETCH(QString, a);
    QFETCH(QString, b);
    QFETCH(QString, room);

    QCOMPARE(dmRoomId(a, b), room);
    QCOMPARE(dmRoomId(b, a), room);
    QVERIFY(isDmRoomId(room));
    QVERIFY(isValidRoomId(room));
    const auto pair = parseDmRoomId(room);
    QVERIFY(pair);
    QCOMPARE(dmRoomId(pair->first, pair->second), room);
    QVERIFY(pair->first < pair->second);
    QCOMPARE(QSet<QString>({pair->first, pair->second}), QSet<QString>({a, b}));
}

void TestProtocolNames::clientMsgIds_data()
{
    QTest::addColumn<QString>("id");
    QTest::addColumn<bool>("valid");

    QTest::addRow("example") << u"5f0c\u2026"_s << true;
    QTest::addRow("uuid") << u"5f0c2a1e-7d41-4c1e-9a55-0d6c2b7e1f00"_s << true;
    QTest::addRow("one char") << u"x"_s << true;
    QTest::addRow("64 chars") << QString(kMaxClientMsgIdChars, u'c') << true;
    QTest::addRow("65 chars") << QString(kMaxClientMsgIdChars + 1, u'c') << false;
    QTest::addRow("empty") << QString() << false;
    QTest::addRow("space") << u"a b"_s << false;
    QTest::addRow("newline") << u"a\nb"_s << false;
    QTest::addRow("nul") << QString(QChar(0)) << false;
}

void TestProtocolNames::clientMsgIds()
{
    QFETCH(QString, id);
    QFETCH(bool, valid);
    QCOMPARE(isValidClientMsgId(id), valid);
}

void TestProtocolNames::controlChars_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<bool>("forbidden");

    QTest::addRow("empty") << QString() << false;
    QTest::addRow("plain") << u"on call rota"_s << false;
    QTest::addRow("newline and tab") << u"line\nnext\tcol"_s << false;
    QTest::addRow("non-ascii") << u"caf\u00e9 \U0001F680"_s << false;
    QTest::addRow("bell") << u"ding\a"_s << true;
    QTest::addRow("escape") << u"\x1b[31mred"_s << true;
    QTest::addRow("carriage return") << u"a\rb"_s << true;
    QTest::addRow("nul") << u"a"_s + QChar(0) << true;
    QTest::addRow("del") << u"a\x7f"_s << true;
    QTest::addRow("c1 control") << u"a\u0085"_s << true;
}

void TestProtocolNames::controlChars()
{
    QFETCH(QString, text);
    QFETCH(bool, forbidden);
    QCOMPARE(hasForbiddenControlChars(text), forbidden);
}

// Every user name a client sends arrives folded in the decoded message.
void TestProtocolNames::decoderFoldsUserNames_data()
{
    QTest::addColumn<QByteArray>("frame");
    QTest::addColumn<QString>("user");

    QTest::addRow("hello password")
        << QByteArray(
               R"({"type":"hello","auth":{"method":"password","user":"Alice","password":"pw"}})")
        << u"alice"_s;
    QTest::addRow("hello register")
        << QByteArray(
               R"({"type":"hello","auth":{"method":"register","user":"BOB.Smith","password":"12345678"}})")
        << u"bob.smith"_s;
    QTest::addRow("invite") << QByteArray(R"({"type":"invite","room":"ops","user":"Carol"})")
                            << u"carol"_s;
    QTest::addRow("dm") << QByteArray(R"({"type":"dm","user":"DAVE"})") << u"dave"_s;
}

void TestProtocolNames::decoderFoldsUserNames()
{
    QFETCH(QByteArray, frame);
    QFETCH(QString, user);

    const ClientDecodeResult r = decodeClientMessage(frame);
    QVERIFY2(r.ok(), qPrintable(r.error.message));
    const QString decoded = std::visit(
        [](const auto &m) -> QString {
            using T = std::decay_t<decltype(m)>;
            if constexpr (std::is_same_v<T, Hello>)
                return m.auth.user;
            else if constexpr (requires { m.user; })
                return m.user;
            else
                return {};
        },
        *r.message);
    QCOMPARE(decoded, user);
}

QTEST_GUILESS_MAIN(TestProtocolNames)
#include "tst_protocol_names.moc"
