#pragma once

#include "account/profile.h"
#include "models/serversmodel.h"
#include "net/discovery.h"
#include "session/clientsession.h"

#include <QObject>
#include <QtQml/qqmlregistration.h>
#include <functional>
#include <memory>

namespace confab::client {

class TokenStore;

// The accounts of one profile, side by side: one ClientSession per (server, user), the
// token store they share (the keychain, or the 0600 file fallback), and the list of
// servers to offer (recent ones, and those LAN discovery hears). What was added is remembered in
// the profile's settings and comes back with restore(). UI thread only.
class Accounts : public QObject
{
    Q_OBJECT
    QML_ELEMENT
    Q_PROPERTY(QList<confab::client::ClientSession *> sessions READ sessions NOTIFY sessionsChanged)
    Q_PROPERTY(confab::client::ServersModel *servers READ servers CONSTANT)
    Q_PROPERTY(confab::client::LanDiscovery *discovery READ discovery CONSTANT)
    Q_PROPERTY(QString profileName READ profileName CONSTANT)
    Q_PROPERTY(QString warningText READ warningText NOTIFY warningTextChanged)

public:
    // The profile named by the command line (--profile), tokens in the keychain.
    explicit Accounts(QObject *parent = nullptr);
    // tokens == nullptr: the profile's keychain service with its file fallback.
    Accounts(const Profile &profile, TokenStore *tokens, QObject *parent = nullptr);
    ~Accounts() override;

    QList<ClientSession *> sessions() const { return m_sessions; }
    ServersModel *servers() const { return m_servers; }
    // Fills the servers' "discovered" rows while active (the connect page is open).
    LanDiscovery *discovery() const { return m_discovery; }
    QString profileName() const { return m_profile.name(); }
    QString warningText() const;
    const Profile &profile() const { return m_profile; }
    TokenStore *tokenStore() const { return m_tokens; }
    // Lets tests and tools adjust every new session's options (timeouts, cache size).
    void setOptionsHook(std::function<void(SessionOptions &)> hook) { m_hook = std::move(hook); }

    // The session of (url, user), created and started if new; it is not connected yet
    // (login(), registerAccount() or connectToServer() do that).
    Q_INVOKABLE confab::client::ClientSession *addAccount(const QUrl &url, const QString &user);
    Q_INVOKABLE confab::client::ClientSession *find(const QUrl &url, const QString &user) const;
    // Forgets an account on this machine: it goes from the list and its token from the
    // keychain (its outbox and cache files stay).
    Q_INVOKABLE void removeAccount(confab::client::ClientSession *session);
    // Brings back the accounts of the last run and resumes them with their tokens.
    Q_INVOKABLE void restore();

signals:
    void sessionsChanged();
    void warningTextChanged();

private:
    ClientSession *createSession(const QUrl &url, const QString &user);
    void save() const;

    Profile m_profile;
    std::unique_ptr<TokenStore> m_ownTokens;
    TokenStore *m_tokens;
    ServersModel *m_servers;
    LanDiscovery *m_discovery;
    QList<ClientSession *> m_sessions;
    std::function<void(SessionOptions &)> m_hook;
};

} // namespace confab::client
