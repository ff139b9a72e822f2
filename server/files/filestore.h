#pragma once

#include "files/filesconfig.h"
#include "store/storetypes.h"

#include <QByteArray>
#include <QHash>
#include <QSet>
#include <QString>
#include <QStringList>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <variant>
#include <vector>

namespace confab::server {

class FileStore;
class StoreReader;
class StoreWriter;
struct PartHash;

// Why a file request cannot be served: the HTTP status and a JSON body for the client.
struct FileRefusal
{
    int status = 500;
    QByteArray reason; // HTTP reason phrase
    QString code;      // the body's "error": a protocol error code name
    QString message;
    qint64 limit = -1;       // the limit that was hit, when one was
    qint64 offset = -1;      // uploads: the offset the client must continue from
    QByteArray json() const; // {"error":…,"message":…[,"limit":…][,"offset":…]}
};

// An upload that is not complete yet.
struct UploadState
{
    QString id;
    QString user;
    QString name;
    qint64 length = 0;
    qint64 offset = 0; // bytes on disk
    qint64 createdAt = 0;
};

// The body of one PATCH on its way to the upload's part file. The I/O thread that reads
// the body hands what it receives to append(); the store's writer threads take it through
// two stages, each in order and one chunk at a time: write() to the part, then the
// upload's running SHA-256 (fed exactly what write() took). The two run on different
// threads at once, so one upload's hashing never waits for its writing. notify, given to
// FileStore::beginWrite(), is called on a writer thread whenever progress() has news.
// The I/O thread never waits for the disk.
class PartWrite : public std::enable_shared_from_this<PartWrite>
{
public:
    struct Progress
    {
        qint64 offset = 0;  // the upload's offset: its bytes before, plus those written now
        qint64 pending = 0; // appended and not through both stages yet (memory held)
        int error = 0;      // errno of a write that failed; what came after it is dropped
        bool stop = false;  // a newer request for the upload wants it: read no more
    };

    PartWrite(FileStore *store, QString id, int fd, qint64 offset, std::shared_ptr<PartHash> hash,
              std::function<void()> notify);
    ~PartWrite();
    PartWrite(const PartWrite &) = delete;
    PartWrite &operator=(const PartWrite &) = delete;

    // The I/O thread: bytes to write behind the ones before (dropped after an error).
    void append(QByteArray bytes);
    // Any thread: where the write stands. notify is called again only after this.
    Progress progress();
    // Any thread: asks the request that feeds this write to stop (progress().stop), as a
    // newer request of the same user for the same upload wants it.
    void requestStop();

private:
    friend class FileStore;
    enum StageId { Write = 0, Hash = 1 };
    struct Stage
    {
        std::deque<QByteArray> chunks;
        bool scheduled = false; // in the store's ready queue, or being worked on
    };
    // On a writer thread: writes one chunk; the bytes write() took, and errno when it
    // failed.
    qint64 writeChunk(const QByteArray &chunk, int *error);
    bool busy() const { return m_stages[Write].scheduled || m_stages[Hash].scheduled; }

    FileStore *const m_store;
    const QString m_id;
    int m_fd;                         // -1 once closePart() closed it
    const qint64 m_begin;             // the upload's offset when the PATCH began
    std::shared_ptr<PartHash> m_hash; // null: not hashed here (the finish hashes the part)
    // Write stage only: the offset written to, and up to where its writeback was started.
    qint64 m_at = 0;
    qint64 m_syncedTo = 0;

    // Behind the store's m_writeMutex.
    Stage m_stages[2];
    qint64 m_written = 0;
    qint64 m_pending = 0;
    int m_error = 0;
    bool m_hashFailed = false; // a write failed: the hash is not fed, nor kept
    bool m_ended = false;      // endWrite() was called; no more bytes come
    bool m_stop = false;       // requestStop() was called
    bool m_notified = false;   // notify was called and progress() not yet
    std::function<void()> m_notify;
};

// The file store on disk and its rules: uploads in progress (uploads/<id>.part with a
// uploads/<id>.json beside it, so they survive a restart), content kept once per SHA-256
// (blobs/<2 hex>/<sha256>), the limits of the [files] section, finishing an upload
// (hash, type, thumbnail, the files row through the writer) and the garbage collector.
//
// Thread-safe: the registry of uploads is behind a mutex. Functions that say "blocking"
// read the store or the disk at length and run on pool threads only; beginWrite(),
// PartWrite and endWrite() are what an I/O thread uses for the body of a PATCH, whose
// bytes the store's own writer threads put on disk.
class FileStore
{
public:
    FileStore(QString root, FilesConfig config, StoreReader *reader, StoreWriter *writer);
    ~FileStore();
    FileStore(const FileStore &) = delete;
    FileStore &operator=(const FileStore &) = delete;

    // Creates the directories and takes up the uploads left by an earlier run.
    bool open(QString *error);
    const FilesConfig &config() const { return m_config; }
    const QString &root() const { return m_root; }
    QString contentPath(const QString &sha256) const;

    // Blocking (reads the user's usage). POST /uploads.
    std::variant<UploadState, FileRefusal> createUpload(const QString &user, const QString &name,
                                                        qint64 length, qint64 nowMs);
    // Blocking. The upload if it is user's and not complete; nullopt otherwise. An earlier
    // request still writing it is asked to stop, and its bytes on their way go to disk
    // before this answers, so the offset is where the next PATCH must start. (The client
    // sends a new request for an upload only after it gave up on the one before, whose
    // connection the server may not have seen go yet.) Gives up waiting after a few
    // seconds; beginWrite() then says 423.
    std::optional<UploadState> upload(const QString &id, const QString &user);
    // Blocking. DELETE /uploads/<id>: false if it is not user's (or gone, or finishing).
    // Stops an earlier request writing it as upload() does.
    bool cancel(const QString &id, const QString &user);

