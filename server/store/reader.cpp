#include "store/reader.h"

#include "logging.h"
#include "store/connection.h"
#include "store/queries.h"
#include "store/sqlutil.h"

#include <QMutexLocker>
#include <QSet>
#include <algorithm>
#include <atomic>
#include <limits>
#include <mutex>
#include <unordered_map>

namespace confab::server {

using namespace Qt::StringLiterals;

// Every connection a reader has opened, on whichever thread; shared with the per-thread
// registries so that whoever goes first (thread exit or reader destruction) closes it.
struct ReaderConnections
{
    quint64 id = 0;
    StoreConfig config;
    std::mutex mutex;    // not QMutex: its futex wait is invisible to ThreadSanitizer
    QSet<QString> names; // QSqlDatabase connection names, for the reader's destructor
    bool closed = false; // the reader removed every connection; threads only free theirs
};

namespace {

std::atomic<quint64> g_nextReaderId{1};

// The reader connections the current thread opened, keyed by reader id. Its destructor
// runs when the thread exits (pool threads expire), before static destructors on the main
// thread. A connection whose reader is gone was already removed by the reader; dropping
// its Connection then only frees the statements.
struct ThreadConnections
{
    struct Entry
    {
        std::unique_ptr<Connection> connection;
        std::weak_ptr<ReaderConnections> owner;
    };
    std::unordered_map<quint64, Entry> entries;

