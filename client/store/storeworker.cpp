#include "store/storeworker.h"

#include "logging.h"

#include <QDir>
#include <QFileInfo>
#include <QSqlError>
#include <QSqlQuery>
#include <QVariant>

namespace confab::client {

using namespace Qt::StringLiterals;

namespace {
QVariant optionalValue(const std::optional<qint64> &v)
{
    return v ? QVariant(*v) : QVariant(QMetaType(QMetaType::LongLong));
}

QVariant optionalText(const std::optional<QString> &v)
{
    return v ? QVariant(*v) : QVariant(QMetaType(QMetaType::QString));
}

bool openFile(const QString &name, const QString &path, QString *error)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QSqlDatabase db = QSqlDatabase::addDatabase(u"QSQLITE"_s, name);
    db.setDatabaseName(path);
    if (!db.open()) {
        *error = u"cannot open %1: %2"_s.arg(path, db.lastError().text());
        return false;
    }
    QSqlQuery q(db);
    // WAL + NORMAL: a committed row survives a crash of the app; the outbox needs no more.
    if (!q.exec(u"PRAGMA journal_mode=WAL"_s) || !q.exec(u"PRAGMA synchronous=NORMAL"_s)) {
        *error = q.lastError().text();
        return false;
    }
    return true;
}
} // namespace

StoreWorker::StoreWorker(QString outboxPath, QString cachePath, QString connectionPrefix)
    : m_outboxPath(std::move(outboxPath))
    , m_cachePath(std::move(cachePath))
    , m_outboxName(connectionPrefix + u"-outbox"_s)
    , m_cacheName(connectionPrefix + u"-cache"_s)
{
}

StoreWorker::~StoreWorker()
{
    close();
}

QSqlDatabase StoreWorker::outboxDb() const
{
    return QSqlDatabase::database(m_outboxName, false);
}

QSqlDatabase StoreWorker::cacheDb() const
{
    return QSqlDatabase::database(m_cacheName, false);
}

bool StoreWorker::open(QString *error)
{
    if (!openFile(m_outboxName, m_outboxPath, error) || !migrateOutbox())
        return false;
    if (!openFile(m_cacheName, m_cachePath, error) || !migrateCache()) {
        if (error->isEmpty())
            *error = u"cannot prepare the cache"_s;
        return false;
    }
    return true;
}

void StoreWorker::close()
{
    for (const QString &name : {m_outboxName, m_cacheName}) {
        if (!QSqlDatabase::contains(name))
            continue;
        QSqlDatabase::database(name, false).close();
        QSqlDatabase::removeDatabase(name);
    }
}

bool StoreWorker::exec(QSqlDatabase &db, const QString &sql)
{
    QSqlQuery q(db);
    if (q.exec(sql))
        return true;
    qCWarning(lcStore) << "sql failed:" << q.lastError().text();
    return false;
}

bool StoreWorker::addColumnIfMissing(QSqlDatabase &db, const QString &table, const QString &column,
                                     const QString &definition)
{
    QSqlQuery q(db);
    if (!q.exec(u"PRAGMA table_info(%1)"_s.arg(table))) {
        qCWarning(lcStore) << "sql failed:" << q.lastError().text();
        return false;
    }
    while (q.next()) {
        if (q.value(1).toString() == column)
            return true;
    }
    return exec(db, u"ALTER TABLE %1 ADD COLUMN %2 %3"_s.arg(table, column, definition));
}

bool StoreWorker::migrateOutbox()
{
    QSqlDatabase db = outboxDb();
    if (!exec(db, u"CREATE TABLE IF NOT EXISTS outbox("
                  "ordinal INTEGER PRIMARY KEY, client_msg_id TEXT NOT NULL UNIQUE, "
                  "room TEXT NOT NULL, kind TEXT NOT NULL, body TEXT NOT NULL, "
                  "reply_to INTEGER, target INTEGER, emoji TEXT, created_ms INTEGER NOT NULL, "
                  "failed INTEGER NOT NULL DEFAULT 0, error_code TEXT, error_text TEXT)"_s))
        return false;
    // Outboxes made before files: their entries have none.
    const std::pair<QString, QString> fileColumns[] = {
        {u"file_path"_s, u"TEXT"_s},
        {u"file_name"_s, u"TEXT"_s},
        {u"file_size"_s, u"INTEGER NOT NULL DEFAULT 0"_s},
        {u"file_mtime_ms"_s, u"INTEGER NOT NULL DEFAULT 0"_s},
        {u"file_owned"_s, u"INTEGER NOT NULL DEFAULT 0"_s},
        {u"upload_id"_s, u"TEXT"_s},
        {u"uploaded"_s, u"INTEGER NOT NULL DEFAULT 0"_s},
    };
    for (const auto &[column, definition] : fileColumns) {
        if (!addColumnIfMissing(db, u"outbox"_s, column, definition))
            return false;
    }
    return true;
}

