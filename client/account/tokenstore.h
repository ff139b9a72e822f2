#pragma once

#include <QJsonObject>
#include <QObject>
#include <functional>
#include <optional>

namespace QKeychain {
class Job;
} // namespace QKeychain

namespace confab::client {

// Where login tokens live: the platform keychain, or a private file where no secret
// service runs. Never the cache database. Calls may complete later (keychains are
// asynchronous); callbacks run on the caller's thread.
class TokenStore : public QObject
{
    Q_OBJECT

public:
    using ReadDone = std::function<void(std::optional<QString> token, QString error)>;
    using WriteDone = std::function<void(bool ok, QString error)>;

    using QObject::QObject;
    virtual void read(const QString &key, ReadDone done) = 0;
    virtual void write(const QString &key, const QString &token, WriteDone done = {}) = 0;
    virtual void remove(const QString &key, WriteDone done = {}) = 0;
    virtual QString backendName() const = 0;
    // A warning the UI should show once (e.g. "tokens are kept in a file"), or empty.
    QString warningText() const { return m_warningText; }
    // True while a request has waited a while for its answer: a keychain that shows an
    // unlock prompt answers only once the user did. The UI says so and offers the
    // password meanwhile; the answer still counts when it comes.
    bool isWaiting() const { return m_slowRequests > 0; }

signals:
    void warningTextChanged();
    void waitingChanged();

protected:
    void setWarningText(const QString &text);
    // A request became slow, or a slow one ended.
    void slowRequestStarted();
    void slowRequestEnded();

private:
    QString m_warningText;
    int m_slowRequests = 0;
};

// Tokens in one JSON file readable by its owner only (0600, in a 0700 directory).
class FileTokenStore : public TokenStore
{
    Q_OBJECT

public:
    explicit FileTokenStore(QString path, QObject *parent = nullptr);
    void read(const QString &key, ReadDone done) override;
    void write(const QString &key, const QString &token, WriteDone done = {}) override;
    void remove(const QString &key, WriteDone done = {}) override;
    QString backendName() const override { return QStringLiteral("file"); }
    QString path() const { return m_path; }

private:
    QJsonObject load(QString *error) const;
    bool save(const QJsonObject &tokens, QString *error) const;
    QString m_path;
};

// The platform keychain through QtKeychain (the Secret Service on Linux). When there is
// no keychain, or it does not answer within two minutes (a hung service), it falls back
// to a FileTokenStore once and says so in warningText. A keychain that is merely slow,
// such as one waiting for the user to unlock it, makes isWaiting() true after a moment.
class KeychainTokenStore : public TokenStore
{
    Q_OBJECT

public:
    KeychainTokenStore(QString service, QString fallbackPath, QObject *parent = nullptr);
    void read(const QString &key, ReadDone done) override;
    void write(const QString &key, const QString &token, WriteDone done = {}) override;
    void remove(const QString &key, WriteDone done = {}) override;
    QString backendName() const override;
    bool usingFallback() const { return m_fallbackActive; }

private:
    // Calls finished(error, errorString) once (error: a QKeychain::Error), when the job
    // ends or at the timeout.
    void runJob(QKeychain::Job *job, std::function<void(int error, QString text)> finished);
    void fallBack(const QString &why, bool denied);
    QString m_service;
    FileTokenStore m_fallback;
    bool m_fallbackActive = false;
};

} // namespace confab::client