    // Opens the upload for a PATCH at offset: the write to hand the body to, or why not
    // (404, 409 with the current offset, 423 while another request writes it). One writer
    // at a time, until endWrite().
    std::variant<std::shared_ptr<PartWrite>, FileRefusal>
    beginWrite(const QString &id, const QString &user, qint64 offset, std::function<void()> notify);
    // Ends the PATCH (cut or complete): notify is not called any more. When nothing is
    // pending, the part is closed and the upload unlocked now, and the result is the
    // offset on disk; otherwise a writer thread does so once what is pending went through,
    // and the result is -1.
    qint64 endWrite(const std::shared_ptr<PartWrite> &write);

    // Blocking. Finishes a complete upload: checks the length, syncs it to disk, hashes
    // it, decides its type, makes the thumbnail of an image, keeps the content once and
    // stores the files row with the writer; done gets the stored file (or why not) once
    // the row is committed, on a writer or pool thread. A finished upload answers with its
    // row again.
    using FinishDone = std::function<void(std::variant<StoredFile, FileRefusal>)>;
    void finish(const QString &id, const QString &user, FinishDone done);

    // Blocking. Removes files posted nowhere for longer than the grace period, content no
    // file refers to and uploads left without a byte for too long.
    struct Collected
    {
        int files = 0;
        int contents = 0;
        qint64 bytes = 0; // of content removed
        int uploads = 0;
    };
    Collected collect(qint64 nowMs);

private:
    friend class PartWrite;
    struct Upload
    {
        UploadState state;
        bool writing = false;
        bool finishing = false;
        // The SHA-256 of the part's bytes as they were written in this run; null when it
        // does not cover them (an upload taken up after a restart), and the finish then
        // hashes the part from its first byte.
        std::shared_ptr<PartHash> hash;
        std::weak_ptr<PartWrite> write; // the PATCH writing it, while writing
    };
    QString partPath(const QString &id) const;
    QString metaPath(const QString &id) const;
    void loadUpload(const QString &id);
    // upload() and cancel(): waits, with lock held on m_mutex, until no request writes
    // the upload id, asking the one that does to stop; the upload then, or end().
    QHash<QString, Upload>::iterator settle(std::unique_lock<std::mutex> &lock, const QString &id);
    void forgetUpload(const QString &id);
    // Hashes, types and links the part into the content store; the files row to write.
    // hash: the upload's running SHA-256, if it covers the whole part.
    std::variant<StoreFile, FileRefusal> prepare(const UploadState &upload,
                                                 const std::shared_ptr<PartHash> &hash);
    // Links from into the content store under its SHA-256: sha when the caller has it,
    // else hashed from the file.
    std::optional<QString> storeContent(const QString &from, std::optional<QString> sha,
                                        QString *error);
    // The writer threads: each takes the next stage of a write from m_ready, does one of
    // its chunks and puts it back behind the others while it has more, so uploads (and
    // the two stages of one) share them fairly.
    void startWriters();
    void writerLoop();
    // Closes the part and unlocks the upload; the offset on disk.
    qint64 closePart(PartWrite &write);
    // Content that a finish is adding may not be collected: finishes hold the content
    // store shared, the collector's content sweep holds it alone.
    void enterFinish();
    void leaveFinish();

    QString m_root;
    FilesConfig m_config;
    StoreReader *m_reader;
    StoreWriter *m_writer;
    mutable std::mutex m_mutex;
    std::condition_variable m_changed;
    QHash<QString, Upload> m_uploads;
    int m_finishing = 0;     // finishes between linking their content and their commit
    bool m_sweeping = false; // the collector is removing content

    // PartWrite queues and the writer threads. Never held with m_mutex.
    std::mutex m_writeMutex;
    std::condition_variable m_writeReady;
    std::deque<std::pair<std::shared_ptr<PartWrite>, int>> m_ready; // write, stage
    std::vector<std::thread> m_writers;
    bool m_stopping = false;
};

// The path of content under a file store's root: blobs/<2 hex>/<sha256>.
QString contentPathIn(const QString &root, const QString &sha256);

// What copyContent() did.
struct ContentCopyReport
{
    int copied = 0;      // written to the target and checked against their SHA-256
    int kept = 0;        // at the target already, with the source's size
    qint64 bytes = 0;    // copied
    QStringList missing; // not in the source (sorted)
};

// Blocking. Copies the content named by hashes from one file store's root to another's
// (migrate-store --files-to). Each file is checked against its name, its SHA-256, as it
// is read, then synced and renamed into place, so the target never holds a partial or
// damaged copy and a copy cut short can simply run again (what is at the target already
// with the source's size is kept). Fails on the first content that cannot be read or
// written, or that does not match its hash. Content missing from the source is listed,
// not a failure: the server already answers for those files that their content is gone.
// progress, if set, is called after each content with how many of hashes are done.
bool copyContent(const QSet<QString> &hashes, const QString &fromRoot, const QString &toRoot,
                 ContentCopyReport *report, QString *error,
                 const std::function<void(int done, int total)> &progress = {});

} // namespace confab::server
