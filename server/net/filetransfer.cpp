#include "net/filetransfer.h"

#include "auth/credentials.h"
#include "core/clock.h"
#include "files/thumbnailer.h"
#include "logging.h"
#include "net/ioworker.h"
#include "net/session.h"
#include "protocol/codec.h"
#include "protocol/names.h"
#include "store/reader.h"

#include <QDateTime>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTcpSocket>
#include <QUrl>
#include <algorithm>
#include <array>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

namespace confab::server {

using namespace Qt::StringLiterals;

namespace {

constexpr qint64 kChunk = 256 * 1024;          // read from disk per write
constexpr qint64 kSocketBuffered = 256 * 1024; // what QTcpSocket may hold before we wait
// Upload body read from the socket and not yet written and hashed by the file store's
// writer threads: at this much, reading pauses until they catch up (the socket's read
// buffer holds up to 256 KiB more, then TCP holds the rest back).
constexpr qint64 kMaxPending = 2 * 1024 * 1024;

QByteArray pathOf(const wire::HttpRequest &r)
{
    return r.target.split('?').value(0);
}

// "bytes=a-b", "bytes=a-", "bytes=-n" for a file of size bytes: [from, to) or nullopt
// when unsatisfiable; a form this server does not serve (several ranges) is the whole file.
struct Range
{
    qint64 from = 0;
    qint64 to = 0;
    bool partial = false;
};
std::optional<Range> parseRange(const QByteArray &header, qint64 size)
{
    Range whole{0, size, false};
    if (header.isEmpty() || !header.startsWith("bytes=") || header.contains(','))
        return whole;
    const QByteArray spec = header.mid(6).trimmed();
    const qsizetype dash = spec.indexOf('-');
    if (dash < 0)
        return whole;
    bool okFrom = true, okTo = true;
    const QByteArray a = spec.left(dash).trimmed(), b = spec.mid(dash + 1).trimmed();
    if (a.isEmpty()) { // the last n bytes
        const qint64 n = b.toLongLong(&okTo);
        if (!okTo || n <= 0)
            return std::nullopt;
        return Range{std::max<qint64>(0, size - n), size, true};
    }
    const qint64 from = a.toLongLong(&okFrom);
    const qint64 last = b.isEmpty() ? size - 1 : b.toLongLong(&okTo);
    if (!okFrom || !okTo || from < 0)
        return whole;
    if (from >= size)
        return std::nullopt;
    if (last < from)
        return whole;
    return Range{from, std::min(last + 1, size), true};
}

// RFC 6266: an ASCII fallback and the UTF-8 name percent-encoded.
QByteArray dispositionFor(const StoredFile &f)
{
    QByteArray ascii;
    for (const QChar c : f.name)
        ascii += (c.unicode() >= 0x20 && c.unicode() < 0x7f && c != u'"' && c != u'\\')
                     ? char(c.unicode())
                     : '_';
    const bool inlineImage = isSafeInlineImage(f.mime);
    return QByteArray(inlineImage ? "inline" : "attachment") + "; filename=\"" + ascii +
           "\"; filename*=UTF-8''" + QUrl::toPercentEncoding(f.name);
}

QByteArray uploadJson(const UploadState &state, const StoredFile *file)
{
    QJsonObject o{{"id"_L1, state.id},
                  {"offset"_L1, double(file ? file->size : state.offset)},
                  {"length"_L1, double(file ? file->size : state.length)}};
    if (file)
        o.insert("file"_L1, protocol::toJson(file->info()));
    return QJsonDocument(o).toJson(QJsonDocument::Compact) + '\n';
}

void backToTransfer(IoWorker *worker, quint64 sid, std::function<void(FileTransfer *)> fn)
{
    postTo(worker, [worker, sid, fn = std::move(fn)] {
        worker->withSession(sid, [&](Session *s) {
            if (FileTransfer *t = s->transfer())
                fn(t);
        });
    });
}

} // namespace

bool FileTransfer::handles(const wire::HttpRequest &request)
{
    const QByteArray path = pathOf(request);
    return path == "/uploads" || path.startsWith("/uploads/") || path.startsWith("/files/");
}

FileTransfer::Start FileTransfer::startOf(std::string_view firstBytes)
{
    // The request lines of start()'s routes, as far as they decide (a "POST /uploadsX"
    // taken for one is refused as handles() would refuse it, only on another thread).
    static constexpr std::array<std::string_view, 7> kStarts = {
        "PATCH /uploads/",  "POST /uploads", "GET /uploads/", "HEAD /uploads/",
        "DELETE /uploads/", "GET /files/",   "HEAD /files/",
    };
    static_assert(std::all_of(kStarts.begin(), kStarts.end(),
                              [](std::string_view s) { return s.size() <= kStartBytes; }));
    bool unknown = false;
    for (const std::string_view s : kStarts) {
        if (firstBytes.starts_with(s))
            return Start::Transfer;
        unknown = unknown || s.starts_with(firstBytes); // more bytes may make it this one
    }
    return unknown ? Start::Unknown : Start::Other;
}

FileTransfer::FileTransfer(Session *session, wire::HttpRequest request, QByteArray early)
    : m_session(session)
    , m_request(std::move(request))
    , m_early(std::move(early))
{
}

FileTransfer::~FileTransfer()
{
    // A cut connection: whatever was read is still written and counts (the writer thread
    // ends the write after it); the client asks where to go on.
    if (m_write)
        m_session->context()->files->endWrite(m_write);
    if (m_fileFd >= 0)
        ::close(m_fileFd);
}

void FileTransfer::answer(int status, QByteArrayView reason, QByteArrayView contentType,
                          QByteArrayView body, QByteArrayView headers)
{
    m_phase = Phase::Done;
    QByteArray extra = "X-Content-Type-Options: nosniff\r\nCache-Control: no-store\r\n";
    extra.append(headers.data(), headers.size());
    QByteArray response;
    if (status == 204) {
        response = "HTTP/1.1 204 No Content\r\n" + extra + "Connection: close\r\n\r\n";
    } else {
        response = wire::httpResponse(status, reason, contentType, body, extra, m_head);
    }
    m_session->httpAnswered(response);
}

void FileTransfer::refuse(const FileRefusal &r)
{
    QByteArray headers;
    if (r.offset >= 0)
        headers += "Upload-Offset: " + QByteArray::number(r.offset) + "\r\n";
    if (r.status == 401)
        headers += "WWW-Authenticate: Bearer\r\n";
    answer(r.status, r.reason, "application/json", r.json(), headers);
}

void FileTransfer::refuse(int status, const char *reason, const char *code, const QString &message)
{
    FileRefusal r;
    r.status = status;
    r.reason = reason;
    r.code = QLatin1String(code);
    r.message = message;
    refuse(r);
}

void FileTransfer::start()
{
    const QByteArray path = pathOf(m_request);
    const QByteArray &method = m_request.method;
    m_head = method == "HEAD";
    if (path.startsWith("/files/")) {
        m_id = QString::fromLatin1(path.mid(7));
        if (method != "GET" && method != "HEAD")
            return answer(405, "Method Not Allowed", "text/plain", "GET or HEAD only\n",
                          "Allow: GET, HEAD\r\n");
        m_route = Route::Download;
    } else if (path == "/uploads") {
        if (method != "POST")
            return answer(405, "Method Not Allowed", "text/plain", "POST only\n",
                          "Allow: POST\r\n");
        m_route = Route::CreateUpload;
    } else {
        m_id = QString::fromLatin1(path.mid(9));
        if (method == "GET" || method == "HEAD")
            m_route = Route::UploadStatus;
        else if (method == "PATCH")
            m_route = Route::WriteUpload;
        else if (method == "DELETE")
            m_route = Route::CancelUpload;
        else
            return answer(405, "Method Not Allowed", "text/plain",
                          "GET, HEAD, PATCH or DELETE only\n",
                          "Allow: GET, HEAD, PATCH, DELETE\r\n");
    }
    const QByteArray auth = m_request.header("authorization");
    if (!auth.startsWith("Bearer ") || auth.size() <= 7)
        return refuse(401, "Unauthorized", "unauthenticated",
                      u"send the session token as Authorization: Bearer <token>"_s);
    // An id that cannot exist is refused like one that is not the user's (403 for files,
    // 404 for uploads), after the token check, so the answer says nothing more.
    switch (m_route) {
    case Route::CreateUpload:
        return routeCreate();
    case Route::UploadStatus:
        return routeStatus();
    case Route::WriteUpload:
        return routeWrite();
    case Route::CancelUpload:
        return routeCancel();
    case Route::Download:
        return routeDownload();
    }
}

void FileTransfer::withUser(
    std::function<std::function<void(FileTransfer *)>(const StoredUser &)> work)
{
    ServerContext *ctx = m_session->context();
    IoWorker *worker = m_session->worker();
    const quint64 sid = m_session->id();
    const QString token = QString::fromLatin1(m_request.header("authorization").mid(7));
    startOn(ctx->filePool, [ctx, worker, sid, token, work = std::move(work)] {
        QString error;
        const std::optional<StoredUser> user = ctx->reader->userForToken(hashToken(token), &error);
        std::function<void(FileTransfer *)> then;
        if (!error.isEmpty()) {
            then = [](FileTransfer *t) {
                t->refuse(503, "Service Unavailable", "unavailable",
                          u"the store is not available"_s);
            };
        } else if (!user) {
            then = [](FileTransfer *t) {
                t->refuse(401, "Unauthorized", "unauthenticated",
                          u"the token is unknown or revoked; log in again"_s);
            };
        } else {
            std::function<void(FileTransfer *)> result = work(*user);
            then = [name = user->name, result = std::move(result)](FileTransfer *t) {
                t->m_user = name;
                result(t);
            };
        }
        backToTransfer(worker, sid, std::move(then));
    });
}

void FileTransfer::routeCreate()
{
    bool ok = false;
    const qint64 length = m_request.header("upload-length").toLongLong(&ok);
    if (!ok || length < 0)
        return refuse(400, "Bad Request", "bad_request",
                      u"Upload-Length must give the file's size in bytes"_s);
    const QString name = QUrl::fromPercentEncoding(m_request.header("upload-name"));
    if (const QString problem = protocol::fileNameProblem(name); !problem.isEmpty())
        return refuse(400, "Bad Request", "bad_request", u"Upload-Name "_s + problem);
    FileStore *files = m_session->context()->files;
    withUser([files, name, length](const StoredUser &user) -> std::function<void(FileTransfer *)> {
        auto created =
            files->createUpload(user.name, name, length, QDateTime::currentMSecsSinceEpoch());
        return [created = std::move(created)](FileTransfer *t) {
            if (const auto *r = std::get_if<FileRefusal>(&created))
                return t->refuse(*r);
            const UploadState &u = std::get<UploadState>(created);
            t->answer(201, "Created", "application/json", uploadJson(u, nullptr),
                      "Location: /uploads/" + u.id.toLatin1() + "\r\nUpload-Offset: 0\r\n");
        };
    });
}

void FileTransfer::answerUpload(int status, const char *reason, const UploadState &state,
                                const StoredFile *file)
{
    const qint64 offset = file ? file->size : state.offset;
    const qint64 length = file ? file->size : state.length;
    answer(status, reason, "application/json", uploadJson(state, file),
           "Upload-Offset: " + QByteArray::number(offset) +
               "\r\nUpload-Length: " + QByteArray::number(length) + "\r\n");
}

void FileTransfer::routeStatus()
{
    FileStore *files = m_session->context()->files;
    ServerContext *ctx = m_session->context();
    const QString id = m_id;
    withUser([files, ctx, id](const StoredUser &user) -> std::function<void(FileTransfer *)> {
        if (const std::optional<UploadState> u = files->upload(id, user.name))
            return [u = *u](FileTransfer *t) {
                t->answerUpload(200, "OK", u, nullptr);
            };
        QString error;
        const std::optional<StoredFile> f =
            protocol::isValidFileId(id) ? ctx->reader->file(id, &error) : std::nullopt;
        if (f && f->uploader == user.name && !f->thumbOf) {
            return [f = *f](FileTransfer *t) {
                t->answerUpload(200, "OK", UploadState{f.id, f.uploader, f.name, f.size, f.size, 0},
                                &f);
            };
        }
        return [](FileTransfer *t) {
            t->refuse(404, "Not Found", "not_found", u"no such upload"_s);
        };
    });
}

void FileTransfer::routeCancel()
{
    FileStore *files = m_session->context()->files;
    const QString id = m_id;
    withUser([files, id](const StoredUser &user) -> std::function<void(FileTransfer *)> {
        const bool cancelled = files->cancel(id, user.name);
        return [cancelled](FileTransfer *t) {
            if (cancelled)
                t->answer(204, "No Content", "", "");
            else
                t->refuse(404, "Not Found", "not_found",
                          u"no unfinished upload of yours with this id"_s);
        };
    });
}

void FileTransfer::routeWrite()
{
    bool ok = false;
    const qint64 offset = m_request.header("upload-offset").toLongLong(&ok);
    if (!ok || offset < 0)
        return refuse(400, "Bad Request", "bad_request", u"Upload-Offset is required"_s);
    if (!m_request.header("transfer-encoding").isEmpty())
        return refuse(411, "Length Required", "bad_request",
                      u"send the body with a Content-Length"_s);
    const qint64 length = m_request.header("content-length").toLongLong(&ok);
    if (!ok || length < 0)
        return refuse(411, "Length Required", "bad_request", u"Content-Length is required"_s);
    m_remaining = length;
    FileStore *files = m_session->context()->files;
    const QString id = m_id;
    withUser([files, id, offset,
              length](const StoredUser &user) -> std::function<void(FileTransfer *)> {
        const std::optional<UploadState> u = files->upload(id, user.name);
        if (!u) // finished already, or not the user's: the status says which
            return [](FileTransfer *t) {
                t->finishUpload();
            };
        if (offset + length > u->length) {
            return [length = u->length](FileTransfer *t) {
                t->refuse(413, "Content Too Large", "too_large",
                          u"the body goes past the upload's length of %1 bytes"_s.arg(length));
            };
        }
        // Opened back on the I/O thread: a descriptor opened here would leak, and the
        // upload stay locked, if the connection were gone by the time this returns.
        return [files, id, offset, total = u->length](FileTransfer *t) {
            IoWorker *worker = t->m_session->worker();
            const quint64 sid = t->m_session->id();
            auto opened = files->beginWrite(id, t->m_user, offset, [worker, sid] {
                backToTransfer(worker, sid, [](FileTransfer *self) { self->written(); });
            });
            if (const auto *r = std::get_if<FileRefusal>(&opened))
                return t->refuse(*r);
            t->bodyOpened(std::get<std::shared_ptr<PartWrite>>(std::move(opened)), offset, total);
        };
    });
}

void FileTransfer::bodyOpened(std::shared_ptr<PartWrite> write, qint64 offset, qint64 length)
{
    m_write = std::move(write);
    m_offset = offset;
    m_length = length;
    m_phase = Phase::Body;
    body(std::exchange(m_early, {}));
    if (wantsBody())
        m_session->resumeReading();
}

void FileTransfer::body(QByteArray bytes)
{
    if (m_phase == Phase::Lookup) {
        // Until the lookups are done nothing is read (wantsBody()); what came with the
        // head is kept, no more than one read.
        m_early.append(bytes);
        return;
    }
    if (m_phase != Phase::Body)
        return;
    if (bytes.size() > m_remaining)
        bytes.truncate(qsizetype(m_remaining)); // past the Content-Length: not the upload's
    m_remaining -= bytes.size();
    m_pending += bytes.size();
    // Handed over as it is (the socket's own block, not a copy); written on a writer thread.
    m_write->append(std::move(bytes));
    if (m_remaining == 0) {
        m_phase = Phase::Writing;
        if (m_pending == 0)
            bodyDone();
    } else if (m_pending >= kMaxPending) {
        m_paused = true;
    }
}

void FileTransfer::written()
{
    if (!m_write || (m_phase != Phase::Body && m_phase != Phase::Writing))
        return;
    const PartWrite::Progress p = m_write->progress();
    m_offset = p.offset;
    m_pending = p.pending;
    if (p.error) {
        m_writeError = p.error;
        return bodyDone();
    }
    if (p.stop && m_phase == Phase::Body) {
        // A newer request of this user for this upload: nothing more is read (the client
        // has given up on this one); what was read goes to disk, then this one ends.
        m_phase = Phase::Writing;
        m_takenOver = true;
        m_paused = false;
    }
    if (m_phase == Phase::Writing) {
        if (m_pending == 0)
            bodyDone();
        return;
    }
    if (m_paused && m_pending < kMaxPending) {
        m_paused = false;
        m_session->resumeReading();
    }
}

void FileTransfer::bodyDone()
{
    FileStore *files = m_session->context()->files;
    m_phase = Phase::Done;
    // Nothing is queued (the body is written, or a write failed and the rest was dropped),
    // so the part is closed now and this is the offset on disk.
    const qint64 onDisk = files->endWrite(m_write);
    m_write.reset();
    if (onDisk >= 0)
        m_offset = onDisk;
    if (m_writeError) {
        qCWarning(lcNet) << "upload" << m_id << "stopped at" << m_offset << ":"
                         << strerror(m_writeError);
        FileRefusal r;
        r.offset = m_offset;
        if (m_writeError == ENOSPC || m_writeError == EDQUOT) {
            r.status = 507;
            r.reason = "Insufficient Storage";
            r.code = u"unavailable"_s;
            r.message =
                u"the server's disk is full; the upload keeps its first %1 bytes"_s.arg(m_offset);
        } else {
            r.status = 500;
            r.reason = "Internal Server Error";
            r.code = u"internal"_s;
            r.message = u"cannot write the upload"_s;
        }
        return refuse(r);
    }
    if (m_takenOver) {
        FileRefusal r;
        r.status = 409;
        r.reason = "Conflict";
        r.code = u"conflict"_s;
        r.message = u"a newer request for this upload took over at offset %1"_s.arg(m_offset);
        r.offset = m_offset;
        return refuse(r);
    }
    if (m_offset < m_length) {
        return answer(204, "No Content", "", "",
                      "Upload-Offset: " + QByteArray::number(m_offset) + "\r\n");
    }
    finishUpload();
}

void FileTransfer::finishUpload()
{
    m_phase = Phase::Done;
    ServerContext *ctx = m_session->context();
    IoWorker *worker = m_session->worker();
    const quint64 sid = m_session->id();
    const QString id = m_id, user = m_user;
    startOn(ctx->filePool, [ctx, worker, sid, id, user] {
        ctx->files->finish(id, user, [worker, sid, id](std::variant<StoredFile, FileRefusal> r) {
            backToTransfer(worker, sid, [r = std::move(r), id](FileTransfer *t) {
                if (const auto *refusal = std::get_if<FileRefusal>(&r))
                    return t->refuse(*refusal);
                const StoredFile &f = std::get<StoredFile>(r);
                t->answerUpload(201, "Created",
                                UploadState{id, f.uploader, f.name, f.size, f.size, 0}, &f);
            });
        });
    });
}

void FileTransfer::routeDownload()
{
    ServerContext *ctx = m_session->context();
    const QString id = m_id;
    withUser([ctx, id](const StoredUser &user) -> std::function<void(FileTransfer *)> {
        QString error;
        const std::optional<StoredFile> f = protocol::isValidFileId(id)
                                                ? ctx->reader->readableFile(id, user.name, &error)
                                                : std::nullopt;
        if (!error.isEmpty()) {
            return [](FileTransfer *t) {
                t->refuse(503, "Service Unavailable", "unavailable",
                          u"the store is not available"_s);
            };
        }
        if (!f) {
            return [](FileTransfer *t) {
                t->refuse(403, "Forbidden", "forbidden",
                          u"no file with this id is posted in a room of yours"_s);
            };
        }
        // Opened on the I/O thread, for the same reason as an upload's descriptor.
        return [ctx, f = *f](FileTransfer *t) {
            const QByteArray path = QFile::encodeName(ctx->files->contentPath(f.sha256));
            const int fd = ::open(path.constData(), O_RDONLY | O_CLOEXEC);
            if (fd < 0) {
                qCWarning(lcNet) << "file" << f.id << "has no content on disk:" << strerror(errno);
                return t->refuse(500, "Internal Server Error", "internal",
                                 u"the file's content is missing on the server"_s);
            }
            t->startDownload(f, fd);
        };
    });
}

void FileTransfer::startDownload(const StoredFile &f, int fd)
{
    m_fileFd = fd;
    struct stat st
    {
    };
    const qint64 size = ::fstat(fd, &st) == 0 ? qint64(st.st_size) : f.size;
    const std::optional<Range> range = parseRange(m_request.header("range"), size);
    QByteArray head;
    const QByteArray common =
        "ETag: \"" + f.sha256.toLatin1() +
        "\"\r\nAccept-Ranges: bytes\r\n"
        "X-Content-Type-Options: nosniff\r\nCache-Control: private, max-age=31536000, "
        "immutable\r\nContent-Disposition: " +
        dispositionFor(f) + "\r\n" +
        (isSafeInlineImage(f.mime) ? QByteArray() : "Content-Security-Policy: sandbox\r\n");
    if (!range) {
        return answer(416, "Range Not Satisfiable", "text/plain", "range not satisfiable\n",
                      "Content-Range: bytes */" + QByteArray::number(size) + "\r\n");
    }
    m_sendAt = range->from;
    m_sendEnd = range->to;
    head = range->partial ? "HTTP/1.1 206 Partial Content\r\n" : "HTTP/1.1 200 OK\r\n";
    head += "Content-Type: " + f.mime.toLatin1() +
            "\r\nContent-Length: " + QByteArray::number(m_sendEnd - m_sendAt) + "\r\n";
    if (range->partial)
        head += "Content-Range: bytes " + QByteArray::number(range->from) + '-' +
                QByteArray::number(range->to - 1) + '/' + QByteArray::number(size) + "\r\n";
    head += common + "Connection: close\r\n\r\n";
    m_phase = Phase::Sending;
    m_session->socket()->write(head);
    if (m_head)
        m_sendEnd = m_sendAt;
    sendChunks();
}

void FileTransfer::drained()
{
    if (m_phase == Phase::Sending)
        sendChunks();
}

void FileTransfer::sendChunks()
{
    QTcpSocket *socket = m_session->socket();
    thread_local std::array<char, kChunk> buffer;
    while (m_sendAt < m_sendEnd && socket->bytesToWrite() < kSocketBuffered) {
        const ssize_t n = ::pread(m_fileFd, buffer.data(),
                                  size_t(std::min<qint64>(kChunk, m_sendEnd - m_sendAt)), m_sendAt);
        if (n <= 0) {
            qCWarning(lcNet) << "download of" << m_id << "cut: cannot read at" << m_sendAt;
            m_phase = Phase::Done;
            m_session->abort();
            return;
        }
        m_sendAt += n;
        m_session->writeOutRaw(QByteArrayView(buffer.data(), n));
    }
    if (m_sendAt >= m_sendEnd) {
        m_phase = Phase::Done;
        ::close(m_fileFd);
        m_fileFd = -1;
        m_session->transferSent();
    }
}

} // namespace confab::server
