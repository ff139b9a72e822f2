#pragma once

#include "store/storetypes.h"

#include <QSqlError>
#include <array>
#include <span>

class QSqlQuery;

struct sqlite3_stmt;

namespace confab::server {

class Connection;

// Applies WriteOps to one connection inside a transaction the caller opened, with
// statements prepared once per connection. Touched only from the writer thread.
//
// A batch's plain events (groupable()) go in with multi-row INSERTs (insertEvents()), one
// statement per up to kMaxRowsPerInsert rows; every other op, and an event that changes
// membership or the topic, is applied alone with apply().
//
// Conflicts (an existing user, room, token, event seq or client_msg_id) are detected
// with INSERT ... ON CONFLICT DO NOTHING and the affected row count, never by letting a
// statement fail: a failed statement aborts the whole transaction on PostgreSQL.
class OpApplier
{
public:
    struct Result
    {
        WriteStatus status = WriteStatus::Committed; // Committed (if the batch commits),
                                                     // Conflict or Failed
        bool permanent = false; // Failed: the op itself is bad (constraint, data error)
        QString error;
    };

    // Rows in one multi-row INSERT. Statements exist for the powers of two up to it, so a
    // run of n events takes at most n / kMaxRowsPerInsert + log2(kMaxRowsPerInsert) + 1.
    static constexpr int kMaxRowsPerInsert = 128;

    explicit OpApplier(Connection &connection);
    Result apply(const WriteOp &op);

    // An event whose only statement is its row: insertEvents() can take it.
    static bool groupable(const WriteOp &op);
    // Inserts the events (groupable ones) in as few statements as it can. Committed: every
    // row went in. Conflict: at least one was stored already, and which is not known; the
    // caller rolls back and applies them one by one. Failed: as for apply(), except that a
    // permanent error may be any one row's.
    Result insertEvents(std::span<const protocol::Event *const> events);

private:
    enum class Stmt {
        InsertEvent,
        InsertMember,
        DeleteMember,
        InsertInvite,
        DeleteInvite,
        UpdateTopic,
        InsertRoom,
        UpsertReadMarker,
        InsertToken,
        DeleteToken,
        InsertUser,
        InsertFile,
        InsertFileRef,
        MarkFilePosted,
        MarkFileUnreferenced,
        DeleteFileRefs,
        DeleteFileRow,
        DeleteThumbnails,
        Count
    };

    // Statement s on the current connection, prepared on first use; null on failure.
    QSqlQuery *statement(Stmt s, Result *result);
    // The multi-row INSERT of 2^log2Rows events.
    QSqlQuery *eventsStatement(int log2Rows, Result *result);
    // One multi-row INSERT of 2^log2Rows events; rows inserted, or -1 (*r says why).
    qsizetype insertChunk(int log2Rows, std::span<const protocol::Event *const> events, Result *r);
    // SQLite: the same INSERT bound and run on the sqlite3 handle, without QVariant.
    qsizetype insertChunkSqlite(int log2Rows, std::span<const protocol::Event *const> events,
                                Result *r);
    // Drops the pointers below when the connection was reset since they were taken.
    void forgetStaleStatements();
    // Runs statement s with values bound in order; returns rows affected or -1.
    qsizetype run(Stmt s, std::initializer_list<QVariant> values, Result *result);
    // Runs q (bound, prepared from sqlText); returns rows affected or -1 (*result says why).
    qsizetype execute(QSqlQuery &q, const char *sqlText, Result *result);

    Result applyOp(const AppendEvent &op);
    Result applyOp(const CreateRoom &op);
    Result applyOp(const AddInvite &op);
    Result applyOp(const SetReadMarker &op);
    Result applyOp(const InsertToken &op);
    Result applyOp(const RevokeToken &op);
    Result applyOp(const CreateUser &op);
    Result applyOp(const StoreFile &op);
    Result applyOp(const DeleteFile &op);
    Result applyOp(const IndexSearchBatch &op);
    qsizetype insertFile(const StoredFile &file, Result *r);

    static constexpr int kInsertSizes = 8; // 1, 2, 4, ... kMaxRowsPerInsert rows
    static_assert(kMaxRowsPerInsert == 1 << (kInsertSizes - 1));

    Connection &m_connection;
    quint64 m_generation = 0; // of the connection's statements below
    std::array<QSqlQuery *, size_t(Stmt::Count)> m_statements{};
    std::array<QSqlQuery *, kInsertSizes> m_insertEvents{};
    std::array<sqlite3_stmt *, kInsertSizes> m_sqliteInsertEvents{};
};

// True if error (from a failed statement) is about the statement's data rather than the
// database being unavailable: retrying the same op can never succeed.
bool isPermanentError(bool postgres, const QSqlError &error);

} // namespace confab::server
