#pragma once

#include <QCryptographicHash>
#include <QDateTime>
#include <QFile>
#include <QHash>
#include <QObject>
#include <QPointer>
#include <QUrl>
#include <QtQml/qqmlregistration.h>
#include <memory>

class QNetworkReply;

namespace confab::client {

class HttpLink;

// The files and thumbnails of one server on this computer: downloaded once (streamed to
// disk, checked against the server's SHA-256 ETag), kept in a folder of the cache
// directory and evicted least recently used first when the folder grows past maxBytes.
// What the user saves goes to the Downloads folder (or where Save as says), what the
// user opens goes to the desktop's application for its type. UI thread.
class FileCache : public QObject
{
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("The file cache belongs to a session")
    Q_PROPERTY(qint64 maxBytes READ maxBytes WRITE setMaxBytes NOTIFY usageChanged)
    Q_PROPERTY(qint64 usedBytes READ usedBytes NOTIFY usageChanged)

public:
    static constexpr qint64 kDefaultMaxBytes = 512LL << 20;

    FileCache(QString dir, HttpLink *http, QObject *parent = nullptr);
    ~FileCache() override;

    qint64 maxBytes() const { return m_maxBytes; }
    void setMaxBytes(qint64 bytes);
    qint64 usedBytes() const { return m_usedBytes; }
    QString dir() const { return m_dir; }

    // The local copy of a file when it is complete here (and counts as used now).
    QString localPath(const QString &fileId);
    Q_INVOKABLE QUrl localUrl(const QString &fileId);
    // Downloads a file unless it is here or on its way; fetched() or fetchFailed() tell.
    Q_INVOKABLE void fetch(const QString &fileId);

    // Where Save would put a file of that name: the Downloads folder, with " (2)" and so
    // on before the extension when the name is taken.
    Q_INVOKABLE QString downloadTarget(const QString &name) const;
    // Fetches the file (if needed) and copies it to target (a path or file URL; empty:
    // downloadTarget(name)). saved() or saveFailed() tell; the path is returned.
    Q_INVOKABLE QString save(const QString &fileId, const QString &name,
                             const QString &target = QString());
    // Fetches the file (if needed) and hands it, under its own name, to the desktop.
    Q_INVOKABLE void open(const QString &fileId, const QString &name);
    // Removes every cached file that is not being written.
    Q_INVOKABLE void clear();

signals:
    void fetched(const QString &fileId, const QString &path);
    void fetchFailed(const QString &fileId, const QString &error);
    void progressChanged(const QString &fileId, qint64 received, qint64 total);
    void saved(const QString &fileId, const QString &path);
    void saveFailed(const QString &fileId, const QString &error);
    void opened(const QString &fileId, const QString &path);
    void usageChanged();

private:
    struct Entry
    {
        qint64 size = 0;
        QDateTime lastUse;
        QDateTime lastUseOnDisk; // the file's mtime, moved forward at most every few minutes
    };
    struct Fetch
    {
        QPointer<QNetworkReply> reply;
        std::unique_ptr<QFile> part;
        QCryptographicHash hash{QCryptographicHash::Sha256};
        qint64 received = 0;
        qint64 total = -1;
        bool failed = false;
    };
    enum class After { Save, Open };
    struct Action
    {
        After what;
        QString name;
        QString target;
    };

    QString pathOf(const QString &fileId) const;
    void scan();
    void onData(const QString &fileId);
    void onFinished(const QString &fileId);
    void failFetch(const QString &fileId, const QString &error);
    void runActions(const QString &fileId, const QString &path);
    void failActions(const QString &fileId, const QString &error);
    void evict();

    QString m_dir;
    HttpLink *m_http;
    qint64 m_maxBytes = kDefaultMaxBytes;
    qint64 m_usedBytes = 0;
    QHash<QString, Entry> m_entries;
    QHash<QString, std::shared_ptr<Fetch>> m_fetches;
    QMultiHash<QString, Action> m_actions;
};

// One file of a FileCache as QML binds to it: set cache and fileId, and url turns into
// the local copy's file URL once it is here (fetched when it is not).
class CachedFile : public QObject
{
    Q_OBJECT
    QML_ELEMENT
    Q_PROPERTY(confab::client::FileCache *cache READ cache WRITE setCache NOTIFY sourceChanged)
    Q_PROPERTY(QString fileId READ fileId WRITE setFileId NOTIFY sourceChanged)
    Q_PROPERTY(QUrl url READ url NOTIFY stateChanged)
    Q_PROPERTY(bool loading READ loading NOTIFY stateChanged)
    Q_PROPERTY(double progress READ progress NOTIFY stateChanged)
    Q_PROPERTY(QString errorText READ errorText NOTIFY stateChanged)

public:
    explicit CachedFile(QObject *parent = nullptr);

    FileCache *cache() const { return m_cache; }
    void setCache(FileCache *cache);
    QString fileId() const { return m_fileId; }
    void setFileId(const QString &id);
    QUrl url() const { return m_url; }
    bool loading() const { return m_loading; }
    double progress() const { return m_progress; }
    QString errorText() const { return m_errorText; }
    // Tries again after a failure.
    Q_INVOKABLE void reload();

signals:
    void sourceChanged();
    void stateChanged();

private:
    void refresh();

    QPointer<FileCache> m_cache;
    QString m_fileId;
    QUrl m_url;
    bool m_loading = false;
    double m_progress = 0;
    QString m_errorText;
    QList<QMetaObject::Connection> m_connections;
};

} // namespace confab::client
