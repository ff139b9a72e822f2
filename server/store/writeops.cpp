#include "store/writeops.h"

#include "store/connection.h"
#include "store/search.h"
#include "store/sqlutil.h"

#include <array>
#include <sqlite3.h>

namespace confab::server {

using namespace Qt::StringLiterals;

namespace {

// file_id goes in with the row (not after it): the search index reads a file's name when
// the row is inserted.
constexpr auto kEventColumns = "INSERT INTO events (room, seq, ts, sender, kind, body,"
                               " client_msg_id, reply_to, target, emoji, removed, file_id)"
                               " VALUES "_L1;
constexpr auto kEventRow = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"_L1;
constexpr int kEventValues = 12;

// Indexed by OpApplier::Stmt; events are insertEventsSql(1).
constexpr std::array kSql = {
    "",
    "INSERT INTO members (room, user_name) VALUES (?, ?) ON CONFLICT DO NOTHING",
    "DELETE FROM members WHERE room = ? AND user_name = ?",
    "INSERT INTO invites (room, user_name) VALUES (?, ?) ON CONFLICT DO NOTHING",
    "DELETE FROM invites WHERE room = ? AND user_name = ?",
    "UPDATE rooms SET topic = ? WHERE id = ?",
    "INSERT INTO rooms (id, name, kind, private, topic, created_by, created_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
    // A read marker only moves forward: a late or replayed marker never rewinds it.
    "INSERT INTO read_markers (user_name, room, seq) VALUES (?, ?, ?)"
    " ON CONFLICT (user_name, room) DO UPDATE SET seq = CASE WHEN excluded.seq >"
    " read_markers.seq THEN excluded.seq ELSE read_markers.seq END",
    "INSERT INTO tokens (hash, user_name, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
    "DELETE FROM tokens WHERE hash = ?",
    "INSERT INTO users (name, display_name, password_hash, is_admin, created_at)"
    " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
    "INSERT INTO files (id, sha256, size, mime, name, uploader, created_at, width, height,"
    " thumb, thumb_of) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
    "INSERT INTO file_refs (file_id, room, seq) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
    "UPDATE files SET posted = 1, unreferenced_at = NULL WHERE id = ?",
    // Before the delete's file_refs row goes: the file it posted becomes unreferenced now
    // if this was its last post.
    "UPDATE files SET unreferenced_at = ? WHERE id IN (SELECT file_id FROM file_refs"
    " WHERE room = ? AND seq = ?) AND (SELECT COUNT(*) FROM file_refs r"
    " WHERE r.file_id = files.id) = 1",
    "DELETE FROM file_refs WHERE room = ? AND seq = ?",
    "DELETE FROM files WHERE id = ? AND thumb_of IS NULL AND NOT EXISTS (SELECT 1 FROM"
    " file_refs r WHERE r.file_id = files.id) AND COALESCE(unreferenced_at, created_at) < ?",
    "DELETE FROM files WHERE thumb_of = ?",
};

// One INSERT of `rows` events (12 values each: SQLite takes up to 32,766 since 3.32,
// PostgreSQL 65,535).
QString insertEventsSql(int rows)
{
    QString text = kEventColumns;
    for (int i = 0; i < rows; ++i) {
        if (i > 0)
            text += ", "_L1;
        text += kEventRow;
    }
    return text + " ON CONFLICT DO NOTHING"_L1;
}

void bindEvent(QSqlQuery &q, int base, const protocol::Event &e)
{
    const QVariant values[kEventValues] = {
        e.room,
        e.seq,
        e.ts,
        e.from,
        protocol::eventKindName(e.kind),
        e.body,
        sql::nullableText(e.clientMsgId),
        sql::nullableInt(e.replyTo),
        sql::nullableInt(e.target),
        sql::nullableText(e.emoji),
        sql::flag(e.removed),
        e.file ? QVariant(e.file->id) : QVariant(QMetaType::fromType<QString>()),
    };
    for (int i = 0; i < kEventValues; ++i)
        q.bindValue(base + i, sql::bindable(values[i]));
}

// SQLITE_TOOBIG, SQLITE_CONSTRAINT, SQLITE_MISMATCH, SQLITE_RANGE (extended codes carry
// the primary code in the low byte).
bool isPermanentSqliteError(int extendedCode)
{
    const int primary = extendedCode & 0xff;
    return primary == SQLITE_TOOBIG || primary == SQLITE_CONSTRAINT || primary == SQLITE_MISMATCH ||
           primary == SQLITE_RANGE;
}

// The event's strings stay alive until the statement has run: bound without a copy.
void bindText(sqlite3_stmt *stmt, int index, const QString &text)
{
    // A null QString is the empty text here, as bindable() makes it for QtSql (a null
    // pointer would bind NULL).
    const void *utf16 = text.isNull() ? static_cast<const void *>(u"") : text.utf16();
    sqlite3_bind_text16(stmt, index, utf16, int(text.size() * 2), SQLITE_STATIC);
}

void bindText(sqlite3_stmt *stmt, int index, const std::optional<QString> &text)
{
    if (text)
        bindText(stmt, index, *text);
    else
        sqlite3_bind_null(stmt, index);
}

void bindInt(sqlite3_stmt *stmt, int index, const std::optional<qint64> &value)
{
    if (value)
        sqlite3_bind_int64(stmt, index, *value);
    else
        sqlite3_bind_null(stmt, index);
}

// The same values in the same order as bindEvent(QSqlQuery &, ...); index is 1-based.
void bindEvent(sqlite3_stmt *stmt, int index, const protocol::Event &e)
{
    bindText(stmt, index, e.room);
    sqlite3_bind_int64(stmt, index + 1, e.seq);
    sqlite3_bind_int64(stmt, index + 2, e.ts);
    bindText(stmt, index + 3, e.from);
    sqlite3_bind_text(stmt, index + 4, protocol::eventKindCode(e.kind), -1, SQLITE_STATIC);
    bindText(stmt, index + 5, e.body);
    bindText(stmt, index + 6, e.clientMsgId);
    bindInt(stmt, index + 7, e.replyTo);
    bindInt(stmt, index + 8, e.target);
    bindText(stmt, index + 9, e.emoji);
    sqlite3_bind_int(stmt, index + 10, e.removed ? 1 : 0);
    if (e.file)
        bindText(stmt, index + 11, e.file->id);
    else
        sqlite3_bind_null(stmt, index + 11);
}

QVariant nullIfEmpty(const QString &s)
{
    return s.isEmpty() ? QVariant(QMetaType::fromType<QString>()) : QVariant(s);
}

} // namespace

bool isPermanentError(bool postgres, const QSqlError &error)
{
    const QString code = error.nativeErrorCode();
    if (postgres) {
        // SQLSTATE class 22: data exception, 23: integrity constraint violation. Anything
        // else (connection, lock, disk, shutdown) may pass on a later attempt.
        return code.startsWith("22"_L1) || code.startsWith("23"_L1);
    }
    bool ok = false;
    const int extended = code.toInt(&ok);
    return ok && isPermanentSqliteError(extended);
}

OpApplier::OpApplier(Connection &connection)
    : m_connection(connection)
{
    static_assert(kSql.size() == size_t(Stmt::Count));
}

void OpApplier::forgetStaleStatements()
{
    if (m_generation == m_connection.generation())
        return;
    m_statements.fill(nullptr);
    m_insertEvents.fill(nullptr);
    m_sqliteInsertEvents.fill(nullptr);
    m_generation = m_connection.generation();
}

QSqlQuery *OpApplier::statement(Stmt s, Result *result)
{
    if (s == Stmt::InsertEvent)
        return eventsStatement(0, result);
    forgetStaleStatements();
    QSqlQuery *&q = m_statements[size_t(s)];
    if (!q)
        q = m_connection.statement(QString::fromLatin1(kSql[size_t(s)]), &result->error);
    if (!q)
        result->status = WriteStatus::Failed;
    return q;
}

QSqlQuery *OpApplier::eventsStatement(int log2Rows, Result *result)
{
    forgetStaleStatements();
    QSqlQuery *&q = m_insertEvents[size_t(log2Rows)];
    if (!q)
        q = m_connection.statement(insertEventsSql(1 << log2Rows), &result->error);
    if (!q)
        result->status = WriteStatus::Failed;
    return q;
}

qsizetype OpApplier::execute(QSqlQuery &q, const char *sqlText, Result *result)
{
    if (q.exec())
        return q.numRowsAffected();
    result->status = WriteStatus::Failed;
    result->permanent = isPermanentError(m_connection.isPostgres(), q.lastError());
    // The statement's first words ("INSERT INTO members") say what failed.
    result->error = sql::describe(QString::fromLatin1(sqlText).section(u' ', 0, 2), q.lastError());
    return -1;
}

qsizetype OpApplier::run(Stmt s, std::initializer_list<QVariant> values, Result *result)
{
    QSqlQuery *q = statement(s, result);
    if (!q)
        return -1;
    int i = 0;
    for (const QVariant &v : values)
        q->bindValue(i++, sql::bindable(v));
    return execute(*q, s == Stmt::InsertEvent ? kEventColumns.data() : kSql[size_t(s)], result);
}

bool OpApplier::groupable(const WriteOp &op)
{
    const auto *append = std::get_if<AppendEvent>(&op);
    if (!append)
        return false;
    switch (append->event.kind) {
    case protocol::EventKind::Join:
    case protocol::EventKind::Leave:
    case protocol::EventKind::Topic:
    case protocol::EventKind::File:   // its file reference goes in beside it
    case protocol::EventKind::Delete: // and a delete takes a file's away
        return false;
    default:
        return true;
    }
}

OpApplier::Result OpApplier::insertEvents(std::span<const protocol::Event *const> events)
{
    Result r;
    while (!events.empty()) {
        int log2Rows = kInsertSizes - 1;
        while ((qsizetype(1) << log2Rows) > qsizetype(events.size()))
            --log2Rows;
        const int rows = 1 << log2Rows;
        const auto chunk = events.first(size_t(rows));
        const qsizetype inserted = m_connection.isPostgres()
                                       ? insertChunk(log2Rows, chunk, &r)
                                       : insertChunkSqlite(log2Rows, chunk, &r);
        if (inserted < 0)
            return r;
        if (inserted != rows) {
            r.status = WriteStatus::Conflict;
            return r;
        }
        events = events.subspan(size_t(rows));
    }
    return r;
}

qsizetype OpApplier::insertChunk(int log2Rows, std::span<const protocol::Event *const> events,
                                 Result *r)
{
    QSqlQuery *q = eventsStatement(log2Rows, r);
    if (!q)
        return -1;
    for (size_t i = 0; i < events.size(); ++i)
        bindEvent(*q, int(i) * kEventValues, *events[i]);
    return execute(*q, kEventColumns.data(), r);
}

qsizetype OpApplier::insertChunkSqlite(int log2Rows, std::span<const protocol::Event *const> events,
                                       Result *r)
{
    forgetStaleStatements();
    sqlite3_stmt *&stmt = m_sqliteInsertEvents[size_t(log2Rows)];
    if (!stmt)
        stmt = m_connection.nativeStatement(insertEventsSql(int(events.size())), &r->error);
    if (!stmt) {
        r->status = WriteStatus::Failed;
        return -1;
    }
    for (size_t i = 0; i < events.size(); ++i)
        bindEvent(stmt, int(i) * kEventValues + 1, *events[i]);
    const int rc = sqlite3_step(stmt);
    sqlite3 *db = sqlite3_db_handle(stmt);
    const qsizetype inserted = rc == SQLITE_DONE ? sqlite3_changes(db) : -1;
    if (rc != SQLITE_DONE) {
        r->status = WriteStatus::Failed;
        const int code = sqlite3_extended_errcode(db);
        r->permanent = isPermanentSqliteError(code);
        r->error =
            u"INSERT INTO events: %1 [%2]"_s.arg(QString::fromUtf8(sqlite3_errmsg(db))).arg(code);
    }
    // Unbinds nothing (the next use binds every value again), ends the statement.
    sqlite3_reset(stmt);
    return inserted;
}

OpApplier::Result OpApplier::apply(const WriteOp &op)
{
    return std::visit([this](const auto &o) { return applyOp(o); }, op);
}

OpApplier::Result OpApplier::applyOp(const AppendEvent &op)
{
    Result r;
    const protocol::Event &e = op.event;
    QSqlQuery *q = eventsStatement(0, &r);
    if (!q)
        return r;
    bindEvent(*q, 0, e);
    const qsizetype rows = execute(*q, kEventColumns.data(), &r);
    if (rows <= 0) {
        if (rows == 0)
            r.status = WriteStatus::Conflict; // the seq is already stored
        return r;
    }
    // Membership and topic change in the same transaction as the event that announces it.
    switch (e.kind) {
    case protocol::EventKind::Join:
        if (run(Stmt::InsertMember, {e.room, e.from}, &r) >= 0)
            run(Stmt::DeleteInvite, {e.room, e.from}, &r);
        break;
    case protocol::EventKind::Leave:
        run(Stmt::DeleteMember, {e.room, e.from}, &r);
        break;
    case protocol::EventKind::Topic:
        run(Stmt::UpdateTopic, {e.body, e.room}, &r);
        break;
    case protocol::EventKind::File:
        if (e.file && run(Stmt::InsertFileRef, {e.file->id, e.room, e.seq}, &r) >= 0)
            run(Stmt::MarkFilePosted, {e.file->id}, &r);
        break;
    case protocol::EventKind::Delete:
        if (e.target && run(Stmt::MarkFileUnreferenced, {e.ts, e.room, *e.target}, &r) >= 0)
            run(Stmt::DeleteFileRefs, {e.room, *e.target}, &r);
        break;
    default:
        break;
    }
    return r;
}

OpApplier::Result OpApplier::applyOp(const CreateRoom &op)
{
    Result r;
    const StoredRoom &room = op.room;
    const qsizetype rows =
        run(Stmt::InsertRoom,
            {room.id, room.name.isEmpty() ? room.id : room.name, sql::roomKindName(room.kind),
             sql::flag(room.isPrivate), room.topic, nullIfEmpty(room.createdBy), room.createdAt},
            &r);
    if (rows == 0)
        r.status = WriteStatus::Conflict;
    if (rows <= 0)
        return r;
    for (const QString &m : room.members) {
        if (run(Stmt::InsertMember, {room.id, m}, &r) < 0)
            return r;
    }
    for (const QString &i : room.invited) {
        if (run(Stmt::InsertInvite, {room.id, i}, &r) < 0)
            return r;
    }
    return r;
}

OpApplier::Result OpApplier::applyOp(const AddInvite &op)
{
    Result r; // inviting twice is not a conflict: the invite simply stands
    run(Stmt::InsertInvite, {op.room, op.user}, &r);
    return r;
}

OpApplier::Result OpApplier::applyOp(const SetReadMarker &op)
{
    Result r;
    run(Stmt::UpsertReadMarker, {op.user, op.room, op.seq}, &r);
    return r;
}

OpApplier::Result OpApplier::applyOp(const InsertToken &op)
{
    Result r;
    if (run(Stmt::InsertToken, {op.tokenHash, op.user, op.createdAt}, &r) == 0)
        r.status = WriteStatus::Conflict;
    return r;
}

OpApplier::Result OpApplier::applyOp(const RevokeToken &op)
{
    Result r; // revoking an unknown token is done already
    run(Stmt::DeleteToken, {op.tokenHash}, &r);
    return r;
}

qsizetype OpApplier::insertFile(const StoredFile &f, Result *r)
{
    return run(Stmt::InsertFile,
               {f.id, f.sha256, f.size, f.mime, f.name, f.uploader, f.createdAt,
                sql::nullableInt(f.width), sql::nullableInt(f.height), sql::nullableText(f.thumb),
                sql::nullableText(f.thumbOf)},
               r);
}

OpApplier::Result OpApplier::applyOp(const StoreFile &op)
{
    Result r;
    if (op.thumbnail && insertFile(*op.thumbnail, &r) < 0)
        return r;
    if (insertFile(op.file, &r) == 0)
        r.status = WriteStatus::Conflict;
    return r;
}

OpApplier::Result OpApplier::applyOp(const DeleteFile &op)
{
    Result r;
    const qsizetype rows = run(Stmt::DeleteFileRow, {op.id, op.unreferencedBefore}, &r);
    if (rows == 0)
        r.status = WriteStatus::Conflict; // posted again, or not old enough any more
    else if (rows > 0)
        run(Stmt::DeleteThumbnails, {op.id}, &r);
    return r;
}

OpApplier::Result OpApplier::applyOp(const IndexSearchBatch &op)
{
    Result r;
    if (!searchstore::backfillBatch(m_connection, op.rows, op.progress.get(), &r.error))
        r.status = WriteStatus::Failed; // not permanent: the writer retries the batch
    return r;
}

OpApplier::Result OpApplier::applyOp(const CreateUser &op)
{
    Result r;
    const StoredUser &u = op.user;
    if (run(Stmt::InsertUser,
            {u.name, u.displayName, u.passwordHash, sql::flag(u.isAdmin), u.createdAt}, &r) == 0)
        r.status = WriteStatus::Conflict;
    return r;
}

} // namespace confab::server
