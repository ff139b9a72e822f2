#include "auth/credentials.h"

#include <QSet>
#include <QTest>
#include <QThreadPool>
#include <atomic>

using namespace Qt::StringLiterals;
using namespace confab::server;

class TestCredentials : public QObject
{
    Q_OBJECT

private slots:
    void hashAndVerify_data();
    void hashAndVerify();
    void saltedHashesDiffer();
    void interactiveCost();
    void malformedHashesNeverVerify_data();
    void malformedHashesNeverVerify();
    void tokensAreLongRandomAndUrlSafe();
    void hashTokenIsStableHexSha256();
    void hashingIsThreadSafe();
};

void TestCredentials::hashAndVerify_data()
{
    QTest::addColumn<QByteArray>("password");
    QTest::addColumn<QByteArray>("wrong");
    QTest::addRow("ascii") << QByteArray("correct horse") << QByteArray("correct hors");
    QTest::addRow("utf-8") << u"pässwörd ✓"_s.toUtf8() << u"passwörd ✓"_s.toUtf8();
    QTest::addRow("case") << QByteArray("Secret123") << QByteArray("secret123");
    QTest::addRow("max length") << QByteArray(1024, 'x') << QByteArray(1023, 'x');
    QTest::addRow("embedded nul") << QByteArray("abc\0def12", 9) << QByteArray("abc\0xyz12", 9);
}

void TestCredentials::hashAndVerify()
{
    QFETCH(QByteArray, password);
    QFETCH(QByteArray, wrong);
    const QString hash = hashPassword(password, HashParams::minimal());
    QVERIFY(hash.startsWith("$argon2id$"_L1));
    QVERIFY(!hash.contains(QString::fromUtf8(password)));
    QVERIFY(verifyPassword(hash, password));
    QVERIFY(!verifyPassword(hash, wrong));
    QVERIFY(!verifyPassword(hash, QByteArray()));
}

void TestCredentials::saltedHashesDiffer()
{
    const QByteArray password("same password");
    const QString a = hashPassword(password, HashParams::minimal());
    const QString b = hashPassword(password, HashParams::minimal());
    QVERIFY(a != b);
    QVERIFY(verifyPassword(a, password));
    QVERIFY(verifyPassword(b, password));
}

void TestCredentials::interactiveCost()
{
    const QByteArray password("interactive cost");
    const QString strong = hashPassword(password, HashParams::interactive());
    const QString weak = hashPassword(password, HashParams::minimal());
    QVERIFY(verifyPassword(strong, password));
    QVERIFY(!needsRehash(strong, HashParams::interactive()));
    QVERIFY(needsRehash(weak, HashParams::interactive()));
    QVERIFY(needsRehash(strong, HashParams::minimal()));
    QVERIFY(needsRehash(u"not a hash"_s, HashParams::interactive()));
    QVERIFY(HashParams::interactive().opsLimit > HashParams::minimal().opsLimit);
}

void TestCredentials::malformedHashesNeverVerify_data()
{
    QTest::addColumn<QString>("hash");
    QTest::addRow("empty") << QString();
    QTest::addRow("garbage") << u"password"_s;
    QTest::addRow("truncated") << hashPassword("password1", HashParams::minimal()).left(30);
    QTest::addRow("too long") << QString(200, u'$');
    QTest::addRow("other algorithm") << u"$2y$10$abcdefghijklmnopqrstuu"_s;
}

void TestCredentials::malformedHashesNeverVerify()
{
    QFETCH(QString, hash);
    QVERIFY(!verifyPassword(hash, "password1"));
}

void TestCredentials::tokensAreLongRandomAndUrlSafe()
{
    QSet<QString> seen;
    for (int i = 0; i < 1000; ++i) {
        const QString token = generateToken();
        QCOMPARE(token.size(), 43); // 32 bytes, base64 without padding
        for (QChar c : token) {
            QVERIFY2(c.isLetterOrNumber() || c == u'-' || c == u'_', qPrintable(token));
            QVERIFY(c.unicode() < 128);
        }
        const auto decoded = QByteArray::fromBase64Encoding(
            token.toLatin1(),
            QByteArray::Base64UrlEncoding | QByteArray::AbortOnBase64DecodingErrors);
        QVERIFY(decoded);
        QVERIFY(decoded.decoded.size() * 8 >= 128);
        seen.insert(token);
    }
    QCOMPARE(seen.size(), 1000);
}

void TestCredentials::hashTokenIsStableHexSha256()
{
    // FIPS 180-2 test vector.
    QCOMPARE(hashToken(u"abc"_s),
             u"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"_s);
    const QString token = generateToken();
    QCOMPARE(hashToken(token), hashToken(token));
    QCOMPARE(hashToken(token).size(), 64);
    QVERIFY(hashToken(token) != hashToken(generateToken()));
}

void TestCredentials::hashingIsThreadSafe()
{
    QThreadPool pool;
    pool.setMaxThreadCount(4);
    std::atomic<int> good{0};
    for (int i = 0; i < 16; ++i) {
        pool.start([i, &good] {
            const QByteArray password = "password-" + QByteArray::number(i);
            const QString hash = hashPassword(password, HashParams::minimal());
            if (verifyPassword(hash, password) && !verifyPassword(hash, "other"))
                ++good;
            if (generateToken().size() != 43)
                --good;
        });
    }
    pool.waitForDone();
    QCOMPARE(good.load(), 16);
}

QTEST_GUILESS_MAIN(TestCredentials)
#include "tst_credentials.moc"
