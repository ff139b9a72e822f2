#include "net/tls.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHostInfo>
#include <QRegularExpression>
#include <QSslKey>
#include <QSslSocket>
#include <fcntl.h>
#include <memory>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <unistd.h>

namespace confab::server {

using namespace Qt::StringLiterals;

namespace {

template<class T, void (*Free)(T *)> struct Deleter
{
    void operator()(T *p) const { Free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using Bio = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using Bignum = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>>;

QString opensslError(const char *what)
{
    char buffer[256] = {};
    const unsigned long code = ERR_get_error();
    ERR_clear_error();
    if (code == 0)
        return QString::fromLatin1(what);
    ERR_error_string_n(code, buffer, sizeof buffer);
    return u"%1: %2"_s.arg(QLatin1String(what), QLatin1String(buffer));
}

bool addExtension(X509 *cert, int nid, const QByteArray &value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.constData());
    if (!ext)
        return false;
    const bool ok = X509_add_ext(cert, ext, -1) == 1;
    X509_EXTENSION_free(ext);
    return ok;
}

QByteArray pem(const std::function<int(BIO *)> &write)
{
    Bio bio(BIO_new(BIO_s_mem()));
    if (!bio || write(bio.get()) != 1)
        return {};
    char *data = nullptr;
    const long size = BIO_get_mem_data(bio.get(), &data);
    return QByteArray(data, qsizetype(size));
}

// Writes to a temporary file beside path (created with mode), then renames it over a
// path that must not exist yet.
bool writeNew(const QString &path, const QByteArray &data, mode_t mode, QString *error)
{
    if (QFileInfo::exists(path)) {
        *error = u"%1 already exists"_s.arg(path);
        return false;
    }
    const QByteArray tmp = QFile::encodeName(path + u".tmp"_s);
    ::unlink(tmp.constData());
    const int fd = ::open(tmp.constData(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0) {
        *error = u"cannot create %1: %2"_s.arg(path, QString::fromLocal8Bit(strerror(errno)));
        return false;
    }
    qsizetype done = 0;
    while (done < data.size()) {
        const ssize_t n = ::write(fd, data.constData() + done, size_t(data.size() - done));
        if (n <= 0) {
            ::close(fd);
            ::unlink(tmp.constData());
            *error = u"cannot write %1"_s.arg(path);
            return false;
        }
        done += n;
    }
    const bool synced = ::fsync(fd) == 0;
    ::close(fd);
    if (!synced || ::rename(tmp.constData(), QFile::encodeName(path).constData()) != 0) {
        ::unlink(tmp.constData());
        *error = u"cannot write %1"_s.arg(path);
        return false;
    }
    return true;
}

QString hostName()
{
    static const QRegularExpression dnsName(
        u"^[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\\.[A-Za-z0-9-]{1,63})*$"_s);
    const QString host = QHostInfo::localHostName();
    return dnsName.match(host).hasMatch() ? host : QString();
}

std::optional<QSslKey> readKey(const QString &path, QString *error)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        *error = u"cannot read the TLS key %1: %2"_s.arg(path, file.errorString());
        return std::nullopt;
    }
    const QByteArray data = file.readAll();
    if (data.contains("ENCRYPTED")) {
        *error =
            u"the TLS key %1 is encrypted; the server needs it without a passphrase"_s.arg(path);
        return std::nullopt;
    }
    for (const QSsl::KeyAlgorithm algorithm : {QSsl::Ec, QSsl::Rsa, QSsl::Dsa}) {
        QSslKey key(data, algorithm, QSsl::Pem, QSsl::PrivateKey);
        if (!key.isNull())
            return key;
    }
    *error = u"%1 holds no PEM private key"_s.arg(path);
    return std::nullopt;
}

// OpenSSL's own check that the key is the certificate's.
bool keyMatches(const QSslCertificate &certificate, const QSslKey &key)
{
    const QByteArray certPem = certificate.toPem();
    const QByteArray keyPem = key.toPem();
    Bio certBio(BIO_new_mem_buf(certPem.constData(), int(certPem.size())));
    Bio keyBio(BIO_new_mem_buf(keyPem.constData(), int(keyPem.size())));
    X509Ptr cert(PEM_read_bio_X509(certBio.get(), nullptr, nullptr, nullptr));
    Pkey pkey(PEM_read_bio_PrivateKey(keyBio.get(), nullptr, nullptr, nullptr));
    const bool ok = cert && pkey && X509_check_private_key(cert.get(), pkey.get()) == 1;
    ERR_clear_error();
    return ok;
}

struct Paths
{
    QString cert;
    QString key;
    bool automatic = false;
};

std::optional<Paths> certificatePaths(const ServerConfig &cfg, QString *error)
{
    using Mode = ServerConfig::TlsMode;
    if (cfg.tlsCert.isEmpty() != cfg.tlsKey.isEmpty()) {
        *error = cfg.tlsCert.isEmpty() ? u"tls.key is set but tls.cert is not"_s
                                       : u"tls.cert is set but tls.key is not"_s;
        return std::nullopt;
    }
    if (!cfg.tlsCert.isEmpty())
        return Paths{cfg.tlsCert, cfg.tlsKey, false};
    if (cfg.tls == Mode::On) {
        *error = u"tls = on needs tls.cert and tls.key (or use tls = auto)"_s;
        return std::nullopt;
    }
    return Paths{autoCertificatePath(cfg), autoKeyPath(cfg), true};
}

} // namespace

QString certificateFingerprint(const QSslCertificate &certificate)
{
    return QString::fromLatin1(certificate.digest(QCryptographicHash::Sha256).toHex(':').toUpper());
}

QString autoCertificatePath(const ServerConfig &cfg)
{
    return QDir(cfg.stateDir).absoluteFilePath(u"tls/server.crt"_s);
}

QString autoKeyPath(const ServerConfig &cfg)
{
    return QDir(cfg.stateDir).absoluteFilePath(u"tls/server.key"_s);
}

bool createSelfSignedCertificate(const QString &certPath, const QString &keyPath,
                                 const QString &commonName, QString *error)
{
    Pkey key(EVP_EC_gen("P-256"));
    X509Ptr cert(X509_new());
    Bignum serial(BN_new());
    if (!key || !cert || !serial ||
        BN_rand(serial.get(), 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
        !BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get()))) {
        *error = opensslError("cannot create a key");
        return false;
    }
    X509_set_version(cert.get(), 2);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 10L * 365 * 24 * 3600);
    X509_set_pubkey(cert.get(), key.get());
    X509_NAME *name = X509_get_subject_name(cert.get());
    const QByteArray cn = commonName.left(64).toUtf8();
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char *>("Confab"), -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char *>(cn.constData()), -1, -1, 0);
    X509_set_issuer_name(cert.get(), name);
    QByteArray san = "DNS:localhost,IP:127.0.0.1,IP:::1";
    if (const QString host = hostName(); !host.isEmpty() && host != "localhost"_L1)
        san = "DNS:" + host.toLatin1() + ',' + san;
    if (!addExtension(cert.get(), NID_basic_constraints, "critical,CA:FALSE") ||
        !addExtension(cert.get(), NID_ext_key_usage, "serverAuth") ||
        !addExtension(cert.get(), NID_subject_key_identifier, "hash") ||
        !addExtension(cert.get(), NID_subject_alt_name, san) ||
        X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) {
        *error = opensslError("cannot sign the certificate");
        return false;
    }
    const QByteArray keyPem = pem([&](BIO *bio) {
        return PEM_write_bio_PrivateKey(bio, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
    });
    const QByteArray certPem = pem([&](BIO *bio) { return PEM_write_bio_X509(bio, cert.get()); });
    if (keyPem.isEmpty() || certPem.isEmpty()) {
        *error = opensslError("cannot encode the certificate");
        return false;
    }
    for (const QString &path : {certPath, keyPath}) {
        const QString dir = QFileInfo(path).absolutePath();
        if (!QDir().mkpath(dir)) {
            *error = u"cannot create %1"_s.arg(dir);
            return false;
        }
    }
    QFile::setPermissions(QFileInfo(keyPath).absolutePath(),
                          QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
    if (!writeNew(keyPath, keyPem, 0600, error))
        return false;
    if (!writeNew(certPath, certPem, 0644, error)) {
        QFile::remove(keyPath);
        return false;
    }
    return true;
}

bool configuredCertificate(const ServerConfig &cfg, QSslCertificate *certificate, QString *error)
{
    const bool automatic = cfg.tlsCert.isEmpty();
    const QString path = automatic ? autoCertificatePath(cfg) : cfg.tlsCert;
    if (!QFileInfo::exists(path)) {
        *error =
            automatic
                ? u"no certificate yet: %1 is made on the first start with tls = auto"_s.arg(path)
                : u"the TLS certificate %1 does not exist"_s.arg(path);
        return false;
    }
    const QList<QSslCertificate> chain = QSslCertificate::fromPath(path, QSsl::Pem);
    if (chain.isEmpty() || chain.first().isNull()) {
        *error = u"%1 holds no PEM certificate"_s.arg(path);
        return false;
    }
    *certificate = chain.first();
    return true;
}

bool loadTlsSetup(const ServerConfig &cfg, TlsSetup *setup, QString *error)
{
    *setup = TlsSetup{};
    if (cfg.tls == ServerConfig::TlsMode::Off)
        return true;
    if (!QSslSocket::supportsSsl()) {
        *error = u"TLS is configured but Qt has no TLS backend (libssl) here"_s;
        return false;
    }
    const std::optional<Paths> paths = certificatePaths(cfg, error);
    if (!paths)
        return false;
    if (paths->automatic) {
        const bool haveCert = QFileInfo::exists(paths->cert);
        const bool haveKey = QFileInfo::exists(paths->key);
        if (haveCert != haveKey) {
            *error = u"%1 exists without %2: remove it to have a new certificate made"_s.arg(
                haveCert ? paths->cert : paths->key, haveCert ? paths->key : paths->cert);
            return false;
        }
        if (!haveCert) {
            const QString cn =
                cfg.discoveryName.isEmpty() ? QHostInfo::localHostName() : cfg.discoveryName;
            if (!createSelfSignedCertificate(paths->cert, paths->key, cn, error))
                return false;
        }
    }
    const QList<QSslCertificate> chain = QSslCertificate::fromPath(paths->cert, QSsl::Pem);
    if (chain.isEmpty() || chain.first().isNull()) {
        *error = QFileInfo::exists(paths->cert)
                     ? u"%1 holds no PEM certificate"_s.arg(paths->cert)
                     : u"the TLS certificate %1 does not exist"_s.arg(paths->cert);
        return false;
    }
    const std::optional<QSslKey> key = readKey(paths->key, error);
    if (!key)
        return false;
    if (!keyMatches(chain.first(), *key)) {
        *error =
            u"the TLS key %1 does not belong to the certificate %2"_s.arg(paths->key, paths->cert);
        return false;
    }
    QSslConfiguration conf = QSslConfiguration::defaultConfiguration();
    conf.setLocalCertificateChain(chain);
    conf.setPrivateKey(*key);
    conf.setProtocol(QSsl::TlsV1_2OrLater);
    conf.setPeerVerifyMode(QSslSocket::VerifyNone);
    // Clients are not asked for certificates, so no CA store: Qt builds one per socket from
    // this list, and with the system's ~140 roots that was most of a handshake's cost.
    conf.setCaCertificates({});
    setup->enabled = true;
    setup->required = cfg.tls == ServerConfig::TlsMode::Required;
    setup->configuration = conf;
    setup->fingerprint = certificateFingerprint(chain.first());
    return true;
}

} // namespace confab::server
