#include "store/outbox.h"

#include "logging.h"
#include "store/storethread.h"

#include <QDateTime>
#include <QFile>
#include <QImageReader>
#include <QMimeDatabase>
#include <QUuid>

namespace confab::client {

protocol::FileInfo describeLocalFile(const OutboxEntry &entry)
{
    protocol::FileInfo f;
    f.name = entry.fileName;
    f.size = entry.fileSize;
    f.mime = QMimeDatabase().mimeTypeForFile(entry.filePath).name();
    QImageReader reader(entry.filePath);
    reader.setAutoTransform(true);
    if (f.mime.startsWith(QLatin1String("image/")) && reader.canRead()) {
        QSize size = reader.size();
        if (reader.transformation() & QImageIOHandler::TransformationRotate90)
            size.transpose();
        if (size.isValid() && !size.isEmpty()) {
            f.width = size.width();
            f.height = size.height();
        }
    }
    return f;
}

Outbox::Outbox(StoreThread *store, QObject *parent)
    : QObject(parent)
    , m_store(store)
{
}

bool Outbox::load(QString *error)
{
    QString failure;
    m_entries = m_store->call([&failure](StoreWorker &w) { return w.loadOutbox(&failure); });
    for (const OutboxEntry &e : std::as_const(m_entries))
        m_nextOrdinal = std::max(m_nextOrdinal, e.ordinal + 1);
    if (!failure.isEmpty() && error)
        *error = failure;
    qCInfo(lcStore) << "outbox holds" << m_entries.size() << "entries";
    return failure.isEmpty();
}

const OutboxEntry &Outbox::add(OutboxEntry entry)
{
    entry.ordinal = m_nextOrdinal++;
    if (entry.clientMsgId.isEmpty())
        entry.clientMsgId = QUuid::createUuid().toString(QUuid::WithoutBraces);
    if (entry.createdMs == 0)
        entry.createdMs = QDateTime::currentMSecsSinceEpoch();
    entry.state = OutboxEntry::State::Queued;
    m_entries.append(entry);
    emit added(entry);
    write(entry);
    return m_entries.last();
}

void Outbox::write(const OutboxEntry &entry)
{
    m_unwritten.insert(entry.clientMsgId);
    m_store->reply(
        this, [entry](StoreWorker &w) { return w.insertOutbox(entry); },
        [this, id = entry.clientMsgId](bool ok) {
            if (!ok) {
                // Not on disk, so not sent: a failed row the user can retry or discard.
                markFailed(id, QStringLiteral("local"), tr("could not be saved on this computer"));
                return;
            }
            m_unwritten.remove(id);
            if (indexOf(id) >= 0)
                emit written(id);
        });
}

void Outbox::persist(const OutboxEntry &entry)
{
    m_store->post([entry](StoreWorker &w) { w.updateOutbox(entry); });
}

void Outbox::markFailed(const QString &clientMsgId, const QString &code, const QString &text)
{
    const qsizetype i = indexOf(clientMsgId);
    if (i < 0)
        return;
    OutboxEntry &e = m_entries[i];
    e.state = OutboxEntry::State::Failed;
    e.errorCode = code;
    e.errorText = text;
    if (!m_unwritten.contains(clientMsgId))
        persist(e);
    emit changed(e);
}

bool Outbox::retry(const QString &clientMsgId)
{
    const qsizetype i = indexOf(clientMsgId);
    if (i < 0 || m_entries[i].state != OutboxEntry::State::Failed)
        return false;
    OutboxEntry &e = m_entries[i];
    e.state = OutboxEntry::State::Queued;
    e.errorCode.clear();
    e.errorText.clear();
    emit changed(e);
    if (m_unwritten.contains(clientMsgId)) {
        write(e); // it never reached the disk: it goes out once it has
        return true;
    }
    persist(e);
    emit written(clientMsgId);
    return true;
}

bool Outbox::remove(const QString &clientMsgId)
{
    const qsizetype i = indexOf(clientMsgId);
    if (i < 0)
        return false;
    const QString room = m_entries[i].room;
    if (m_entries[i].fileOwned && !m_entries[i].filePath.isEmpty())
        QFile::remove(m_entries[i].filePath);
    m_entries.removeAt(i);
    m_unwritten.remove(clientMsgId);
    m_store->post([clientMsgId](StoreWorker &w) { w.removeOutbox(clientMsgId); });
    emit removed(clientMsgId, room);
    return true;
}

void Outbox::setUpload(const QString &clientMsgId, const QString &uploadId)
{
    const qsizetype i = indexOf(clientMsgId);
    if (i < 0)
        return;
    OutboxEntry &e = m_entries[i];
    e.uploadId = uploadId;
    e.uploaded = false;
    if (!m_unwritten.contains(clientMsgId))
        persist(e);
    emit changed(e);
}

void Outbox::markUploaded(const QString &clientMsgId)
{
    const qsizetype i = indexOf(clientMsgId);
    if (i < 0)
        return;
    OutboxEntry &e = m_entries[i];
    e.uploaded = true;
    persist(e);
    emit changed(e);
    emit written(clientMsgId); // sendable now
}

qsizetype Outbox::indexOf(const QString &clientMsgId) const
{
    for (qsizetype i = 0; i < m_entries.size(); ++i) {
        if (m_entries[i].clientMsgId == clientMsgId)
            return i;
    }
    return -1;
}

const OutboxEntry *Outbox::find(const QString &clientMsgId) const
{
    const qsizetype i = indexOf(clientMsgId);
    return i >= 0 ? &m_entries[i] : nullptr;
}

bool Outbox::isSendable(const OutboxEntry &entry) const
{
    return entry.state == OutboxEntry::State::Queued && !m_unwritten.contains(entry.clientMsgId);
}

QList<OutboxEntry> Outbox::nextPerRoom(const QSet<QString> &busyRooms) const
{
    QList<OutboxEntry> next;
    QSet<QString> seen = busyRooms;
    for (const OutboxEntry &e : m_entries) {
        if (e.state == OutboxEntry::State::Failed || e.isUpload() || seen.contains(e.room))
            continue;
        // An unwritten entry holds back the later ones of its room: order first.
        seen.insert(e.room);
        if (isSendable(e))
            next.append(e);
    }
    return next;
}

QList<OutboxEntry> Outbox::pendingUploads() const
{
    QList<OutboxEntry> uploads;
    for (const OutboxEntry &e : m_entries) {
        if (e.isUpload() && isSendable(e))
            uploads.append(e);
    }
    return uploads;
}

} // namespace confab::client
