#include "store/database.h"
#include "tst_store_support.h"

#include <QDir>
#include <QRegularExpression>
#include <QSqlDatabase>
#include <QTest>
#include <QThread>

using namespace Qt::StringLiterals;
using namespace confab::server;
using confab::testing::SideConnection;
using confab::testing::StoreFixture;

class TestStoreMigrations : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void cleanup();

    void configFromUrl_data();
    void configFromUrl();
    void configRejectsBadUrls_data();
    void configRejectsBadUrls();
    void describeHidesPassword();

    void freshStoreGetsLatestVersionAndEpoch();
    void reopeningKeepsTheEpoch();
    void olderVersionIsMigrated();
    void newerVersionIsRefused();
    void concurrentInitializeAgrees();
    void sqliteConnectionSettings();
    void unreachableStoreReportsDriverText();

private:
    std::unique_ptr<StoreFixture> m_store;
};

void TestStoreMigrations::init()
{
    QTest::failOnWarning(QRegularExpression(u"QSql"_s));
    m_store = std::make_unique<StoreFixture>();
    QVERIFY2(m_store->isValid(), qPrintable(m_store->error()));
}

void TestStoreMigrations::cleanup()
{
    m_store.reset();
}

void TestStoreMigrations::configFromUrl_data()
{
    QTest::addColumn<QString>("url");
    QTest::addColumn<QString>("driver");
    QTest::addColumn<QString>("path");
    QTest::addColumn<QString>("host");
    QTest::addColumn<int>("port");
    QTest::addColumn<QString>("database");
    QTest::addColumn<QString>("user");
    QTest::addColumn<QString>("password");
    QTest::addColumn<QString>("options");
    const QString none;
    QTest::addRow("plain path") << u"/var/lib/confab/confab.db"_s << u"sqlite"_s
                                << u"/var/lib/confab/confab.db"_s << none << 5432 << none << none
                                << none << none;
    QTest::addRow("relative path") << u"data/c.db"_s << u"sqlite"_s << u"data/c.db"_s << none
                                   << 5432 << none << none << none << none;
    QTest::addRow("sqlite url") << u"sqlite:///tmp/x.db"_s << u"sqlite"_s << u"/tmp/x.db"_s << none
                                << 5432 << none << none << none << none;
    QTest::addRow("sqlite short") << u"sqlite:x.db"_s << u"sqlite"_s << u"x.db"_s << none << 5432
                                  << none << none << none << none;
    QTest::addRow("postgres") << u"postgres://alice:s3cret@db.lan:6543/chat"_s << u"postgres"_s
                              << none << u"db.lan"_s << 6543 << u"chat"_s << u"alice"_s
                              << u"s3cret"_s << none;
    QTest::addRow("postgresql, default port")
        << u"postgresql://bob@127.0.0.1/confab"_s << u"postgres"_s << none << u"127.0.0.1"_s << 5432
        << u"confab"_s << u"bob"_s << none << none;
    QTest::addRow("encoded password") << u"postgres://u:p%40ss%2Fw@h/d"_s << u"postgres"_s << none
                                      << u"h"_s << 5432 << u"d"_s << u"u"_s << u"p@ss/w"_s << none;
    QTest::addRow("options") << u"postgres://u@h/d?sslmode=require&connect_timeout=3"_s
                             << u"postgres"_s << none << u"h"_s << 5432 << u"d"_s << u"u"_s << none
                             << u"sslmode=require connect_timeout=3"_s;
}

void TestStoreMigrations::configFromUrl()
{
    QFETCH(QString, url);
    QString error;
    const std::optional<StoreConfig> c = StoreConfig::fromUrl(url, &error);
    QVERIFY2(c, qPrintable(error));
    QTEST(c->driver, "driver");
    QTEST(c->path, "path");
    QTEST(c->host, "host");
    QTEST(c->port, "port");
    QTEST(c->database, "database");
    QTEST(c->user, "user");
    QTEST(c->password, "password");
    QTEST(c->options, "options");
}

