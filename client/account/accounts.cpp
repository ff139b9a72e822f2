#include "account/accounts.h"

#include "account/tokenstore.h"
#include "logging.h"
#include "protocol/names.h"

#include <QCoreApplication>
#include <QDir>
#include <QSettings>

namespace confab::client {

using namespace Qt::StringLiterals;

Accounts::Accounts(QObject *parent)
    : Accounts(Profile::fromArguments(QCoreApplication::arguments()), nullptr, parent)
{
}

Accounts::Accounts(const Profile &profile, TokenStore *tokens, QObject *parent)
    : QObject(parent)
    , m_profile(profile)
    , m_tokens(tokens)
    , m_servers(new ServersModel(this))
    , m_discovery(new LanDiscovery(m_servers, this))
{
    if (!m_tokens) {
        m_ownTokens = std::make_unique<KeychainTokenStore>(m_profile.keychainService(),
                                                           m_profile.tokenFile());
        m_tokens = m_ownTokens.get();
    }
    connect(m_tokens, &TokenStore::warningTextChanged, this, &Accounts::warningTextChanged);
    connect(m_tokens, &TokenStore::waitingChanged, this, &Accounts::warningTextChanged);
    QSettings settings(m_profile.settingsFile(), QSettings::IniFormat);
    const int n = settings.beginReadArray(u"accounts"_s);
    for (int i = 0; i < n; ++i) {
        settings.setArrayIndex(i);
        m_servers->addRecent(settings.value(u"url"_s).toUrl(), settings.value(u"user"_s).toString(),
                             settings.value(u"lastUsed"_s).toDateTime());
    }
    settings.endArray();
}

Accounts::~Accounts()
{
    // Sessions first: their files close before the token store goes.
    qDeleteAll(m_sessions);
    m_sessions.clear();
}

QString Accounts::warningText() const
{
    if (m_tokens->isWaiting())
        return tr("Waiting for the keychain: unlock it in its window, or log in with your "
                  "password.");
    return m_tokens->warningText();
}

ClientSession *Accounts::find(const QUrl &url, const QString &user) const
{
    const QString folded = protocol::foldUserName(user);
    for (ClientSession *s : m_sessions) {
        if (s->userName() == folded && s->serverUrl().matches(url, QUrl::StripTrailingSlash))
            return s;
    }
    return nullptr;
}

ClientSession *Accounts::createSession(const QUrl &url, const QString &user)
{
    SessionOptions options = m_profile.sessionOptions(url, user);
    if (m_hook)
        m_hook(options);
    auto *session = new ClientSession(options, m_tokens, this);
    if (!session->start())
        qCWarning(lcAccount) << "account files did not open:" << session->errorText();
    m_sessions.append(session);
    emit sessionsChanged();
    return session;
}

ClientSession *Accounts::addAccount(const QUrl &url, const QString &user)
{
    if (ClientSession *existing = find(url, user))
        return existing;
    ClientSession *session = createSession(url, user);
    m_servers->addRecent(url, session->userName(), QDateTime::currentDateTimeUtc());
    save();
    return session;
}

void Accounts::removeAccount(ClientSession *session)
{
    if (!m_sessions.removeOne(session))
        return;
    m_servers->removeRecent(session->serverUrl());
    m_tokens->remove(session->tokenKey()); // nothing of it stays behind in the keychain
    emit sessionsChanged();
    save();
    session->deleteLater();
}

void Accounts::restore()
{
    for (const ServersModel::Server &s : m_servers->servers()) {
        if (!s.recent || s.user.isEmpty() || find(s.url, s.user))
            continue;
        createSession(s.url, s.user)->connectToServer();
    }
}

void Accounts::save() const
{
    QDir().mkpath(m_profile.configDir());
    QSettings settings(m_profile.settingsFile(), QSettings::IniFormat);
    settings.beginWriteArray(u"accounts"_s);
    int i = 0;
    for (const ServersModel::Server &s : m_servers->servers()) {
        if (!s.recent)
            continue;
        settings.setArrayIndex(i++);
        settings.setValue(u"url"_s, s.url);
        settings.setValue(u"user"_s, s.user);
        settings.setValue(u"lastUsed"_s, s.lastUsed);
    }
    settings.endArray();
}

} // namespace confab::client
