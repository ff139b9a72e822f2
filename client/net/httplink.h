#pragma once

#include <QByteArray>
#include <QList>
#include <QNetworkAccessManager>
#include <QObject>
#include <QUrl>
#include <utility>

class QIODevice;
class QNetworkReply;

namespace confab::client {

// The HTTP side of one server (uploads and downloads): requests go to the WebSocket's
// host and port (http for ws, https for wss), carry the session token as Bearer, and a
// certificate is judged by the same pin of host:port as the WebSocket's (net/trust.h),
// so a file never goes to a server the user has not trusted. Lives on the UI thread.
class HttpLink : public QObject
{
    Q_OBJECT

public:
    using Headers = QList<std::pair<QByteArray, QByteArray>>;

    HttpLink(const QUrl &serverUrl, QString pinsFile, QObject *parent = nullptr);

    void setToken(const QString &token) { m_token = token; }
    bool hasToken() const { return !m_token.isEmpty(); }
    QUrl urlFor(const QString &path) const;

    // A request of `verb` to `path`; body (open, read from its current position) may be
    // null. The reply belongs to the caller (deleteLater when done).
    QNetworkReply *send(const QByteArray &verb, const QString &path, const Headers &headers = {},
                        QIODevice *body = nullptr);

    // The HTTP status of a finished reply (0: no answer, the link failed).
    static int status(QNetworkReply *reply);
    // What to tell the user about a failed reply: the server's JSON message when it
    // sent one, else the network error.
    static QString errorText(QNetworkReply *reply, const QByteArray &body);

private:
    QNetworkAccessManager m_manager;
    QUrl m_base;
    QString m_pinsFile;
    QString m_token;
};

} // namespace confab::client
