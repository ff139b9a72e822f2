#pragma once

#include "store/storetypes.h"

#include <QSqlError>

namespace confab::server {

class Connection;

// Applies WriteOps to one connection inside a transaction the caller opened, with
// statements prepared once per connection. Touched only from the writer thread.
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

    explicit OpApplier(Connection &connection);
    Result apply(const WriteOp &op);

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
        Count
    };

    // Runs statement s with values bound in order; returns rows affected or -1.
    qsizetype run(Stmt s, std::initializer_list<QVariant> values, Result *result);

    Result applyOp(const AppendEvent &op);
    Result applyOp(const CreateRoom &op);
    Result applyOp(const AddInvite &op);
    Result applyOp(const SetReadMarker &op);
    Result applyOp(const InsertToken &op);
    Result applyOp(const RevokeToken &op);
    Result applyOp(const CreateUser &op);

    Connection &m_connection;
};

// True if error (from a failed statement) is about the statement's data rather than the
// database being unavailable: retrying the same op can never succeed.
bool isPermanentError(bool postgres, const QSqlError &error);

} // namespace confab::server
