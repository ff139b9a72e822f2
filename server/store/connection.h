#pragma once

#include "store/storetypes.h"

#include <QSqlDatabase>
#include <QSqlQuery>
#include <QString>
#include <memory>
#include <unordered_map>

struct sqlite3;
struct sqlite3_stmt;

namespace confab::server {

// One named QSqlDatabase connection plus the statements prepared on it. Touched only from
// the thread that opened it; not part of the library's API.
//
// Prepared statements are kept for the life of the connection: on PostgreSQL an unprepared
// read costs PREPARE, EXECUTE and DEALLOCATE round trips, a cached one only EXECUTE.
class Connection
{
public:
    Connection(const StoreConfig &config, const QString &purpose);
    ~Connection();
    Connection(const Connection &) = delete;
    Connection &operator=(const Connection &) = delete;

    QString name() const { return m_name; }
    const StoreConfig &config() const { return m_config; }
    bool isPostgres() const { return m_config.isPostgres(); }

    // Opens the connection unless it is open; after reset() a fresh one.
    bool open(QString *error);
    QSqlDatabase database() const;

    // sqlText prepared once per connection (forward-only); null + *error on failure.
    QSqlQuery *statement(const QString &sqlText, QString *error);
    // SQLite only: sqlText prepared straight on the driver's sqlite3 handle, for the
    // writer's event inserts (binding through QSqlQuery and QVariant costs more than the
    // insert itself). Finalized before the connection closes; null + *error on failure.
    sqlite3_stmt *nativeStatement(const QString &sqlText, QString *error);
    // SQLite only: the driver's handle of the open connection; null + *error otherwise.
    sqlite3 *nativeHandle(QString *error) const;
    // Changes whenever the statements are dropped (reset(), abandon()): a caller that keeps
    // statement() pointers of its own looks them up again when it differs.
    quint64 generation() const { return m_generation; }
    // Ends every statement's result set: an unfinished SELECT would keep SQLite's read
    // snapshot (and thus a WAL checkpoint) pinned.
    void finishStatements();

    // Drops the connection and its statements, for a connection that failed (PostgreSQL
    // restarted, SQLite locked): the next open() connects afresh under a new name.
    void reset();

    // The connection was removed by its owner already (a reader destroyed at shutdown):
    // frees the statements without asking Qt's registry of connections, which a thread
    // exiting late may find already destroyed.
    void abandon();

private:
    void drop();
    void finalizeNative();

    StoreConfig m_config;
    QString m_purpose;
    QString m_name;
    std::unordered_map<QString, std::unique_ptr<QSqlQuery>> m_statements;
    std::unordered_map<QString, sqlite3_stmt *> m_native;
    quint64 m_generation = 0;
};

} // namespace confab::server
