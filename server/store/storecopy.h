#pragma once

#include "store/storetypes.h"

#include <QList>
#include <QString>
#include <functional>

namespace confab::server {

// Copies a whole store into another, empty one (SQLite to PostgreSQL, or any other pair):
// every table, row for row, and the epoch, so seqs go on where they were and clients keep
// their caches.
//
// The source is brought to the latest schema first (as a server starting on it would) and
// read under its write lock (SQLite: BEGIN IMMEDIATE; PostgreSQL: one repeatable-read
// snapshot), so the copy is consistent; the target is created (schema at the same
// version) and filled in a single transaction, so a failure half way leaves no rows
// behind. A target that already holds any row, or a table that is not Confab's, is
// refused. So is a source with a table this build does not know (a newer server's store).
struct StoreCopyTable
{
    QString name;
    qint64 rows = 0;
};

struct StoreCopyReport
{
    QString epoch;
    int schemaVersion = 0;
    QList<StoreCopyTable> tables; // in copy order
};

// progress, if set, is called after each table with its name and row count.
bool copyStore(const StoreConfig &from, const StoreConfig &to, StoreCopyReport *report,
               QString *error,
               const std::function<void(const QString &table, qint64 rows)> &progress = {});

// The tables copyStore() copies, parents before the tables that reference them.
QStringList storeTables();

} // namespace confab::server
