#include "store/storecopy.h"

#include "logging.h"
#include "store/database.h"
#include "store/sqlutil.h"

#include <QDir>
#include <QFileInfo>
#include <QSqlQuery>
#include <QSqlRecord>

namespace confab::server {

using namespace Qt::StringLiterals;

namespace {

// Every table of the schema (migrations.cpp), parents first so that foreign keys hold
// after each statement, and files before events: the target's search index reads a file
// event's file name as the event goes in. meta (epoch, schema_version) is handled apart.
// A migration that adds a table must add it here too: a source table missing from this
// list makes the copy refuse to run rather than leave it behind.
const QStringList kTables = {
    u"users"_s, u"rooms"_s,  u"members"_s,      u"invites"_s,       u"tokens"_s,
    u"files"_s, u"events"_s, u"read_markers"_s, u"token_changes"_s, u"file_refs"_s,
};

// The search index is derived from the events: the target's own triggers build it as the
// events go in (migration 7). So its tables (SQLite's FTS5 table and the tables behind it),
// its column (PostgreSQL's events.search) and its progress in meta are never copied.
bool isDerivedTable(const QString &table)
{
    return table == "search_index"_L1 || table.startsWith("search_index_"_L1);
}
bool isDerivedColumn(const QString &table, const QString &column)
{
    return table == "events"_L1 && column == "search"_L1;
}
bool isDerivedMeta(const QString &key)
{
    return key.startsWith("search_"_L1);
}

// Rows in the order they are copied. Events go oldest first (the target's rowids then run
// in time order, which search's newest-first order follows on SQLite); within a room that
// is seq order, as ts never goes back in a room, so an edit finds the message it replaces.
QString orderOf(const QString &table)
{
    return table == "events"_L1 ? u" ORDER BY ts, room, seq"_s : QString();
}

// Bound values per INSERT statement: several rows at once save a round trip each on
// PostgreSQL, and stay far below both back ends' limits on parameters.
constexpr int kValuesPerStatement = 2000;

// Opens a named connection and closes it when it goes out of scope.
class ScopedConnection
{
public:
    ScopedConnection(const StoreConfig &config, const QString &purpose)
        : m_config(config)
        , m_name(Database::uniqueConnectionName(purpose))
    {
    }
    ~ScopedConnection() { Database::close(m_name); }
    ScopedConnection(const ScopedConnection &) = delete;
    ScopedConnection &operator=(const ScopedConnection &) = delete;

