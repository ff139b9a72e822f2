#include "auth/credentials.h"

#include "logging.h"

#include <QCryptographicHash>
#include <sodium.h>

namespace confab::server {

namespace {

// sodium_init() is idempotent and thread-safe, but calling it on every hash would take
// its internal lock each time; a function-local static runs it exactly once.
bool sodiumReady()
{
    static const bool ready = [] {
        if (sodium_init() < 0) {
            qCCritical(lcAuth) << "libsodium failed to initialise";
            return false;
        }
        return true;
    }();
    return ready;
}

// crypto_pwhash_str_* want a NUL-terminated string that fits in crypto_pwhash_STRBYTES.
bool toHashBuffer(const QString &hash, QByteArray *out)
{
    *out = hash.toLatin1();
    return !out->isEmpty() && out->size() < qsizetype(crypto_pwhash_STRBYTES);
}

} // namespace

HashParams HashParams::interactive()
{
    return {crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE};
}

HashParams HashParams::minimal()
{
    return {crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN};
}

QString hashPassword(const QByteArray &password, const HashParams &params)
{
    if (!sodiumReady())
        return {};
    char out[crypto_pwhash_STRBYTES];
    if (crypto_pwhash_str_alg(out, password.constData(),
                              static_cast<unsigned long long>(password.size()), params.opsLimit,
                              params.memLimitBytes, crypto_pwhash_ALG_ARGON2ID13) != 0) {
        qCWarning(lcAuth) << "password hashing failed (out of memory?)";
        return {};
    }
    return QString::fromLatin1(out);
}

bool verifyPassword(const QString &hash, const QByteArray &password)
{
    QByteArray buffer;
    if (!sodiumReady() || !toHashBuffer(hash, &buffer))
        return false;
    return crypto_pwhash_str_verify(buffer.constData(), password.constData(),
                                    static_cast<unsigned long long>(password.size())) == 0;
}

bool needsRehash(const QString &hash, const HashParams &params)
{
    QByteArray buffer;
    if (!sodiumReady() || !toHashBuffer(hash, &buffer))
        return true;
    // Nonzero also for a hash of another algorithm (-1) or other parameters (1).
    return crypto_pwhash_str_needs_rehash(buffer.constData(), params.opsLimit,
                                          params.memLimitBytes) != 0;
}

QString randomHexId()
{
    QByteArray bytes(16, Qt::Uninitialized);
    if (!sodiumReady())
        qFatal("libsodium is not available: cannot generate an id");
    randombytes_buf(bytes.data(), size_t(bytes.size()));
    return QString::fromLatin1(bytes.toHex());
}

QString generateToken()
{
    QByteArray bytes(32, Qt::Uninitialized);
    if (sodiumReady()) {
        randombytes_buf(bytes.data(), size_t(bytes.size()));
    } else {
        // Without libsodium no token can be trusted; fail loudly rather than hand out a
        // predictable one.
        qFatal("libsodium is not available: cannot generate a session token");
    }
    return QString::fromLatin1(
        bytes.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals));
}

QString hashToken(const QString &token)
{
    return QString::fromLatin1(
        QCryptographicHash::hash(token.toUtf8(), QCryptographicHash::Sha256).toHex());
}

} // namespace confab::server
