#pragma once

#include "histogram.h"
#include "options.h"

#include <QByteArray>
#include <QHash>
#include <QHostAddress>
#include <QMap>
#include <QString>
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

// The `files` scenario's transfers: HTTP uploads (POST + PATCH /uploads) and downloads
// (GET /files/<id>) on the server's WebSocket port, the session token of each bench
// client as Bearer. Each client's transfers run on a thread of their own with a blocking
// socket (a handful to a few hundred of them, not tens of thousands). Content is made
// as it is sent and hashed on the way out and on the way in, so a 1 GiB file is never
// held in memory (generated images are: they are encoded once).
namespace confab::bench {

// Lowercase hex SHA-256, fed piece by piece (OpenSSL).
class Sha256
{
public:
    Sha256();
    ~Sha256();
    Sha256(const Sha256 &) = delete;
    Sha256 &operator=(const Sha256 &) = delete;
    void add(const char *data, qint64 size);
    QString hex(); // finishes; add() no more after it

private:
    void *m_ctx;
};

// What a file consists of. Random: splitmix64 of a seed and the 8-byte word's index, so
// any range comes out the same without what precedes it. Encoded: an image made once.
class FileContent
{
public:
    static FileContent random(quint64 seed, qint64 size);
    static FileContent encoded(QByteArray bytes);
    // A JPEG or PNG of width x height pixels that compresses like a photo (smooth
    // gradients under fine noise); empty on failure.
    static QByteArray makeImage(const QString &format, int width, int height, quint64 seed);

    qint64 size() const { return m_size; }
    // Bytes [offset, offset + n) into out.
    void read(qint64 offset, char *out, qint64 n) const;

private:
    quint64 m_seed = 0;
    qint64 m_size = 0;
    QByteArray m_bytes; // encoded content; empty for random content
};

struct HttpEndpoint
{
    QHostAddress address;
    quint16 port = 0;
    QString host; // for the Host header
};

// One upload: POST, then PATCH the body (in chunks of chunkBytes, 0: one PATCH).
struct UploadOutcome
{
    QString error; // empty: it worked
    QString id;
    QString sha256; // of what was sent
    QString thumb;  // the thumbnail's file id, when the server made one
    QString mime;
    qint64 bytes = 0;     // body bytes sent
    qint64 startUs = 0;   // POST sent
    qint64 bodyEndUs = 0; // last byte of the body written
    qint64 endUs = 0;     // the 201 with the file read
};
UploadOutcome uploadFile(const HttpEndpoint &to, const QString &token, const QString &name,
                         const FileContent &content, qint64 chunkBytes);

struct DownloadOutcome
{
    QString error;
    int status = 0;
    qint64 bytes = 0;
    qint64 contentLength = -1;
    QString sha256; // of what arrived
    QString etag;   // without the quotes
    qint64 startUs = 0;
    qint64 endUs = 0;
};
DownloadOutcome downloadFile(const HttpEndpoint &from, const QString &token, const QString &id);

// Figures of a `files` run; merged from every transfer thread.
struct FileReport
{
    qint64 uploads = 0;
    qint64 downloads = 0;
    qint64 verified = 0;   // downloads whose bytes, size and ETag matched the upload
    qint64 thumbnails = 0; // thumbnails the server made and that downloaded intact
    qint64 bytesUp = 0;
    qint64 bytesDown = 0;
    double upSeconds = 0;      // wall time of the upload phase (first start to last end)
    double downSeconds = 0;    // ... of the download phase
    LatencyHistogram upload;   // POST -> 201 with the file
    LatencyHistogram finish;   // last body byte -> 201: sync, hash, type, thumbnail, row
    LatencyHistogram download; // connect -> last byte
    qint64 hashMismatch = 0;   // downloaded bytes differ from what was uploaded
    qint64 etagMismatch = 0;   // the ETag is not the SHA-256 of what was uploaded
    qint64 sizeMismatch = 0;
    qint64 failures = 0; // transfers that ended in an error (by key in errors)
    QMap<QString, qint64> errors;
    QString sharedId; // download mode: the one file everyone fetches
    QString sharedSha256;
    QString mime; // of the (first) uploaded file
    qint64 fileBytes = 0;
    qint64 serverRssMaxBytes = 0; // highest RSS sampled during the transfers
    int rssSamples = 0;

    void merge(const FileReport &o);
    void countError(const QString &key);
    bool correct() const
    {
        return failures == 0 && hashMismatch == 0 && etagMismatch == 0 && sizeMismatch == 0;
    }
    double upMBps() const { return upSeconds > 0 ? double(bytesUp) / 1e6 / upSeconds : 0; }
    double downMBps() const { return downSeconds > 0 ? double(bytesDown) / 1e6 / downSeconds : 0; }
};

// Runs every client's transfers on its own thread. Upload mode: each client uploads
// --transfers files of its own, then (once all uploads are done) downloads each back and
// checks it. Download mode: prepareShared() uploads one file as client 0 (posted in the
// room by the runner, so every member may read it); then every client downloads it
// --transfers times. --transfers 0 repeats until stop() (the load's --duration), each
// client uploading and reading back in turn (or downloading) without phases.
class FileLoad
{
public:
    FileLoad(const Options &options, HttpEndpoint endpoint, std::vector<QString> tokens);
    ~FileLoad();
    FileLoad(const FileLoad &) = delete;
    FileLoad &operator=(const FileLoad &) = delete;

    // Makes the content (generated images are encoded here). False with *error.
    bool prepareContent(QString *error);
    // Download mode: client 0 uploads the shared file. False with *error.
    bool prepareShared(QString *error);
    const QString &sharedId() const { return m_sharedId; }

    void start();
    void stop() { m_stop = true; }
    bool finished() const { return m_running.load() == 0; }
    // Counters for progress lines (approximate while running).
    qint64 transfersDone() const { return m_done.load(); }
    qint64 bytesMoved() const { return m_bytes.load(); }
    // Joins the threads and returns the merged figures.
    FileReport finish();

private:
    struct Slot
    {
        FileReport report;
        std::vector<UploadOutcome> uploaded;
    };
    void runClient(int client);
    void phaseBoundary();
    FileContent contentFor(int client, int n) const;
    QString nameFor(int client, int n) const;
    void recordUpload(Slot &slot, const UploadOutcome &u);
    void verifyDownload(Slot &slot, const DownloadOutcome &d, qint64 size, const QString &sha,
                        bool thumbnail);

    Options m_options;
    HttpEndpoint m_endpoint;
    std::vector<QString> m_tokens;
    QByteArray m_encoded; // generated image bytes (shared by every transfer), or empty
    QString m_sharedId;
    QString m_sharedSha;
    QString m_sharedMime;
    std::vector<Slot> m_slots;
    std::vector<std::thread> m_threads;
    std::atomic<bool> m_stop{false};
    std::atomic<int> m_running{0};
    std::atomic<qint64> m_done{0};
    std::atomic<qint64> m_bytes{0};
    // Phases (counted runs): every thread's uploads end before the first download.
    std::mutex m_phaseMutex;
    int m_phaseWaiting = 0;
    std::condition_variable m_phaseChanged;
    qint64 m_startUs = 0;
    qint64 m_phaseUs = 0; // when the download phase started
    std::atomic<qint64> m_lastUploadEndUs{0};
    std::atomic<qint64> m_lastDownloadEndUs{0};
    FileReport m_preparation; // the shared upload's errors, if any
};

} // namespace confab::bench