void TestStoreMigrations::configRejectsBadUrls_data()
{
    QTest::addColumn<QString>("url");
    QTest::addRow("empty") << QString();
    QTest::addRow("blank") << u"   "_s;
    QTest::addRow("no host") << u"postgres:///confab"_s;
    QTest::addRow("no database") << u"postgres://u@host"_s;
    QTest::addRow("bad port") << u"postgres://u@host:99999/db"_s;
    QTest::addRow("other scheme") << u"mysql://u@host/db"_s;
    QTest::addRow("empty sqlite") << u"sqlite://"_s;
    QTest::addRow("option injection") << u"postgres://u@h/d?sslmode=disable%20host=evil"_s;
}

void TestStoreMigrations::configRejectsBadUrls()
{
    QFETCH(QString, url);
    QString error;
    QVERIFY(!StoreConfig::fromUrl(url, &error));
    QVERIFY(!error.isEmpty());
}

void TestStoreMigrations::describeHidesPassword()
{
    const auto c = StoreConfig::fromUrl(u"postgres://alice:hunter2@db/chat"_s, nullptr);
    QVERIFY(c);
    QVERIFY(c->describe().contains("alice@db:5432/chat"_L1));
    QVERIFY(!c->describe().contains("hunter2"_L1));
}

void TestStoreMigrations::freshStoreGetsLatestVersionAndEpoch()
{
    QString epoch, error;
    QVERIFY2(Database::initialize(m_store->config(), &epoch, &error), qPrintable(error));
    QVERIFY2(QRegularExpression(u"^[0-9a-f]{32}$"_s).match(epoch).hasMatch(), qPrintable(epoch));
    SideConnection side(m_store->config());
    QCOMPARE(side.scalar(u"SELECT value FROM meta WHERE key = 'schema_version'"_s).toInt(),
             Database::latestSchemaVersion());
    QCOMPARE(side.scalar(u"SELECT value FROM meta WHERE key = 'epoch'"_s).toString(), epoch);
    for (const char *table :
         {"users", "tokens", "rooms", "members", "invites", "events", "read_markers"}) {
        QVERIFY2(side.exec(u"SELECT COUNT(*) FROM "_s + QLatin1String(table)),
                 qPrintable(side.error()));
    }
}

void TestStoreMigrations::reopeningKeepsTheEpoch()
{
    QString first, second, error;
    QVERIFY2(Database::initialize(m_store->config(), &first, &error), qPrintable(error));
    QVERIFY2(Database::initialize(m_store->config(), &second, &error), qPrintable(error));
    QCOMPARE(second, first);

    // Another store gets another epoch: clients notice a reset store by it.
    StoreFixture other;
    QVERIFY2(other.isValid(), qPrintable(other.error()));
    QString third;
    QVERIFY2(Database::initialize(other.config(), &third, &error), qPrintable(error));
    QVERIFY(third != first);
}

void TestStoreMigrations::olderVersionIsMigrated()
{
    QString error;
    QString dir = QFileInfo(m_store->config().path).absolutePath();
    if (!m_store->isPostgres())
        QVERIFY(QDir().mkpath(dir));
    QString epochBefore;
    {
        const QString name = Database::uniqueConnectionName(u"v1"_s);
        QVERIFY2(Database::open(m_store->config(), name, &error), qPrintable(error));
        {
            const QSqlDatabase db = QSqlDatabase::database(name, false);
            QVERIFY2(Database::migrate(db, 1, &error), qPrintable(error));
            QCOMPARE(Database::schemaVersion(db, &error), std::optional<int>(1));
            epochBefore = Database::epoch(db, &error).value_or(QString());
            QVERIFY(!db.tables().contains(u"read_markers"_s));
        }
        Database::close(name);
    }
    {
        SideConnection side(m_store->config());
        QVERIFY2(side.exec(u"INSERT INTO rooms (id, name, kind, created_at)"
                           " VALUES ('general', 'general', 'channel', 1)"_s),
                 qPrintable(side.error()));
        QVERIFY2(side.exec(u"INSERT INTO events (room, seq, ts, sender, kind, body, client_msg_id)"
                           " VALUES ('general', 1, 2, 'alice', 'text', 'old', 'm1')"_s),
                 qPrintable(side.error()));
    }

    QString epochAfter;
    QVERIFY2(Database::initialize(m_store->config(), &epochAfter, &error), qPrintable(error));
    QCOMPARE(epochAfter, epochBefore);
    SideConnection side(m_store->config());
    QCOMPARE(side.scalar(u"SELECT value FROM meta WHERE key = 'schema_version'"_s).toInt(),
             Database::latestSchemaVersion());
    QCOMPARE(
        side.scalar(u"SELECT body FROM events WHERE room = 'general' AND seq = 1"_s).toString(),
        u"old"_s);
    QVERIFY2(side.exec(u"SELECT COUNT(*) FROM read_markers"_s), qPrintable(side.error()));
    // Version 3 made the client_msg_id index plain, version 5 dropped it: the store never
    // refuses an event the hub has broadcast (idempotency is decided before the seq is
    // assigned), and no write pays for an index nothing reads.
    const QString indexCount =
        m_store->isPostgres()
            ? u"SELECT COUNT(*) FROM pg_indexes WHERE indexname = 'events_client_msg_id'"_s
            : u"SELECT COUNT(*) FROM sqlite_master WHERE name = 'events_client_msg_id'"_s;
    QCOMPARE(side.scalar(indexCount).toInt(), 0);
    QVERIFY2(side.exec(u"INSERT INTO events (room, seq, ts, sender, kind, body, client_msg_id)"
                       " VALUES ('general', 2, 3, 'alice', 'text', 'again', 'm1')"_s),
             qPrintable(side.error()));
}

