#include "store/search.h"

#include "store/connection.h"
#include "store/sqlutil.h"

#include <QDateTime>
#include <QDeadlineTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <sqlite3.h>

namespace confab::server::searchstore {

using namespace Qt::StringLiterals;

namespace {

// Whether event row e holds the current text of a message: a text or file event nobody
// edited or deleted, or the latest edit of a message that is not deleted. The same SQL on
// both engines (events_target finds the later edits and deletes).
constexpr auto kCurrent =
    "((%1.kind IN ('text', 'file') AND NOT EXISTS (SELECT 1 FROM events x"
    " WHERE x.room = %1.room AND x.target = %1.seq AND x.kind IN ('edit', 'delete')))"
    " OR (%1.kind = 'edit' AND NOT EXISTS (SELECT 1 FROM events x WHERE x.room = %1.room"
    " AND x.target = %1.target AND (x.kind = 'delete' OR (x.kind = 'edit'"
    " AND x.seq > %1.seq)))))"_L1;

QString current(const char *alias)
{
    return QString(kCurrent).arg(QLatin1String(alias));
}

constexpr int kSnippetChars = 160;

// meta's search_upto once the backfill is done (SQLite '0'; a store that never needed one
// may have no row).
bool indexDone(const QString &upto)
{
    return upto.isEmpty() || upto == "0"_L1;
}

// PostgreSQL: a file name's words as they are indexed, punctuation as spaces (migration
// 7's confab_search_set() does the same).
QString nameWords(const char *column)
{
    return u"regexp_replace(%1, '[[:punct:]]+', ' ', 'g')"_s.arg(QLatin1String(column));
}

// PostgreSQL: words as quoted prefix lexemes for to_tsquery, joined by op (& or |).
QString prefixLexemes(const QStringList &words, const char *op)
{
    QStringList out;
    for (const QString &w : words) {
        QString e = w;
        e.replace(u'\\', u"\\\\"_s);
        e.replace(u'\'', u"''"_s);
        out.append(u'\'' + e + u"':*"_s);
    }
    return out.join(u" %1 "_s.arg(QLatin1String(op)));
}

// A snippet for a hit the index did not mark (a search by operators alone).
QString plainSnippet(const QString &body, const QString &fileName)
{
    const QString text = body.isEmpty() ? fileName : body;
    QString flat = text.simplified();
    if (flat.size() > kSnippetChars)
        flat = flat.left(kSnippetChars).trimmed() + u"…"_s;
    return flat;
}

std::optional<QString> metaValue(Connection &c, const QString &key, QString *error)
{
    QSqlQuery *q = c.statement(u"SELECT value FROM meta WHERE key = ?"_s, error);
    if (!q || !sql::exec(*q, {key}, u"read meta."_s + key, error))
        return std::nullopt;
    const QString value = q->next() ? q->value(0).toString() : QString();
    q->finish();
    return value;
}

bool setMeta(Connection &c, const QString &key, const QString &value, QString *error)
{
    QSqlQuery *q = c.statement(u"UPDATE meta SET value = ? WHERE key = ?"_s, error);
    return q && sql::exec(*q, {value, key}, u"write meta."_s + key, error);
}

// ---- cursors ---------------------------------------------------------------------------
// r<rowid>: SQLite, newest first over rowids; q<seq>: one room by seq; o<offset>: by
// relevance (o<offset>:<lo>:<hi>: among the hits the first page ranked, SQLite's rowids
// lo..hi, PostgreSQL's sent at or before ms hi);
// t<ts>:<seq>:<room>: PostgreSQL, newest first.

struct Cursor
{
    QChar kind;
    qint64 a = 0;
    qint64 b = 0;
    QString room;
    qint64 c = 0;
    bool windowed = false; // o<offset>:<lo>:<hi> (b, c)
};

std::optional<Cursor> parseCursor(const QString &text)
{
    if (text.size() < 2)
        return std::nullopt;
    Cursor c;
    c.kind = text.at(0);
    const QString rest = text.mid(1);
    bool ok = false;
    if (c.kind == u'o' && rest.contains(u':')) {
        const QStringList parts = rest.split(u':');
        bool bOk = false;
        bool cOk = false;
        if (parts.size() != 3)
            return std::nullopt;
        c.a = parts[0].toLongLong(&ok);
        c.b = parts[1].toLongLong(&bOk);
        c.c = parts[2].toLongLong(&cOk);
        c.windowed = true;
        return ok && bOk && cOk && c.a >= 0 && c.b >= 0 ? std::optional(c) : std::nullopt;
    }
    if (c.kind == u'r' || c.kind == u'q' || c.kind == u'o') {
        c.a = rest.toLongLong(&ok);
        return ok && c.a >= 0 ? std::optional(c) : std::nullopt;
    }
    if (c.kind != u't')
        return std::nullopt;
    const QStringList parts = rest.split(u':');
    if (parts.size() < 3)
        return std::nullopt;
    c.a = parts[0].toLongLong(&ok);
    if (!ok)
        return std::nullopt;
    c.b = parts[1].toLongLong(&ok);
    c.room = rest.section(u':', 2);
    return ok && !c.room.isEmpty() ? std::optional(c) : std::nullopt;
}

// ---- the statement ---------------------------------------------------------------------

// The SQL of one search, its values in placeholder order.
struct Statement
{
    QString text;
    QVariantList values;
    char cursorKind = 'r';
    bool marked = false; // the snippet column has the hits marked
    // By relevance, the hits ranked (see Cursor): on SQLite the statement windowText
    // finds them (the rowids of the newest kRelevanceWindow) unless a cursor carries them,
    // values' windowSlot and the next one are their placeholders.
    bool windowed = false;
    qint64 windowLo = 0;
    qint64 windowHi = 0;
    QString windowText;
    QVariantList windowValues;
    int windowSlot = -1;
};

void addLikeAny(QStringList &where, QVariantList &values, const char *column,
                const QStringList &patterns, bool postgres)
{
    QStringList any;
    for (const QString &p : patterns) {
        any.append(
            u"%1 %2 ? ESCAPE '\\'"_s.arg(QLatin1String(column), postgres ? "ILIKE"_L1 : "LIKE"_L1));
        values.append(p);
    }
    where.append(u'(' + any.join(u" OR "_s) + u')');
}

// Filters that do not involve the index, the same on both engines. h is the hit row, o
// the message an edit replaces, f the message's file.
void addFilters(const SearchPlan &plan, QStringList &where, QVariantList &values, bool postgres)
{
    const search::Query &q = plan.query;
    if (plan.oneRoom) {
        where.append(u"h.room = ?"_s);
        values.append(plan.rooms.value(0));
    } else if (postgres) {
        where.append(u"h.room = ANY(CAST(? AS text[]))"_s);
        QStringList quoted;
        for (const QString &r : plan.rooms)
            quoted.append(u'"' + r + u'"'); // room ids have no quotes or backslashes
        values.append(u'{' + quoted.join(u',') + u'}');
    } else {
        // Unary + keeps SQLite from reading the rooms through (room, seq): the scan goes
        // in rowid order and stops at the page's end.
        where.append(u"+h.room IN (SELECT value FROM json_each(?))"_s);
        values.append(QString::fromUtf8(
            QJsonDocument(QJsonArray::fromStringList(plan.rooms)).toJson(QJsonDocument::Compact)));
    }
    if (q.from) {
        where.append(u"h.sender = ?"_s);
        values.append(*q.from);
    }
    if (q.fromMs) {
        where.append(u"COALESCE(o.ts, h.ts) >= ?"_s);
        values.append(*q.fromMs);
    }
    if (q.untilMs) {
        where.append(u"COALESCE(o.ts, h.ts) < ?"_s);
        values.append(*q.untilMs);
    }
    if (q.hasFile || q.hasImage)
        where.append(u"h.kind = 'file'"_s); // only text is ever edited
    if (q.hasImage)
        where.append(u"f.mime LIKE 'image/%'"_s);
    if (q.hasLink)
        addLikeAny(where, values, "h.body", search::linkPatterns(), postgres);
    if (q.isMention)
        addLikeAny(where, values, "h.body", search::mentionPatterns(plan.user), postgres);
}

// SQLite ranks (bm25) the newest this many hits, not all of them: ranking reads every
// hit, 0.9 s for a word in most of a million messages, against 20 ms for this window.
constexpr int kRelevanceWindow = 1000;
// The window is looked for among this many newest hits of the words (before the rooms and
// operators): a small room whose few hits are older ranks all of its hits, as before.
constexpr int kRelevanceScan = 20000;

constexpr auto kHitColumns = "h.room, h.seq, h.sender, h.ts, h.kind, h.target, o.ts, f.id,"
                             " f.name, f.size, f.mime, f.width, f.height, f.thumb, h.body"_L1;
constexpr auto kJoins = " LEFT JOIN events o ON h.kind = 'edit' AND o.room = h.room"
                        " AND o.seq = h.target LEFT JOIN files f ON f.id = h.file_id"_L1;

std::optional<Statement> sqliteStatement(const SearchPlan &plan,
                                         const std::optional<Cursor> &cursor,
                                         const search::PrefixTerms &terms)
{
    const search::Query &q = plan.query;
    const bool fts = q.usesIndex();
    const bool relevance = fts && plan.order == protocol::SearchOrder::Relevance;
    Statement s;
    s.marked = fts;
    QStringList where;
    QString from;
    QString order;
    if (fts) {
        from = u"search_index s JOIN events h ON h.rowid = s.rowid"_s;
        where.append(u"search_index MATCH ?"_s);
        s.values.append(search::fts5Match(q, plan.user, terms));
    } else {
        from = u"events h"_s;
        where.append(u"h.kind IN ('text', 'file', 'edit')"_s);
        where.append(current("h"));
        if (!q.excluded.isEmpty()) {
            where.append(u"h.rowid NOT IN (SELECT rowid FROM search_index"
                         " WHERE search_index MATCH ?)"_s);
            s.values.append(search::fts5Excluded(q, terms));
        }
    }
    addFilters(plan, where, s.values, false);
    QString limit = u" LIMIT ?"_s;
    if (relevance) {
        s.cursorKind = 'o';
        limit += u" OFFSET ?"_s;
        // Ranked: the newest kRelevanceWindow hits, or those the first page ranked. A tie
        // ranks the newer first, so pages of equal scores neither repeat nor skip.
        order = u"s.rank, s.rowid DESC"_s;
        s.windowed = true;
        if (cursor && cursor->windowed) {
            s.windowLo = cursor->b;
            s.windowHi = cursor->c;
        } else {
            // The same search newest first, which stops after the window, among the
            // newest kRelevanceScan hits of the words alone (see run()).
            s.windowText = u"SELECT count(*), min(r) FROM (SELECT s.rowid AS r FROM %1%2"
                           " WHERE %3 AND s.rowid >= ? ORDER BY s.rowid DESC LIMIT %4)"_s
                               .arg(from, kJoins, where.join(u" AND "_s))
                               .arg(kRelevanceWindow);
            s.windowValues = s.values;
        }
        where.append(u"s.rowid BETWEEN ? AND ?"_s);
        s.windowSlot = int(s.values.size());
        s.values.append(s.windowLo);
        s.values.append(s.windowHi);
    } else if (!fts && plan.oneRoom) {
        // One room without the index: its (room, seq) key, backwards.
        s.cursorKind = 'q';
        order = u"h.seq DESC"_s;
        if (cursor) {
            where.append(u"h.seq < ?"_s);
            s.values.append(cursor->a);
        }
    } else {
        s.cursorKind = 'r';
        order = fts ? u"s.rowid DESC"_s : u"h.rowid DESC"_s;
        if (cursor) {
            where.append(fts ? u"s.rowid < ?"_s : u"h.rowid < ?"_s);
            s.values.append(cursor->a);
        }
    }
    if (cursor && cursor->kind != QLatin1Char(s.cursorKind))
        return std::nullopt;
    const QString snippet =
        fts ? u"snippet(search_index, -1, char(57344), char(57345), '…', 20)"_s : u"NULL"_s;
    s.text = u"SELECT %1, %2, h.rowid FROM %3%4 WHERE %5 ORDER BY %6%7"_s.arg(
        kHitColumns, snippet, from, kJoins, where.join(u" AND "_s), order, limit);
    s.values.append(plan.limit + 1);
    if (relevance)
        s.values.append(cursor ? cursor->a : 0);
    return s;
}

// The tsquery of the query's text part, as SQL with its values: words as prefixes
// (to_tsquery with :*), phrases through websearch_to_tsquery, a mention or link as the
// words they need.
QString tsQuery(const SearchPlan &plan, QVariantList &values)
{
    const search::Query &q = plan.query;
    QStringList parts;
    if (!q.words.isEmpty()) {
        parts.append(u"to_tsquery('simple', ?)"_s);
        values.append(prefixLexemes(q.words, "&"));
    }
    for (const QString &p : q.phrases) {
        parts.append(u"websearch_to_tsquery('simple', ?)"_s);
        QString quoted = p;
        quoted.remove(u'"');
        values.append(u'"' + quoted + u'"');
    }
    // No has:link part: PostgreSQL's parser keeps "https://" out of the index (a protocol
    // token no configuration maps), so links are found by their text alone.
    if (q.isMention) {
        parts.append(u"(phraseto_tsquery('simple', ?) || to_tsquery('simple', 'room | all'))"_s);
        values.append(plan.user);
    }
    QString expr = parts.join(u" && "_s);
    if (!q.excluded.isEmpty()) {
        expr = u"(%1) && !!to_tsquery('simple', ?)"_s.arg(expr);
        values.append(prefixLexemes(q.excluded, "|"));
    }
    return expr;
}

std::optional<Statement> postgresStatement(const SearchPlan &plan,
                                           const std::optional<Cursor> &cursor)
{
    const search::Query &q = plan.query;
    const bool fts = !q.words.isEmpty() || !q.phrases.isEmpty() || q.isMention;
    const bool relevance = fts && plan.order == protocol::SearchOrder::Relevance;
    Statement s;
    s.marked = fts;
    QStringList where;
    QString with;
    QString snippet = u"NULL"_s;
    if (fts) {
        with = u"WITH query AS (SELECT %1 AS q) "_s.arg(tsQuery(plan, s.values));
        where.append(u"h.search @@ query.q"_s);
        // The text as it was indexed.
        snippet = u"ts_headline('simple', h.body || ' ' || COALESCE(%1, ''), query.q,"
                  " 'StartSel=\uE000, StopSel=\uE001, MaxWords=24, MinWords=8, ShortWord=1,"
                  " MaxFragments=2, FragmentDelimiter=\" … \"')"_s.arg(nameWords("f.name"));
    } else {
        where.append(u"h.search IS NOT NULL"_s);
        if (!q.excluded.isEmpty()) {
            where.append(u"NOT (h.search @@ to_tsquery('simple', ?))"_s);
            s.values.append(prefixLexemes(q.excluded, "|"));
        }
    }
    addFilters(plan, where, s.values, true);
    QString order;
    QString limit = u" LIMIT ?"_s;
    if (relevance) {
        s.cursorKind = 'o';
        order = u"ts_rank(h.search, query.q) DESC, h.ts DESC, h.seq DESC, h.room DESC"_s;
        limit += u" OFFSET ?"_s;
        // Every hit is ranked; the later pages rank those of the first.
        s.windowed = true;
        s.windowHi = cursor && cursor->windowed ? cursor->c : QDateTime::currentMSecsSinceEpoch();
        where.append(u"h.ts <= ?"_s);
        s.values.append(s.windowHi);
    } else {
        s.cursorKind = 't';
        order = u"h.ts DESC, h.seq DESC, h.room DESC"_s;
        if (cursor) {
            where.append(u"(h.ts, h.seq, h.room) < (?, ?, ?)"_s);
            s.values.append(cursor->a);
            s.values.append(cursor->b);
            s.values.append(cursor->room);
        }
    }
    if (cursor && cursor->kind != QLatin1Char(s.cursorKind))
        return std::nullopt;
    s.text = u"%1SELECT %2, %3, 0 FROM %4events h%5 WHERE %6 ORDER BY %7%8"_s.arg(
        with, kHitColumns, snippet, fts ? u"query, "_s : QString(), kJoins, where.join(u" AND "_s),
        order, limit);
    s.values.append(plan.limit + 1);
    if (relevance)
        s.values.append(cursor ? cursor->a : 0);
    return s;
}

// ---- words as their terms (SQLite) -----------------------------------------------------

// FTS5 answers a prefix query ("deploy"*) by merging the hits of every term that starts
// with it before it returns the first row, so the newest 20 hits of a frequent word cost
// as much as all of them (a word in 86 % of a million messages: 78 ms). The OR of the
// exact terms is read newest first and stops at the page's end (1 ms). The terms come
// from the index's vocabulary, one seek per term.
constexpr int kMaxPrefixTerms = 24;
// Prefixes up to this many characters have an index of their own (prefix='2 3' of the
// table), which FTS5 also reads lazily.
constexpr int kIndexedPrefixChars = 3;

// The tokens of text as the index's tokenizer makes them (lower case, no diacritics), or
// nullopt when the tokenizer is not at hand.
std::optional<QStringList> indexTokens(sqlite3 *db, const QString &text)
{
    fts5_api *api = nullptr;
    sqlite3_stmt *st = nullptr;
    if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &st, nullptr) != SQLITE_OK)
        return std::nullopt;
    sqlite3_bind_pointer(st, 1, static_cast<void *>(&api), "fts5_api_ptr", nullptr);
    sqlite3_step(st);
    sqlite3_finalize(st);
    void *context = nullptr;
    fts5_tokenizer tokenizer{};
    if (!api || api->xFindTokenizer(api, "unicode61", &context, &tokenizer) != SQLITE_OK)
        return std::nullopt;
    const char *args[] = {"remove_diacritics", "2"}; // as the table is made (migrations)
    Fts5Tokenizer *t = nullptr;
    if (tokenizer.xCreate(context, args, 2, &t) != SQLITE_OK)
        return std::nullopt;
    QStringList tokens;
    const QByteArray utf8 = text.toUtf8();
    const int rc = tokenizer.xTokenize(
        t, &tokens, FTS5_TOKENIZE_QUERY, utf8.constData(), int(utf8.size()),
        [](void *out, int flags, const char *token, int bytes, int, int) {
            if (!(flags & FTS5_TOKEN_COLOCATED))
                static_cast<QStringList *>(out)->append(QString::fromUtf8(token, bytes));
            return SQLITE_OK;
        });
    tokenizer.xDelete(t);
    return rc == SQLITE_OK ? std::optional(tokens) : std::nullopt;
}

