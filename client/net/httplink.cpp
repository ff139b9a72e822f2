#include "net/httplink.h"

#include "logging.h"
#include "net/trust.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QSslConfiguration>

namespace confab::client {

using namespace Qt::StringLiterals;

HttpLink::HttpLink(const QUrl &serverUrl, QString pinsFile, QObject *parent)
    : QObject(parent)
    , m_pinsFile(std::move(pinsFile))
{
    m_base.setScheme(serverUrl.scheme() == u"wss"_s ? u"https"_s : u"http"_s);
    m_base.setHost(serverUrl.host());
    m_base.setPort(serverUrl.port());
    // Uploader and FileCache delete their replies once they have read them.
    m_manager.setAutoDeleteReplies(false);
}

QUrl HttpLink::urlFor(const QString &path) const
{
    QUrl url = m_base;
    url.setPath(path);
    return url;
}

QNetworkReply *HttpLink::send(const QByteArray &verb, const QString &path, const Headers &headers,
                              QIODevice *body)
{
    QNetworkRequest request(urlFor(path));
    request.setAttribute(QNetworkRequest::Http2AllowedAttribute, false);
    request.setAttribute(QNetworkRequest::RedirectPolicyAttribute,
                         QNetworkRequest::ManualRedirectPolicy);
    request.setRawHeader("Authorization", "Bearer " + m_token.toLatin1());
    for (const auto &[name, value] : headers)
        request.setRawHeader(name, value);
    QNetworkReply *reply = body ? m_manager.sendCustomRequest(request, verb, body)
                                : m_manager.sendCustomRequest(request, verb);
    connect(reply, &QNetworkReply::sslErrors, reply, [this, reply](const QList<QSslError> &errors) {
        const QUrl url = reply->url();
        const QString pinned = CertificatePins(m_pinsFile).pinned(url);
        const QSslCertificate peer = reply->sslConfiguration().peerCertificate();
        if (judgeCertificate(errors, peer, pinned) == TrustVerdict::Accept) {
            reply->ignoreSslErrors(errors);
            return;
        }
        qCWarning(lcNet) << "refusing the certificate of" << pinKey(url) << "for a transfer";
    });
    return reply;
}

int HttpLink::status(QNetworkReply *reply)
{
    return reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
}

QString HttpLink::errorText(QNetworkReply *reply, const QByteArray &body)
{
    const QJsonObject o = QJsonDocument::fromJson(body).object();
    const QString message = o.value(u"message"_s).toString();
    if (!message.isEmpty())
        return message;
    if (status(reply) != 0)
        return u"HTTP %1 %2"_s.arg(status(reply))
            .arg(reply->attribute(QNetworkRequest::HttpReasonPhraseAttribute).toString());
    return reply->errorString();
}

} // namespace confab::client
