#include "net/trust.h"

#include "logging.h"
#include "protocol/errors.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>

namespace confab::client {

using namespace Qt::StringLiterals;

namespace {
QJsonObject readPins(const QString &file)
{
    QFile f(file);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    const QJsonDocument doc = QJsonDocument::fromJson(f.readAll());
    if (!doc.isObject()) {
        qCWarning(lcNet) << "pins file is not a JSON object:" << file;
        return {};
    }
    return doc.object();
}
} // namespace

QString certificateFingerprint(const QSslCertificate &certificate)
{
    if (certificate.isNull())
        return {};
    return QString::fromLatin1(certificate.digest(QCryptographicHash::Sha256).toHex(':').toUpper());
}

QString pinKey(const QUrl &url)
{
    QString host = url.host().toLower();
    if (host.contains(u':'))
        host = u'[' + host + u']';
    return host + u':' + QString::number(url.port(protocol::kDefaultPort));
}

QString CertificatePins::pinned(const QUrl &url) const
{
    if (m_file.isEmpty())
        return {};
    return readPins(m_file).value(pinKey(url)).toString();
}

bool CertificatePins::pin(const QUrl &url, const QString &fingerprint, QString *error)
{
    if (m_file.isEmpty()) {
        if (error)
            *error = u"no pins file"_s;
        return false;
    }
    QJsonObject pins = readPins(m_file);
    if (fingerprint.isEmpty())
        pins.remove(pinKey(url));
    else
        pins.insert(pinKey(url), fingerprint);
    QDir().mkpath(QFileInfo(m_file).absolutePath());
    QSaveFile f(m_file);
    if (!f.open(QIODevice::WriteOnly) ||
        f.write(QJsonDocument(pins).toJson(QJsonDocument::Indented)) < 0 || !f.commit()) {
        if (error)
            *error = f.errorString();
        qCWarning(lcNet) << "cannot write the pins file" << m_file << f.errorString();
        return false;
    }
    return true;
}

bool CertificatePins::unpin(const QUrl &url)
{
    return pin(url, QString());
}

bool isPinnableError(QSslError::SslError error)
{
    switch (error) {
    case QSslError::SelfSignedCertificate:
    case QSslError::CertificateUntrusted:
    case QSslError::UnableToGetLocalIssuerCertificate:
    case QSslError::UnableToVerifyFirstCertificate:
    case QSslError::HostNameMismatch:
        return true;
    default:
        return false;
    }
}

TrustVerdict judgeCertificate(const QList<QSslError> &errors, const QSslCertificate &peer,
                              const QString &pinnedFingerprint)
{
    if (peer.isNull())
        return TrustVerdict::Invalid;
    for (const QSslError &e : errors) {
        if (!isPinnableError(e.error()))
            return TrustVerdict::Invalid;
        // An error about another certificate of the chain is not one a pin of the
        // peer's certificate can excuse.
        if (!e.certificate().isNull() && e.certificate() != peer)
            return TrustVerdict::Invalid;
    }
    if (pinnedFingerprint.isEmpty())
        return TrustVerdict::Unknown;
    return certificateFingerprint(peer) == pinnedFingerprint ? TrustVerdict::Accept
                                                             : TrustVerdict::Changed;
}

} // namespace confab::client