QList<OutboxEntry> StoreWorker::loadOutbox(QString *error)
{
    QList<OutboxEntry> entries;
    QSqlQuery q(outboxDb());
    if (!q.exec(u"SELECT ordinal, client_msg_id, room, kind, body, reply_to, target, emoji, "
                "created_ms, failed, error_code, error_text, file_path, file_name, file_size, "
                "file_mtime_ms, file_owned, upload_id, uploaded FROM outbox ORDER BY ordinal"_s)) {
        *error = q.lastError().text();
        return entries;
    }
    while (q.next()) {
        OutboxEntry e;
        e.ordinal = q.value(0).toLongLong();
        e.clientMsgId = q.value(1).toString();
        e.room = q.value(2).toString();
        e.kind =
            protocol::eventKindFromName(q.value(3).toString()).value_or(protocol::EventKind::Text);
        e.body = q.value(4).toString();
        if (!q.value(5).isNull())
            e.replyTo = q.value(5).toLongLong();
        if (!q.value(6).isNull())
            e.target = q.value(6).toLongLong();
        if (!q.value(7).isNull())
            e.emoji = q.value(7).toString();
        e.createdMs = q.value(8).toLongLong();
        e.state = q.value(9).toInt() ? OutboxEntry::State::Failed : OutboxEntry::State::Queued;
        e.errorCode = q.value(10).toString();
        e.errorText = q.value(11).toString();
        e.filePath = q.value(12).toString();
        e.fileName = q.value(13).toString();
        e.fileSize = q.value(14).toLongLong();
        e.fileMtimeMs = q.value(15).toLongLong();
        e.fileOwned = q.value(16).toBool();
        e.uploadId = q.value(17).toString();
        e.uploaded = q.value(18).toBool();
        entries.append(e);
    }
    return entries;
}

bool StoreWorker::insertOutbox(const OutboxEntry &e)
{
    QSqlQuery q(outboxDb());
    q.prepare(u"INSERT OR REPLACE INTO outbox(ordinal, client_msg_id, room, kind, body, "
              "reply_to, target, emoji, created_ms, failed, error_code, error_text, file_path, "
              "file_name, file_size, file_mtime_ms, file_owned, upload_id, uploaded) "
              "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"_s);
    q.addBindValue(e.ordinal);
    q.addBindValue(e.clientMsgId);
    q.addBindValue(e.room);
    q.addBindValue(protocol::eventKindName(e.kind));
    q.addBindValue(e.body.isNull() ? u""_s : e.body); // react and delete have no body: not NULL
    q.addBindValue(optionalValue(e.replyTo));
    q.addBindValue(optionalValue(e.target));
    q.addBindValue(optionalText(e.emoji));
    q.addBindValue(e.createdMs);
    q.addBindValue(e.state == OutboxEntry::State::Failed ? 1 : 0);
    q.addBindValue(e.errorCode);
    q.addBindValue(e.errorText);
    q.addBindValue(e.filePath);
    q.addBindValue(e.fileName);
    q.addBindValue(e.fileSize);
    q.addBindValue(e.fileMtimeMs);
    q.addBindValue(e.fileOwned ? 1 : 0);
    q.addBindValue(e.uploadId);
    q.addBindValue(e.uploaded ? 1 : 0);
    if (q.exec())
        return true;
    qCWarning(lcStore) << "outbox insert failed:" << q.lastError().text();
    return false;
}

bool StoreWorker::updateOutbox(const OutboxEntry &entry)
{
    return insertOutbox(entry);
}

bool StoreWorker::removeOutbox(const QString &clientMsgId)
{
    QSqlQuery q(outboxDb());
    q.prepare(u"DELETE FROM outbox WHERE client_msg_id = ?"_s);
    q.addBindValue(clientMsgId);
    if (q.exec())
        return true;
    qCWarning(lcStore) << "outbox delete failed:" << q.lastError().text();
    return false;
}

} // namespace confab::client
