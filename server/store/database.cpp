#include "store/database.h"

#include "logging.h"
#include "store/sqlutil.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QSqlError>
#include <QSqlQuery>
#include <QThread>
#include <atomic>

namespace confab::server {

using namespace Qt::StringLiterals;

namespace {

// Why synchronous=FULL: in WAL mode NORMAL already survives a crash of the process
// (kill -9), but a power cut can lose the last commits, because the WAL is only synced at
// checkpoints. An ack promises durability, so every commit syncs the WAL; group commit
// spreads that fsync over a whole batch, which is what makes FULL affordable.
bool setUpSqlite(const QSqlDatabase &db, const StoreConfig &config, QString *error)
{
    // busy_timeout first: switching to WAL itself needs a lock another process may hold.
    if (!sql::exec(db, u"PRAGMA busy_timeout = %1"_s.arg(qMax(0, config.busyTimeoutMs)), error))
        return false;
    QSqlQuery q(db);
    // The switch can be refused with SQLITE_BUSY without the busy handler being asked
    // (another connection opening the same new file holds a lock the switch cannot wait
    // for without a deadlock), so it is retried here, within the same timeout.
    QElapsedTimer waited;
    waited.start();
    while (!q.exec(u"PRAGMA journal_mode = WAL"_s) || !q.next()) {
        const int code = q.lastError().nativeErrorCode().toInt() & 0xff; // primary code
        const bool busy = code == 5 || code == 6;                        // BUSY, LOCKED
        if (!busy || waited.elapsed() >= qMax(0, config.busyTimeoutMs)) {
            sql::setError(error, sql::describe(u"PRAGMA journal_mode"_s, q.lastError()));
            return false;
        }
        q.finish();
        QThread::msleep(5);
    }
    const QString mode = q.value(0).toString().toLower();
    q.finish();
    if (mode != "wal"_L1) {
        sql::setError(
            error, u"SQLite refused WAL mode for %1 (journal_mode is %2)"_s.arg(config.path, mode));
        return false;
    }
    if (config.cacheKiB > 0 &&
        !sql::exec(db, u"PRAGMA cache_size = -%1"_s.arg(config.cacheKiB), error))
        return false;
    if (!sql::exec(db, u"PRAGMA mmap_size = 268435456"_s, error))
        return false;
    if (config.walAutocheckpointPages > 0 &&
        !sql::exec(db, u"PRAGMA wal_autocheckpoint = %1"_s.arg(config.walAutocheckpointPages),
                   error))
        return false;
    return sql::exec(db, u"PRAGMA synchronous = FULL"_s, error) &&
           sql::exec(db, u"PRAGMA foreign_keys = ON"_s, error);
}

bool setUpPostgres(const QSqlDatabase &db, QString *error)
{
    // The server's default is already on; a cluster tuned for speed may have turned it off,
    // which would make our acks lie.
    return sql::exec(db, u"SET synchronous_commit TO on"_s, error) &&
           // CREATE ... IF NOT EXISTS on every start would otherwise print NOTICEs.
           sql::exec(db, u"SET client_min_messages TO warning"_s, error);
}

void configure(QSqlDatabase &db, const StoreConfig &config)
{
    if (config.isPostgres()) {
        db.setHostName(config.host);
        db.setPort(config.port);
        db.setDatabaseName(config.database);
        db.setUserName(config.user);
        db.setPassword(config.password);
        // A dead server must not hang a thread for the libpq default (forever).
        QString options = u"connect_timeout=5"_s;
        if (!config.options.isEmpty())
            options += u' ' + config.options;
        db.setConnectOptions(options);
    } else {
        db.setDatabaseName(config.path);
    }
}

} // namespace

QString Database::uniqueConnectionName(const QString &purpose)
{
    static std::atomic<quint64> counter{0};
    return u"confab-%1-%2-%3"_s.arg(purpose).arg(++counter).arg(
        quintptr(QThread::currentThreadId()), 0, 16);
}

bool Database::isPostgres(const QSqlDatabase &db)
{
    return db.driverName() == "QPSQL"_L1;
}

bool Database::open(const StoreConfig &config, const QString &name, QString *error)
{
    QSqlDatabase db = QSqlDatabase::database(name, false);
    if (!db.isValid()) {
        db = QSqlDatabase::addDatabase(config.isPostgres() ? u"QPSQL"_s : u"QSQLITE"_s, name);
        if (!db.isValid()) {
            db = QSqlDatabase();
            QSqlDatabase::removeDatabase(name); // so a later attempt can register it again
            sql::setError(error, u"the Qt SQL driver for %1 is not installed (libqt6sql6-%2)"_s.arg(
                                     config.driver, config.isPostgres() ? "psql"_L1 : "sqlite"_L1));
            return false;
        }
        configure(db, config);
    }
    if (db.isOpen())
        return true;
    if (!db.open()) {
        sql::setError(error,
                      sql::describe(u"cannot open %1"_s.arg(config.describe()), db.lastError()));
        return false;
    }
    const bool ready =
        config.isPostgres() ? setUpPostgres(db, error) : setUpSqlite(db, config, error);
    if (!ready)
        db.close();
    return ready;
}

void Database::close(const QString &name, bool remove)
{
    {
        QSqlDatabase db = QSqlDatabase::database(name, false);
        if (db.isValid())
            db.close();
    }
    if (remove && QSqlDatabase::contains(name))
        QSqlDatabase::removeDatabase(name);
}

bool Database::begin(const QSqlDatabase &db, QString *error)
{
    if (isPostgres(db)) {
        QSqlDatabase handle = db;
        if (handle.transaction())
            return true;
        sql::setError(error, sql::describe(u"BEGIN"_s, handle.lastError()));
        return false;
    }
    return sql::exec(db, u"BEGIN IMMEDIATE"_s, error);
}

bool Database::commit(QSqlDatabase db, QString *error)
{
    // QSqlDatabase::commit() also catches PostgreSQL's "COMMIT" that silently rolled back
    // an aborted transaction.
    if (db.commit())
        return true;
    sql::setError(error, sql::describe(u"COMMIT"_s, db.lastError()));
    return false;
}

void Database::rollback(QSqlDatabase db)
{
    if (db.isOpen() && !db.rollback())
        qCDebug(lcStore) << "ROLLBACK failed:" << db.lastError().text();
}

bool Database::initialize(const StoreConfig &config, QString *epoch, QString *error)
{
    if (!config.isPostgres() && !config.path.startsWith(u':')) {
        const QString dir = QFileInfo(config.path).absolutePath();
        if (!QDir().mkpath(dir)) {
            sql::setError(error, u"cannot create the database directory %1"_s.arg(dir));
            return false;
        }
    }
    const QString name = uniqueConnectionName(u"init"_s);
    bool ok = open(config, name, error);
    if (ok) {
        const QSqlDatabase db = QSqlDatabase::database(name, false);
        ok = migrate(db, latestSchemaVersion(), error);
        std::optional<QString> value;
        if (ok)
            value = Database::epoch(db, error);
        ok = ok && value;
        if (ok && epoch)
            *epoch = *value;
    }
    close(name);
    return ok;
}

} // namespace confab::server