// The query's words (and excluded words) that are matched as their terms: one token
// longer than the indexed prefixes, with at most kMaxPrefixTerms terms in the index. Any
// other word, or one the lookup fails for, stays a prefix query.
search::PrefixTerms prefixTerms(Connection &c, sqlite3 *db, const search::Query &q)
{
    search::PrefixTerms terms;
    if (!sql::exec(c.database(),
                   u"CREATE VIRTUAL TABLE IF NOT EXISTS temp.search_terms"
                   " USING fts5vocab(main, search_index, instance)"_s,
                   nullptr))
        return terms;
    // The next term of the range after the one before it: one seek each (the "instance"
    // vocabulary is read lazily, where "row" would count every hit of every term).
    QSqlQuery *next = c.statement(
        u"WITH RECURSIVE t(term) AS (SELECT (SELECT term FROM temp.search_terms"
        " WHERE term >= ? AND term < ? LIMIT 1) UNION ALL SELECT (SELECT term"
        " FROM temp.search_terms WHERE term >= t.term || char(1) AND term < ? LIMIT 1)"
        " FROM t WHERE t.term IS NOT NULL LIMIT %1) SELECT term FROM t WHERE term IS NOT NULL"_s
            .arg(kMaxPrefixTerms + 1),
        nullptr);
    if (!next)
        return terms;
    const char32_t last = 0x10FFFF;
    for (const QStringList *words : {&q.words, &q.excluded}) {
        for (const QString &w : *words) {
            const std::optional<QStringList> tokens = indexTokens(db, w);
            if (!tokens || tokens->size() != 1 ||
                tokens->first().toUcs4().size() <= kIndexedPrefixChars)
                continue;
            const QString &token = tokens->first();
            const QString end = token + QString::fromUcs4(&last, 1);
            if (!sql::exec(*next, {token, end, end}, u"terms"_s, nullptr))
                continue;
            QStringList found;
            while (next->next())
                found.append(next->value(0).toString());
            next->finish();
            if (found.size() <= kMaxPrefixTerms)
                terms.insert(w, found);
        }
    }
    return terms;
}

