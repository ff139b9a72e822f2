#pragma once

#include "files/filestore.h"
#include "wire/handshake.h"

#include <QByteArray>
#include <QString>
#include <string_view>

namespace confab::server {

class Session;

// One HTTP request for a file on a session's connection: POST, GET, HEAD, PATCH and
// DELETE of /uploads and GET and HEAD of /files/<id>. The token and the store are looked
// up on the file pool; an upload's body is handed, a socket read at a time, to the file
// store's writer threads (PartWrite), and reading pauses while kMaxPending bytes of it are
// not on disk and hashed yet, so the I/O thread never waits for the disk and memory stays
// bounded; a download is read from disk a chunk at a time as the socket drains.
// Touched only from its session's I/O thread; owned by the session.
class FileTransfer
{
public:
    // True for the paths this class serves.
    static bool handles(const wire::HttpRequest &request);
    // From a connection's first bytes (its request line as far as it came), before the
    // request is parsed: whether it is a request of the methods and paths served here
    // (Unknown: more bytes must say). What an I/O worker hands to a transfer worker.
    enum class Start { Transfer, Other, Unknown };
    static Start startOf(std::string_view firstBytes);
    static constexpr size_t kStartBytes = 16; // what startOf() needs at most

    // early: the bytes that came behind the request head (the start of a body).
    FileTransfer(Session *session, wire::HttpRequest request, QByteArray early);
    ~FileTransfer();
    FileTransfer(const FileTransfer &) = delete;
    FileTransfer &operator=(const FileTransfer &) = delete;

    void start();
    // Whether the session should read from the socket now: false while the request waits
    // for its lookups or for the disk, so a body is held back by TCP, not in memory.
    bool wantsBody() const { return m_phase == Phase::Body && !m_paused; }
    void body(QByteArray bytes);
    // The writer thread wrote some of the body (or failed).
    void written();
    // The socket took what was written: a download goes on.
    void drained();

private:
    // Writing: the whole body was read, and waits for the disk.
    enum class Phase { Lookup, Body, Writing, Sending, Done };
    enum class Route { CreateUpload, UploadStatus, WriteUpload, CancelUpload, Download };

    void answer(int status, QByteArrayView reason, QByteArrayView contentType, QByteArrayView body,
                QByteArrayView headers = {});
    void refuse(const FileRefusal &refusal);
    void refuse(int status, const char *reason, const char *code, const QString &message);
    // Runs work(user) on the file pool once the bearer token named a user; its result
    // comes back to this transfer's thread through then (if the session is still there).
    void withUser(std::function<std::function<void(FileTransfer *)>(const StoredUser &)> work);
    void routeCreate();
    void routeStatus();
    void routeWrite();
    void routeCancel();
    void routeDownload();
    void bodyOpened(std::shared_ptr<PartWrite> write, qint64 offset, qint64 length);
    void bodyDone();
    void finishUpload();
    void startDownload(const StoredFile &file, int fd);
    void sendChunks();
    void answerUpload(int status, const char *reason, const UploadState &state,
                      const StoredFile *file);

    Session *m_session;
    wire::HttpRequest m_request;
    QByteArray m_early;
    Route m_route = Route::Download;
    QString m_id;
    bool m_head = false;
    Phase m_phase = Phase::Lookup;
    QString m_user;

    // Upload body
    std::shared_ptr<PartWrite> m_write;
    qint64 m_remaining = 0; // body bytes still to read
    qint64 m_pending = 0;   // read, and not yet written and hashed
    qint64 m_offset = 0;    // upload offset after what was written
    qint64 m_length = 0;    // upload length
    int m_writeError = 0;
    bool m_paused = false;    // m_pending reached kMaxPending: nothing is read
    bool m_takenOver = false; // a newer request for the upload stopped this one

    // Download
    int m_fileFd = -1;
    qint64 m_sendAt = 0;
    qint64 m_sendEnd = 0;
};

} // namespace confab::server
