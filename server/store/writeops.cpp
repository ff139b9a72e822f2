#include "store/writeops.h"

#include "store/connection.h"
#include "store/sqlutil.h"

#include <array>

namespace confab::server {

using namespace Qt::StringLiterals;

namespace {

// Indexed by OpApplier::Stmt.
constexpr std::array kSql = {
    "INSERT INTO events (room, seq, ts, sender, kind, body, client_msg_id, reply_to, target,"
    " emoji, removed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
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
};

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
    // SQLITE_TOOBIG, SQLITE_CONSTRAINT, SQLITE_MISMATCH, SQLITE_RANGE (extended codes
    // carry the primary code in the low byte).
    bool ok = false;
    const int primary = code.toInt(&ok) & 0xff;
    return ok && (primary == 18 || primary == 19 || primary == 20 || primary == 25);
}

OpApplier::OpApplier(Connection &connection)
    : m_connection(connection)
{
    static_assert(kSql.size() == size_t(Stmt::Count));
}

qsizetype OpApplier::run(Stmt s, std::initializer_list<QVariant> values, Result *result)
{
    const QString text = QString::fromLatin1(kSql[size_t(s)]);
    QSqlQuery *q = m_connection.statement(text, &result->error);
    if (!q) {
        result->status = WriteStatus::Failed;
        return -1;
    }
    if (!sql::exec(*q, values, text.section(u' ', 0, 2), &result->error)) {
        result->status = WriteStatus::Failed;
        result->permanent = isPermanentError(m_connection.isPostgres(), q->lastError());
        return -1;
    }
    return q->numRowsAffected();
}

OpApplier::Result OpApplier::apply(const WriteOp &op)
{
    return std::visit([this](const auto &o) { return applyOp(o); }, op);
}

OpApplier::Result OpApplier::applyOp(const AppendEvent &op)
{
    Result r;
    const protocol::Event &e = op.event;
    const qsizetype rows =
        run(Stmt::InsertEvent,
            {e.room, e.seq, e.ts, e.from, protocol::eventKindName(e.kind), e.body,
             sql::nullableText(e.clientMsgId), sql::nullableInt(e.replyTo),
             sql::nullableInt(e.target), sql::nullableText(e.emoji), sql::flag(e.removed)},
            &r);
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
