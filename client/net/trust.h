#pragma once

#include <QList>
#include <QSslCertificate>
#include <QSslError>
#include <QString>
#include <QUrl>

// Trust on first use of a wss:// server: the SHA-256 fingerprint of the certificate the
// user accepted for a host:port, kept in a small JSON file of the profile (never in the
// cache, which may be deleted at any time), and the rule that decides, from the errors
// TLS verification reported, whether a connection goes on.
namespace confab::client {

// "AB:CD:...": SHA-256 of the DER certificate, uppercase hex pairs joined by ':' (what
// `openssl x509 -noout -fingerprint -sha256` and the server print).
QString certificateFingerprint(const QSslCertificate &certificate);
// The key of a server in the pins file: "host:port" (IPv6 hosts in brackets).
QString pinKey(const QUrl &url);

// The pins file. Every call reads or rewrites the file, so several sessions of one
// profile (and a restarted app) always see the same pins.
class CertificatePins
{
public:
    explicit CertificatePins(QString file)
        : m_file(std::move(file))
    {
    }

    QString file() const { return m_file; }
    // The pinned fingerprint of host:port (empty: none).
    QString pinned(const QUrl &url) const;
    // Pins (or replaces the pin of) host:port; false when the file cannot be written.
    bool pin(const QUrl &url, const QString &fingerprint, QString *error = nullptr);
    bool unpin(const QUrl &url);

private:
    QString m_file;
};

// What to do with a certificate that failed ordinary verification. (One that passed,
// i.e. signed by a CA the system trusts and naming the host, raises no errors and
// never gets here.)
enum class TrustVerdict {
    Accept,  // the pinned certificate, with only the errors a pinned one is expected to have
    Unknown, // no pin for this host:port yet: ask the user
    Changed, // pinned, and this is another certificate: refuse, ask the user
    Invalid, // an error that no pin excuses (expired, bad signature, ...): refuse
};

// The errors a self-signed (or privately issued) certificate raises and a pin stands in
// for: self-signed, issuer unknown or untrusted, a host name it does not name.
bool isPinnableError(QSslError::SslError error);
// Decides on the errors of one handshake. Every error must be pinnable and about the
// peer's own certificate; then the verdict depends on the pin alone.
TrustVerdict judgeCertificate(const QList<QSslError> &errors, const QSslCertificate &peer,
                              const QString &pinnedFingerprint);

} // namespace confab::client