    bool open(QString *error) { return Database::open(m_config, m_name, error); }
    QSqlDatabase db() const { return QSqlDatabase::database(m_name, false); }

private:
    StoreConfig m_config;
    QString m_name;
};

QStringList userTables(const QSqlDatabase &db)
{
    QStringList tables;
    const QStringList all = db.tables(QSql::Tables);
    for (const QString &t : all) {
        if (!t.startsWith("sqlite_"_L1) && !isDerivedTable(t))
            tables.append(t);
    }
    tables.sort();
    return tables;
}

std::optional<qint64> rowCount(const QSqlDatabase &db, const QString &table, QString *error)
{
    QSqlQuery q(db);
    q.setForwardOnly(true);
    if (!q.exec(u"SELECT COUNT(*) FROM "_s + table) || !q.next()) {
        sql::setError(error, sql::describe(u"count the rows of "_s + table, q.lastError()));
        return std::nullopt;
    }
    return q.value(0).toLongLong();
}

QStringList columnsOf(const QSqlDatabase &db, const QString &table)
{
    const QSqlRecord record = db.record(table);
    QStringList columns;
    for (int i = 0; i < record.count(); ++i) {
        if (!isDerivedColumn(table, record.fieldName(i)))
            columns.append(record.fieldName(i));
    }
    return columns;
}

// Tables that are not Confab's, or Confab tables that hold rows: either makes the target
// unfit. Returns a description of what is there, or an empty string.
std::optional<QString> targetContents(const QSqlDatabase &db, QString *error)
{
    QStringList foreign;
    QStringList filled;
    const QStringList tables = userTables(db);
    for (const QString &t : tables) {
        if (t == "meta"_L1)
            continue;
        if (!kTables.contains(t)) {
            foreign.append(t);
            continue;
        }
        const std::optional<qint64> rows = rowCount(db, t, error);
        if (!rows)
            return std::nullopt;
        if (*rows > 0)
            filled.append(u"%1 (%2 %3)"_s.arg(t).arg(*rows).arg(*rows == 1 ? "row"_L1 : "rows"_L1));
    }
    if (!foreign.isEmpty())
        return u"tables that are not Confab's: %1"_s.arg(foreign.join(u", "_s));
    if (!filled.isEmpty())
        return filled.join(u", "_s);
    return QString();
}

QString insertStatement(const QString &table, const QStringList &columns, int rows)
{
    QString row = u"("_s;
    for (qsizetype i = 0; i < columns.size(); ++i)
        row += i == 0 ? u"?"_s : u", ?"_s;
    row += u')';
    QString text = u"INSERT INTO %1 (%2) VALUES "_s.arg(table, columns.join(u", "_s));
    for (int i = 0; i < rows; ++i) {
        if (i > 0)
            text += u", "_s;
        text += row;
    }
    return text;
}

// Copies every row of table; returns the number copied.
std::optional<qint64> copyTable(const QSqlDatabase &source, const QSqlDatabase &target,
                                const QString &table, QString *error)
{
    const QStringList columns = columnsOf(source, table);
    QStringList sourceSet = columns;
    QStringList targetSet = columnsOf(target, table);
    sourceSet.sort();
    targetSet.sort();
    if (columns.isEmpty() || sourceSet != targetSet) {
        sql::setError(error,
                      u"table %1 has columns (%2) in the source but (%3) in the target"_s.arg(
                          table, sourceSet.join(u", "_s), targetSet.join(u", "_s)));
        return std::nullopt;
    }
    const int perStatement = qMax(1, kValuesPerStatement / int(columns.size()));

    QSqlQuery read(source);
    read.setForwardOnly(true);
    if (!read.exec(u"SELECT %1 FROM %2%3"_s.arg(columns.join(u", "_s), table, orderOf(table)))) {
        sql::setError(error, sql::describe(u"read "_s + table, read.lastError()));
        return std::nullopt;
    }
    QSqlQuery fullBatch(target);
    if (!sql::prepare(fullBatch, insertStatement(table, columns, perStatement), error))
        return std::nullopt;

    QVariantList pending;
    pending.reserve(perStatement * columns.size());
    qint64 copied = 0;
    auto flush = [&](QSqlQuery &q) {
        for (qsizetype i = 0; i < pending.size(); ++i)
            q.bindValue(int(i), pending[i]);
        if (!sql::exec(q, u"insert into "_s + table, error))
            return false;
        copied += pending.size() / columns.size();
        pending.clear();
        return true;
    };
    while (read.next()) {
        for (int i = 0; i < columns.size(); ++i) {
            const QVariant value = read.value(i);
            // A NULL stays a NULL of the column's type; a non-null empty text stays ''
            // (QtSql would bind a null QString as NULL).
            pending.append(read.isNull(i) ? QVariant(value.metaType()) : sql::bindable(value));
        }
        if (pending.size() == perStatement * columns.size() && !flush(fullBatch))
            return std::nullopt;
    }
    if (read.lastError().isValid()) {
        sql::setError(error, sql::describe(u"read "_s + table, read.lastError()));
        return std::nullopt;
    }
    if (!pending.isEmpty()) {
        QSqlQuery rest(target);
        const int rows = int(pending.size() / columns.size());
        if (!sql::prepare(rest, insertStatement(table, columns, rows), error) || !flush(rest))
            return std::nullopt;
    }
    const std::optional<qint64> stored = rowCount(target, table, error);
    if (!stored)
        return std::nullopt;
    if (*stored != copied) {
        sql::setError(
            error,
            u"table %1: %2 rows copied but %3 in the target"_s.arg(table).arg(copied).arg(*stored));
        return std::nullopt;
    }
    return copied;
}

// The source's meta rows (epoch, schema_version and any other key but the search index's
// progress) replace the target's.
std::optional<qint64> copyMeta(const QSqlDatabase &source, const QSqlDatabase &target,
                               QString *error)
{
    QSqlQuery read(source);
    read.setForwardOnly(true);
    if (!read.exec(u"SELECT key, value FROM meta"_s)) {
        sql::setError(error, sql::describe(u"read meta"_s, read.lastError()));
        return std::nullopt;
    }
    QSqlQuery write(target);
    if (!sql::prepare(write,
                      u"INSERT INTO meta (key, value) VALUES (?, ?)"
                      " ON CONFLICT (key) DO UPDATE SET value = excluded.value"_s,
                      error))
        return std::nullopt;
    qint64 rows = 0;
    while (read.next()) {
        if (isDerivedMeta(read.value(0).toString()))
            continue;
        if (!sql::exec(write, {read.value(0), read.value(1)}, u"write meta"_s, error))
            return std::nullopt;
        ++rows;
    }
    return rows;
}

bool sameStore(const StoreConfig &a, const StoreConfig &b)
{
    if (a.isPostgres() != b.isPostgres())
        return false;
    if (a.isPostgres())
        return a.host == b.host && a.port == b.port && a.database == b.database;
    return QFileInfo(a.path).absoluteFilePath() == QFileInfo(b.path).absoluteFilePath();
}

} // namespace

QStringList storeTables()
{
    return kTables;
}

bool copyStore(const StoreConfig &from, const StoreConfig &to, StoreCopyReport *report,
               QString *error, const std::function<void(const QString &, qint64)> &progress)
{
    if (sameStore(from, to)) {
        sql::setError(error,
                      u"the source and the target are the same store (%1)"_s.arg(from.describe()));
        return false;
    }
    if (!from.isPostgres() && !QFileInfo::exists(from.path)) {
        sql::setError(error, u"there is no store at %1"_s.arg(from.path));
        return false;
    }

    if (!to.isPostgres() && !QDir().mkpath(QFileInfo(to.path).absolutePath())) {
        sql::setError(error, u"cannot create the directory of %1"_s.arg(to.path));
        return false;
    }
    // The target is checked before anything is created in it.
    ScopedConnection target(to, u"copy-to"_s);
    if (!target.open(error))
        return false;
    std::optional<QString> contents = targetContents(target.db(), error);
    if (!contents)
        return false;
    if (!contents->isEmpty()) {
        sql::setError(error, u"the target %1 is not empty (%2): migrate-store only copies into "
                             "an empty database"_s.arg(to.describe(), *contents));
        return false;
    }

    QString epoch;
    if (!Database::initialize(from, &epoch, error) || !Database::initialize(to, nullptr, error))
        return false;

    ScopedConnection source(from, u"copy-from"_s);
    if (!source.open(error))
        return false;
    const QSqlDatabase src = source.db();
    const QSqlDatabase dst = target.db();
    const QStringList sourceTables = userTables(src);
    for (const QString &t : sourceTables) {
        if (t != "meta"_L1 && !kTables.contains(t)) {
            sql::setError(error, u"the source has a table this version does not know (%1): use the "
                                 "confab-server that last ran on it"_s.arg(t));
            return false;
        }
    }

    // The source's write lock (SQLite) or one snapshot (PostgreSQL) for the whole copy.
    if (!Database::begin(src, error))
        return false;
    if (Database::isPostgres(src) &&
        !sql::exec(src, u"SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"_s, error)) {
        Database::rollback(src);
        return false;
    }
    if (!Database::begin(dst, error)) {
        Database::rollback(src);
        return false;
    }
    bool ok = true;
    StoreCopyReport result;
    // Another migrate-store may have started on the same target meanwhile.
    contents = targetContents(dst, error);
    if (!contents) {
        ok = false;
    } else if (!contents->isEmpty()) {
        sql::setError(error, u"the target %1 is not empty (%2)"_s.arg(to.describe(), *contents));
        ok = false;
    }
    for (qsizetype i = 0; ok && i < kTables.size(); ++i) {
        const std::optional<qint64> rows = sourceTables.contains(kTables[i])
                                               ? copyTable(src, dst, kTables[i], error)
                                               : std::optional<qint64>(0);
        ok = rows.has_value();
        if (ok) {
            result.tables.append({kTables[i], *rows});
            if (progress)
                progress(kTables[i], *rows);
        }
    }
    if (ok) {
        const std::optional<qint64> rows = copyMeta(src, dst, error);
        ok = rows.has_value();
        if (ok) {
            result.tables.append({u"meta"_s, *rows});
            if (progress)
                progress(u"meta"_s, *rows);
        }
    }
    std::optional<int> version;
    std::optional<QString> copiedEpoch;
    if (ok) {
        version = Database::schemaVersion(dst, error);
        copiedEpoch = Database::epoch(dst, error);
        ok = version && copiedEpoch;
    }
    if (ok && *copiedEpoch != epoch) {
        sql::setError(
            error, u"the target's epoch is %1 after the copy, not %2"_s.arg(*copiedEpoch, epoch));
        ok = false;
    }
    if (ok)
        ok = Database::commit(dst, error);
    else
        Database::rollback(dst);
    Database::rollback(src); // read only: nothing to keep
    if (!ok)
        return false;
    result.epoch = epoch;
    result.schemaVersion = *version;
    qCInfo(lcStore).noquote() << u"copied %1 to %2 (epoch %3)"_s.arg(from.describe(), to.describe(),
                                                                     epoch);
    if (report)
        *report = result;
    return true;
}

} // namespace confab::server
