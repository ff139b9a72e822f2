#include "auth/credentials.h"
#include "store/admin.h"
#include "store/database.h"
#include "store/reader.h"
#include "store/writer.h"
#include "tst_store_support.h"

#include <QRegularExpression>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace confab::server;
using confab::testing::SideConnection;
using confab::testing::StoreFixture;

class TestStoreAdmin : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void cleanup();

    void addAndListUsers();
    void addUserRejects_data();
    void addUserRejects();
    void setPasswordRevokesTokens();
    void removeUserKeepsHistory();
    void createAndListRooms();
    void createRoomRejects_data();
    void createRoomRejects();

private:
    std::unique_ptr<StoreFixture> m_store;
    std::unique_ptr<StoreAdmin> m_admin;
};

void TestStoreAdmin::init()
{
    QTest::failOnWarning(QRegularExpression(u"QSql"_s));
    m_store = std::make_unique<StoreFixture>();
    QVERIFY2(m_store->isValid(), qPrintable(m_store->error()));
    QString epoch, error;
    QVERIFY2(Database::initialize(m_store->config(), &epoch, &error), qPrintable(error));
    m_admin = std::make_unique<StoreAdmin>(m_store->config());
    m_admin->setHashParams(HashParams::minimal());
}

void TestStoreAdmin::cleanup()
{
    m_admin.reset();
    m_store.reset();
}

void TestStoreAdmin::addAndListUsers()
{
    QString error;
    QVERIFY2(m_admin->addUser(u"bob"_s, u"Bob B."_s, "password-bob", false, &error),
             qPrintable(error));
    QVERIFY2(m_admin->addUser(u"alice"_s, QString(), "password-alice", true, &error),
             qPrintable(error));
    const QList<StoredUser> users = m_admin->listUsers(&error);
    QCOMPARE(users.size(), 2);
    QCOMPARE(users[0].name, u"alice"_s);
    QCOMPARE(users[0].displayName, u"alice"_s); // defaults to the name
    QVERIFY(users[0].isAdmin);
    QCOMPARE(users[1].displayName, u"Bob B."_s);
    QVERIFY(!users[1].isAdmin);
    QVERIFY(users[1].createdAt > 0);
    QVERIFY(verifyPassword(users[1].passwordHash, "password-bob"));
    QVERIFY(!verifyPassword(users[1].passwordHash, "password-alice"));

    QVERIFY(!m_admin->addUser(u"bob"_s, u"Other"_s, "password-x", false, &error));
    QCOMPARE(error, u"user 'bob' already exists"_s);
}

void TestStoreAdmin::addUserRejects_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<QString>("display");
    QTest::addColumn<QByteArray>("password");
    QTest::addColumn<QString>("expected");
    QTest::addRow("upper case") << u"Bob"_s << QString() << QByteArray("password1")
                                << u"not a valid user name"_s;
    QTest::addRow("space") << u"bo b"_s << QString() << QByteArray("password1")
                           << u"not a valid user name"_s;
    QTest::addRow("empty") << QString() << QString() << QByteArray("password1")
                           << u"not a valid user name"_s;
    QTest::addRow("short password")
        << u"bob"_s << QString() << QByteArray("1234567") << u"passwords are 8 to 1024 bytes"_s;
    QTest::addRow("control char") << u"bob"_s << u"Bob\x1b[31m"_s << QByteArray("password1")
                                  << u"display name"_s;
}

void TestStoreAdmin::addUserRejects()
{
    QFETCH(QString, name);
    QFETCH(QString, display);
    QFETCH(QByteArray, password);
    QFETCH(QString, expected);
    QString error;
    QVERIFY(!m_admin->addUser(name, display, password, false, &error));
    QVERIFY2(error.contains(expected), qPrintable(error));
    QCOMPARE(m_admin->listUsers(&error).size(), 0);
}

void TestStoreAdmin::setPasswordRevokesTokens()
{
    QString error;
    QVERIFY2(m_admin->addUser(u"bob"_s, u"Bob"_s, "password-old", false, &error),
             qPrintable(error));
    {
        StoreWriter writer(m_store->config());
        QVERIFY(writer.start(&error));
        writer.enqueue(InsertToken{hashToken(u"tok"_s), u"bob"_s, 1}, [](WriteStatus) {});
        writer.stop();
    }
    StoreReader reader(m_store->config());
    QVERIFY(reader.userForToken(hashToken(u"tok"_s)));

    QVERIFY2(m_admin->setPassword(u"bob"_s, "password-new", &error), qPrintable(error));
    const std::optional<StoredUser> bob = reader.findUser(u"bob"_s, &error);
    QVERIFY(bob);
    QVERIFY(verifyPassword(bob->passwordHash, "password-new"));
    QVERIFY(!verifyPassword(bob->passwordHash, "password-old"));
    QVERIFY(!reader.userForToken(hashToken(u"tok"_s)));

    QVERIFY(!m_admin->setPassword(u"nobody"_s, "password-new", &error));
    QCOMPARE(error, u"no such user 'nobody'"_s);
}

