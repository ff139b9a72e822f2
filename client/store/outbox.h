#pragma once

#include "store/storetypes.h"

#include <QHash>
#include <QObject>
#include <QSet>

namespace confab::client {

class StoreThread;

// What a file entry's row shows while it uploads: its name and size, the type this
// computer gives it, and for an image its size as shown (the server decides for real).
protocol::FileInfo describeLocalFile(const OutboxEntry &entry);

// The messages (and edits, deletes, reactions) the server has not acknowledged, in the
// order the user made them. Every entry is on disk before it may be sent (isSendable),
// and leaves only on ack (remove) or discard. The in-memory list is the truth for the
// UI thread; the worker thread keeps the file in step. Lives on the UI thread.
class Outbox : public QObject
{
    Q_OBJECT

public:
    explicit Outbox(StoreThread *store, QObject *parent = nullptr);

    // Reads the file (blocking: it is small, and nothing may be sent before it is known).
    bool load(QString *error);

    // Creates an entry with a fresh client_msg_id; it becomes sendable once written.
    const OutboxEntry &add(OutboxEntry entry);
    void markFailed(const QString &clientMsgId, const QString &code, const QString &text);
    // A failed entry goes back to the queue at its old place in the order.
    bool retry(const QString &clientMsgId);
    // Acked (or discarded by the user): gone for good, with the outbox's copy of a file.
    bool remove(const QString &clientMsgId);
    // kind file: the server's upload exists (uploadId), or is gone and must start over
    // (empty); complete: it may be sent now.
    void setUpload(const QString &clientMsgId, const QString &uploadId);
    void markUploaded(const QString &clientMsgId);

    const QList<OutboxEntry> &entries() const { return m_entries; }
    const OutboxEntry *find(const QString &clientMsgId) const;
    bool isSendable(const OutboxEntry &entry) const;
    // The oldest queued, written entry of each room that is not failed, in outbox order.
    // A file still uploading holds nothing back: it takes its place when it is complete.
    QList<OutboxEntry> nextPerRoom(const QSet<QString> &busyRooms) const;
    // The queued, written entries whose file is not uploaded yet, in outbox order.
    QList<OutboxEntry> pendingUploads() const;

signals:
    void added(const confab::client::OutboxEntry &entry);
    void changed(const confab::client::OutboxEntry &entry);
    void removed(const QString &clientMsgId, const QString &room);
    // An entry reached the disk and may be sent now.
    void written(const QString &clientMsgId);

private:
    qsizetype indexOf(const QString &clientMsgId) const;
    void persist(const OutboxEntry &entry);
    void write(const OutboxEntry &entry);

    StoreThread *m_store;
    QList<OutboxEntry> m_entries;
    QSet<QString> m_unwritten;
    qint64 m_nextOrdinal = 1;
};

} // namespace confab::client
