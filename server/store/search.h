#pragma once

#include "protocol/messages.h"
#include "search/searchquery.h"

#include <QString>
#include <QStringList>
#include <optional>

// Full-text search over the store: the query run against the index (FTS5 on SQLite, a
// tsvector column on PostgreSQL; the schema is migration 7 in migrations.cpp), and the
// backfill that indexes a store's older events in batches.
namespace confab::server {

class Connection;

// A search the hub allowed: the rooms are those the asker may read.
struct SearchPlan
{
    search::Query query;
    QString user; // folded; is:mention looks for this name
    QStringList rooms;
    bool oneRoom = false; // in:#room, in:@user or the request's room
    protocol::SearchOrder order = protocol::SearchOrder::Newest;
    int limit = 20;
    std::optional<QString> cursor;
};

struct SearchOutcome
{
    QList<protocol::SearchHit> hits;
    std::optional<QString> cursor;
    bool indexing = false;
    bool timedOut = false;
    bool badCursor = false; // the request's cursor is not one this search hands out
};

// How far the backfill got; written by backfillBatch() on the writer thread.
struct SearchBackfill
{
    bool complete = false;
    qint64 indexed = 0; // rows this batch put in the index
    qint64 done = 0;    // rows looked at so far (SQLite: up to this rowid)
    qint64 total = 0;   // rows to look at (SQLite: the highest rowid then)
};

namespace searchstore {

// Runs plan on c within budgetMs (then returns what it found, timedOut set). On a store
// error *error is set.
SearchOutcome run(Connection &c, const SearchPlan &plan, int budgetMs, QString *error);

// Indexes up to `rows` more of the events stored before the index existed, inside the
// transaction the caller (the writer) opened. Sets *progress; false + *error on failure.
bool backfillBatch(Connection &c, int rows, SearchBackfill *progress, QString *error);

// Whether every event is in the index (false while the backfill runs); nullopt on error.
std::optional<bool> indexComplete(Connection &c, QString *error);

} // namespace searchstore

} // namespace confab::server
