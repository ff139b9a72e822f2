#include "files/filestore.h"

#include "auth/credentials.h"
#include "files/thumbnailer.h"
#include "logging.h"
#include "protocol/names.h"
#include "store/reader.h"
#include "store/writer.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMimeDatabase>
#include <QSaveFile>
#include <chrono>
#include <fcntl.h>
#include <future>
#include <openssl/evp.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

namespace confab::server {

using namespace Qt::StringLiterals;

namespace {

constexpr qsizetype kHashChunk = 1 << 20;
// Threads that write upload bodies to their parts and hash them: with two, one upload's
// writing and hashing run at once (the write stage is what bounds it), and two uploads
// share them.
constexpr int kWriterThreads = 2;
// How long a request waits for an earlier one of the same upload to stop writing it.
constexpr std::chrono::seconds kTakeOver{5};
// A part's writeback is started every time this much more of it was written, so the
// fsync of the finish has only the tail left to wait for.
constexpr qint64 kWriteBehind = 8 * 1024 * 1024;

FileRefusal refusal(int status, const char *reason, const char *code, const QString &message)
{
    FileRefusal r;
    r.status = status;
    r.reason = reason;
    r.code = QLatin1String(code);
    r.message = message;
    return r;
}

FileRefusal diskRefusal(int error, const QString &what)
{
    if (error == ENOSPC || error == EDQUOT)
        return refusal(507, "Insufficient Storage", "unavailable",
                       u"the server's disk is full (%1); nothing stored was lost"_s.arg(what));
    return refusal(500, "Internal Server Error", "internal",
                   u"%1: %2"_s.arg(what, QString::fromLocal8Bit(strerror(error))));
}

qint64 fileSize(const QString &path)
{
    struct stat st
    {
    };
    return ::stat(QFile::encodeName(path).constData(), &st) == 0 ? qint64(st.st_size) : -1;
}

bool syncPath(const QString &path, bool directory)
{
    const int fd = ::open(QFile::encodeName(path).constData(),
                          directory ? O_RDONLY | O_DIRECTORY : O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    const bool ok = ::fsync(fd) == 0;
    ::close(fd);
    return ok;
}

QString hexOf(EVP_MD_CTX *ctx)
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_DigestFinal_ex(ctx, digest, &length);
    return QString::fromLatin1(
        QByteArray(reinterpret_cast<const char *>(digest), int(length)).toHex());
}

// The lowercase hex SHA-256 of a file (OpenSSL: several times the speed of Qt's own).
// With copyTo, the bytes read are also written to a new file there (mode 0600, synced),
// which is removed again when anything fails. nullopt with *error set on failure.
std::optional<QString> hashFile(const QString &from, const QString &copyTo, QString *error)
{
    QString problem;
    const auto failed = [&problem](const QString &path, const char *what) {
        if (problem.isEmpty())
            problem = u"cannot %1 %2: %3"_s.arg(QLatin1String(what), path,
                                                QString::fromLocal8Bit(strerror(errno)));
    };
    const QByteArray toName = QFile::encodeName(copyTo);
    const int in = ::open(QFile::encodeName(from).constData(), O_RDONLY | O_CLOEXEC);
    if (in < 0) {
        failed(from, "read");
        *error = problem;
        return std::nullopt;
    }
    ::posix_fadvise(in, 0, 0, POSIX_FADV_SEQUENTIAL);
    const int out = copyTo.isEmpty() ? -1
                                     : ::open(toName.constData(),
                                              O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0600);
    if (!copyTo.isEmpty() && out < 0)
        failed(copyTo, "write");
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
    QByteArray buffer(kHashChunk, Qt::Uninitialized);
    while (problem.isEmpty()) {
        const ssize_t n = ::read(in, buffer.data(), size_t(buffer.size()));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            failed(from, "read");
        if (n <= 0)
            break;
        EVP_DigestUpdate(ctx, buffer.constData(), size_t(n));
        for (ssize_t done = 0; out >= 0 && done < n && problem.isEmpty();) {
            const ssize_t w = ::write(out, buffer.constData() + done, size_t(n - done));
            if (w < 0 && errno != EINTR)
                failed(copyTo, "write");
            done += std::max<ssize_t>(w, 0);
        }
    }
    const QString sha = hexOf(ctx);
    EVP_MD_CTX_free(ctx);
    ::close(in);
    if (out >= 0) {
        if (problem.isEmpty() && ::fsync(out) != 0)
            failed(copyTo, "write");
        if (::close(out) != 0)
            failed(copyTo, "write");
        if (!problem.isEmpty())
            ::unlink(toName.constData());
    }
    if (!problem.isEmpty()) {
        *error = problem;
        return std::nullopt;
    }
    return sha;
}

// The type from the bytes first: a name says what its uploader wants it taken for, the
// content what it is. The name decides only when the content says nothing.
QString mimeOf(const QString &path, const QString &name)
{
    static const QMimeDatabase db;
    QFile file(path);
    QByteArray head;
    if (file.open(QIODevice::ReadOnly))
        head = file.read(16 * 1024);
    const QMimeType byData = db.mimeTypeForData(head);
    if (byData.isValid() && !byData.isDefault() && byData.name() != "text/plain"_L1)
        return byData.name();
    const QMimeType byName = db.mimeTypeForFile(name, QMimeDatabase::MatchExtension);
    // An image type the bytes do not bear out would be served inline: not from a name.
    if (byName.isValid() && !byName.isDefault() && !isSafeInlineImage(byName.name()))
        return byName.name();
    return byData.isValid() ? byData.name() : u"application/octet-stream"_s;
}

} // namespace

// An upload's SHA-256 fed with its bytes as they are written (by the hash stage of one
// PartWrite at a time: the upload's writing flag is its lock).
struct PartHash
{
    PartHash() { EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr); }
    ~PartHash() { EVP_MD_CTX_free(ctx); }
    PartHash(const PartHash &) = delete;
    PartHash &operator=(const PartHash &) = delete;

