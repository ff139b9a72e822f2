#include "account/tokenstore.h"

#include "logging.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QSaveFile>
#include <QTimer>
#include <qt6keychain/keychain.h>

namespace confab::client {

using namespace Qt::StringLiterals;

void TokenStore::setWarningText(const QString &text)
{
    if (text == m_warningText)
        return;
    m_warningText = text;
    emit warningTextChanged();
}

FileTokenStore::FileTokenStore(QString path, QObject *parent)
    : TokenStore(parent)
    , m_path(std::move(path))
{
}

QJsonObject FileTokenStore::load(QString *error) const
{
    QFile file(m_path);
    if (!file.exists())
        return {};
    if (!file.open(QIODevice::ReadOnly)) {
        *error = file.errorString();
        return {};
    }
    return QJsonDocument::fromJson(file.readAll()).object();
}

bool FileTokenStore::save(const QJsonObject &tokens, QString *error) const
{
    const QString dir = QFileInfo(m_path).absolutePath();
    if (!QDir().mkpath(dir)) {
        *error = u"cannot create %1"_s.arg(dir);
        return false;
    }
    QFile::setPermissions(dir, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
    QSaveFile file(m_path);
    // The permissions are set before any byte of a token is written.
    if (!file.open(QIODevice::WriteOnly) ||
        !file.setPermissions(QFile::ReadOwner | QFile::WriteOwner)) {
        *error = file.errorString();
        return false;
    }
    file.write(QJsonDocument(tokens).toJson(QJsonDocument::Compact));
    if (!file.commit()) {
        *error = file.errorString();
        return false;
    }
    return true;
}

void FileTokenStore::read(const QString &key, ReadDone done)
{
    QString error;
    const QJsonObject tokens = load(&error);
    const QJsonValue v = tokens.value(key);
    done(v.isString() ? std::optional(v.toString()) : std::nullopt, error);
}

void FileTokenStore::write(const QString &key, const QString &token, WriteDone done)
{
    QString error;
    QJsonObject tokens = load(&error);
    tokens.insert(key, token);
    const bool ok = error.isEmpty() && save(tokens, &error);
    if (!ok)
        qCWarning(lcAccount) << "cannot store the token:" << error;
    if (done)
        done(ok, error);
}

void FileTokenStore::remove(const QString &key, WriteDone done)
{
    QString error;
    QJsonObject tokens = load(&error);
    if (error.isEmpty() && !tokens.contains(key)) {
        if (done)
            done(true, {});
        return;
    }
    tokens.remove(key);
    // No file is better than an empty one.
    const bool ok =
        error.isEmpty() && (tokens.isEmpty() ? QFile::remove(m_path) : save(tokens, &error));
    if (done)
        done(ok, error);
}

KeychainTokenStore::KeychainTokenStore(QString service, QString fallbackPath, QObject *parent)
    : TokenStore(parent)
    , m_service(std::move(service))
    , m_fallback(std::move(fallbackPath))
{
}

QString KeychainTokenStore::backendName() const
{
    return m_fallbackActive ? m_fallback.backendName() : u"keychain"_s;
}

void KeychainTokenStore::fallBack(const QString &why)
{
    if (m_fallbackActive)
        return;
    m_fallbackActive = true;
    qCWarning(lcAccount).noquote()
        << "no keychain available (" << why << "): login tokens are kept in" << m_fallback.path()
        << "readable by this user only";
    setWarningText(tr("No keychain is available, so your login is kept in a file that only "
                      "your user account can read: %1")
                       .arg(m_fallback.path()));
}

namespace {
// A keychain that does not answer at all (a hung Secret Service, or no GLib main loop to
// deliver libsecret's answer) counts as missing.
constexpr int kKeychainTimeoutMs = 10000;

// Calls finished(error, errorString) once: when the job ends or when it times out.
void runJob(QKeychain::Job *job, QObject *context,
            std::function<void(QKeychain::Error, QString)> finished)
{
    auto once =
        std::make_shared<std::function<void(QKeychain::Error, QString)>>(std::move(finished));
    QObject::connect(job, &QKeychain::Job::finished, context, [job, once] {
        if (auto f = std::exchange(*once, nullptr))
            f(job->error(), job->errorString());
    });
    QTimer::singleShot(kKeychainTimeoutMs, context, [once] {
        if (auto f = std::exchange(*once, nullptr))
            f(QKeychain::OtherError, QStringLiteral("the keychain did not answer"));
    });
    job->start();
}

bool keychainMissing(QKeychain::Error error)
{
    return error == QKeychain::NoBackendAvailable || error == QKeychain::OtherError ||
           error == QKeychain::NotImplemented || error == QKeychain::AccessDenied;
}
} // namespace

void KeychainTokenStore::read(const QString &key, ReadDone done)
{
    if (m_fallbackActive)
        return m_fallback.read(key, std::move(done));
    auto *job = new QKeychain::ReadPasswordJob(m_service, this);
    job->setKey(key);
    runJob(job, this, [this, job, key, done](QKeychain::Error error, const QString &text) {
        if (error == QKeychain::NoError)
            return done(job->textData(), {});
        if (error == QKeychain::EntryNotFound) {
            // A token saved while the keychain was missing lives on in the file.
            return m_fallback.read(key, done);
        }
        if (keychainMissing(error)) {
            fallBack(text);
            return m_fallback.read(key, done);
        }
        done(std::nullopt, text);
    });
}

void KeychainTokenStore::write(const QString &key, const QString &token, WriteDone done)
{
    if (m_fallbackActive)
        return m_fallback.write(key, token, std::move(done));
    auto *job = new QKeychain::WritePasswordJob(m_service, this);
    job->setKey(key);
    job->setTextData(token);
    runJob(job, this, [this, key, token, done](QKeychain::Error error, const QString &text) {
        if (error == QKeychain::NoError) {
            m_fallback.remove(key); // no stale copy outside the keychain
            if (done)
                done(true, {});
            return;
        }
        fallBack(text);
        m_fallback.write(key, token, done);
    });
}

void KeychainTokenStore::remove(const QString &key, WriteDone done)
{
    m_fallback.remove(key);
    if (m_fallbackActive) {
        if (done)
            done(true, {});
        return;
    }
    auto *job = new QKeychain::DeletePasswordJob(m_service, this);
    job->setKey(key);
    runJob(job, this, [done](QKeychain::Error error, const QString &text) {
        const bool ok = error == QKeychain::NoError || error == QKeychain::EntryNotFound;
        if (done)
            done(ok, ok ? QString() : text);
    });
}

} // namespace confab::client