    ~ThreadConnections()
    {
        for (auto &[id, entry] : entries)
            forget(entry);
    }
    static void forget(Entry &e)
    {
        // A pool thread's thread_local destructors run after QThread::wait() returned, so
        // they may run while the process exits. Once the reader is gone (or going: its
        // destructor holds the lock while it removes the connections) nothing here may
        // touch Qt's connection registry any more.
        if (const std::shared_ptr<ReaderConnections> owner = e.owner.lock()) {
            QMutexLocker lock(&owner->mutex);
            if (!owner->closed) {
                owner->names.remove(e.connection->name());
                e.connection.reset();
                return;
            }
        }
        e.connection->abandon();
        e.connection.reset();
    }
    void prune()
    {
        for (auto it = entries.begin(); it != entries.end();) {
            if (it->second.owner.expired()) {
                forget(it->second);
                it = entries.erase(it);
            } else {
                ++it;
            }
        }
    }
};

thread_local ThreadConnections t_connections;

Connection &threadConnection(const std::shared_ptr<ReaderConnections> &c)
{
    auto it = t_connections.entries.find(c->id);
    if (it != t_connections.entries.end())
        return *it->second.connection;
    t_connections.prune();
    auto connection = std::make_unique<Connection>(c->config, u"reader"_s);
    Connection &ref = *connection;
    t_connections.entries.emplace(c->id, ThreadConnections::Entry{std::move(connection), c});
    return ref;
}

// Runs query on this thread's connection; on PostgreSQL a failure is retried once on a
// fresh connection (the server may have been restarted under us).
template<class F> auto runRead(const std::shared_ptr<ReaderConnections> &c, QString *error, F query)
{
    using Result = decltype(query(std::declval<Connection &>(), static_cast<QString *>(nullptr)));
    Connection &connection = threadConnection(c);
    for (int attempt = 0;; ++attempt) {
        QString err;
        {
            // A reset() renames the connection; the reader must know every name it used.
            QMutexLocker lock(&c->mutex);
            c->names.insert(connection.name());
        }
        if (!connection.open(&err)) {
            sql::setError(error, err);
            return Result{};
        }
        Result result = query(connection, &err);
        connection.finishStatements();
        if (err.isEmpty())
            return result;
        if (attempt > 0 || !connection.isPostgres()) {
            sql::setError(error, err);
            return Result{};
        }
        qCDebug(lcStore) << "read failed, retrying on a new connection:" << err;
        {
            QMutexLocker lock(&c->mutex);
            c->names.remove(connection.name());
        }
        connection.reset();
    }
}

constexpr auto kFileColumns = "SELECT f.id, f.sha256, f.size, f.mime, f.name, f.uploader,"
                              " f.created_at, f.width, f.height, f.thumb, f.thumb_of, f.posted"
                              " FROM files f "_L1;

StoredFile fileFromRow(const QSqlQuery &q)
{
    StoredFile f;
    f.id = q.value(0).toString();
    f.sha256 = q.value(1).toString();
    f.size = q.value(2).toLongLong();
    f.mime = q.value(3).toString();
    f.name = q.value(4).toString();
    f.uploader = q.value(5).toString();
    f.createdAt = q.value(6).toLongLong();
    f.width = sql::optionalInt(q.value(7));
    f.height = sql::optionalInt(q.value(8));
    f.thumb = sql::optionalText(q.value(9));
    f.thumbOf = sql::optionalText(q.value(10));
    f.posted = q.value(11).toLongLong() != 0;
    return f;
}

// The files one statement selects (kFileColumns + where), values bound in order.
QList<StoredFile> selectFiles(Connection &c, const QString &where,
                              std::initializer_list<QVariant> values, QString *err)
{
    QList<StoredFile> files;
    QSqlQuery *q = c.statement(kFileColumns + where, err);
    if (!q || !sql::exec(*q, values, u"read files"_s, err))
        return files;
    while (q->next())
        files.append(fileFromRow(*q));
    return files;
}

protocol::EventKind kindFromName(const QString &name)
{
    const std::optional<protocol::EventKind> kind = protocol::eventKindFromName(name);
    if (!kind)
        qCWarning(lcStore) << "stored event has an unknown kind" << name;
    return kind.value_or(protocol::EventKind::Text);
}

} // namespace

StoreReader::StoreReader(const StoreConfig &config)
    : m_connections(std::make_shared<ReaderConnections>())
{
    m_connections->id = g_nextReaderId++;
    m_connections->config = config;
}

StoreReader::~StoreReader()
{
    // Removing a connection closes it; no thread is reading any more (see the header), and
    // the statements a thread still caches are freed when that thread exits. The lock keeps
    // exiting threads from dropping the same connections meanwhile.
    QMutexLocker lock(&m_connections->mutex);
    for (const QString &name : std::as_const(m_connections->names))
        QSqlDatabase::removeDatabase(name);
    m_connections->names.clear();
    m_connections->closed = true;
}

std::optional<StoredUser> StoreReader::findUser(const QString &name, QString *error) const
{
    return runRead(m_connections, error,
                   [&](Connection &c, QString *err) { return queries::findUser(c, name, err); });
}

QList<StoredUser> StoreReader::listUsers(QString *error) const
{
    return runRead(m_connections, error,
                   [](Connection &c, QString *err) { return queries::listUsers(c, err); });
}

std::optional<StoredUser> StoreReader::userForToken(const QString &tokenHash, QString *error) const
{
    return runRead(m_connections, error, [&](Connection &c, QString *err) {
        return queries::findUserByToken(c, tokenHash, err);
    });
}

QHash<QString, QSet<QString>> StoreReader::tokenChanges(qint64 sinceTs, QString *error) const
{
    return runRead(
        m_connections, error, [&](Connection &c, QString *err) -> QHash<QString, QSet<QString>> {
            QSqlQuery *q =
                c.statement(u"SELECT c.user_name, t.hash FROM token_changes c"
                            " LEFT JOIN tokens t ON t.user_name = c.user_name WHERE c.at >= ?"_s,
                            err);
            if (!q || !sql::exec(*q, {sinceTs}, u"read token changes"_s, err))
                return {};
            QHash<QString, QSet<QString>> live;
            while (q->next()) {
                QSet<QString> &hashes = live[q->value(0).toString()];
                if (!q->isNull(1))
                    hashes.insert(q->value(1).toString());
            }
            return live;
        });
}

QList<StoredRoom> StoreReader::loadRooms(QString *error) const
{
    return runRead(m_connections, error,
                   [](Connection &c, QString *err) { return queries::loadRooms(c, err); });
}

QList<EventFact> StoreReader::loadEventFacts(qint64 sinceTs, QString *error) const
{
    return runRead(m_connections, error, [&](Connection &c, QString *err) {
        QList<EventFact> facts;
        QSqlQuery *q =
            c.statement(u"SELECT room, seq, sender, kind, target, emoji, removed, client_msg_id,"
                        " ts FROM events WHERE kind IN ('text', 'edit', 'delete', 'react', 'file')"
                        " OR (client_msg_id IS NOT NULL AND ts >= ?) ORDER BY room, seq"_s,
                        err);
        if (!q || !sql::exec(*q, {sinceTs}, u"load event facts"_s, err))
            return facts;
        while (q->next()) {
            EventFact f;
            f.room = q->value(0).toString();
            f.seq = q->value(1).toLongLong();
            f.sender = q->value(2).toString();
            f.kind = kindFromName(q->value(3).toString());
            f.target = sql::optionalInt(q->value(4));
            f.emoji = sql::optionalText(q->value(5));
            f.removed = q->value(6).toLongLong() != 0;
            f.clientMsgId = sql::optionalText(q->value(7));
            f.ts = q->value(8).toLongLong();
            facts.append(std::move(f));
        }
        return facts;
    });
}

QList<protocol::Event> StoreReader::events(const QString &room, qint64 afterSeq, qint64 beforeSeq,
                                           int limit, bool newestFirst, QString *error) const
{
    if (limit <= 0)
        return {};
    return runRead(m_connections, error, [&](Connection &c, QString *err) {
        QList<protocol::Event> events;
        QSqlQuery *q = c.statement(
            u"SELECT e.seq, e.ts, e.sender, e.kind, e.body, e.client_msg_id, e.reply_to,"
            " e.target, e.emoji, e.removed, f.id, f.name, f.size, f.mime, f.width, f.height,"
            " f.thumb FROM events e LEFT JOIN files f ON f.id = e.file_id"
            " WHERE e.room = ? AND e.seq > ? AND e.seq < ? ORDER BY e.seq %1"
            " LIMIT ?"_s.arg(newestFirst ? "DESC"_L1 : "ASC"_L1),
            err);
        const qint64 upper = beforeSeq > 0 ? beforeSeq : std::numeric_limits<qint64>::max();
        if (!q || !sql::exec(*q, {room, afterSeq, upper, limit}, u"read events"_s, err))
            return events;
        while (q->next()) {
            protocol::Event e;
            e.room = room;
            e.seq = q->value(0).toLongLong();
            e.ts = q->value(1).toLongLong();
            e.from = q->value(2).toString();
            e.kind = kindFromName(q->value(3).toString());
            e.body = q->value(4).toString();
            e.clientMsgId = sql::optionalText(q->value(5));
            e.replyTo = sql::optionalInt(q->value(6));
            e.target = sql::optionalInt(q->value(7));
            e.emoji = sql::optionalText(q->value(8));
            e.removed = q->value(9).toLongLong() != 0;
            if (!q->isNull(10)) {
                e.file = protocol::FileInfo{
                    q->value(10).toString(),        q->value(11).toString(),
                    q->value(12).toLongLong(),      q->value(13).toString(),
                    sql::optionalInt(q->value(14)), sql::optionalInt(q->value(15)),
                    sql::optionalText(q->value(16))};
            }
            events.append(std::move(e));
        }
        if (newestFirst)
            std::reverse(events.begin(), events.end());
        return events;
    });
}

SearchOutcome StoreReader::search(const SearchPlan &plan, int budgetMs, QString *error) const
{
    return runRead(m_connections, error, [&](Connection &c, QString *err) {
        return searchstore::run(c, plan, budgetMs, err);
    });
}

std::optional<bool> StoreReader::searchIndexComplete(QString *error) const
{
    return runRead(m_connections, error,
                   [&](Connection &c, QString *err) { return searchstore::indexComplete(c, err); });
}

QHash<QString, qint64> StoreReader::readMarkers(const QString &user, QString *error) const
{
    return runRead(m_connections, error, [&](Connection &c, QString *err) {
        QHash<QString, qint64> markers;
        QSqlQuery *q =
            c.statement(u"SELECT room, seq FROM read_markers WHERE user_name = ?"_s, err);
        if (!q || !sql::exec(*q, {user}, u"read markers"_s, err))
            return markers;
        while (q->next())
            markers.insert(q->value(0).toString(), q->value(1).toLongLong());
        return markers;
    });
}

bool StoreReader::roomExists(const QString &room, QString *error) const
{
    return runRead(m_connections, error, [&](Connection &c, QString *err) {
        QSqlQuery *q = c.statement(u"SELECT 1 FROM rooms WHERE id = ?"_s, err);
        return q && sql::exec(*q, {room}, u"look up room"_s, err) && q->next();
    });
}

std::optional<StoredFile> StoreReader::file(const QString &id, QString *error) const
{
    return runRead(m_connections, error, [&](Connection &c, QString *err) {
        const QList<StoredFile> files = selectFiles(c, u"WHERE f.id = ?"_s, {id}, err);
        return files.isEmpty() ? std::nullopt : std::optional(files.first());
    });
}

std::optional<StoredFile> StoreReader::readableFile(const QString &id, const QString &user,
                                                    QString *error) const
{
    // Posted in a room the user is a member of (a thumbnail: its file), or the user's own
    // upload that is not posted yet.
    return runRead(m_connections, error, [&](Connection &c, QString *err) {
        const QList<StoredFile> files = selectFiles(
            c,
            u"WHERE f.id = ? AND (EXISTS (SELECT 1 FROM file_refs r JOIN members m"
            " ON m.room = r.room AND m.user_name = ? WHERE r.file_id = COALESCE(f.thumb_of, f.id))"
            " OR EXISTS (SELECT 1 FROM files p WHERE p.id = COALESCE(f.thumb_of, f.id)"
            " AND p.uploader = ? AND p.posted = 0))"_s,
            {id, user, user}, err);
        return files.isEmpty() ? std::nullopt : std::optional(files.first());
    });
}

FileUsage StoreReader::fileUsage(const QString &user, QString *error) const
{
    return runRead(m_connections, error, [&](Connection &c, QString *err) {
        FileUsage usage{user, 0, 0};
        QSqlQuery *q = c.statement(u"SELECT COUNT(*), COALESCE(SUM(size), 0) FROM files"
                                   " WHERE uploader = ? AND thumb_of IS NULL"_s,
                                   err);
        if (q && sql::exec(*q, {user}, u"read file usage"_s, err) && q->next()) {
            usage.files = q->value(0).toLongLong();
            usage.bytes = q->value(1).toLongLong();
        }
        return usage;
    });
}

QList<FileUsage> StoreReader::fileUsageByUser(QString *error) const
{
    return runRead(m_connections, error, [&](Connection &c, QString *err) {
        QList<FileUsage> all;
        QSqlQuery *q = c.statement(u"SELECT uploader, COUNT(*), SUM(size) FROM files"
                                   " WHERE thumb_of IS NULL GROUP BY uploader"
                                   " ORDER BY SUM(size) DESC, uploader"_s,
                                   err);
        if (!q || !sql::exec(*q, {}, u"read file usage"_s, err))
            return all;
        while (q->next())
            all.append(
                {q->value(0).toString(), q->value(1).toLongLong(), q->value(2).toLongLong()});
        return all;
    });
}

QList<StoredFile> StoreReader::largestFiles(qint64 minSize, int limit, QString *error) const
{
    return runRead(m_connections, error, [&](Connection &c, QString *err) {
        return selectFiles(c,
                           u"WHERE f.thumb_of IS NULL AND f.size >= ? ORDER BY f.size DESC, f.id"
                           " LIMIT ?"_s,
                           {minSize, limit}, err);
    });
}

QList<StoredFile> StoreReader::collectableFiles(qint64 unreferencedBefore, int limit,
                                                QString *error) const
{
    return runRead(m_connections, error, [&](Connection &c, QString *err) {
        return selectFiles(c,
                           u"WHERE f.thumb_of IS NULL AND COALESCE(f.unreferenced_at,"
                           " f.created_at) < ? AND NOT EXISTS (SELECT 1 FROM file_refs r"
                           " WHERE r.file_id = f.id) ORDER BY f.created_at LIMIT ?"_s,
                           {unreferencedBefore, limit}, err);
    });
}

QSet<QString> StoreReader::storedContent(QString *error) const
{
    return runRead(m_connections, error, [&](Connection &c, QString *err) {
        QSet<QString> hashes;
        QSqlQuery *q = c.statement(u"SELECT DISTINCT sha256 FROM files"_s, err);
        if (!q || !sql::exec(*q, {}, u"read stored content"_s, err))
            return hashes;
        while (q->next())
            hashes.insert(q->value(0).toString());
        return hashes;
    });
}

} // namespace confab::server
