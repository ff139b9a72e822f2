#pragma once

#include <QJsonObject>
#include <QObject>
#include <functional>
#include <optional>

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

signals:
    void warningTextChanged();

protected:
    void setWarningText(const QString &text);

private:
    QString m_warningText;
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

// The platform keychain through QtKeychain (the Secret Service on Linux). When no
// keychain answers, it falls back to a FileTokenStore once and says so in warningText.
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
    void fallBack(const QString &why);
    QString m_service;
    FileTokenStore m_fallback;
    bool m_fallbackActive = false;
};

} // namespace confab::client