int stopAtDeadline(void *deadline)
{
    return static_cast<QDeadlineTimer *>(deadline)->hasExpired() ? 1 : 0;
}

protocol::SearchHit hitFromRow(const QSqlQuery &q, bool marked)
{
    protocol::SearchHit h;
    h.room = q.value(0).toString();
    const bool edit = q.value(4).toString() == "edit"_L1;
    h.seq = edit ? q.value(5).toLongLong() : q.value(1).toLongLong();
    h.from = q.value(2).toString();
    h.ts = edit && !q.isNull(6) ? q.value(6).toLongLong() : q.value(3).toLongLong();
    h.kind =
        q.value(4).toString() == "file"_L1 ? protocol::EventKind::File : protocol::EventKind::Text;
    h.edited = edit;
    if (!q.isNull(7)) {
        h.file = protocol::FileInfo{q.value(7).toString(),         q.value(8).toString(),
                                    q.value(9).toLongLong(),       q.value(10).toString(),
                                    sql::optionalInt(q.value(11)), sql::optionalInt(q.value(12)),
                                    sql::optionalText(q.value(13))};
    }
    const QString body = q.value(14).toString();
    h.snippet = marked ? q.value(15).toString().simplified()
                       : plainSnippet(body, h.file ? h.file->name : QString());
    return h;
}

} // namespace

