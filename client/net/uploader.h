#pragma once

#include "protocol/messages.h"
#include "store/storetypes.h"

#include <QFile>
#include <QHash>
#include <QObject>
#include <QPointer>
#include <memory>

class QNetworkReply;

namespace confab::client {

class HttpLink;

// The uploads of the outbox's file entries (docs/protocol.md, "Files"): POST creates
// the server's upload, PATCH sends the bytes from the offset the server holds, and after
// any cut (a dropped link, a restarted server or app) the status request says where to
// go on, so no byte is sent twice more than the cut itself cost. The file is streamed
// from disk; it is checked against the size and mtime it was attached with before every
// part, so a file changed on disk is never posted half old, half new. UI thread.
class Uploader : public QObject
{
    Q_OBJECT

public:
    explicit Uploader(HttpLink *http, QObject *parent = nullptr);
    ~Uploader() override;

    // Starts (or goes on with) the upload of a file entry; nothing if it is running.
    void start(const OutboxEntry &entry);
    int activeCount() const { return int(m_jobs.size()); }
    // Stops the transfer and, when the server has the upload, deletes it there.
    void cancel(const QString &clientMsgId, const QString &uploadId);

signals:
    // The server's upload exists (uploadId), or the one named is gone (empty: start over).
    void created(const QString &clientMsgId, const QString &uploadId);
    void progress(const QString &clientMsgId, qint64 sent, qint64 total);
    void completed(const QString &clientMsgId, const protocol::FileInfo &file);
    // retryLater: the server or the link may do better later (the entry stays queued);
    // otherwise the entry failed (code "local" for the file on this computer).
    void failed(const QString &clientMsgId, const QString &code, const QString &text,
                bool retryLater);

private:
    struct Job
    {
        OutboxEntry entry;
        QPointer<QNetworkReply> reply;
        std::unique_ptr<QFile> file;
        qint64 offset = 0;
        bool restarted = false; // the named upload vanished once: POST again
        int stalls = 0;         // status answers in a row that showed no progress
    };

    void create(Job &job);
    void askStatus(Job &job);
    void patch(Job &job);
    void onCreated(const QString &id, QNetworkReply *reply);
    void onStatus(const QString &id, QNetworkReply *reply);
    void onPatched(const QString &id, QNetworkReply *reply);
    // Whether the file still is what was attached; fails the job otherwise.
    bool checkLocal(Job &job);
    void finish(const QString &id, const protocol::FileInfo &file);
    void fail(const QString &id, const QString &code, const QString &text, bool retryLater);
    // An HTTP answer that is not the expected one: the right failure for its status.
    void refused(const QString &id, QNetworkReply *reply, const QByteArray &body);
    Job *job(const QString &id);
    void track(Job &job, QNetworkReply *reply,
               void (Uploader::*done)(const QString &, QNetworkReply *));

    HttpLink *m_http;
    QHash<QString, std::shared_ptr<Job>> m_jobs;
};

} // namespace confab::client
