#pragma once

#include "store/storetypes.h"

#include <QSqlDatabase>
#include <QString>
#include <optional>

namespace confab::server {

// Connections, transactions and schema migrations for both back ends (QSQLITE, QPSQL).
//
// A QSqlDatabase connection belongs to the thread that opened it: each
// user of the store (the writer thread, every reader thread, the admin CLI) opens its own
// connection under a unique name and is the only one that touches or closes it.
class Database
{
public:
    // The schema version this build creates and expects (see migrations.cpp).
    static int latestSchemaVersion();

    // A process-wide unique connection name: "confab-<purpose>-<n>-<thread>".
    static QString uniqueConnectionName(const QString &purpose);

    // Registers connection `name` for config on first use and opens it if it is not open
    // (also to reopen it after close(name, false) or a lost server). Per-connection
    // settings are applied on every open: for SQLite WAL, synchronous=FULL, busy_timeout
    // and foreign keys; for PostgreSQL synchronous_commit=on.
    static bool open(const StoreConfig &config, const QString &name, QString *error);
    // Closes connection name; with remove, also unregisters it (the handle must not be in
    // use any more, i.e. no QSqlQuery or QSqlDatabase copy of it may still exist).
    static void close(const QString &name, bool remove = true);

    // Creates the SQLite file's directory if needed, creates or migrates the schema to
    // the latest version and returns the store's epoch (created with the schema: a random
    // 128-bit hex string). Safe to run concurrently from several processes.
    static bool initialize(const StoreConfig &config, QString *epoch, QString *error);

    // Brings db's schema up to targetVersion (never down); each step runs in its own
    // transaction together with the new schema_version. Used by initialize() and tests.
    static bool migrate(const QSqlDatabase &db, int targetVersion, QString *error);
    // 0 for an empty database.
    static std::optional<int> schemaVersion(const QSqlDatabase &db, QString *error);
    static std::optional<QString> epoch(const QSqlDatabase &db, QString *error);

    // BEGIN (BEGIN IMMEDIATE on SQLite, so a batch takes the write lock up front and
    // waits busy_timeout for it instead of failing half way), COMMIT, ROLLBACK.
    static bool begin(const QSqlDatabase &db, QString *error);
    static bool commit(QSqlDatabase db, QString *error);
    static void rollback(QSqlDatabase db);

    static bool isPostgres(const QSqlDatabase &db);
};

} // namespace confab::server
