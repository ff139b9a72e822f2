#pragma once

#include "protocol/messages.h"

#include <QList>
#include <QString>
#include <QStringList>
#include <functional>
#include <memory>
#include <optional>
#include <variant>

// Plain data that crosses between the store and the rest of the server.
namespace confab::server {

struct StoreConfig
{
    // "sqlite" (path = file) or "postgres" (host, port, database, user, password).
    QString driver = QStringLiteral("sqlite");
    QString path; // sqlite file
    QString host;
    int port = 5432;
    QString database;
    QString user;
    QString password;
    // PostgreSQL: extra libpq connection options from the URL's query, space-separated
    // ("sslmode=require connect_timeout=3").
    QString options;
    // SQLite: how long a statement waits for another connection's lock before it fails
    // with SQLITE_BUSY (the writer then retries the batch).
    int busyTimeoutMs = 5000;
    // SQLite, per connection: page cache in KiB (0: SQLite's default of 2,000) and the WAL
    // size in pages that makes a commit checkpoint (0: SQLite's default of 1,000). The
    // writer raises both for its own connection (see WriterWorker).
    int cacheKiB = 0;
    int walAutocheckpointPages = 0;

    bool isPostgres() const { return driver == QLatin1String("postgres"); }

    // Parses "postgres://user[:password]@host[:port]/db", "postgresql://..." or
    // "sqlite:///abs/path" / a plain file path. Returns nullopt and sets *error on
    // a malformed URL.
    static std::optional<StoreConfig> fromUrl(const QString &url, QString *error);
    QString describe() const; // for logs; never includes the password
};

struct StoredUser
{
    QString name; // folded
    QString displayName;
    QString passwordHash; // libsodium crypto_pwhash_str output (Argon2id)
    bool isAdmin = false;
    qint64 createdAt = 0;
};

struct StoredRoom
{
    QString id;
    QString name;
    protocol::RoomKind kind = protocol::RoomKind::Channel;
    bool isPrivate = false;
    QString topic;
    QString createdBy;
    qint64 createdAt = 0;
    qint64 lastSeq = 0;
    QStringList members; // folded user names
    QStringList invited;
};

// Compact facts about one stored event that the in-memory room state needs to validate
// edit/delete/react without touching the disk.
struct EventFact
{
    QString room;
    qint64 seq = 0;
    QString sender;
    protocol::EventKind kind = protocol::EventKind::Text;
    std::optional<qint64> target;
    std::optional<QString> emoji;
    bool removed = false;
    std::optional<QString> clientMsgId;
    qint64 ts = 0;
};

// One stored file: an upload, or the thumbnail of one (thumbOf set).
struct StoredFile
{
    QString id;
    QString sha256; // lowercase hex: the content's name in the file store
    qint64 size = 0;
    QString mime;
    QString name;
    QString uploader;
    qint64 createdAt = 0;
    std::optional<qint64> width;
    std::optional<qint64> height;
    std::optional<QString> thumb;
    std::optional<QString> thumbOf;
    bool posted = false;

    protocol::FileInfo info() const
    {
        return protocol::FileInfo{id, name, size, mime, width, height, thumb};
    }
};

// What one user's files take (thumbnails not counted).
struct FileUsage
{
    QString user;
    qint64 files = 0;
    qint64 bytes = 0;
};

// ---- write operations: everything the writer thread commits --------------------------------

// An event; join/leave events also change membership in the same transaction, topic
// events update the room's topic.
struct AppendEvent
{
    protocol::Event event;
};
struct CreateRoom
{
    StoredRoom room; // members/invited are inserted too
};
struct AddInvite
{
    QString room;
    QString user;
};
struct SetReadMarker
{
    QString user;
    QString room;
    qint64 seq = 0; // stored as max(existing, seq)
};
struct InsertToken
{
    QString tokenHash; // hex SHA-256 of the token
    QString user;
    qint64 createdAt = 0;
};
struct RevokeToken
{
    QString tokenHash;
};
struct CreateUser
{
    StoredUser user; // fails (conflict) if the name exists
};

// A completed upload (and its thumbnail, stored first). Conflict if the id exists.
struct StoreFile
{
    StoredFile file;
    std::optional<StoredFile> thumbnail;
};
// The garbage collector's removal of a file and its thumbnail, done only if the file is
// still posted nowhere and was last referenced before unreferencedBefore (ms).
struct DeleteFile
{
    QString id;
    qint64 unreferencedBefore = 0;
};

struct SearchBackfill;
// One batch of the search index's backfill (store/search.h): up to `rows` events stored
// before the index existed go into it. progress is written on the writer thread before
// done is called.
struct IndexSearchBatch
{
    int rows = 1000;
    std::shared_ptr<SearchBackfill> progress;
};

using WriteOp = std::variant<AppendEvent, CreateRoom, AddInvite, SetReadMarker, InsertToken,
                             RevokeToken, CreateUser, StoreFile, DeleteFile, IndexSearchBatch>;

enum class WriteStatus { Committed, Conflict, Failed };

// Called on the writer thread once the op's transaction committed (or failed for good).
// Implementations post to their own thread; they must not block.
using WriteDone = std::function<void(WriteStatus)>;

} // namespace confab::server