    // The digest of what was fed so far; the running state goes on unchanged.
    std::optional<QString> hex() const
    {
        EVP_MD_CTX *copy = EVP_MD_CTX_new();
        std::optional<QString> sha;
        if (copy && EVP_MD_CTX_copy_ex(copy, ctx) == 1)
            sha = hexOf(copy);
        EVP_MD_CTX_free(copy);
        return sha;
    }

    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    qint64 length = 0; // bytes fed
};

PartWrite::PartWrite(FileStore *store, QString id, int fd, qint64 offset,
                     std::shared_ptr<PartHash> hash, std::function<void()> notify)
    : m_store(store)
    , m_id(std::move(id))
    , m_fd(fd)
    , m_begin(offset)
    , m_hash(std::move(hash))
    , m_at(offset)
    , m_syncedTo(offset)
    , m_notify(std::move(notify))
{
}

PartWrite::~PartWrite()
{
    if (m_fd >= 0) // never ended: the store is going away
        ::close(m_fd);
}

void PartWrite::append(QByteArray bytes)
{
    if (bytes.isEmpty())
        return;
    std::lock_guard lock(m_store->m_writeMutex);
    if (m_error || m_ended)
        return;
    m_pending += bytes.size();
    Stage &stage = m_stages[Write];
    stage.chunks.push_back(std::move(bytes));
    if (stage.scheduled)
        return;
    stage.scheduled = true;
    m_store->m_ready.emplace_back(shared_from_this(), Write);
    m_store->m_writeReady.notify_one();
}

PartWrite::Progress PartWrite::progress()
{
    std::lock_guard lock(m_store->m_writeMutex);
    m_notified = false;
    return Progress{m_begin + m_written, m_pending, m_error, m_stop};
}

void PartWrite::requestStop()
{
    std::lock_guard lock(m_store->m_writeMutex);
    if (m_ended || m_stop)
        return;
    m_stop = true;
    if (m_notify && !m_notified) {
        m_notified = true;
        m_notify();
    }
}

