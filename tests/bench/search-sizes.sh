#!/bin/bash
# usage: tests/bench/search-sizes.sh STORE
# How big the search index is beside the messages, for docs/benchmarks.md ("Search"):
# STORE is the server's --db, a SQLite file or a postgres:// URL. Read only; run it on a
# store the search scenario seeded (best with the server stopped, for SQLite after its
# last checkpoint).
#   SQLite: bytes per table and index from the dbstat virtual table; the FTS5 index is
#   the search_index_* shadow tables (it keeps no copy of the text: its content is the
#   events themselves).
#   PostgreSQL: events' heap with TOAST (pg_table_size), every index of events, the GIN
#   index events_search, and how much of the heap the tsvector column takes.
set -euo pipefail
store=${1:?usage: $0 SQLITE-FILE|postgres://...}

if [[ $store == postgres://* || $store == postgresql://* ]]; then
  psql "$store" -X -q -A -F $'\t' -v ON_ERROR_STOP=1 <<'SQL'
SELECT 'rows', 'events', count(*) FROM events;
SELECT 'rows', 'indexed', count(*) FROM events WHERE search IS NOT NULL;
SELECT 'bytes', 'events heap (pg_relation_size)', pg_relation_size('events');
SELECT 'bytes', 'events heap + TOAST (pg_table_size)', pg_table_size('events');
SELECT 'bytes', 'events total with indexes (pg_total_relation_size)',
       pg_total_relation_size('events');
SELECT 'bytes', 'index ' || indexrelid::regclass, pg_relation_size(indexrelid)
  FROM pg_index WHERE indrelid = 'events'::regclass ORDER BY 3 DESC;
SELECT 'bytes', 'search column in the heap (sum of pg_column_size)',
       COALESCE(sum(pg_column_size(search)), 0) FROM events;
SELECT 'bytes', 'body column in the heap (sum of pg_column_size)',
       COALESCE(sum(pg_column_size(body)), 0) FROM events;
SQL
else
  [ -f "$store" ] || { echo "no such file: $store" >&2; exit 2; }
  sqlite3 -readonly -separator $'\t' "$store" <<'SQL'
SELECT 'rows', 'events', count(*) FROM events;
SELECT 'bytes', 'file (page_count x page_size)', page_count * page_size
  FROM pragma_page_count(), pragma_page_size();
SELECT 'bytes', 'events table', sum(pgsize) FROM dbstat WHERE name = 'events';
SELECT 'bytes', 'events indexes', sum(d.pgsize) FROM dbstat d
  JOIN sqlite_schema m ON m.name = d.name WHERE m.type = 'index' AND m.tbl_name = 'events';
SELECT 'bytes', 'search index (search_index_*)', sum(pgsize) FROM dbstat
  WHERE name LIKE 'search\_index%' ESCAPE '\';
SELECT 'bytes', 'object ' || name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY 3 DESC;
SQL
fi
