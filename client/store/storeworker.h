#pragma once

#include "store/storetypes.h"

#include <QObject>
#include <QSqlDatabase>

namespace confab::client {

// The SQLite side of one server account: its outbox file and its cache file. Touched
// only from its worker thread (StoreThread); it opens one named connection per file
// there, and every method runs there. Results travel back by value.
class StoreWorker : public QObject
{
    Q_OBJECT

public:
    StoreWorker(QString outboxPath, QString cachePath, QString connectionPrefix);
    ~StoreWorker() override;

    bool open(QString *error);
    void close();

    // ---- outbox ----
    QList<OutboxEntry> loadOutbox(QString *error);
    bool insertOutbox(const OutboxEntry &entry);
    bool updateOutbox(const OutboxEntry &entry);
    bool removeOutbox(const QString &clientMsgId);

    // ---- cache ----
    // Loads rooms and members; drops everything first when the epoch differs (an empty
    // epoch keeps what is there: the app is offline and has not been told).
    CacheSnapshot loadCache(const QString &user, const QString &displayName);
    bool resetForEpoch(const QString &epoch, const QString &user);
    bool storeRooms(const QList<protocol::RoomInfo> &rooms);
    bool removeRoom(const QString &room);
    // Appends a contiguous run at the newest end (or, olderSide, at the oldest end) and
    // keeps the newest `keep` events of the room.
    bool storeEvents(const QString &room, const QList<protocol::Event> &events, bool olderSide,
                     int keep);
    bool storeReadSeq(const QString &room, qint64 seq);
    bool storeMembers(const QString &room, const QList<protocol::MemberInfo> &members);
    bool storeDraft(const QString &room, const QString &text, std::optional<qint64> replyTo);
    EventPage loadEvents(const QString &room, qint64 beforeSeq, int limit);
    qint64 eventCount(const QString &room);

    // ---- search ----
    // The server's search over what the cache holds, for when the server cannot be
    // reached: the same query language (docs/protocol.md "Search"), room limiting it to
    // one room, order, limit (1-50), cursor (empty: the first page; else one this returned
    // for the same query), tzOffsetMinutes for the day operators, user the asker (for
    // is:mention and in:@user). Each message is found in its current version only.
    CacheSearchResult searchCache(const QString &query, const std::optional<QString> &room,
                                  protocol::SearchOrder order, int limit, const QString &cursor,
                                  int tzOffsetMinutes, const QString &user);

private:
    bool migrateOutbox();
    bool migrateCache();
    // The search index of the cache (storesearch.cpp); built from the events held when a
    // cache made before it is opened.
    bool migrateSearch(QSqlDatabase &db);
    bool exec(QSqlDatabase &db, const QString &sql);
    // ALTER TABLE ... ADD COLUMN unless the table has it (a cache of an older version).
    bool addColumnIfMissing(QSqlDatabase &db, const QString &table, const QString &column,
                            const QString &definition);
    QSqlDatabase outboxDb() const;
    QSqlDatabase cacheDb() const;
    bool joinsOldestEnd(const QString &room, qint64 newestOfPage);
    void loadUnread(CachedRoom &room, const QString &user, const QString &displayName);

    QString m_outboxPath;
    QString m_cachePath;
    QString m_outboxName;
    QString m_cacheName;
};

} // namespace confab::client
