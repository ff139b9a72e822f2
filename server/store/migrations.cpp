#include "auth/credentials.h"
#include "logging.h"
#include "store/database.h"
#include "store/sqlutil.h"

#include <QSqlQuery>
#include <array>
#include <span>

// The schema and its history. Each migration is applied once, in order, in its own
// transaction together with the new schema_version, so a crash half way leaves the store
// at the previous version. Only add new steps at the end; never edit a released one.
// Portable SQL where it can be: a step's statements run on SQLite and PostgreSQL alike,
// then its engine-specific ones (the search index is FTS5 on one, tsvector on the other).
// A new table must also be listed in storecopy.cpp (migrate-store copies that list and
// refuses a store with a table it does not know).
namespace confab::server {

using namespace Qt::StringLiterals;

namespace {

struct Migration
{
    int version;
    const char *what;
    std::span<const char *const> statements;
    std::span<const char *const> sqliteOnly = {};
    std::span<const char *const> postgresOnly = {};
};

// Booleans are INTEGER 0/1 (portable); times are BIGINT ms since the Unix epoch.
// Users referenced by members/invites/tokens cascade away when a user is removed; events
// keep the sender's name as plain text, because history outlives accounts.
constexpr std::array kVersion1 = {
    "CREATE TABLE users (name TEXT PRIMARY KEY, display_name TEXT NOT NULL,"
    " password_hash TEXT NOT NULL, is_admin INTEGER NOT NULL DEFAULT 0,"
    " created_at BIGINT NOT NULL)",
    "CREATE TABLE tokens (hash TEXT PRIMARY KEY,"
    " user_name TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,"
    " created_at BIGINT NOT NULL)",
    "CREATE INDEX tokens_user ON tokens (user_name)",
    "CREATE TABLE rooms (id TEXT PRIMARY KEY, name TEXT NOT NULL,"
    " kind TEXT NOT NULL CHECK (kind IN ('channel', 'dm')),"
    " private INTEGER NOT NULL DEFAULT 0, topic TEXT NOT NULL DEFAULT '',"
    " created_by TEXT, created_at BIGINT NOT NULL)",
    "CREATE TABLE members (room TEXT NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,"
    " user_name TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,"
    " PRIMARY KEY (room, user_name))",
    "CREATE INDEX members_user ON members (user_name)",
    "CREATE TABLE invites (room TEXT NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,"
    " user_name TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,"
    " PRIMARY KEY (room, user_name))",
    "CREATE TABLE events (room TEXT NOT NULL REFERENCES rooms(id), seq BIGINT NOT NULL,"
    " ts BIGINT NOT NULL, sender TEXT NOT NULL, kind TEXT NOT NULL,"
    " body TEXT NOT NULL DEFAULT '', client_msg_id TEXT, reply_to BIGINT, target BIGINT,"
    " emoji TEXT, removed INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (room, seq))",
};

// Idempotency keys (client_msg_id is unique per sender) and read markers.
constexpr std::array kVersion2 = {
    "CREATE UNIQUE INDEX events_client_msg_id ON events (sender, client_msg_id)"
    " WHERE client_msg_id IS NOT NULL",
    "CREATE TABLE read_markers (user_name TEXT NOT NULL REFERENCES users(name)"
    " ON DELETE CASCADE, room TEXT NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,"
    " seq BIGINT NOT NULL, PRIMARY KEY (user_name, room))",
};

// The hub broadcasts an event as soon as it has its seq, so the store must never refuse
// one: a unique (sender, client_msg_id) index would turn a client_msg_id reused after the
// hub's idempotency window into a seq that was broadcast but never stored (a gap).
// Idempotency is the hub's job (version 5 drops the index: nothing reads it).
constexpr std::array kVersion3 = {
    "DROP INDEX events_client_msg_id",
    "CREATE INDEX events_client_msg_id ON events (sender, client_msg_id)"
    " WHERE client_msg_id IS NOT NULL",
};

// When a user's tokens were last revoked from outside the server (`user passwd`,
// `user remove`), so a running server closes that user's connections within seconds.
constexpr std::array kVersion4 = {
    "CREATE TABLE token_changes (user_name TEXT PRIMARY KEY, at BIGINT NOT NULL)",
};

// No query reads events by (sender, client_msg_id): the hub keeps the recent ids in memory
// and reloads them at start with a scan of the events. The index was one more b-tree
// insert, at a random place, for every stored message.
constexpr std::array kVersion5 = {
    "DROP INDEX events_client_msg_id",
};

// Files: one row per upload (and per thumbnail, thumb_of naming its file), the content
// kept once per SHA-256 in the state directory. file_refs lists the live events that post
// a file; it decides who may download it, and a delete removes its row in the same
// transaction, so a deleted file is unreadable as soon as the delete is acked.
// unreferenced_at says since when no event posts the file: the garbage collector's grace
// period counts from it (or from created_at, for a file never posted).
constexpr std::array kVersion6 = {
    "CREATE TABLE files (id TEXT PRIMARY KEY, sha256 TEXT NOT NULL, size BIGINT NOT NULL,"
    " mime TEXT NOT NULL, name TEXT NOT NULL, uploader TEXT NOT NULL,"
    " created_at BIGINT NOT NULL, width BIGINT, height BIGINT, thumb TEXT, thumb_of TEXT,"
    " posted INTEGER NOT NULL DEFAULT 0, unreferenced_at BIGINT)",
    "CREATE INDEX files_sha256 ON files (sha256)",
    "CREATE INDEX files_uploader ON files (uploader)",
    "CREATE TABLE file_refs (file_id TEXT NOT NULL, room TEXT NOT NULL REFERENCES rooms(id),"
    " seq BIGINT NOT NULL, PRIMARY KEY (file_id, room, seq))",
    "CREATE INDEX file_refs_event ON file_refs (room, seq)",
    "ALTER TABLE events ADD COLUMN file_id TEXT",
};

// Search. The index holds, for every message, the version of its text people see: the
// message itself (text, file) until it is edited, then its latest edit; a delete takes it
// out. So each indexed row is an events row, and a hit on an edit names its target.
// Edit and delete events find what they replace through events_target. Rows stored before
// this step are indexed afterwards by the backfill (store/search.cpp), in batches on the
// writer; meta's search_upto and search_next say how far it got (0 and 0: complete).
constexpr std::array kVersion7 = {
    "CREATE INDEX events_target ON events (room, target) WHERE target IS NOT NULL",
};

// SQLite: an FTS5 table whose content is the events themselves (through a view that adds
// a file's name), so it stores only the index. FTS5 must be told exactly what it indexed
// when a row goes, hence the triggers read the replaced row back from the same view; a row
// the backfill has not reached yet (search_next <= rowid <= search_upto) is not in it.
constexpr std::array kVersion7Sqlite = {
    "CREATE VIEW search_source AS SELECT e.rowid AS id, e.body AS body, f.name AS name"
    " FROM events e LEFT JOIN files f ON f.id = e.file_id",
    "CREATE VIRTUAL TABLE search_index USING fts5(body, name, content='search_source',"
    " content_rowid='id', tokenize='unicode61 remove_diacritics 2', prefix='2 3')",
    "INSERT INTO meta (key, value) SELECT 'search_upto', COALESCE(MAX(rowid), 0) FROM events"
    " WHERE true ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    "INSERT INTO meta (key, value) SELECT 'search_next', CASE WHEN COUNT(*) > 0 THEN 1 ELSE 0"
    " END FROM events WHERE true ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    "CREATE TRIGGER search_update AFTER INSERT ON events"
    " WHEN new.kind IN ('text', 'file', 'edit', 'delete') BEGIN"
    // An edit or a delete: out goes the version it replaces (the latest edit before it,
    // else the message), unless it is gone already or not indexed yet.
    " INSERT INTO search_index (search_index, rowid, body, name)"
    "  SELECT 'delete', s.id, s.body, s.name FROM search_source s"
    "  WHERE new.kind IN ('edit', 'delete')"
    "  AND s.id = COALESCE((SELECT x.rowid FROM events x WHERE x.room = new.room"
    "   AND x.target = new.target AND x.kind = 'edit' AND x.seq < new.seq"
    "   ORDER BY x.seq DESC LIMIT 1), (SELECT x.rowid FROM events x WHERE x.room = new.room"
    "   AND x.seq = new.target AND x.kind IN ('text', 'file')))"
    "  AND NOT EXISTS (SELECT 1 FROM events d WHERE d.room = new.room"
    "   AND d.target = new.target AND d.kind = 'delete' AND d.seq < new.seq)"
    "  AND (s.id > (SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'search_upto')"
    "   OR s.id < (SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'search_next'));"
    // A message or an edit: in goes its text.
    " INSERT INTO search_index (rowid, body, name) SELECT new.rowid, new.body,"
    "  (SELECT name FROM files WHERE id = new.file_id) WHERE new.kind <> 'delete';"
    " END",
};

// PostgreSQL: a tsvector column, set for the current version of each message and NULL
// otherwise, with a GIN index over the set ones. The `simple` configuration assumes no
// language; a file's name goes in with its punctuation as spaces (the parser would keep
// "q3-report.pdf" as one word). An edit or delete takes the shared side of advisory lock
// 7681, the backfill the exclusive one, so a batch never indexes a row an edit is
// replacing meanwhile.
constexpr std::array kVersion7Postgres = {
    "ALTER TABLE events ADD COLUMN search tsvector",
    "CREATE INDEX events_search ON events USING GIN (search) WHERE search IS NOT NULL",
    "INSERT INTO meta (key, value) SELECT 'search_upto', CASE WHEN COUNT(*) > 0 THEN '1'"
    " ELSE '0' END FROM events ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    "INSERT INTO meta (key, value) VALUES ('search_next', '')"
    " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    "CREATE FUNCTION confab_search_set() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
    " IF NEW.kind IN ('text', 'file', 'edit') THEN"
    "  NEW.search := to_tsvector('simple', NEW.body || ' ' || COALESCE((SELECT"
    "   regexp_replace(f.name, '[[:punct:]]+', ' ', 'g') FROM files f"
    "   WHERE f.id = NEW.file_id), ''));"
    " END IF; RETURN NEW; END $$",
    "CREATE FUNCTION confab_search_replace() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
    " PERFORM pg_advisory_xact_lock_shared(7681);"
    " UPDATE events SET search = NULL WHERE room = NEW.room AND search IS NOT NULL"
    "  AND (seq = NEW.target OR (target = NEW.target AND kind = 'edit' AND seq < NEW.seq));"
    " RETURN NULL; END $$",
    "CREATE TRIGGER search_set BEFORE INSERT ON events FOR EACH ROW"
    " EXECUTE FUNCTION confab_search_set()",
    "CREATE TRIGGER search_replace AFTER INSERT ON events FOR EACH ROW"
    " WHEN (NEW.kind IN ('edit', 'delete') AND NEW.target IS NOT NULL)"
    " EXECUTE FUNCTION confab_search_replace()",
};

const std::array<Migration, 7> kMigrations = {{
    {1, "users, tokens, rooms, members, invites, events", kVersion1},
    {2, "client_msg_id index, read markers", kVersion2},
    {3, "client_msg_id index no longer unique", kVersion3},
    {4, "token changes", kVersion4},
    {5, "client_msg_id index dropped", kVersion5},
    {6, "files, file references", kVersion6},
    {7, "search index", kVersion7, kVersion7Sqlite, kVersion7Postgres},
}};

// The meta table and the epoch exist before any numbered migration; the epoch is
// created exactly once, whoever gets there first.
bool bootstrap(const QSqlDatabase &db, QString *error)
{
    if (!Database::begin(db, error))
        return false;
    // Concurrent CREATE TABLE IF NOT EXISTS can collide in PostgreSQL's catalog; a
    // transaction-scoped advisory lock makes the first creator finish before the next looks.
    // (On SQLite, BEGIN IMMEDIATE already serialises.)
    bool ok =
        !Database::isPostgres(db) || sql::exec(db, u"SELECT pg_advisory_xact_lock(7680)"_s, error);
    ok = ok && sql::exec(db,
                         u"CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY,"
                         " value TEXT NOT NULL)"_s,
                         error);
    if (ok) {
        QSqlQuery q(db);
        ok = sql::prepare(q,
                          u"INSERT INTO meta (key, value) VALUES ('epoch', :epoch)"
                          " ON CONFLICT (key) DO NOTHING"_s,
                          error);
        q.bindValue(u":epoch"_s, randomHexId());
        ok = ok && sql::exec(q, u"create the epoch"_s, error);
    }
    if (ok && Database::commit(db, error))
        return true;
    Database::rollback(db);
    return false;
}

std::optional<QString> metaValue(const QSqlDatabase &db, const QString &key, QString *error)
{
    QSqlQuery q(db);
    if (!sql::prepare(q, u"SELECT value FROM meta WHERE key = :key"_s, error))
        return std::nullopt;
    q.bindValue(u":key"_s, key);
    if (!sql::exec(q, u"read meta."_s + key, error))
        return std::nullopt;
    return q.next() ? q.value(0).toString() : QString();
}

// Runs one migration unless another process already did. Updating the epoch row first
// serialises concurrent migrators on PostgreSQL (row lock); on SQLite BEGIN IMMEDIATE
// already holds the write lock.
bool applyStep(const QSqlDatabase &db, const Migration &m, QString *error)
{
    if (!Database::begin(db, error))
        return false;
    bool ok = sql::exec(db, u"UPDATE meta SET value = value WHERE key = 'epoch'"_s, error);
    std::optional<int> current;
    if (ok)
        current = Database::schemaVersion(db, error);
    ok = ok && current;
    const bool needed = ok && *current < m.version;
    if (needed && *current != m.version - 1) {
        sql::setError(error,
                      u"schema version %1 cannot be migrated to %2"_s.arg(*current).arg(m.version));
        ok = false;
    }
    const std::span<const char *const> own =
        Database::isPostgres(db) ? m.postgresOnly : m.sqliteOnly;
    for (const std::span<const char *const> part : {m.statements, own}) {
        for (size_t i = 0; ok && needed && i < part.size(); ++i)
            ok = sql::exec(db, QString::fromLatin1(part[i]), error);
    }
    if (ok && needed) {
        QSqlQuery q(db);
        ok = sql::prepare(q,
                          u"INSERT INTO meta (key, value) VALUES ('schema_version', :v)"
                          " ON CONFLICT (key) DO UPDATE SET value = excluded.value"_s,
                          error);
        q.bindValue(u":v"_s, QString::number(m.version));
        ok = ok && sql::exec(q, u"set schema_version"_s, error);
    }
    if (ok && Database::commit(db, error)) {
        if (needed)
            qCInfo(lcStore).noquote()
                << u"migrated the store to schema version %1 (%2)"_s.arg(m.version).arg(
                       QLatin1String(m.what));
        return true;
    }
    Database::rollback(db);
    return false;
}

} // namespace

int Database::latestSchemaVersion()
{
    return kMigrations.back().version;
}

std::optional<int> Database::schemaVersion(const QSqlDatabase &db, QString *error)
{
    if (!db.tables().contains(u"meta"_s))
        return 0;
    const std::optional<QString> value = metaValue(db, u"schema_version"_s, error);
    if (!value)
        return std::nullopt;
    if (value->isEmpty())
        return 0;
    bool ok = false;
    const int version = value->toInt(&ok);
    if (!ok) {
        sql::setError(error, u"the store's schema_version '%1' is not a number"_s.arg(*value));
        return std::nullopt;
    }
    return version;
}

std::optional<QString> Database::epoch(const QSqlDatabase &db, QString *error)
{
    const std::optional<QString> value = metaValue(db, u"epoch"_s, error);
    if (value && value->isEmpty()) {
        sql::setError(error, u"the store has no epoch"_s);
        return std::nullopt;
    }
    return value;
}

bool Database::migrate(const QSqlDatabase &db, int targetVersion, QString *error)
{
    if (!bootstrap(db, error))
        return false;
    const std::optional<int> current = schemaVersion(db, error);
    if (!current)
        return false;
    if (*current > latestSchemaVersion()) {
        sql::setError(error, u"the store has schema version %1, newer than this server "
                             "supports (%2); upgrade confab-server"_s.arg(*current)
                                 .arg(latestSchemaVersion()));
        return false;
    }
    for (const Migration &m : kMigrations) {
        if (m.version > targetVersion)
            break;
        if (m.version > *current && !applyStep(db, m, error))
            return false;
    }
    return true;
}

} // namespace confab::server
