#pragma once

#include "store/search.h"
#include "store/storetypes.h"

#include <QHash>
#include <QList>
#include <QSet>
#include <memory>

namespace confab::server {

struct ReaderConnections;

// Synchronous store reads for any thread except the writer's.
//
// Ownership: each calling thread (QThreadPool threads included) gets its own connection,
// opened on its first read and used only by that thread; it is closed when the thread
// exits or the reader is destroyed, whichever comes first. Destroy the reader only after
// every thread that reads through it has stopped reading.
//
// Errors: no function throws. On failure *error is set and the result is empty; on success
// *error is left untouched, so one error string can collect a sequence of reads. An empty
// result with no error means "nothing there". A PostgreSQL read that fails is retried once
// on a fresh connection, because a restarted server kills every existing one.
class StoreReader
{
public:
    explicit StoreReader(const StoreConfig &config);
    ~StoreReader();
    StoreReader(const StoreReader &) = delete;
    StoreReader &operator=(const StoreReader &) = delete;

    std::optional<StoredUser> findUser(const QString &name, QString *error = nullptr) const;
    QList<StoredUser> listUsers(QString *error = nullptr) const;
    // The user a token (hex SHA-256, see hashToken()) belongs to; nullopt if unknown/revoked.
    std::optional<StoredUser> userForToken(const QString &tokenHash,
                                           QString *error = nullptr) const;
    // Every room with members, invitations and lastSeq = MAX(seq), ordered by id.
    QList<StoredRoom> loadRooms(QString *error = nullptr) const;
    // For start-up: every text/edit/delete/react event, plus every event with a
    // client_msg_id and ts >= sinceTs; ordered by room, seq.
    QList<EventFact> loadEventFacts(qint64 sinceTs, QString *error = nullptr) const;
    // Events of room with afterSeq < seq < beforeSeq (beforeSeq 0: no upper bound), at most
    // limit of them: the oldest ones, or with newestFirst the newest ones. Always returned
    // in ascending seq order.
    QList<protocol::Event> events(const QString &room, qint64 afterSeq, qint64 beforeSeq, int limit,
                                  bool newestFirst, QString *error = nullptr) const;
    // A search the hub allowed (store/search.h), within budgetMs.
    SearchOutcome search(const SearchPlan &plan, int budgetMs, QString *error = nullptr) const;
    // Whether the search index holds every stored event (the backfill is done).
    std::optional<bool> searchIndexComplete(QString *error = nullptr) const;
    // room -> last read seq of user.
    QHash<QString, qint64> readMarkers(const QString &user, QString *error = nullptr) const;
    // Users whose tokens were revoked from outside the server at or after sinceTs (wall ms),
    // each with the hashes of the tokens it still has.
    QHash<QString, QSet<QString>> tokenChanges(qint64 sinceTs, QString *error = nullptr) const;
    // False on error too (then *error is set).
    bool roomExists(const QString &room, QString *error = nullptr) const;

    // Files. file(): by id, whoever may read it.
    std::optional<StoredFile> file(const QString &id, QString *error = nullptr) const;
    // The file (or thumbnail) if user may download it: posted in a room user is a member
    // of, or user's own upload not posted yet.
    std::optional<StoredFile> readableFile(const QString &id, const QString &user,
                                           QString *error = nullptr) const;
    FileUsage fileUsage(const QString &user, QString *error = nullptr) const;
    // Every uploader, the largest usage first.
    QList<FileUsage> fileUsageByUser(QString *error = nullptr) const;
    // Files (not thumbnails) of at least minSize bytes, the largest first.
    QList<StoredFile> largestFiles(qint64 minSize, int limit, QString *error = nullptr) const;
    // Files posted nowhere since before unreferencedBefore (ms), the oldest first.
    QList<StoredFile> collectableFiles(qint64 unreferencedBefore, int limit,
                                       QString *error = nullptr) const;
    // The SHA-256 of every stored file and thumbnail.
    QSet<QString> storedContent(QString *error = nullptr) const;

private:
    std::shared_ptr<ReaderConnections> m_connections;
};

} // namespace confab::server