SearchOutcome run(Connection &c, const SearchPlan &plan, int budgetMs, QString *error)
{
    SearchOutcome out;
    std::optional<Cursor> cursor;
    if (plan.cursor) {
        cursor = parseCursor(*plan.cursor);
        if (!cursor) {
            out.badCursor = true;
            return out;
        }
    }
    const bool postgres = c.isPostgres();
    sqlite3 *handle = postgres ? nullptr : c.nativeHandle(error);
    if (!postgres && !handle)
        return out;
    const std::optional<Statement> s =
        postgres ? postgresStatement(plan, cursor)
                 : sqliteStatement(plan, cursor, prefixTerms(c, handle, plan.query));
    if (!s) {
        out.badCursor = true;
        return out;
    }
    const std::optional<QString> upto = metaValue(c, u"search_upto"_s, error);
    if (!upto)
        return out;
    out.indexing = !indexDone(*upto);

    // Not a cached statement: the shape differs from query to query.
    QSqlQuery q(c.database());
    q.setForwardOnly(true);
    QSqlQuery windowQuery(c.database());
    windowQuery.setForwardOnly(true);
    QSqlQuery scan(c.database());
    scan.setForwardOnly(true);
    if (!sql::prepare(q, s->text, error) ||
        (!s->windowText.isEmpty() && !sql::prepare(windowQuery, s->windowText, error)))
        return out;
    QDeadlineTimer deadline(budgetMs);
    if (handle)
        sqlite3_progress_handler(handle, 2000, stopAtDeadline, &deadline);
    else if (!sql::exec(c.database(), u"SET statement_timeout = %1"_s.arg(budgetMs), error))
        return out;
    qint64 windowLo = s->windowLo;
    qint64 windowHi = s->windowHi;
    bool ok = true;
    if (!s->windowText.isEmpty()) {
        // The newest kRelevanceScan hits of the words: the newest one ends the window
        // (later messages are not in the later pages); the window is the newest
        // kRelevanceWindow of the hits among them, else every hit is ranked.
        ok = sql::prepare(scan,
                          u"SELECT count(*), min(rowid), max(rowid) FROM (SELECT rowid FROM"
                          " search_index WHERE search_index MATCH ? ORDER BY rowid DESC"
                          " LIMIT %1)"_s.arg(kRelevanceScan),
                          error);
        if (!ok) {
            sqlite3_progress_handler(handle, 0, nullptr, nullptr);
            return out;
        }
        scan.bindValue(0, s->windowValues.value(0));
        ok = scan.exec() && scan.next();
        const qint64 scanLo = ok ? scan.value(1).toLongLong() : 0;
        windowHi = ok ? scan.value(2).toLongLong() : 0;
        for (int i = 0; i < s->windowValues.size(); ++i)
            windowQuery.bindValue(i, s->windowValues[i]);
        windowQuery.bindValue(int(s->windowValues.size()), scanLo);
        ok = ok && windowQuery.exec() && windowQuery.next();
        if (ok && windowQuery.value(0).toLongLong() == kRelevanceWindow)
            windowLo = windowQuery.value(1).toLongLong();
        else
            windowLo = 0; // fewer: every hit
    }
    QVariantList values = s->values;
    if (s->windowSlot >= 0) {
        values[s->windowSlot] = windowLo;
        values[s->windowSlot + 1] = windowHi;
    }
    for (int i = 0; i < values.size(); ++i)
        q.bindValue(i, values[i]);
    ok = ok && q.exec();
    qint64 lastRowid = 0;
    std::optional<Cursor> last;
    while (ok && q.next()) {
        if (out.hits.size() == plan.limit) {
            // One row past the page: there is more, from the last hit on.
            const protocol::SearchHit &h = out.hits.last();
            QString next;
            switch (s->cursorKind) {
            case 'o':
                next = u"o%1"_s.arg((cursor ? cursor->a : 0) + plan.limit);
                if (s->windowed)
                    next += u":%1:%2"_s.arg(windowLo).arg(windowHi);
                break;
            case 'q':
                next = u"q%1"_s.arg(last->a);
                break;
            case 't':
                next = u"t%1:%2:%3"_s.arg(last->a).arg(last->b).arg(h.room);
                break;
            default:
                next = u"r%1"_s.arg(lastRowid);
                break;
            }
            out.cursor = next;
            break;
        }
        out.hits.append(hitFromRow(q, s->marked));
        lastRowid = q.value(16).toLongLong();
        last = Cursor{u' ', q.value(s->cursorKind == 't' ? 3 : 1).toLongLong(),
                      q.value(1).toLongLong(), q.value(0).toString()};
    }
    const QSqlError failure = scan.lastError().isValid()          ? scan.lastError()
                              : windowQuery.lastError().isValid() ? windowQuery.lastError()
                                                                  : q.lastError();
    scan.finish();
    windowQuery.finish();
    q.finish();
    if (handle)
        sqlite3_progress_handler(handle, 0, nullptr, nullptr);
    else
        sql::exec(c.database(), u"SET statement_timeout = 0"_s, nullptr);
    if (failure.isValid()) {
        const QString code = failure.nativeErrorCode();
        // SQLITE_INTERRUPT (9) from the progress handler; PostgreSQL's query_canceled.
        if (deadline.hasExpired() && (code == "9"_L1 || code == "57014"_L1)) {
            out.timedOut = true;
            if (!out.hits.isEmpty() && s->cursorKind == 'r')
                out.cursor = u"r%1"_s.arg(lastRowid);
            return out;
        }
        sql::setError(error, sql::describe(u"search"_s, failure));
        out.hits.clear();
        out.cursor.reset();
    }
    return out;
}

