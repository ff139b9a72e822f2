#pragma once

#include "files/filesconfig.h"
#include "store/storetypes.h"

#include <QHash>
#include <QSet>
#include <QString>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <variant>

namespace confab::server {

class StoreReader;
class StoreWriter;

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

// The file store on disk and its rules: uploads in progress (uploads/<id>.part with a
// uploads/<id>.json beside it, so they survive a restart), content kept once per SHA-256
// (blobs/<2 hex>/<sha256>), the limits of the [files] section, finishing an upload
// (hash, type, thumbnail, the files row through the writer) and the garbage collector.
//
// Thread-safe: the registry of uploads is behind a mutex. Functions that say "blocking"
// read the store or the disk at length and run on pool threads only; beginWrite() and
// endWrite() are what an I/O thread calls around the body of a PATCH.
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
    // The upload if it is user's and not complete; nullopt otherwise.
    std::optional<UploadState> upload(const QString &id, const QString &user) const;
    // DELETE /uploads/<id>: false if it is not user's (or gone, or being written).
    bool cancel(const QString &id, const QString &user);

    // Opens the upload for a PATCH at offset: a descriptor to append to, or why not (404,
    // 409 with the current offset, 423 while another request writes it). One writer at a
    // time; endWrite() closes the descriptor and returns the offset now on disk.
    std::variant<int, FileRefusal> beginWrite(const QString &id, const QString &user,
                                              qint64 offset);
    qint64 endWrite(const QString &id, int fd);

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
    struct Upload
    {
        UploadState state;
        bool writing = false;
        bool finishing = false;
    };
    QString partPath(const QString &id) const;
    QString metaPath(const QString &id) const;
    void loadUpload(const QString &id);
    void forgetUpload(const QString &id);
    // Hashes, types and links the part into the content store; the files row to write.
    std::variant<StoreFile, FileRefusal> prepare(const UploadState &upload);
    std::optional<QString> storeContent(const QString &from, QString *error);
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
};

} // namespace confab::server