void TestStoreAdmin::removeUserKeepsHistory()
{
    QString error;
    QVERIFY(m_admin->addUser(u"bob"_s, u"Bob"_s, "password-bob", false, &error));
    QVERIFY(m_admin->createRoom(u"general"_s, false, QString(), u"bob"_s, &error));
    QVERIFY(m_admin->createRoom(u"ops"_s, true, QString(), QString(), &error));
    {
        StoreWriter writer(m_store->config());
        QVERIFY(writer.start(&error));
        confab::protocol::Event e;
        e.room = u"general"_s;
        e.seq = 1;
        e.ts = 1;
        e.from = u"bob"_s;
        e.body = u"hi"_s;
        writer.enqueue(AppendEvent{e}, [](WriteStatus) {});
        writer.enqueue(InsertToken{u"h"_s, u"bob"_s, 1}, [](WriteStatus) {});
        writer.enqueue(AddInvite{u"ops"_s, u"bob"_s}, [](WriteStatus) {});
        writer.enqueue(SetReadMarker{u"bob"_s, u"general"_s, 1}, [](WriteStatus) {});
        writer.stop();
        QCOMPARE(writer.stats().opsCommitted, quint64(4));
    }
    QVERIFY2(m_admin->removeUser(u"bob"_s, &error), qPrintable(error));
    SideConnection side(m_store->config());
    for (const char *table : {"users", "tokens", "members", "invites", "read_markers"}) {
        QCOMPARE(side.scalar(u"SELECT COUNT(*) FROM "_s + QLatin1String(table)).toInt(), 0);
    }
    QCOMPARE(side.scalar(u"SELECT sender FROM events"_s).toString(), u"bob"_s);

    QVERIFY(!m_admin->removeUser(u"bob"_s, &error));
    QCOMPARE(error, u"no such user 'bob'"_s);
}

void TestStoreAdmin::createAndListRooms()
{
    QString error;
    QVERIFY(m_admin->addUser(u"alice"_s, u"Alice"_s, "password-alice", false, &error));
    QVERIFY2(m_admin->createRoom(u"general"_s, false, u"all hands"_s, QString(), &error),
             qPrintable(error));
    QVERIFY2(m_admin->createRoom(u"ops"_s, true, QString(), u"alice"_s, &error), qPrintable(error));
    const QList<StoredRoom> rooms = m_admin->listRooms(&error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QCOMPARE(rooms.size(), 2);
    QCOMPARE(rooms[0].id, u"general"_s);
    QCOMPARE(rooms[0].topic, u"all hands"_s);
    QCOMPARE(rooms[0].kind, confab::protocol::RoomKind::Channel);
    QVERIFY(rooms[0].members.isEmpty());
    QCOMPARE(rooms[0].lastSeq, 0);
    QCOMPARE(rooms[1].id, u"ops"_s);
    QVERIFY(rooms[1].isPrivate);
    QCOMPARE(rooms[1].createdBy, u"alice"_s);
    QCOMPARE(rooms[1].members, QStringList{u"alice"_s});

    QVERIFY(!m_admin->createRoom(u"ops"_s, false, QString(), QString(), &error));
    QCOMPARE(error, u"room 'ops' already exists"_s);
}

void TestStoreAdmin::createRoomRejects_data()
{
    QTest::addColumn<QString>("id");
    QTest::addColumn<QString>("topic");
    QTest::addColumn<QString>("createdBy");
    QTest::addColumn<QString>("expected");
    QTest::addRow("dm id") << u"dm:a:b"_s << QString() << QString() << u"not a valid channel"_s;
    QTest::addRow("upper case") << u"General"_s << QString() << QString()
                                << u"not a valid channel"_s;
    QTest::addRow("too long") << QString(41, u'a') << QString() << QString()
                              << u"not a valid channel"_s;
    QTest::addRow("control char topic") << u"ok"_s << u"a\x07"_s << QString() << u"topic"_s;
    QTest::addRow("unknown creator")
        << u"ok"_s << QString() << u"ghost"_s << u"no such user 'ghost'"_s;
}

void TestStoreAdmin::createRoomRejects()
{
    QFETCH(QString, id);
    QFETCH(QString, topic);
    QFETCH(QString, createdBy);
    QFETCH(QString, expected);
    QString error;
    QVERIFY(!m_admin->createRoom(id, false, topic, createdBy, &error));
    QVERIFY2(error.contains(expected), qPrintable(error));
    QCOMPARE(m_admin->listRooms(&error).size(), 0);
}

QTEST_GUILESS_MAIN(TestStoreAdmin)
#include "tst_store_admin.moc"
