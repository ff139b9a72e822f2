#pragma once

#include <QByteArray>
#include <QHash>
#include <QJsonObject>
#include <QList>

// A plain HTTP/1.1 exchange with the server under test, one request per connection (as
// the server serves them): what the desktop client's uploader and a browser send.
namespace confab::testing {

struct HttpReply
{
    int status = 0;                        // 0: no answer (the connection failed or was cut)
    QHash<QByteArray, QByteArray> headers; // names lower-cased
    QByteArray body;
    QByteArray header(const QByteArray &lowerName) const { return headers.value(lowerName); }
    QJsonObject json() const;
};

struct HttpRequestSpec
{
    QByteArray method = "GET";
    QByteArray target;
    QList<std::pair<QByteArray, QByteArray>> headers;
    QByteArray body;
    // Send only this many bytes of the body, then drop the connection (-1: all of it).
    qsizetype cutAfter = -1;
};

HttpReply httpExchange(quint16 port, const HttpRequestSpec &request, int timeoutMs = 30000);

// Shorthands with the bearer token.
HttpReply httpWithToken(quint16 port, const QByteArray &method, const QByteArray &target,
                        const QString &token, QList<std::pair<QByteArray, QByteArray>> headers = {},
                        const QByteArray &body = {});
// POST /uploads; the id, or empty (the reply in *reply).
QString createUpload(quint16 port, const QString &token, const QString &name, qint64 length,
                     HttpReply *reply = nullptr);
// PATCH bytes at offset.
HttpReply patchUpload(quint16 port, const QString &token, const QString &id, qint64 offset,
                      const QByteArray &bytes, qsizetype cutAfter = -1);
// A whole upload in one PATCH; the reply to it (201 with the file when it worked).
HttpReply uploadFile(quint16 port, const QString &token, const QString &name,
                     const QByteArray &content);

} // namespace confab::testing
