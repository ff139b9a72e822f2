// The cache half of StoreWorker: rooms, events, members and drafts of one server, valid
// for one epoch of its store.
#include "session/mentions.h"
#include "store/storeworker.h"

#include "logging.h"

#include "protocol/codec.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QSqlError>
#include <QSqlQuery>
#include <QVariant>

namespace confab::client {

using namespace Qt::StringLiterals;
using protocol::Event;

namespace {
constexpr int kMaxUnreadTracked = 999;

QVariant nullableInt(const std::optional<qint64> &v)
{
    return v ? QVariant(*v) : QVariant(QMetaType(QMetaType::LongLong));
}

bool run(QSqlQuery &q)
{
    if (q.exec())
        return true;
    qCWarning(lcStore) << "cache sql failed:" << q.lastError().text();
    return false;
}

Event readEventRow(const QSqlQuery &q, const QString &room)
{
    Event e;
    e.room = room;
    e.seq = q.value(0).toLongLong();
    e.ts = q.value(1).toLongLong();
    e.from = q.value(2).toString();
    e.kind = protocol::eventKindFromName(q.value(3).toString()).value_or(protocol::EventKind::Text);
    e.body = q.value(4).toString();
    if (!q.value(5).isNull())
        e.clientMsgId = q.value(5).toString();
    if (!q.value(6).isNull())
        e.replyTo = q.value(6).toLongLong();
    if (!q.value(7).isNull())
        e.target = q.value(7).toLongLong();
    if (!q.value(8).isNull())
        e.emoji = q.value(8).toString();
    e.removed = q.value(9).toBool();
    if (!q.value(10).isNull())
        e.file =
            protocol::fileInfoFromJson(QJsonDocument::fromJson(q.value(10).toByteArray()).object());
    return e;
}
} // namespace

bool StoreWorker::migrateCache()
{
    QSqlDatabase db = cacheDb();
    return exec(db, u"CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT)"_s) &&
           exec(db, u"CREATE TABLE IF NOT EXISTS rooms(room TEXT PRIMARY KEY, name TEXT, "
                    "kind INTEGER, private INTEGER, topic TEXT, last_seq INTEGER, "
                    "read_seq INTEGER, members INTEGER, low_seq INTEGER NOT NULL DEFAULT 0, "
                    "high_seq INTEGER NOT NULL DEFAULT -1, last_ts INTEGER NOT NULL DEFAULT 0, "
                    "member INTEGER NOT NULL DEFAULT 1)"_s) &&
           // Caches made before "member" was stored: every room in them was the user's.
           addColumnIfMissing(db, u"rooms"_s, u"member"_s, u"INTEGER NOT NULL DEFAULT 1"_s) &&
           exec(db, u"CREATE TABLE IF NOT EXISTS events(room TEXT NOT NULL, seq INTEGER NOT "
                    "NULL, ts INTEGER, sender TEXT, kind TEXT, body TEXT, client_msg_id TEXT, "
                    "reply_to INTEGER, target INTEGER, emoji TEXT, removed INTEGER, "
                    "file TEXT, PRIMARY KEY(room, seq)) WITHOUT ROWID"_s) &&
           // Caches made before files; their file events (if any) lost the object.
           addColumnIfMissing(db, u"events"_s, u"file"_s, u"TEXT"_s) &&
           exec(db, u"CREATE TABLE IF NOT EXISTS members(room TEXT NOT NULL, user TEXT NOT "
                    "NULL, display_name TEXT, presence TEXT, PRIMARY KEY(room, user))"_s) &&
           // Drafts are the user's own words: an epoch change keeps their text.
           exec(db, u"CREATE TABLE IF NOT EXISTS drafts(room TEXT PRIMARY KEY, text TEXT, "
                    "reply_to INTEGER)"_s) &&
           migrateSearch(db);
}

bool StoreWorker::resetForEpoch(const QString &epoch, const QString &user)
{
    QSqlDatabase db = cacheDb();
    if (!db.transaction())
        return false;
    const bool ok = exec(db, u"DELETE FROM events"_s) && exec(db, u"DELETE FROM rooms"_s) &&
                    exec(db, u"DELETE FROM members"_s) &&
                    exec(db, u"UPDATE drafts SET reply_to = NULL"_s);
    QSqlQuery q(db);
    q.prepare(u"INSERT OR REPLACE INTO meta(key, value) VALUES('epoch', ?), ('user', ?)"_s);
    q.addBindValue(epoch);
    q.addBindValue(user);
    if (!ok || !run(q) || !db.commit()) {
        db.rollback();
        return false;
    }
    qCInfo(lcStore) << "cache reset for epoch" << epoch;
    return true;
}

CacheSnapshot StoreWorker::loadCache(const QString &user, const QString &displayName)
{
    CacheSnapshot snap;
    QSqlDatabase db = cacheDb();
    QSqlQuery q(db);
    if (!q.exec(u"SELECT key, value FROM meta"_s)) {
        snap.error = q.lastError().text();
        return snap;
    }
    while (q.next())
        (q.value(0).toString() == u"epoch"_s ? snap.epoch : snap.user) = q.value(1).toString();
    if (!q.exec(u"SELECT r.room, name, kind, private, topic, last_seq, read_seq, members, "
                "low_seq, high_seq, last_ts, d.text, d.reply_to, member FROM rooms r "
                "LEFT JOIN drafts d ON d.room = r.room"_s)) {
        snap.error = q.lastError().text();
        return snap;
    }
    while (q.next()) {
        CachedRoom r;
        r.info.room = q.value(0).toString();
        r.info.name = q.value(1).toString();
        r.info.kind = q.value(2).toInt() ? protocol::RoomKind::Dm : protocol::RoomKind::Channel;
        r.info.isPrivate = q.value(3).toBool();
        r.info.topic = q.value(4).toString();
        r.info.lastSeq = q.value(5).toLongLong();
        r.info.readSeq = q.value(6).toLongLong();
        r.info.members = q.value(7).toInt();
        r.lowSeq = q.value(8).toLongLong();
        r.highSeq = q.value(9).toLongLong();
        r.lastTs = q.value(10).toLongLong();
        r.draftText = q.value(11).toString();
        if (!q.value(12).isNull())
            r.draftReplyTo = q.value(12).toLongLong();
        r.info.member = q.value(13).toBool();
        snap.rooms.append(r);
    }
    for (CachedRoom &r : snap.rooms)
        loadUnread(r, user, displayName);
    if (q.exec(u"SELECT user, max(display_name), max(presence) FROM members GROUP BY user"_s)) {
        while (q.next()) {
            snap.members.append({q.value(0).toString(), q.value(1).toString(),
                                 protocol::presenceFromName(q.value(2).toString())
                                     .value_or(protocol::Presence::Offline)});
        }
    }
    return snap;
}

void StoreWorker::loadUnread(CachedRoom &room, const QString &user, const QString &displayName)
{
    QSqlQuery q(cacheDb());
    q.prepare(
        u"SELECT seq, body FROM events WHERE room = ? AND seq > ? AND kind IN ('text', 'file') "
        "AND sender != ? ORDER BY seq LIMIT ?"_s);
    q.addBindValue(room.info.room);
    q.addBindValue(room.info.readSeq);
    q.addBindValue(user);
    q.addBindValue(kMaxUnreadTracked);
    if (!run(q))
        return;
    while (q.next()) {
        const qint64 seq = q.value(0).toLongLong();
        room.unreadSeqs.append(seq);
        if (mentionsUser(q.value(1).toString(), user, displayName))
            room.mentionSeqs.append(seq);
    }
}

bool StoreWorker::storeRooms(const QList<protocol::RoomInfo> &rooms)
{
    QSqlDatabase db = cacheDb();
    db.transaction();
    QSqlQuery q(db);
    q.prepare(u"INSERT INTO rooms(room, name, kind, private, topic, last_seq, read_seq, members, "
              "member) VALUES(?,?,?,?,?,?,?,?,?) ON CONFLICT(room) DO UPDATE SET "
              "name = excluded.name, kind = excluded.kind, private = excluded.private, "
              "topic = excluded.topic, last_seq = max(last_seq, excluded.last_seq), "
              "read_seq = max(read_seq, excluded.read_seq), members = excluded.members, "
              "member = excluded.member"_s);
    bool ok = true;
    for (const protocol::RoomInfo &r : rooms) {
        q.addBindValue(r.room);
        q.addBindValue(r.name);
        q.addBindValue(r.kind == protocol::RoomKind::Dm ? 1 : 0);
        q.addBindValue(r.isPrivate ? 1 : 0);
        q.addBindValue(r.topic);
        q.addBindValue(r.lastSeq);
        q.addBindValue(r.readSeq);
        q.addBindValue(r.members);
        q.addBindValue(r.member ? 1 : 0);
        ok = run(q) && ok;
    }
    return db.commit() && ok;
}

bool StoreWorker::removeRoom(const QString &room)
{
    QSqlDatabase db = cacheDb();
    db.transaction();
    bool ok = true;
    for (const QString &table : {u"rooms"_s, u"events"_s, u"members"_s}) {
        QSqlQuery q(db);
        q.prepare(u"DELETE FROM %1 WHERE room = ?"_s.arg(table));
        q.addBindValue(room);
        ok = run(q) && ok;
    }
    return db.commit() && ok;
}

bool StoreWorker::storeEvents(const QString &room, const QList<Event> &events, bool olderSide,
                              int keep)
{
    if (events.isEmpty())
        return true;
    QSqlDatabase db = cacheDb();
    if (olderSide && !joinsOldestEnd(room, events.last().seq))
        return true; // a page that would leave a hole: the cache stays one contiguous run
    db.transaction();
    QSqlQuery q(db);
    q.prepare(u"INSERT OR REPLACE INTO events(room, seq, ts, sender, kind, body, client_msg_id, "
              "reply_to, target, emoji, removed, file) VALUES(?,?,?,?,?,?,?,?,?,?,?,?)"_s);
    bool ok = true;
    for (const Event &e : events) {
        q.addBindValue(room);
        q.addBindValue(e.seq);
        q.addBindValue(e.ts);
        q.addBindValue(e.from);
        q.addBindValue(protocol::eventKindName(e.kind));
        q.addBindValue(e.body);
        q.addBindValue(e.clientMsgId ? QVariant(*e.clientMsgId) : QVariant());
        q.addBindValue(nullableInt(e.replyTo));
        q.addBindValue(nullableInt(e.target));
        q.addBindValue(e.emoji ? QVariant(*e.emoji) : QVariant());
        q.addBindValue(e.removed ? 1 : 0);
        q.addBindValue(
            e.file
                ? QVariant(QJsonDocument(protocol::toJson(*e.file)).toJson(QJsonDocument::Compact))
                : QVariant(QMetaType(QMetaType::QByteArray)));
        ok = run(q) && ok;
    }
    QSqlQuery r(db);
    if (olderSide) {
        r.prepare(u"UPDATE rooms SET low_seq = ? WHERE room = ?"_s);
        r.addBindValue(events.first().seq);
    } else {
        r.prepare(u"UPDATE rooms SET high_seq = ?, last_ts = ?, last_seq = max(last_seq, ?), "
                  "low_seq = CASE WHEN high_seq < 0 THEN ? ELSE max(low_seq, ?) END "
                  "WHERE room = ?"_s);
        const qint64 newest = events.last().seq;
        r.addBindValue(newest);
        r.addBindValue(events.last().ts);
        r.addBindValue(newest);
        r.addBindValue(events.first().seq);
        r.addBindValue(std::max<qint64>(0, newest - keep + 1));
    }
    r.addBindValue(room);
    ok = run(r) && ok;
    if (!olderSide && keep > 0) {
        QSqlQuery trim(db);
        trim.prepare(u"DELETE FROM events WHERE room = ? AND seq <= ?"_s);
        trim.addBindValue(room);
        trim.addBindValue(events.last().seq - keep);
        ok = run(trim) && ok;
    }
    return db.commit() && ok;
}

bool StoreWorker::joinsOldestEnd(const QString &room, qint64 newestOfPage)
{
    QSqlQuery q(cacheDb());
    q.prepare(u"SELECT low_seq, high_seq FROM rooms WHERE room = ?"_s);
    q.addBindValue(room);
    if (!run(q) || !q.next())
        return false;
    return q.value(1).toLongLong() >= 0 && newestOfPage + 1 >= q.value(0).toLongLong();
}

bool StoreWorker::storeReadSeq(const QString &room, qint64 seq)
{
    QSqlQuery q(cacheDb());
    q.prepare(u"UPDATE rooms SET read_seq = max(read_seq, ?) WHERE room = ?"_s);
    q.addBindValue(seq);
    q.addBindValue(room);
    return run(q);
}

bool StoreWorker::storeMembers(const QString &room, const QList<protocol::MemberInfo> &members)
{
    QSqlDatabase db = cacheDb();
    db.transaction();
    QSqlQuery del(db);
    del.prepare(u"DELETE FROM members WHERE room = ?"_s);
    del.addBindValue(room);
    bool ok = run(del);
    QSqlQuery q(db);
    q.prepare(u"INSERT INTO members(room, user, display_name, presence) VALUES(?,?,?,?)"_s);
    for (const protocol::MemberInfo &m : members) {
        q.addBindValue(room);
        q.addBindValue(m.user);
        q.addBindValue(m.displayName);
        q.addBindValue(protocol::presenceName(m.presence));
        ok = run(q) && ok;
    }
    return db.commit() && ok;
}

bool StoreWorker::storeDraft(const QString &room, const QString &text,
                             std::optional<qint64> replyTo)
{
    QSqlQuery q(cacheDb());
    if (text.isEmpty() && !replyTo) {
        q.prepare(u"DELETE FROM drafts WHERE room = ?"_s);
        q.addBindValue(room);
    } else {
        q.prepare(u"INSERT OR REPLACE INTO drafts(room, text, reply_to) VALUES(?,?,?)"_s);
        q.addBindValue(room);
        q.addBindValue(text);
        q.addBindValue(nullableInt(replyTo));
    }
    return run(q);
}

EventPage StoreWorker::loadEvents(const QString &room, qint64 beforeSeq, int limit)
{
    EventPage page;
    page.room = room;
    QSqlQuery q(cacheDb());
    q.setForwardOnly(true);
    q.prepare(u"SELECT seq, ts, sender, kind, body, client_msg_id, reply_to, target, emoji, "
              "removed, file FROM events WHERE room = ? AND seq < ? ORDER BY seq DESC LIMIT ?"_s);
    q.addBindValue(room);
    q.addBindValue(beforeSeq);
    q.addBindValue(limit);
    if (!q.exec()) {
        page.error = q.lastError().text();
        return page;
    }
    while (q.next())
        page.events.append(readEventRow(q, room));
    std::reverse(page.events.begin(), page.events.end());
    return page;
}

qint64 StoreWorker::eventCount(const QString &room)
{
    QSqlQuery q(cacheDb());
    q.prepare(u"SELECT count(*) FROM events WHERE room = ?"_s);
    q.addBindValue(room);
    return run(q) && q.next() ? q.value(0).toLongLong() : -1;
}

} // namespace confab::client
