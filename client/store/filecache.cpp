#include "store/filecache.h"

#include "logging.h"
#include "net/httplink.h"
#include "protocol/names.h"

#include <QDesktopServices>
#include <QDir>
#include <QDirIterator>
#include <QFileInfo>
#include <QNetworkReply>
#include <QStandardPaths>
#include <algorithm>
#include <unistd.h>

namespace confab::client {

using namespace Qt::StringLiterals;

namespace {
constexpr auto kPartSuffix = ".part";

QString localFilePath(const QString &pathOrUrl)
{
    const QUrl url(pathOrUrl);
    return url.isLocalFile() ? url.toLocalFile() : pathOrUrl;
}

// The name a file may have on this computer: no folders, no leading dots.
QString safeName(const QString &name)
{
    QString n = QFileInfo(name).fileName();
    n.replace(QLatin1Char('/'), QLatin1Char('_'));
    while (n.startsWith(QLatin1Char('.')))
        n.remove(0, 1);
    return n.isEmpty() ? u"file"_s : n;
}
} // namespace

FileCache::FileCache(QString dir, HttpLink *http, QObject *parent)
    : QObject(parent)
    , m_dir(std::move(dir))
    , m_http(http)
{
    QDir().mkpath(m_dir);
    scan();
}

FileCache::~FileCache()
{
    for (const auto &f : std::as_const(m_fetches)) {
        if (f->reply)
            f->reply->abort();
    }
}

QString FileCache::pathOf(const QString &fileId) const
{
    return QDir(m_dir).filePath(fileId);
}

void FileCache::scan()
{
    m_entries.clear();
    m_usedBytes = 0;
    QDir dir(m_dir);
    const QFileInfoList files = dir.entryInfoList(QDir::Files);
    for (const QFileInfo &info : files) {
        const QString name = info.fileName();
        if (name.endsWith(QLatin1String(kPartSuffix))) {
            QFile::remove(info.filePath()); // an interrupted download: fetched again
            continue;
        }
        if (!protocol::isValidFileId(name))
            continue;
        m_entries.insert(name, {info.size(), info.lastModified(), info.lastModified()});
        m_usedBytes += info.size();
    }
    QDir(dir.filePath(u"open"_s)).removeRecursively(); // the last run's opened copies
}

void FileCache::setMaxBytes(qint64 bytes)
{
    bytes = std::max<qint64>(bytes, 0);
    if (bytes == m_maxBytes)
        return;
    m_maxBytes = bytes;
    evict();
    emit usageChanged();
}

QString FileCache::localPath(const QString &fileId)
{
    auto it = m_entries.find(fileId);
    if (it == m_entries.end())
        return {};
    const QString path = pathOf(fileId);
    it->lastUse = QDateTime::currentDateTimeUtc();
    // The file's mtime is its last use, so the order survives a restart; a delegate asks
    // on every scroll past, so the disk hears of it only every few minutes.
    constexpr qint64 kTouchEverySecs = 300;
    if (it->lastUseOnDisk.secsTo(it->lastUse) < kTouchEverySecs)
        return path;
    QFile file(path);
    if (!file.open(QIODevice::ReadWrite)) { // removed behind our back
        m_usedBytes -= it->size;
        m_entries.erase(it);
        emit usageChanged();
        return {};
    }
    file.setFileTime(it->lastUse, QFileDevice::FileModificationTime);
    it->lastUseOnDisk = it->lastUse;
    return path;
}

QUrl FileCache::localUrl(const QString &fileId)
{
    const QString path = localPath(fileId);
    return path.isEmpty() ? QUrl() : QUrl::fromLocalFile(path);
}

void FileCache::fetch(const QString &fileId)
{
    if (!protocol::isValidFileId(fileId) || m_fetches.contains(fileId))
        return;
    if (const QString path = localPath(fileId); !path.isEmpty()) {
        emit fetched(fileId, path);
        return runActions(fileId, path);
    }
    auto f = std::make_shared<Fetch>();
    f->part = std::make_unique<QFile>(pathOf(fileId) + QLatin1String(kPartSuffix));
    if (!f->part->open(QIODevice::WriteOnly | QIODevice::Truncate)) {
        m_fetches.insert(fileId, f);
        return failFetch(
            fileId, tr("cannot write %1: %2").arg(f->part->fileName(), f->part->errorString()));
    }
    f->reply = m_http->send("GET", u"/files/"_s + fileId);
    m_fetches.insert(fileId, f);
    QNetworkReply *reply = f->reply;
    connect(reply, &QNetworkReply::readyRead, this, [this, fileId] { onData(fileId); });
    connect(reply, &QNetworkReply::downloadProgress, this,
            [this, fileId](qint64 received, qint64 total) {
                if (auto it = m_fetches.find(fileId); it != m_fetches.end()) {
                    (*it)->total = total;
                    emit progressChanged(fileId, received, total);
                }
            });
    connect(reply, &QNetworkReply::finished, this, [this, fileId, reply] {
        reply->deleteLater();
        auto it = m_fetches.find(fileId);
        if (it != m_fetches.end() && (*it)->reply == reply)
            onFinished(fileId);
    });
}

void FileCache::onData(const QString &fileId)
{
    auto it = m_fetches.find(fileId);
    if (it == m_fetches.end())
        return;
    Fetch &f = **it;
    if (HttpLink::status(f.reply) != 200)
        return; // an error's body: read at the end
    const QByteArray chunk = f.reply->readAll();
    f.hash.addData(chunk);
    f.received += chunk.size();
    if (f.part->write(chunk) != chunk.size()) {
        f.failed = true;
        f.reply->abort();
    }
}

void FileCache::onFinished(const QString &fileId)
{
    std::shared_ptr<Fetch> f = m_fetches.value(fileId);
    QNetworkReply *reply = f->reply;
    if (HttpLink::status(reply) != 200 || reply->error() != QNetworkReply::NoError) {
        const QByteArray body = reply->readAll();
        return failFetch(
            fileId, f->failed
                        ? tr("cannot write %1: %2").arg(f->part->fileName(), f->part->errorString())
                        : HttpLink::errorText(reply, body));
    }
    onData(fileId);
    QByteArray etag = reply->rawHeader("ETag");
    etag.replace('"', QByteArray());
    if (!etag.isEmpty() && etag.toLower() != f->hash.result().toHex())
        return failFetch(fileId, tr("the file arrived damaged (its checksum differs)"));
    if (!f->part->flush()) {
        return failFetch(
            fileId, tr("cannot write %1: %2").arg(f->part->fileName(), f->part->errorString()));
    }
    f->part->close();
    const QString path = pathOf(fileId);
    QFile::remove(path);
    if (!f->part->rename(path))
        return failFetch(fileId, tr("cannot keep the file: %1").arg(f->part->errorString()));
    m_fetches.remove(fileId);
    const QDateTime now = QDateTime::currentDateTimeUtc();
    m_entries.insert(fileId, {f->received, now, now});
    m_usedBytes += f->received;
    emit fetched(fileId, path);
    runActions(fileId, path);
    evict();
    emit usageChanged();
}

void FileCache::failFetch(const QString &fileId, const QString &error)
{
    std::shared_ptr<Fetch> f = m_fetches.take(fileId);
    if (f && f->part) {
        f->part->close();
        f->part->remove();
    }
    qCInfo(lcNet) << "download of" << fileId << "failed:" << error;
    emit fetchFailed(fileId, error);
    failActions(fileId, error);
}

QString FileCache::downloadTarget(const QString &name) const
{
    QString dir = QStandardPaths::writableLocation(QStandardPaths::DownloadLocation);
    if (dir.isEmpty())
        dir = QDir::homePath();
    const QFileInfo base(QDir(dir).filePath(safeName(name)));
    QString candidate = base.filePath();
    const QString stem = base.completeBaseName();
    const QString suffix = base.suffix().isEmpty() ? QString() : u"."_s + base.suffix();
    for (int n = 2; QFileInfo::exists(candidate); ++n)
        candidate = base.dir().filePath(u"%1 (%2)%3"_s.arg(stem).arg(n).arg(suffix));
    return candidate;
}

QString FileCache::save(const QString &fileId, const QString &name, const QString &target)
{
    const QString path = target.isEmpty() ? downloadTarget(name) : localFilePath(target);
    m_actions.insert(fileId, {After::Save, name, path});
    fetch(fileId);
    return path;
}

void FileCache::open(const QString &fileId, const QString &name)
{
    m_actions.insert(fileId, {After::Open, name, {}});
    fetch(fileId);
}

void FileCache::runActions(const QString &fileId, const QString &path)
{
    const QList<Action> actions = m_actions.values(fileId);
    m_actions.remove(fileId);
    for (const Action &a : actions) {
        if (a.what == After::Save) {
            QDir().mkpath(QFileInfo(a.target).absolutePath());
            QFile::remove(a.target); // Save as asked whether to replace it
            if (QFile::copy(path, a.target)) {
                qCInfo(lcNet) << "saved" << fileId << "as" << a.target;
                emit saved(fileId, a.target);
            } else {
                emit saveFailed(fileId, tr("cannot write %1").arg(a.target));
            }
            continue;
        }
        // The desktop's application needs the real name; a hard link costs no copy and
        // outlives an eviction of the cached file.
        const QString dir = QDir(m_dir).filePath(u"open/"_s + fileId);
        QDir().mkpath(dir);
        const QString named = QDir(dir).filePath(safeName(a.name));
        if (!QFileInfo::exists(named) &&
            ::link(QFile::encodeName(path).constData(), QFile::encodeName(named).constData()) != 0)
            QFile::copy(path, named);
        emit opened(fileId, named);
        if (qEnvironmentVariableIsEmpty("CONFAB_NO_DESKTOP_OPEN"))
            QDesktopServices::openUrl(QUrl::fromLocalFile(named));
    }
}

void FileCache::failActions(const QString &fileId, const QString &error)
{
    const QList<Action> actions = m_actions.values(fileId);
    m_actions.remove(fileId);
    for (const Action &a : actions) {
        if (a.what == After::Save)
            emit saveFailed(fileId, error);
    }
}

void FileCache::evict()
{
    if (m_usedBytes <= m_maxBytes)
        return;
    QList<std::pair<QDateTime, QString>> byAge;
    for (auto it = m_entries.cbegin(); it != m_entries.cend(); ++it)
        byAge.append({it->lastUse, it.key()});
    std::sort(byAge.begin(), byAge.end());
    // The newest stays even when it alone is over the limit: it is what the user just
    // asked for.
    for (qsizetype i = 0; i + 1 < byAge.size() && m_usedBytes > m_maxBytes; ++i) {
        const QString &id = byAge[i].second;
        QFile::remove(pathOf(id));
        m_usedBytes -= m_entries.take(id).size;
    }
}

void FileCache::clear()
{
    for (auto it = m_entries.cbegin(); it != m_entries.cend(); ++it)
        QFile::remove(pathOf(it.key()));
    m_entries.clear();
    m_usedBytes = 0;
    emit usageChanged();
}

// ---- CachedFile ----------------------------------------------------------------------

CachedFile::CachedFile(QObject *parent)
    : QObject(parent)
{
}

void CachedFile::setCache(FileCache *cache)
{
    if (cache == m_cache)
        return;
    m_cache = cache;
    emit sourceChanged();
    refresh();
}

void CachedFile::setFileId(const QString &id)
{
    if (id == m_fileId)
        return;
    m_fileId = id;
    emit sourceChanged();
    refresh();
}

void CachedFile::reload()
{
    refresh();
}

void CachedFile::refresh()
{
    for (const QMetaObject::Connection &c : std::as_const(m_connections))
        disconnect(c);
    m_connections.clear();
    m_url.clear();
    m_loading = false;
    m_progress = 0;
    m_errorText.clear();
    if (m_cache && !m_fileId.isEmpty()) {
        m_url = m_cache->localUrl(m_fileId);
        if (m_url.isEmpty()) {
            const QString id = m_fileId;
            m_connections.append(connect(m_cache, &FileCache::fetched, this,
                                         [this, id](const QString &f, const QString &path) {
                                             if (f != id)
                                                 return;
                                             m_url = QUrl::fromLocalFile(path);
                                             m_loading = false;
                                             m_progress = 1;
                                             emit stateChanged();
                                         }));
            m_connections.append(connect(m_cache, &FileCache::fetchFailed, this,
                                         [this, id](const QString &f, const QString &error) {
                                             if (f != id)
                                                 return;
                                             m_loading = false;
                                             m_errorText = error;
                                             emit stateChanged();
                                         }));
            m_connections.append(connect(m_cache, &FileCache::progressChanged, this,
                                         [this, id](const QString &f, qint64 got, qint64 total) {
                                             if (f != id || total <= 0)
                                                 return;
                                             m_progress = double(got) / double(total);
                                             emit stateChanged();
                                         }));
            m_loading = true;
            m_cache->fetch(m_fileId);
        }
    }
    emit stateChanged();
}

} // namespace confab::client