bool backfillBatch(Connection &c, int rows, SearchBackfill *progress, QString *error)
{
    *progress = SearchBackfill{};
    const std::optional<QString> upto = metaValue(c, u"search_upto"_s, error);
    const std::optional<QString> next = upto ? metaValue(c, u"search_next"_s, error) : upto;
    if (!next)
        return false;
    if (indexDone(*upto)) {
        progress->complete = true;
        return true;
    }
    const QString kindIsMessage = u"e.kind IN ('text', 'file', 'edit')"_s;
    if (!c.isPostgres()) {
        const qint64 last = upto->toLongLong();
        const qint64 lo = next->toLongLong();
        const qint64 hi = std::min(last, lo + rows - 1);
        QSqlQuery *q = c.statement(
            u"INSERT INTO search_index (rowid, body, name) SELECT e.rowid, e.body, f.name"
            " FROM events e LEFT JOIN files f ON f.id = e.file_id WHERE e.rowid BETWEEN ? AND ?"
            " AND %1 AND %2"_s.arg(kindIsMessage, current("e")),
            error);
        if (!q || !sql::exec(*q, {lo, hi}, u"index events"_s, error))
            return false;
        progress->indexed = q->numRowsAffected();
        progress->done = hi;
        progress->total = last;
        progress->complete = hi >= last;
        if (progress->complete)
            return setMeta(c, u"search_upto"_s, u"0"_s, error) &&
                   setMeta(c, u"search_next"_s, u"0"_s, error);
        return setMeta(c, u"search_next"_s, QString::number(hi + 1), error);
    }
    // PostgreSQL: in (room, seq) order; search_next is "<seq> <room>" of the last row done.
    if (!sql::exec(c.database(), u"SELECT pg_advisory_xact_lock(7681)"_s, error))
        return false;
    QString room;
    qint64 seq = 0;
    if (!next->isEmpty()) {
        seq = next->section(u' ', 0, 0).toLongLong();
        room = next->section(u' ', 1);
    }
    QSqlQuery *end = c.statement(u"SELECT room, seq FROM events WHERE (room, seq) > (?, ?)"
                                 " ORDER BY room, seq OFFSET ? LIMIT 1"_s,
                                 error);
    if (!end || !sql::exec(*end, {room, seq, rows - 1}, u"find the batch's end"_s, error))
        return false;
    const bool more = end->next();
    const QString endRoom = more ? end->value(0).toString() : QString();
    const qint64 endSeq = more ? end->value(1).toLongLong() : 0;
    end->finish();
    QSqlQuery *q = c.statement(
        u"UPDATE events e SET search = to_tsvector('simple', e.body || ' ' || COALESCE((SELECT"
        " %3 FROM files f WHERE f.id = e.file_id), '')) WHERE (e.room, e.seq) > (?, ?)"
        " AND (NOT ? OR (e.room, e.seq) <= (?, ?)) AND e.search IS NULL AND %1 AND %2"_s.arg(
            kindIsMessage, current("e"), nameWords("f.name")),
        error);
    if (!q || !sql::exec(*q, {room, seq, more, endRoom, endSeq}, u"index events"_s, error))
        return false;
    progress->indexed = q->numRowsAffected();
    progress->complete = !more;
    if (progress->complete)
        return setMeta(c, u"search_upto"_s, u"0"_s, error) &&
               setMeta(c, u"search_next"_s, QString(), error);
    return setMeta(c, u"search_next"_s, u"%1 %2"_s.arg(endSeq).arg(endRoom), error);
}

std::optional<bool> indexComplete(Connection &c, QString *error)
{
    const std::optional<QString> upto = metaValue(c, u"search_upto"_s, error);
    if (!upto)
        return std::nullopt;
    return indexDone(*upto);
}

} // namespace confab::server::searchstore