void TestStoreMigrations::newerVersionIsRefused()
{
    QString epoch, error;
    QVERIFY2(Database::initialize(m_store->config(), &epoch, &error), qPrintable(error));
    {
        SideConnection side(m_store->config());
        QVERIFY(side.exec(u"UPDATE meta SET value = '99' WHERE key = 'schema_version'"_s));
    }
    QVERIFY(!Database::initialize(m_store->config(), &epoch, &error));
    QVERIFY2(error.contains("newer"_L1), qPrintable(error));
}

void TestStoreMigrations::concurrentInitializeAgrees()
{
    constexpr int kThreads = 4;
    QString epochs[kThreads];
    QString errors[kThreads];
    QList<QThread *> threads;
    for (int i = 0; i < kThreads; ++i) {
        threads.append(QThread::create([this, i, &epochs, &errors] {
            Database::initialize(m_store->config(), &epochs[i], &errors[i]);
        }));
    }
    for (QThread *t : threads)
        t->start();
    for (QThread *t : threads) {
        QVERIFY(t->wait(60000));
        delete t;
    }
    for (int i = 0; i < kThreads; ++i) {
        QVERIFY2(errors[i].isEmpty(), qPrintable(errors[i]));
        QCOMPARE(epochs[i], epochs[0]);
    }
    QVERIFY(!epochs[0].isEmpty());
}

void TestStoreMigrations::sqliteConnectionSettings()
{
    if (m_store->isPostgres())
        QSKIP("SQLite only");
    QString epoch, error;
    QVERIFY2(Database::initialize(m_store->config(), &epoch, &error), qPrintable(error));
    SideConnection side(m_store->config()); // opened by Database::open, like the store's own
    QCOMPARE(side.scalar(u"PRAGMA journal_mode"_s).toString(), u"wal"_s);
    QCOMPARE(side.scalar(u"PRAGMA synchronous"_s).toInt(), 2); // FULL
    QCOMPARE(side.scalar(u"PRAGMA foreign_keys"_s).toInt(), 1);
    QCOMPARE(side.scalar(u"PRAGMA busy_timeout"_s).toInt(), m_store->config().busyTimeoutMs);
}

void TestStoreMigrations::unreachableStoreReportsDriverText()
{
    StoreConfig bad = m_store->config();
    if (bad.isPostgres())
        bad.database = u"no_such_database_here"_s;
    else
        bad.path = u"/proc/confab-cannot-be-here/x.db"_s;
    QString epoch, error;
    QVERIFY(!Database::initialize(bad, &epoch, &error));
    QVERIFY(!error.isEmpty());
    QVERIFY(epoch.isEmpty());
}

QTEST_GUILESS_MAIN(TestStoreMigrations)
#include "tst_store_migrations.moc"
