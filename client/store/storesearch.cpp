// The search half of StoreWorker: a full-text index of the cached messages, kept by
// triggers on the events table, and the search over it that stands in for the server's
// when the server cannot be reached.
#include "store/storeworker.h"

#include "logging.h"

#include "protocol/codec.h"
#include "protocol/names.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QSqlError>
#include <QSqlQuery>
#include <QVariant>
#include <algorithm>

namespace confab::client {

using namespace Qt::StringLiterals;

namespace {

// ---- the index -------------------------------------------------------------------------
// FTS5 needs an integer rowid for each row it indexes, and the events table has none
// (WITHOUT ROWID, keyed by room and seq), so it cannot be the index's content. The content
// is search_rows instead: one row per message the cache holds a current version of, keyed
// by the message's (room, seq), with the text people see (the message's own, or that of
// its latest edit) and what a hit shows of the message (sender, ts, kind, file). The FTS5
// table reads its text from there (external content: the text is stored once), and
// search_rows' own triggers tell it what goes in and out. FTS5 must be given exactly the
// values it indexed when a row goes; every write to search_rows fires them (none replaces
// a row: a message gets a new one only where it has none), so the old row is always what
// was indexed. (A contentless FTS5 table too can only forget a
// row given the text it indexed, SQLite 3.40 has no contentless_delete, and snippet()
// needs the text anyway.) Tokenizer and prefixes are the server's (migration 7): a query
// matches here what it matches there.
//
// search_current is what search_rows should hold, by the server's rule (store/search.cpp,
// kCurrent): a text or file nobody edited or deleted, or the latest edit of a message
// nobody deleted. Where the cache does not hold the message itself (it was trimmed, or is
// older than the pages loaded) its edit still stands for it; sender, ts, kind and file then
// come from what search_rows had, else from the edit (as the server's COALESCE(o.ts, h.ts)).
// The file column is stored as a blob, hence the casts for json_extract.
constexpr auto kRowColumns = "room, seq, sender, ts, kind, edited, body, name, mime, file"_L1;

const char *const kSearchSchema[] = {
    // Each refresh looks up a message's edits and deletes by target.
    "CREATE INDEX IF NOT EXISTS events_target ON events(room, target, kind)",
    "CREATE TABLE IF NOT EXISTS search_rows(id INTEGER PRIMARY KEY, room TEXT NOT NULL, "
    "seq INTEGER NOT NULL, sender TEXT, ts INTEGER, kind TEXT, edited INTEGER, body TEXT, "
    "name TEXT, mime TEXT, file BLOB, UNIQUE(room, seq))",
    "CREATE INDEX IF NOT EXISTS search_rows_newest ON search_rows(ts, seq, room)",
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_index USING fts5(body, name, "
    "content='search_rows', content_rowid='id', tokenize='unicode61 remove_diacritics 2', "
    "prefix='2 3')",
    "CREATE TRIGGER IF NOT EXISTS search_rows_in AFTER INSERT ON search_rows BEGIN "
    "INSERT INTO search_index(rowid, body, name) VALUES(new.id, new.body, new.name); END",
    "CREATE TRIGGER IF NOT EXISTS search_rows_out AFTER DELETE ON search_rows BEGIN "
    "INSERT INTO search_index(search_index, rowid, body, name) "
    "VALUES('delete', old.id, old.body, old.name); END",
    "CREATE TRIGGER IF NOT EXISTS search_rows_changed AFTER UPDATE ON search_rows BEGIN "
    "INSERT INTO search_index(search_index, rowid, body, name) "
    "VALUES('delete', old.id, old.body, old.name); "
    "INSERT INTO search_index(rowid, body, name) VALUES(new.id, new.body, new.name); END",
    // INDEXED BY: without statistics SQLite would find an edit by scanning its room's
    // events through the primary key (in the sqlite3 shell, 30,000 events stored into
    // three rooms took 55 s that way and 1.6 s through the index).
    "CREATE VIEW IF NOT EXISTS search_current AS "
    "SELECT c.room AS room, c.seq AS seq, c.sender AS sender, c.ts AS ts, c.kind AS kind, "
    "0 AS edited, c.body AS body, json_extract(CAST(c.file AS TEXT), '$.name') AS name, "
    "json_extract(CAST(c.file AS TEXT), '$.mime') AS mime, c.file AS file FROM events c "
    "WHERE c.kind IN ('text', 'file') AND NOT EXISTS (SELECT 1 FROM events x "
    "WHERE x.room = c.room AND x.target = c.seq AND x.kind IN ('edit', 'delete')) "
    "UNION ALL "
    "SELECT c.room, c.target, COALESCE(o.sender, p.sender, c.sender), COALESCE(o.ts, p.ts, c.ts), "
    "COALESCE(o.kind, p.kind, 'text'), 1, c.body, "
    "COALESCE(json_extract(CAST(o.file AS TEXT), '$.name'), p.name), "
    "COALESCE(json_extract(CAST(o.file AS TEXT), '$.mime'), p.mime), COALESCE(o.file, p.file) "
    "FROM events c INDEXED BY events_target "
    "LEFT JOIN events o ON o.room = c.room AND o.seq = c.target AND o.kind IN ('text', 'file') "
    "LEFT JOIN search_rows p ON p.room = c.room AND p.seq = c.target "
    "WHERE c.kind = 'edit' AND NOT EXISTS (SELECT 1 FROM events x WHERE x.room = c.room "
    "AND x.target = c.target AND (x.kind = 'delete' OR (x.kind = 'edit' AND x.seq > c.seq)))",
};

// A trigger on events that brings the message an events row touches in line with
// search_current: the row's own seq for a text or file, its target for an edit or delete.
// Every change ends the same way whatever order rows come in (an older page after the edit
// that replaced one of its messages), and whether a row is new, stored again (INSERT OR
// REPLACE fires no delete trigger), trimmed, or goes with its room or its epoch. An update
// rather than a delete and insert keeps what search_rows knew of a message whose own row is
// gone.
QString refreshTrigger(const char *name, const char *event, const char *row, const char *key,
                       const char *kinds)
{
    const QString message =
        u"v.room = %1.room AND v.seq = %1.%2"_s.arg(QLatin1String(row), QLatin1String(key));
    const QString same =
        u"room = %1.room AND seq = %1.%2"_s.arg(QLatin1String(row), QLatin1String(key));
    return u"CREATE TRIGGER IF NOT EXISTS %1 AFTER %2 ON events "
           "WHEN %3.kind IN (%4) AND %3.%5 IS NOT NULL BEGIN "
           "UPDATE search_rows SET (sender, ts, kind, edited, body, name, mime, file) = "
           "(SELECT sender, ts, kind, edited, body, name, mime, file FROM search_current v "
           "WHERE %6) WHERE %7 AND EXISTS (SELECT 1 FROM search_current v WHERE %6); "
           "DELETE FROM search_rows WHERE %7 AND NOT EXISTS "
           "(SELECT 1 FROM search_current v WHERE %6); "
           "INSERT INTO search_rows(%8) SELECT %8 FROM search_current v WHERE %6 "
           "AND NOT EXISTS (SELECT 1 FROM search_rows WHERE %7); END"_s.arg(
               QLatin1String(name), QLatin1String(event), QLatin1String(row), QLatin1String(kinds),
               QLatin1String(key), message, same, kRowColumns);
}

QStringList refreshTriggers()
{
    constexpr auto messages = "'text', 'file'";
    constexpr auto changes = "'edit', 'delete'";
    return {refreshTrigger("search_message_in", "INSERT", "new", "seq", messages),
            refreshTrigger("search_change_in", "INSERT", "new", "target", changes),
            refreshTrigger("search_message_out", "DELETE", "old", "seq", messages),
            refreshTrigger("search_change_out", "DELETE", "old", "target", changes)};
}

// ---- the search ------------------------------------------------------------------------

constexpr int kMaxLimit = 50;
constexpr int kSnippetChars = 160;

// Where the next page starts. Newest first: "t<ts>:<seq>:<room>" of the last hit, the
// order's key; by relevance: "o<offset>".
struct Cursor
{
    qint64 offset = 0;
    qint64 ts = 0;
    qint64 seq = 0;
    QString room;
};

std::optional<Cursor> parseCursor(const QString &text, bool relevance)
{
    Cursor c;
    bool ok = false;
    if (relevance) {
        if (!text.startsWith(u'o'))
            return std::nullopt;
        c.offset = text.mid(1).toLongLong(&ok);
        return ok && c.offset >= 0 ? std::optional(c) : std::nullopt;
    }
    if (!text.startsWith(u't'))
        return std::nullopt;
    const QString rest = text.mid(1);
    c.ts = rest.section(u':', 0, 0).toLongLong(&ok);
    bool seqOk = false;
    c.seq = rest.section(u':', 1, 1).toLongLong(&seqOk);
    c.room = rest.section(u':', 2); // a direct message room's id has colons of its own
    return ok && seqOk && !c.room.isEmpty() ? std::optional(c) : std::nullopt;
}

// A hit the index did not mark (a search by operators alone) shows the start of its text:
// the caption, else the file's name.
QString plainSnippet(const QString &body, const QString &fileName)
{
    QString text = (body.isEmpty() ? fileName : body).simplified();
    if (text.size() <= kSnippetChars)
        return text;
    text.truncate(kSnippetChars);
    return text.trimmed() + u"…"_s;
}

protocol::SearchHit hitFromRow(const QSqlQuery &q, bool marked)
{
    protocol::SearchHit h;
    h.room = q.value(0).toString();
    h.seq = q.value(1).toLongLong();
    h.from = q.value(2).toString();
    h.ts = q.value(3).toLongLong();
    h.kind =
        q.value(4).toString() == "file"_L1 ? protocol::EventKind::File : protocol::EventKind::Text;
    h.edited = q.value(5).toBool();
    if (!q.value(6).isNull())
        h.file =
            protocol::fileInfoFromJson(QJsonDocument::fromJson(q.value(6).toByteArray()).object());
    h.snippet = marked ? q.value(9).toString().simplified()
                       : plainSnippet(q.value(7).toString(), q.value(8).toString());
    return h;
}

} // namespace

bool StoreWorker::migrateSearch(QSqlDatabase &db)
{
    QSqlQuery q(db);
    if (!q.exec(u"SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'search_rows'"_s)) {
        qCWarning(lcStore) << "sql failed:" << q.lastError().text();
        return false;
    }
    const bool built = q.next();
    q.finish();
    if (built)
        return true;
    // A new cache, or one made before search: the index and what it should hold now, at
    // once (a cache is small), and the triggers that keep it from then on.
    if (!db.transaction())
        return false;
    bool ok = true;
    for (const char *statement : kSearchSchema)
        ok = ok && exec(db, QLatin1String(statement));
    ok = ok &&
         exec(db, u"INSERT INTO search_rows(%1) SELECT %1 FROM search_current"_s.arg(kRowColumns));
    for (const QString &trigger : refreshTriggers())
        ok = ok && exec(db, trigger);
    if (!ok || !db.commit()) {
        db.rollback();
        return false;
    }
    return true;
}

CacheSearchResult StoreWorker::searchCache(const QString &query, const std::optional<QString> &room,
                                           protocol::SearchOrder order, int limit,
                                           const QString &cursor, int tzOffsetMinutes,
                                           const QString &user)
{
    CacheSearchResult out;
    const std::variant<search::Query, search::ParseError> parsed =
        search::parseQuery(query, tzOffsetMinutes);
    if (const auto *error = std::get_if<search::ParseError>(&parsed)) {
        out.error = *error;
        return out;
    }
    const search::Query &q = std::get<search::Query>(parsed);
    const QString asker = protocol::foldUserName(user);
    std::optional<QString> only = room;
    if (q.in) {
        const bool direct = q.in->kind == search::InTarget::Kind::Direct;
        const QString named = direct ? protocol::dmRoomId(asker, q.in->name) : q.in->name;
        if (only && *only != named) {
            out.error = search::ParseError{
                (direct ? u"in:@"_s : u"in:#"_s) + q.in->name,
                u"in: names another room than the search's room '%1'"_s.arg(*only)};
            return out;
        }
        only = named;
    }

    const bool marked = q.usesIndex();
    const bool relevance = marked && order == protocol::SearchOrder::Relevance;
    std::optional<Cursor> next;
    if (!cursor.isEmpty()) {
        next = parseCursor(cursor, relevance);
        if (!next) {
            out.failure = u"'%1' is not a cursor of this search"_s.arg(cursor);
            qCWarning(lcStore) << "cache search:" << out.failure;
            return out;
        }
    }

    QStringList where;
    QVariantList values;
    const auto require = [&](const QString &condition, const QVariant &value) {
        where.append(condition);
        values.append(value);
    };
    // The index narrows has:link and is:mention to rows with the right words; the text
    // itself must have one of the patterns.
    const auto containsAny = [&](const QStringList &patterns) {
        QStringList any;
        for (const QString &p : patterns) {
            any.append(u"k.body LIKE ? ESCAPE '\\'"_s);
            values.append(p);
        }
        where.append(u'(' + any.join(u" OR "_s) + u')');
    };
    QString from = u"search_rows k"_s;
    QString snippet = u"NULL"_s;
    if (marked) {
        from = u"search_index JOIN search_rows k ON k.id = search_index.rowid"_s;
        require(u"search_index MATCH ?"_s, search::fts5Match(q, asker));
        snippet = u"snippet(search_index, -1, char(57344), char(57345), '…', 20)"_s;
    } else if (!q.excluded.isEmpty()) {
        require(u"k.id NOT IN (SELECT rowid FROM search_index WHERE search_index MATCH ?)"_s,
                search::fts5Excluded(q));
    }
    if (only)
        require(u"k.room = ?"_s, *only);
    if (q.from)
        require(u"k.sender = ?"_s, *q.from);
    if (q.fromMs)
        require(u"k.ts >= ?"_s, *q.fromMs);
    if (q.untilMs)
        require(u"k.ts < ?"_s, *q.untilMs);
    if (q.hasFile || q.hasImage)
        where.append(u"k.kind = 'file'"_s);
    if (q.hasImage)
        where.append(u"k.mime LIKE 'image/%'"_s);
    if (q.hasLink)
        containsAny(search::linkPatterns());
    if (q.isMention)
        containsAny(search::mentionPatterns(asker));
    // Ties in ts are broken by seq, then room, so that pages neither repeat nor skip.
    QString orderBy = u"k.ts DESC, k.seq DESC, k.room DESC"_s;
    if (relevance)
        orderBy.prepend(u"search_index.rank, "_s);
    else if (next) {
        where.append(u"(k.ts, k.seq, k.room) < (?, ?, ?)"_s);
        values << next->ts << next->seq << next->room;
    }
    const int pageSize = std::clamp(limit, 1, kMaxLimit);
    values.append(pageSize + 1); // one past the page says there is more
    if (relevance)
        values.append(next ? next->offset : 0);
    const QString text =
        u"SELECT k.room, k.seq, k.sender, k.ts, k.kind, k.edited, k.file, k.body, k.name, %1 "
        "FROM %2 WHERE %3 ORDER BY %4 LIMIT ?%5"_s.arg(
            snippet, from, where.isEmpty() ? u"1"_s : where.join(u" AND "_s), orderBy,
            relevance ? u" OFFSET ?"_s : QString());

    QSqlQuery sql(cacheDb());
    sql.setForwardOnly(true);
    bool ok = sql.prepare(text);
    for (int i = 0; ok && i < values.size(); ++i)
        sql.bindValue(i, values[i]);
    ok = ok && sql.exec();
    while (ok && sql.next()) {
        if (out.hits.size() == pageSize) {
            const protocol::SearchHit &last = out.hits.last();
            out.cursor = relevance ? u"o%1"_s.arg((next ? next->offset : 0) + pageSize)
                                   : u"t%1:%2:%3"_s.arg(last.ts).arg(last.seq).arg(last.room);
            break;
        }
        out.hits.append(hitFromRow(sql, marked));
    }
    if (sql.lastError().isValid()) {
        out.failure = sql.lastError().text();
        out.hits.clear();
        out.cursor.reset();
        qCWarning(lcStore) << "cache search failed:" << out.failure;
    }
    return out;
}

} // namespace confab::client
