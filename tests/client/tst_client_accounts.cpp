// Profiles keep people apart (XDG locations, --profile NAME or a directory), Accounts
// keeps several servers side by side and remembers them, ServersModel merges recent and
// discovered servers.
#include "account/accounts.h"
#include "account/tokenstore.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace confab::client;
using namespace Qt::StringLiterals;

class TestClientAccounts : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;

private slots:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void profileArguments_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("name");
        QTest::addColumn<bool>("directory");
        QTest::addRow("none") << QStringList{u"confab"_s} << QString() << false;
        QTest::addRow("named") << QStringList{u"confab"_s, u"--profile"_s, u"bob"_s} << u"bob"_s
                               << false;
        QTest::addRow("equals") << QStringList{u"confab"_s, u"--profile=carol"_s} << u"carol"_s
                                << false;
        QTest::addRow("odd characters")
            << QStringList{u"--profile"_s, u"a b*c"_s} << u"a_b_c"_s << false;
        QTest::addRow("directory")
            << QStringList{u"--profile"_s, u"/tmp/confab-p1"_s} << u"/tmp/confab-p1"_s << true;
    }

    void profileArguments()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, name);
        QFETCH(bool, directory);
        const Profile p = Profile::fromArguments(args);
        QCOMPARE(p.name(), name);
        QCOMPARE(p.isDirectory(), directory);
        if (directory) {
            QVERIFY(p.dataDir().startsWith(name + u'/'));
            QVERIFY(p.cacheDir().startsWith(name + u'/'));
            QVERIFY(p.configDir().startsWith(name + u'/'));
        } else {
            QVERIFY(p.dataDir().startsWith(
                QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation)));
            QVERIFY(p.cacheDir().startsWith(
                QStandardPaths::writableLocation(QStandardPaths::GenericCacheLocation)));
        }
    }

    void profilesNeverShare()
    {
        const Profile a, b(u"bob"_s), c(m_dir.filePath(u"c"_s));
        QSet<QString> dirs;
        for (const Profile *p : {&a, &b, &c}) {
            for (const QString &d : {p->dataDir(), p->cacheDir(), p->configDir()})
                dirs.insert(d);
        }
        QCOMPARE(dirs.size(), 9);
        QSet<QString> services{a.keychainService(), b.keychainService(), c.keychainService()};
        QCOMPARE(services.size(), 3);
        QCOMPARE(a.keychainService(), u"confab"_s);
        const QUrl url(u"ws://chat.lan:7680"_s);
        const SessionOptions oa = a.sessionOptions(url, u"Alice"_s);
        const SessionOptions ob = b.sessionOptions(url, u"alice"_s);
        QCOMPARE(oa.user, u"alice"_s);
        QVERIFY(oa.dataDir != ob.dataDir);
        QVERIFY(oa.cacheDir != ob.cacheDir);
        // Another server or user: other files.
        QVERIFY(a.sessionOptions(QUrl(u"ws://other:7680"_s), u"alice"_s).dataDir != oa.dataDir);
        QVERIFY(a.sessionOptions(url, u"bob"_s).dataDir != oa.dataDir);
        QVERIFY(!oa.dataDir.startsWith(oa.cacheDir) && !oa.cacheDir.startsWith(oa.dataDir));
    }

    void accountsSideBySideAndRemembered()
    {
        const Profile profile(m_dir.filePath(u"side-by-side"_s));
        FileTokenStore tokens(profile.tokenFile());
        const QUrl one(u"ws://127.0.0.1:1"_s), two(u"ws://127.0.0.1:2"_s);
        {
            Accounts accounts(profile, &tokens);
            QAbstractItemModelTester tester(accounts.servers(),
                                            QAbstractItemModelTester::FailureReportingMode::QtTest);
            ClientSession *a = accounts.addAccount(one, u"alice"_s);
            ClientSession *b = accounts.addAccount(two, u"alice"_s);
            QVERIFY(a && b && a != b);
            QCOMPARE(accounts.addAccount(one, u"Alice"_s), a);
            QCOMPARE(accounts.sessions().size(), 2);
            QCOMPARE(accounts.servers()->rowCount(), 2);
        }
        Accounts again(profile, &tokens);
        QCOMPARE(again.servers()->rowCount(), 2);
        again.restore();
        QCOMPARE(again.sessions().size(), 2);
        // No token stored yet: each asks for a login instead of connecting.
        for (ClientSession *s : again.sessions())
            QTRY_VERIFY(s->loginRequired());
        again.removeAccount(again.find(two, u"alice"_s));
        QCOMPARE(again.sessions().size(), 1);
        QCOMPARE(again.servers()->rowCount(), 1);
    }

    void serversMergeRecentAndDiscovered()
    {
        ServersModel servers;
        QAbstractItemModelTester tester(&servers,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        const QUrl office(u"ws://office.lan:7680"_s), lab(u"wss://lab.lan:7680"_s);
        servers.addRecent(office, u"alice"_s, QDateTime::currentDateTimeUtc());
        servers.addDiscovered(u"Lab"_s, lab, true);
        servers.addDiscovered(u"Office"_s, office, false);
        QCOMPARE(servers.rowCount(), 2); // office is one row, recent and discovered
        const auto at = [&](int row, int role) {
            return servers.data(servers.index(row), role);
        };
        QCOMPARE(at(0, ServersModel::UrlRole).toUrl(), office);
        QVERIFY(at(0, ServersModel::RecentRole).toBool());
        QVERIFY(at(0, ServersModel::DiscoveredRole).toBool());
        QCOMPARE(at(1, ServersModel::NameRole).toString(), u"Lab"_s);
        QVERIFY(at(1, ServersModel::TlsRole).toBool());
        QCOMPARE(at(0, ServersModel::SectionRole).toString(), u"recent"_s);
        QCOMPARE(at(1, ServersModel::SectionRole).toString(), u"network"_s);
        QCOMPARE(at(1, ServersModel::AddressRole).toString(), u"lab.lan:7680"_s);
        // The fingerprint a server announces is kept with its row, changed in place.
        const QString fp(95, u'A');
        QSignalSpy changed(&servers, &QAbstractItemModel::dataChanged);
        servers.addDiscovered(u"Lab"_s, lab, true, fp);
        QCOMPARE(changed.count(), 1);
        QCOMPARE(at(1, ServersModel::FingerprintRole).toString(), fp);
        QCOMPARE(servers.announcedFingerprint(QUrl(u"wss://LAB.lan:7680/"_s)), fp);
        QCOMPARE(servers.announcedFingerprint(QUrl(u"wss://lab.lan:7681"_s)), QString());
        servers.removeDiscovered(office);
        QCOMPARE(servers.rowCount(), 2);
        servers.removeDiscovered(lab);
        QCOMPARE(servers.rowCount(), 1);
    }
};

QTEST_GUILESS_MAIN(TestClientAccounts)
#include "tst_client_accounts.moc"
