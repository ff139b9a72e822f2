#pragma once

#include <QByteArray>
#include <QString>

// Password hashing (Argon2id via libsodium) and session tokens. All functions are
// thread-safe; hashing is deliberately slow, so call it from a pool thread, never from
// an I/O thread.
namespace confab::server {

struct HashParams
{
    quint64 opsLimit = 0;
    size_t memLimitBytes = 0;

    // libsodium's INTERACTIVE cost: the production default.
    static HashParams interactive();
    // The cheapest cost libsodium allows: for tests and benchmarks only (config-selected).
    static HashParams minimal();
};

// Returns a self-describing crypto_pwhash_str string ("$argon2id$v=19$m=...,t=...,p=1$...")
// or an empty string if hashing failed (out of memory).
QString hashPassword(const QByteArray &password, const HashParams &params);
// Constant-time check of password against a hash made by hashPassword(). False for a
// malformed or empty hash.
bool verifyPassword(const QString &hash, const QByteArray &password);
// True if hash was made with other parameters (or another algorithm) than params, so it
// should be replaced after the next successful login.
bool needsRehash(const QString &hash, const HashParams &params);

// A new session token: 32 random bytes, base64url without padding (43 chars, 256 bits).
QString generateToken();
// 128 random bits as 32 lowercase hex characters: store epochs and file ids.
QString randomHexId();
// What the store keeps instead of the token: lower-case hex SHA-256.
QString hashToken(const QString &token);

} // namespace confab::server