qint64 PartWrite::writeChunk(const QByteArray &chunk, int *error)
{
    const char *p = chunk.constData();
    qint64 done = 0;
    while (done < chunk.size()) {
        const ssize_t n = ::write(m_fd, p + done, size_t(chunk.size() - done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            *error = n < 0 ? errno : ENOSPC;
            break;
        }
        done += n;
    }
    m_at += done;
    if (m_at - m_syncedTo >= kWriteBehind) {
        // Asynchronous: the pages go to the disk while the rest arrives.
        ::sync_file_range(m_fd, m_syncedTo, m_at - m_syncedTo, SYNC_FILE_RANGE_WRITE);
        m_syncedTo = m_at;
    }
    return done;
}

QByteArray FileRefusal::json() const
{
    QJsonObject o{{"error"_L1, code}, {"message"_L1, message}};
    if (limit >= 0)
        o.insert("limit"_L1, limit);
    if (offset >= 0)
        o.insert("offset"_L1, offset);
    return QJsonDocument(o).toJson(QJsonDocument::Compact) + '\n';
}

FileStore::FileStore(QString root, FilesConfig config, StoreReader *reader, StoreWriter *writer)
    : m_root(std::move(root))
    , m_config(std::move(config))
    , m_reader(reader)
    , m_writer(writer)
{
}

FileStore::~FileStore()
{
    // What is queued is written first: every write was ended by then (the sessions that
    // made them are gone), so this only waits for the disk.
    {
        std::lock_guard lock(m_writeMutex);
        m_stopping = true;
    }
    m_writeReady.notify_all();
    for (std::thread &t : m_writers)
        t.join();
}

QString FileStore::partPath(const QString &id) const
{
    return m_root + u"/uploads/"_s + id + u".part"_s;
}

QString FileStore::metaPath(const QString &id) const
{
    return m_root + u"/uploads/"_s + id + u".json"_s;
}

QString contentPathIn(const QString &root, const QString &sha256)
{
    return root + u"/blobs/"_s + sha256.left(2) + u'/' + sha256;
}

QString FileStore::contentPath(const QString &sha256) const
{
    return contentPathIn(m_root, sha256);
}

bool FileStore::open(QString *error)
{
    for (const char *sub : {"uploads", "blobs"}) {
        const QString dir = m_root + u'/' + QLatin1String(sub);
        if (!QDir().mkpath(dir)) {
            *error = u"cannot create the file store directory %1"_s.arg(dir);
            return false;
        }
    }
    QFile::setPermissions(m_root, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
    const QStringList metas =
        QDir(m_root + u"/uploads"_s).entryList({u"*.json"_s}, QDir::Files, QDir::Name);
    for (const QString &meta : metas)
        loadUpload(meta.chopped(5));
    if (!m_uploads.isEmpty())
        qCInfo(lcStore) << "file store: took up" << m_uploads.size() << "unfinished uploads";
    return true;
}

void FileStore::loadUpload(const QString &id)
{
    QFile meta(metaPath(id));
    if (!protocol::isValidFileId(id) || !meta.open(QIODevice::ReadOnly))
        return;
    const QJsonObject o = QJsonDocument::fromJson(meta.readAll()).object();
    UploadState u;
    u.id = id;
    u.user = o.value("user"_L1).toString();
    u.name = o.value("name"_L1).toString();
    u.length = qint64(o.value("length"_L1).toDouble(-1));
    u.createdAt = qint64(o.value("created_at"_L1).toDouble());
    u.offset = fileSize(partPath(id));
    if (u.user.isEmpty() || u.name.isEmpty() || u.length < 0 || u.offset < 0) {
        qCWarning(lcStore) << "file store: ignoring the unreadable upload" << id;
        return;
    }
    m_uploads.insert(id, Upload{u, false, false, nullptr, {}});
}

std::variant<UploadState, FileRefusal>
FileStore::createUpload(const QString &user, const QString &name, qint64 length, qint64 nowMs)
{
    if (const QString problem = protocol::fileNameProblem(name); !problem.isEmpty())
        return refusal(400, "Bad Request", "bad_request", u"Upload-Name "_s + problem);
    if (length > m_config.maxFileBytes) {
        FileRefusal r = refusal(413, "Content Too Large", "too_large",
                                u"the file is larger than this server's limit of %1 bytes"_s.arg(
                                    m_config.maxFileBytes));
        r.limit = m_config.maxFileBytes;
        return r;
    }
    QString error;
    const FileUsage usage =
        m_config.quotaBytes > 0 ? m_reader->fileUsage(user, &error) : FileUsage{user, 0, 0};
    if (!error.isEmpty())
        return refusal(503, "Service Unavailable", "unavailable", u"the store is not available"_s);
    UploadState u;
    u.id = randomHexId();
    u.user = user;
    u.name = name;
    u.length = length;
    u.createdAt = nowMs;
    {
        std::lock_guard lock(m_mutex);
        int inFlight = 0;
        qint64 reserved = 0;
        for (const Upload &up : std::as_const(m_uploads)) {
            if (up.state.user == user) {
                ++inFlight;
                reserved += up.state.length;
            }
        }
        if (inFlight >= m_config.maxUploadsInFlight) {
            FileRefusal r = refusal(
                429, "Too Many Requests", "rate_limited",
                u"%1 uploads are not finished yet; finish or cancel one first"_s.arg(inFlight));
            r.limit = m_config.maxUploadsInFlight;
            return r;
        }
        if (m_config.quotaBytes > 0 && usage.bytes + reserved + length > m_config.quotaBytes) {
            FileRefusal r =
                refusal(413, "Content Too Large", "too_large",
                        u"the file would take you over your quota of %1 bytes (%2 used)"_s
                            .arg(m_config.quotaBytes)
                            .arg(usage.bytes + reserved));
            r.limit = m_config.quotaBytes;
            return r;
        }
        // Reserved at once, so that parallel requests count each other.
        m_uploads.insert(u.id, Upload{u, true, false, nullptr, {}});
    }
    const QByteArray part = QFile::encodeName(partPath(u.id));
    const int fd = ::open(part.constData(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
    const int openError = errno;
    if (fd >= 0)
        ::close(fd);
    QSaveFile meta(metaPath(u.id));
    const QJsonObject o{{"user"_L1, user},
                        {"name"_L1, name},
                        {"length"_L1, double(length)},
                        {"created_at"_L1, double(nowMs)}};
    const bool written = fd >= 0 && meta.open(QIODevice::WriteOnly) &&
                         meta.write(QJsonDocument(o).toJson(QJsonDocument::Compact)) > 0 &&
                         meta.commit();
    if (!written) {
        const int why = fd < 0 ? openError : (meta.error() == QFile::ResourceError ? ENOSPC : EIO);
        forgetUpload(u.id);
        return diskRefusal(why, u"cannot start the upload"_s);
    }
    {
        std::lock_guard lock(m_mutex);
        m_uploads[u.id].writing = false;
    }
    m_changed.notify_all();
    return u;
}

QHash<QString, FileStore::Upload>::iterator FileStore::settle(std::unique_lock<std::mutex> &lock,
                                                              const QString &id)
{
    const auto deadline = std::chrono::steady_clock::now() + kTakeOver;
    auto it = m_uploads.find(id);
    while (it != m_uploads.end() && it->writing) {
        if (std::shared_ptr<PartWrite> w = it->write.lock()) {
            lock.unlock(); // m_writeMutex is never taken with m_mutex held
            w->requestStop();
            w.reset();
            lock.lock();
        }
        if (m_changed.wait_until(lock, deadline) == std::cv_status::timeout) {
            it = m_uploads.find(id);
            break;
        }
        it = m_uploads.find(id);
    }
    return it;
}

std::optional<UploadState> FileStore::upload(const QString &id, const QString &user)
{
    std::unique_lock lock(m_mutex);
    const auto it = settle(lock, id);
    if (it == m_uploads.end() || it->state.user != user)
        return std::nullopt;
    return it->state;
}

bool FileStore::cancel(const QString &id, const QString &user)
{
    {
        std::unique_lock lock(m_mutex);
        const auto it = settle(lock, id);
        if (it == m_uploads.end() || it->state.user != user || it->writing || it->finishing)
            return false;
        it->finishing = true; // no request takes it up while its files go
    }
    forgetUpload(id);
    return true;
}

void FileStore::forgetUpload(const QString &id)
{
    QFile::remove(metaPath(id));
    QFile::remove(partPath(id));
    {
        std::lock_guard lock(m_mutex);
        m_uploads.remove(id);
    }
    m_changed.notify_all();
}

std::variant<std::shared_ptr<PartWrite>, FileRefusal>
FileStore::beginWrite(const QString &id, const QString &user, qint64 offset,
                      std::function<void()> notify)
{
    int fd = -1;
    std::shared_ptr<PartHash> hash;
    {
        std::lock_guard lock(m_mutex);
        const auto it = m_uploads.find(id);
        if (it == m_uploads.end() || it->state.user != user)
            return refusal(404, "Not Found", "not_found", u"no such upload"_s);
        if (it->writing || it->finishing) {
            FileRefusal r = refusal(423, "Locked", "conflict",
                                    u"another request is writing this upload; retry"_s);
            r.offset = it->state.offset;
            return r;
        }
        if (offset != it->state.offset) {
            FileRefusal r =
                refusal(409, "Conflict", "conflict",
                        u"the upload is at offset %1, not %2"_s.arg(it->state.offset).arg(offset));
            r.offset = it->state.offset;
            return r;
        }
        fd = ::open(QFile::encodeName(partPath(id)).constData(), O_WRONLY | O_APPEND | O_CLOEXEC);
        if (fd < 0)
            return diskRefusal(errno, u"cannot open the upload"_s);
        it->writing = true;
        // The running hash goes on where it stopped; at byte 0 a new one starts. One that
        // does not reach this offset (none after a restart) is not fed: the finish hashes
        // the part from its first byte instead.
        if (!it->hash || it->hash->length != offset)
            it->hash = offset == 0 ? std::make_shared<PartHash>() : nullptr;
        hash = it->hash;
    }
    {
        std::lock_guard lock(m_writeMutex);
        startWriters();
    }
    auto write =
        std::make_shared<PartWrite>(this, id, fd, offset, std::move(hash), std::move(notify));
    std::lock_guard lock(m_mutex);
    if (const auto it = m_uploads.find(id); it != m_uploads.end())
        it->write = write;
    return write;
}

qint64 FileStore::endWrite(const std::shared_ptr<PartWrite> &write)
{
    {
        std::lock_guard lock(m_writeMutex);
        write->m_notify = nullptr;
        write->m_ended = true;
        if (write->busy())
            return -1; // a writer thread closes it after the last chunk
    }
    return closePart(*write);
}

qint64 FileStore::closePart(PartWrite &write)
{
    ::close(write.m_fd);
    write.m_fd = -1;
    const qint64 size = fileSize(partPath(write.m_id));
    qint64 offset = size;
    {
        std::lock_guard lock(m_mutex);
        const auto it = m_uploads.find(write.m_id);
        if (it == m_uploads.end())
            return size;
        it->writing = false;
        it->write.reset();
        if (size >= 0)
            it->state.offset = size;
        // The running hash stands for the part only if it covers it to the byte, and no
        // write failed (what a failed write left on disk is not known).
        if (it->hash && (write.m_hashFailed || it->hash->length != it->state.offset))
            it->hash.reset();
        offset = it->state.offset;
    }
    m_changed.notify_all(); // settle() waits for this
    return offset;
}

void FileStore::startWriters()
{
    if (!m_writers.empty())
        return;
    for (int i = 0; i < kWriterThreads; ++i) {
        m_writers.emplace_back([this] {
            ::pthread_setname_np(::pthread_self(), "file-writer");
            writerLoop();
        });
    }
}

void FileStore::writerLoop()
{
    std::unique_lock lock(m_writeMutex);
    for (;;) {
        m_writeReady.wait(lock, [this] { return m_stopping || !m_ready.empty(); });
        if (m_ready.empty())
            return; // stopping, and everything appended went through
        auto [w, id] = std::move(m_ready.front());
        m_ready.pop_front();
        PartWrite::Stage &stage = w->m_stages[id];
        if (!stage.chunks.empty()) {
            QByteArray chunk = std::move(stage.chunks.front());
            stage.chunks.pop_front();
            lock.unlock();
            int error = 0;
            qint64 written = 0;
            if (id == PartWrite::Write) {
                written = w->writeChunk(chunk, &error);
            } else {
                EVP_DigestUpdate(w->m_hash->ctx, chunk.constData(), size_t(chunk.size()));
                w->m_hash->length += chunk.size();
            }
            lock.lock();
            if (id == PartWrite::Hash) {
                w->m_pending -= chunk.size();
            } else if (error) {
                w->m_written += written;
                w->m_error = error;
                // The PATCH ends here: what came later is not written, and the hash is
                // given up (the finish hashes the part).
                w->m_pending -= chunk.size();
                for (const QByteArray &later : std::as_const(stage.chunks))
                    w->m_pending -= later.size();
                stage.chunks.clear();
                w->m_hashFailed = true;
            } else {
                w->m_written += written;
                if (!w->m_hash || w->m_hashFailed) {
                    w->m_pending -= chunk.size();
                } else {
                    PartWrite::Stage &hash = w->m_stages[PartWrite::Hash];
                    hash.chunks.push_back(std::move(chunk));
                    if (!hash.scheduled) {
                        hash.scheduled = true;
                        m_ready.emplace_back(w, PartWrite::Hash);
                        m_writeReady.notify_one();
                    }
                }
            }
            if (w->m_notify && !w->m_notified) {
                w->m_notified = true;
                w->m_notify();
            }
        }
        if (!stage.chunks.empty()) {
            m_ready.emplace_back(std::move(w), id); // behind the others' next chunks
            continue;
        }
        stage.scheduled = false;
        if (w->m_ended && !w->busy()) {
            lock.unlock();
            closePart(*w);
            w.reset();
            lock.lock();
        }
    }
}

void FileStore::enterFinish()
{
    std::unique_lock lock(m_mutex);
    m_changed.wait(lock, [this] { return !m_sweeping; });
    ++m_finishing;
}

void FileStore::leaveFinish()
{
    {
        std::lock_guard lock(m_mutex);
        --m_finishing;
    }
    m_changed.notify_all();
}

std::optional<QString> FileStore::storeContent(const QString &from, std::optional<QString> sha,
                                               QString *error)
{
    if (!sha)
        sha = hashFile(from, {}, error);
    if (!sha)
        return std::nullopt;
    const QString target = contentPath(*sha);
    const QString dir = target.section(u'/', 0, -2);
    if (!QDir().mkpath(dir)) {
        *error = u"cannot create %1"_s.arg(dir);
        return std::nullopt;
    }
    // A hard link: the bytes are written once, and content that is there already (the
    // same file uploaded again) is kept as it is.
    if (::link(QFile::encodeName(from).constData(), QFile::encodeName(target).constData()) != 0 &&
        errno != EEXIST) {
        *error = QString::fromLocal8Bit(strerror(errno));
        return std::nullopt;
    }
    syncPath(dir, true);
    return sha;
}

std::variant<StoreFile, FileRefusal> FileStore::prepare(const UploadState &upload,
                                                        const std::shared_ptr<PartHash> &hash)
{
    const QString part = partPath(upload.id);
    if (!syncPath(part, false))
        return diskRefusal(errno, u"cannot sync the upload"_s);
    QString error;
    std::optional<QString> known;
    if (hash && hash->length == upload.length)
        known = hash->hex();
    else
        qCDebug(lcStore) << "file store: hashing" << upload.id << "from its first byte";
    const std::optional<QString> sha = storeContent(part, known, &error);
    if (!sha)
        return refusal(500, "Internal Server Error", "internal",
                       u"cannot store the upload: %1"_s.arg(error));
    StoreFile op;
    StoredFile &f = op.file;
    f.id = upload.id;
    f.sha256 = *sha;
    f.size = upload.length;
    f.name = upload.name;
    f.uploader = upload.user;
    f.createdAt = upload.createdAt;
    f.mime = mimeOf(part, upload.name);
    if (!isSafeInlineImage(f.mime))
        return op;
    const ThumbnailLimits limits{m_config.thumbnailPx, m_config.thumbnailMaxPixels, 256};
    QString why;
    const std::optional<ImagePreview> preview = makeImagePreview(part, limits, &why);
    if (!preview) {
        qCInfo(lcStore).noquote() << "file store: no thumbnail for" << f.id << why;
        return op;
    }
    const QString thumbPath = m_root + u"/uploads/"_s + f.id + u".thumb"_s;
    QSaveFile thumb(thumbPath);
    if (!thumb.open(QIODevice::WriteOnly) || thumb.write(preview->thumbnail) < 0 || !thumb.commit())
        return diskRefusal(ENOSPC, u"cannot write the thumbnail"_s);
    const std::optional<QString> thumbSha = storeContent(thumbPath, std::nullopt, &error);
    QFile::remove(thumbPath);
    if (!thumbSha)
        return refusal(500, "Internal Server Error", "internal",
                       u"cannot store the thumbnail: %1"_s.arg(error));
    StoredFile t;
    t.id = randomHexId();
    t.sha256 = *thumbSha;
    t.size = preview->thumbnail.size();
    t.mime = preview->thumbnailMime;
    t.name = u"thumbnail"_s + (t.mime == "image/png"_L1 ? u".png"_s : u".jpg"_s);
    t.uploader = upload.user;
    t.createdAt = upload.createdAt;
    t.thumbOf = f.id;
    f.width = preview->width;
    f.height = preview->height;
    f.thumb = t.id;
    op.thumbnail = t;
    return op;
}

void FileStore::finish(const QString &id, const QString &user, FinishDone done)
{
    UploadState state;
    std::shared_ptr<PartHash> hash;
    {
        std::unique_lock lock(m_mutex);
        const auto it = m_uploads.find(id);
        if (it == m_uploads.end() || it->state.user != user) {
            lock.unlock();
            QString error;
            const std::optional<StoredFile> stored = m_reader->file(id, &error);
            if (stored && stored->uploader == user && !stored->thumbOf)
                return done(*stored);
            if (!error.isEmpty())
                return done(refusal(503, "Service Unavailable", "unavailable",
                                    u"the store is not available"_s));
            return done(refusal(404, "Not Found", "not_found", u"no such upload"_s));
        }
        if (it->writing || it->finishing)
            return done(refusal(423, "Locked", "conflict",
                                u"another request is writing this upload; retry"_s));
        if (it->state.offset != it->state.length) {
            FileRefusal r = refusal(
                409, "Conflict", "conflict",
                u"the upload has %1 of %2 bytes"_s.arg(it->state.offset).arg(it->state.length));
            r.offset = it->state.offset;
            return done(r);
        }
        it->finishing = true;
        state = it->state;
        hash = it->hash;
    }
    enterFinish();
    std::variant<StoreFile, FileRefusal> prepared = prepare(state, hash);
    if (auto *r = std::get_if<FileRefusal>(&prepared)) {
        leaveFinish();
        {
            std::lock_guard lock(m_mutex);
            if (const auto it = m_uploads.find(id); it != m_uploads.end())
                it->finishing = false;
        }
        return done(*r);
    }
    StoreFile op = std::get<StoreFile>(std::move(prepared));
    const StoredFile file = op.file;
    m_writer->enqueue(std::move(op), [this, file, done = std::move(done)](WriteStatus s) {
        leaveFinish();
        if (s == WriteStatus::Failed) {
            {
                std::lock_guard lock(m_mutex);
                if (const auto it = m_uploads.find(file.id); it != m_uploads.end())
                    it->finishing = false;
            }
            return done(refusal(503, "Service Unavailable", "unavailable",
                                u"the store did not take the file; retry"_s));
        }
        // Committed, or committed by an earlier run that stopped before forgetting the
        // upload (Conflict on the id): either way the row is there, the part is not needed.
        forgetUpload(file.id);
        done(file);
    });
}

FileStore::Collected FileStore::collect(qint64 nowMs)
{
    Collected c;
    const qint64 cutoff = nowMs - m_config.gcGraceSeconds * 1000;
    QString error;
    const QList<StoredFile> candidates = m_reader->collectableFiles(cutoff, 1000, &error);
    for (const StoredFile &f : candidates) {
        std::promise<WriteStatus> status;
        m_writer->enqueue(DeleteFile{f.id, cutoff},
                          [&status](WriteStatus s) { status.set_value(s); });
        if (status.get_future().get() == WriteStatus::Committed)
            ++c.files;
    }

    // Content: what no row names any more. Finishes wait meanwhile, so content linked but
    // not yet committed is never taken for unreferenced.
    {
        std::unique_lock lock(m_mutex);
        m_sweeping = true;
        m_changed.wait(lock, [this] { return m_finishing == 0; });
    }
    const QSet<QString> live = m_reader->storedContent(&error);
    if (error.isEmpty()) {
        QDir blobs(m_root + u"/blobs"_s);
        const QStringList prefixes = blobs.entryList(QDir::Dirs | QDir::NoDotAndDotDot);
        for (const QString &prefix : prefixes) {
            QDir dir(blobs.filePath(prefix));
            const QFileInfoList files = dir.entryInfoList(QDir::Files);
            for (const QFileInfo &blob : files) {
                if (live.contains(blob.fileName()))
                    continue;
                const qint64 size = blob.size();
                if (QFile::remove(blob.filePath())) {
                    ++c.contents;
                    c.bytes += size;
                }
            }
        }
    } else {
        qCWarning(lcStore) << "file store: collector could not read the store:" << error;
    }
    {
        std::lock_guard lock(m_mutex);
        m_sweeping = false;
    }
    m_changed.notify_all();

    // Uploads nobody wrote to for too long.
    QStringList expired;
    {
        std::lock_guard lock(m_mutex);
        for (const Upload &u : std::as_const(m_uploads)) {
            if (u.writing || u.finishing)
                continue;
            const QFileInfo part(partPath(u.state.id));
            const qint64 touched =
                part.exists() ? part.lastModified().toMSecsSinceEpoch() : u.state.createdAt;
            if (touched < nowMs - m_config.uploadExpirySeconds * 1000)
                expired.append(u.state.id);
        }
    }
    for (const QString &id : std::as_const(expired))
        forgetUpload(id);
    c.uploads = int(expired.size());
    if (c.files || c.contents || c.uploads)
        qCInfo(lcStore) << "file store: collected" << c.files << "files," << c.contents
                        << "contents (" << c.bytes << "bytes)," << c.uploads << "stale uploads";
    return c;
}

bool copyContent(const QSet<QString> &hashes, const QString &fromRoot, const QString &toRoot,
                 ContentCopyReport *report, QString *error,
                 const std::function<void(int done, int total)> &progress)
{
    QStringList sorted(hashes.cbegin(), hashes.cend());
    sorted.sort();
    int done = 0;
    for (const QString &sha : std::as_const(sorted)) {
        const QString from = contentPathIn(fromRoot, sha), to = contentPathIn(toRoot, sha);
        struct stat source = {};
        if (::stat(QFile::encodeName(from).constData(), &source) != 0) {
            if (errno != ENOENT) {
                *error = u"cannot read %1: %2"_s.arg(from, QString::fromLocal8Bit(strerror(errno)));
                return false;
            }
            report->missing.append(sha);
        } else if (struct stat there = {}; ::stat(QFile::encodeName(to).constData(), &there) == 0 &&
                                           there.st_size == source.st_size) {
            ++report->kept;
        } else {
            const QString dir = to.section(u'/', 0, -2);
            if (!QDir().mkpath(dir)) {
                *error = u"cannot create %1"_s.arg(dir);
                return false;
            }
            const QString partial = to + u".copy"_s;
            const std::optional<QString> got = hashFile(from, partial, error);
            if (!got)
                return false;
            if (*got != sha) {
                QFile::remove(partial);
                *error =
                    u"the content %1 in %2 does not match its SHA-256 (%3): damaged on disk"_s.arg(
                        sha, fromRoot, *got);
                return false;
            }
            if (::rename(QFile::encodeName(partial).constData(),
                         QFile::encodeName(to).constData()) != 0) {
                *error = u"cannot write %1: %2"_s.arg(to, QString::fromLocal8Bit(strerror(errno)));
                QFile::remove(partial);
                return false;
            }
            ++report->copied;
            report->bytes += source.st_size;
        }
        if (progress)
            progress(++done, int(sorted.size()));
    }
    // The renames (and the directories made) reach the disk too.
    if (report->copied > 0) {
        const int fd = ::open(QFile::encodeName(toRoot).constData(), O_RDONLY | O_CLOEXEC);
        if (fd < 0 || ::syncfs(fd) != 0) {
            *error = u"cannot sync %1: %2"_s.arg(toRoot, QString::fromLocal8Bit(strerror(errno)));
            if (fd >= 0)
                ::close(fd);
            return false;
        }
        ::close(fd);
    }
    return true;
}

} // namespace confab::server
