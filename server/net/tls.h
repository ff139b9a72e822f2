#pragma once

#include "core/serverconfig.h"

#include <QSslConfiguration>
#include <QString>

namespace confab::server {

// What the I/O workers need to speak TLS: built once at start-up, read-only afterwards.
struct TlsSetup
{
    bool enabled = false;
    bool required = false; // plain WebSocket upgrades are refused with 426
    QSslConfiguration configuration;
    QString fingerprint; // SHA-256 of the certificate, "AB:CD:..."
};

// The SHA-256 of a certificate's DER form as uppercase hex pairs joined by ':', the form
// `openssl x509 -fingerprint -sha256` prints.
QString certificateFingerprint(const QSslCertificate &certificate);

// Where tls = auto keeps its certificate and key.
QString autoCertificatePath(const ServerConfig &cfg);
QString autoKeyPath(const ServerConfig &cfg);

// Creates a self-signed certificate (EC P-256, SHA-256, valid ten years) for the host
// name, localhost and the loopback addresses, and writes it and its key (mode 0600) as
// PEM. Never overwrites: false + *error when either file exists or cannot be written.
bool createSelfSignedCertificate(const QString &certPath, const QString &keyPath,
                                 const QString &commonName, QString *error);

// Loads (and with tls = auto first creates) the certificate and key the configuration
// names. With TLS off returns a disabled setup. false + *error when a file is missing,
// unreadable, or the key does not belong to the certificate.
bool loadTlsSetup(const ServerConfig &cfg, TlsSetup *setup, QString *error);

// The certificate the configuration would serve, for `confab-server fingerprint`; does
// not create one.
bool configuredCertificate(const ServerConfig &cfg, QSslCertificate *certificate, QString *error);

} // namespace confab::server
