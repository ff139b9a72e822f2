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
                        " ts FROM events WHERE kind IN ('text', 'edit', 'delete', 'react')"
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
            u"SELECT seq, ts, sender, kind, body, client_msg_id, reply_to, target, emoji,"
            " removed FROM events WHERE room = ? AND seq > ? AND seq < ? ORDER BY seq %1"
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
            events.append(std::move(e));
        }
        if (newestFirst)
            std::reverse(events.begin(), events.end());
        return events;
    });
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

} // namespace confab::server
