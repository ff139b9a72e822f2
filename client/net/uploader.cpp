#include "net/uploader.h"

#include "logging.h"
#include "net/httplink.h"
#include "protocol/codec.h"
#include "protocol/names.h"

#include <QDateTime>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkReply>

namespace confab::client {

using namespace Qt::StringLiterals;

namespace {
QJsonObject jsonOf(const QByteArray &body)
{
    return QJsonDocument::fromJson(body).object();
}

std::optional<protocol::FileInfo> fileOf(const QJsonObject &o)
{
    if (!o.value(u"file"_s).isObject())
        return std::nullopt;
    return protocol::fileInfoFromJson(o.value(u"file"_s).toObject());
}
} // namespace

Uploader::Uploader(HttpLink *http, QObject *parent)
    : QObject(parent)
    , m_http(http)
{
}

Uploader::~Uploader()
{
    for (const auto &job : std::as_const(m_jobs)) {
        if (job->reply)
            job->reply->abort();
    }
}

Uploader::Job *Uploader::job(const QString &id)
{
    auto it = m_jobs.find(id);
    return it == m_jobs.end() ? nullptr : it->get();
}

void Uploader::start(const OutboxEntry &entry)
{
    if (m_jobs.contains(entry.clientMsgId) || !entry.isUpload())
        return;
    auto j = std::make_shared<Job>();
    j->entry = entry;
    m_jobs.insert(entry.clientMsgId, j);
    if (!checkLocal(*j))
        return;
    if (entry.uploadId.isEmpty())
        create(*j);
    else
        askStatus(*j);
}

void Uploader::cancel(const QString &clientMsgId, const QString &uploadId)
{
    if (Job *j = job(clientMsgId)) {
        QPointer<QNetworkReply> reply = j->reply;
        m_jobs.remove(clientMsgId);
        if (reply)
            reply->abort();
    }
    if (uploadId.isEmpty())
        return;
    QNetworkReply *reply = m_http->send("DELETE", u"/uploads/"_s + uploadId);
    connect(reply, &QNetworkReply::finished, reply, [reply, uploadId] {
        if (HttpLink::status(reply) != 204)
            qCInfo(lcNet) << "upload" << uploadId << "not deleted:" << reply->errorString();
        reply->deleteLater();
    });
}

bool Uploader::checkLocal(Job &job)
{
    const QFileInfo info(job.entry.filePath);
    if (!info.isFile() || !info.isReadable()) {
        fail(job.entry.clientMsgId, u"local"_s, tr("the file is gone from this computer"), false);
        return false;
    }
    if (info.size() != job.entry.fileSize ||
        info.lastModified().toMSecsSinceEpoch() != job.entry.fileMtimeMs) {
        fail(job.entry.clientMsgId, u"local"_s,
             tr("the file changed on this computer after it was attached"), false);
        return false;
    }
    return true;
}

void Uploader::track(Job &job, QNetworkReply *reply,
                     void (Uploader::*done)(const QString &, QNetworkReply *))
{
    job.reply = reply;
    connect(reply, &QNetworkReply::finished, this, [this, reply, done, id = job.entry.clientMsgId] {
        reply->deleteLater();
        Job *j = this->job(id);
        if (!j || j->reply != reply)
            return; // cancelled, or replaced
        j->reply = nullptr;
        (this->*done)(id, reply);
    });
}

void Uploader::create(Job &job)
{
    const HttpLink::Headers headers = {
        {"Upload-Length", QByteArray::number(job.entry.fileSize)},
        {"Upload-Name", QUrl::toPercentEncoding(job.entry.fileName)},
    };
    track(job, m_http->send("POST", u"/uploads"_s, headers), &Uploader::onCreated);
}

void Uploader::onCreated(const QString &id, QNetworkReply *reply)
{
    const QByteArray body = reply->readAll();
    const QString uploadId = jsonOf(body).value(u"id"_s).toString();
    if (HttpLink::status(reply) != 201 || !protocol::isValidFileId(uploadId))
        return refused(id, reply, body);
    Job *j = job(id);
    j->entry.uploadId = uploadId;
    j->offset = 0;
    emit created(id, uploadId);
    if (job(id) && checkLocal(*j))
        patch(*j);
}

void Uploader::askStatus(Job &job)
{
    track(job, m_http->send("GET", u"/uploads/"_s + job.entry.uploadId), &Uploader::onStatus);
}

void Uploader::onStatus(const QString &id, QNetworkReply *reply)
{
    const QByteArray body = reply->readAll();
    Job *j = job(id);
    const int status = HttpLink::status(reply);
    if (status == 404 && !j->restarted) {
        // Expired, cancelled elsewhere or lost with the server's files: start over.
        qCInfo(lcNet) << "upload" << j->entry.uploadId << "is gone; starting it again";
        j->restarted = true;
        j->entry.uploadId.clear();
        emit created(id, QString());
        if (job(id))
            create(*j);
        return;
    }
    if (status != 200)
        return refused(id, reply, body);
    const QJsonObject o = jsonOf(body);
    if (const auto file = fileOf(o))
        return finish(id, *file);
    const qint64 offset = qint64(o.value(u"offset"_s).toDouble(-1));
    if (offset < 0 || offset > j->entry.fileSize)
        return fail(id, u"protocol"_s, tr("the server's answer made no sense"), true);
    j->stalls = offset > j->offset ? 0 : j->stalls + 1;
    if (j->stalls > 3)
        return fail(id, u"stalled"_s, tr("the server takes no more of the file"), true);
    j->offset = offset;
    emit progress(id, j->offset, j->entry.fileSize);
    if (checkLocal(*j))
        patch(*j);
}

void Uploader::patch(Job &job)
{
    job.file = std::make_unique<QFile>(job.entry.filePath);
    if (!job.file->open(QIODevice::ReadOnly) || !job.file->seek(job.offset)) {
        fail(job.entry.clientMsgId, u"local"_s,
             tr("the file cannot be read: %1").arg(job.file->errorString()), false);
        return;
    }
    const qint64 rest = job.entry.fileSize - job.offset;
    const HttpLink::Headers headers = {
        {"Upload-Offset", QByteArray::number(job.offset)},
        {"Content-Type", "application/offset+octet-stream"},
        {"Content-Length", QByteArray::number(rest)},
    };
    QNetworkReply *reply =
        m_http->send("PATCH", u"/uploads/"_s + job.entry.uploadId, headers, job.file.get());
    connect(reply, &QNetworkReply::uploadProgress, this,
            [this, id = job.entry.clientMsgId, base = job.offset](qint64 sent, qint64) {
                if (Job *j = this->job(id))
                    emit progress(id, base + sent, j->entry.fileSize);
            });
    track(job, reply, &Uploader::onPatched);
}

void Uploader::onPatched(const QString &id, QNetworkReply *reply)
{
    const QByteArray body = reply->readAll();
    Job *j = job(id);
    j->file.reset();
    switch (HttpLink::status(reply)) {
    case 201:
        if (const auto file = fileOf(jsonOf(body)))
            return finish(id, *file);
        return fail(id, u"protocol"_s, tr("the server's answer made no sense"), true);
    case 204: // a part, not the whole (or a cut the server noticed first): ask, go on
    case 409: // not at the server's offset
        return askStatus(*j);
    default:
        return refused(id, reply, body);
    }
}

void Uploader::refused(const QString &id, QNetworkReply *reply, const QByteArray &body)
{
    const int status = HttpLink::status(reply);
    const QString text = HttpLink::errorText(reply, body);
    const QString code = jsonOf(body).value(u"error"_s).toString();
    // 0: no answer (link, server gone); 401: the token is renewed by the next login;
    // 423: the server still writes a cut request; 429, 507 and 5xx pass.
    const bool later =
        status == 0 || status == 401 || status == 423 || status == 429 || status >= 500;
    fail(id, code.isEmpty() ? u"http_%1"_s.arg(status) : code, text, later);
}

void Uploader::finish(const QString &id, const protocol::FileInfo &file)
{
    m_jobs.remove(id);
    qCInfo(lcNet) << "upload" << file.id << "complete:" << file.size << "bytes," << file.mime;
    emit completed(id, file);
}

void Uploader::fail(const QString &id, const QString &code, const QString &text, bool retryLater)
{
    m_jobs.remove(id);
    qCInfo(lcNet) << "upload of" << id << (retryLater ? "interrupted:" : "failed:") << code << text;
    emit failed(id, code, text, retryLater);
}

} // namespace confab::client
