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

void TokenStore::slowRequestStarted()
{
    if (m_slowRequests++ == 0)
        emit waitingChanged();
}

void TokenStore::slowRequestEnded()
{
    if (--m_slowRequests == 0)
        emit waitingChanged();
}

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

void KeychainTokenStore::fallBack(const QString &why, bool denied)
{
    if (m_fallbackActive)
        return;
    m_fallbackActive = true;
    qCWarning(lcAccount).noquote()
        << "no keychain available (" << why << "): login tokens are kept in" << m_fallback.path()
        << "readable by this user only";
    setWarningText(
        (denied ? tr("The keychain stayed locked, so your login is kept in a file that only "
                     "your user account can read: %1")
                : tr("No keychain is available, so your login is kept in a file that only "
                     "your user account can read: %1"))
            .arg(m_fallback.path()));
}

namespace {
// A keychain that does not answer at all (a hung Secret Service, or no GLib main loop to
// deliver libsecret's answer) counts as missing. Not sooner: one that shows an unlock
// prompt answers only once the user typed the password.
constexpr int kKeychainTimeoutMs = 120000;
// After this long the UI says that the keychain is awaited, and offers the password.
constexpr int kKeychainSlowMs = 1500;

bool keychainMissing(QKeychain::Error error)
{
    return error == QKeychain::NoBackendAvailable || error == QKeychain::OtherError ||
           error == QKeychain::NotImplemented || error == QKeychain::AccessDenied;
}
} // namespace

void KeychainTokenStore::runJob(QKeychain::Job *job,
                                std::function<void(int error, QString text)> finished)
{
    struct State
    {
        std::function<void(int, QString)> finished;
        bool slow = false;
    };
    auto state = std::make_shared<State>(State{std::move(finished), false});
    auto end = [this, state](int error, const QString &text) {
        auto f = std::exchange(state->finished, nullptr);
        if (!f)
            return;
        if (std::exchange(state->slow, false))
            slowRequestEnded();
        f(error, text);
    };
    connect(job, &QKeychain::Job::finished, this,
            [job, end] { end(job->error(), job->errorString()); });
    QTimer::singleShot(kKeychainSlowMs, this, [this, state] {
        if (state->finished && !state->slow) {
            state->slow = true;
            slowRequestStarted();
        }
    });
    QTimer::singleShot(kKeychainTimeoutMs, this, [end] {
        end(QKeychain::OtherError, QStringLiteral("the keychain did not answer"));
    });
    job->start();
}

void KeychainTokenStore::read(const QString &key, ReadDone done)
{
    if (m_fallbackActive)
        return m_fallback.read(key, std::move(done));
    auto *job = new QKeychain::ReadPasswordJob(m_service, this);
    job->setKey(key);
    runJob(job, [this, job, key, done](int code, const QString &text) {
        const auto error = QKeychain::Error(code);
        if (error == QKeychain::NoError)
            return done(job->textData(), {});
        if (error == QKeychain::EntryNotFound) {
            // A token saved while the keychain was missing lives on in the file.
            return m_fallback.read(key, done);
        }
        if (keychainMissing(error)) {
            fallBack(text, error == QKeychain::AccessDenied);
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
    runJob(job, [this, key, token, done](int error, const QString &text) {
        if (error == QKeychain::NoError) {
            m_fallback.remove(key); // no stale copy outside the keychain
            if (done)
                done(true, {});
            return;
        }
        fallBack(text, error == QKeychain::AccessDenied);
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
    runJob(job, [done](int error, const QString &text) {
        const bool ok = error == QKeychain::NoError || error == QKeychain::EntryNotFound;
        if (done)
            done(ok, ok ? QString() : text);
    });
}

} // namespace confab::client
