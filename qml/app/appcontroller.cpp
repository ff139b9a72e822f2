#include "appcontroller.h"

#include "account/profile.h"
#include "account/tokenstore.h"
#include "logging.h"
#include "models/roomlistmodel.h"
#include "notifier.h"
#include "protocol/names.h"
#include "trayicon.h"

#include <QDBusConnection>
#include <QDir>
#include <QGuiApplication>
#include <QQmlEngine>
#include <QTimer>
#include <algorithm>

namespace confab::app {

using namespace Qt::StringLiterals;
using client::ClientSession;
using client::Connection;

namespace {
AppController *g_instance = nullptr;
constexpr int kMinPasswordBytes = 8;
} // namespace

AppController::AppController(StartupOptions options, QObject *parent)
    : QObject(parent)
    , m_options(std::move(options))
    , m_notifier(new Notifier(QDBusConnection::sessionBus(), this))
    , m_tray(new TrayIcon(this))
{
    Q_ASSERT(!g_instance);
    g_instance = this;
    const client::Profile profile(m_options.profileDir);
    QDir().mkpath(profile.configDir());
    m_settings = std::make_unique<QSettings>(QDir(profile.configDir()).filePath(u"app.ini"_s),
                                             QSettings::IniFormat);
    if (m_options.fileTokens)
        m_fileTokens = std::make_unique<client::FileTokenStore>(profile.tokenFile());
    m_accounts = new client::Accounts(profile, m_fileTokens.get(), this);
    m_accounts->discovery()->setPort(m_options.discoveryPort);
    connect(m_accounts->discovery(), &client::LanDiscovery::activeChanged, this,
            &AppController::discoveryActiveChanged);
    connect(m_accounts, &client::Accounts::warningTextChanged, this,
            &AppController::tokenWarningChanged);
    connect(m_accounts, &client::Accounts::sessionsChanged, this, [this] {
        for (ClientSession *s : m_accounts->sessions()) {
            watch(s);
            s->files()->setMaxBytes(qint64(m_fileCacheMb) << 20);
        }
        updateTray();
    });

    m_doNotDisturb = m_settings->value(u"ui/doNotDisturb"_s, false).toBool();
    m_closeToTray = m_settings->value(u"ui/closeToTray"_s, true).toBool();
    m_fileCacheMb = std::clamp(m_settings->value(u"files/cacheMb"_s, 512).toInt(), 16, 65536);
    m_theme = m_options.theme.isEmpty() ? m_settings->value(u"ui/theme"_s, u"system"_s).toString()
                                        : m_options.theme;

    connect(m_notifier, &Notifier::activated, this, [this](const QString &roomId, qint64 seq) {
        emit raiseRequested();
        openRoom(roomId);
        emit jumpRequested(roomId, seq);
    });
    m_tray->setDoNotDisturb(m_doNotDisturb);
    connect(m_tray, &TrayIcon::activated, this, &AppController::raiseRequested);
    connect(m_tray, &TrayIcon::doNotDisturbToggled, this, &AppController::setDoNotDisturb);
    connect(m_tray, &TrayIcon::quitRequested, this, &AppController::quit);
}

AppController::~AppController()
{
    delete m_accounts; // the sessions flush their drafts before the token store goes
    g_instance = nullptr;
}

AppController *AppController::instance()
{
    return g_instance;
}

AppController *AppController::create(QQmlEngine *, QJSEngine *)
{
    // The app (main.cpp) makes the one instance before QML runs; a QML test that loads
    // components without it gets a throwaway one with a private profile.
    if (!g_instance) {
        StartupOptions o;
        o.profileDir =
            QDir::temp().filePath(u"confab-qml-%1"_s.arg(QCoreApplication::applicationPid()));
        o.fileTokens = true;
        new AppController(o, QCoreApplication::instance());
    }
    QQmlEngine::setObjectOwnership(g_instance, QQmlEngine::CppOwnership);
    return g_instance;
}

bool AppController::discoveryActive() const
{
    return m_accounts->discovery()->isActive();
}

void AppController::setDiscoveryActive(bool active)
{
    m_accounts->discovery()->setActive(active);
}

QString AppController::tokenWarning() const
{
    return m_accounts->warningText();
}

bool AppController::trayAvailable() const
{
    return m_tray->isAvailable();
}

// ---- settings -----------------------------------------------------------------------

QVariant AppController::setting(const QString &key, const QVariant &fallback) const
{
    return m_settings->value(key, fallback);
}

void AppController::setSetting(const QString &key, const QVariant &value)
{
    m_settings->setValue(key, value);
}

void AppController::setDoNotDisturb(bool on)
{
    if (on == m_doNotDisturb)
        return;
    m_doNotDisturb = on;
    m_settings->setValue(u"ui/doNotDisturb"_s, on);
    for (ClientSession *s : m_accounts->sessions())
        s->setDoNotDisturb(on);
    m_tray->setDoNotDisturb(on);
    emit settingsChanged();
}

void AppController::setFileCacheMb(int mb)
{
    mb = std::clamp(mb, 16, 65536);
    if (mb == m_fileCacheMb)
        return;
    m_fileCacheMb = mb;
    m_settings->setValue(u"files/cacheMb"_s, mb);
    for (ClientSession *s : m_accounts->sessions())
        s->files()->setMaxBytes(qint64(mb) << 20);
    emit settingsChanged();
}

void AppController::setCloseToTray(bool on)
{
    if (on == m_closeToTray)
        return;
    m_closeToTray = on;
    m_settings->setValue(u"ui/closeToTray"_s, on);
    emit settingsChanged();
}

void AppController::setTheme(const QString &theme)
{
    if (theme == m_theme)
        return;
    m_theme = theme;
    m_settings->setValue(u"ui/theme"_s, theme);
    emit settingsChanged();
}

// ---- sessions -----------------------------------------------------------------------

void AppController::restore()
{
    m_accounts->restore(); // every remembered account resumes with its token
    const QUrl saved = m_settings->value(u"account/url"_s).toUrl();
    const QString user = m_settings->value(u"account/user"_s).toString();
    const QUrl wanted = m_options.server.isEmpty() ? saved : m_options.server;
    ClientSession *shown = nullptr;
    if (!wanted.isEmpty()) {
        shown = saved == wanted ? m_accounts->find(saved, user) : nullptr;
        for (ClientSession *s : m_accounts->sessions()) {
            if (!shown && s->serverUrl() == wanted)
                shown = s;
        }
    } else if (!m_accounts->sessions().isEmpty()) {
        shown = m_accounts->sessions().constFirst();
    }
    if (!shown) {
        QString lastUser;
        const QList<client::ServersModel::Server> servers = m_accounts->servers()->servers();
        for (const client::ServersModel::Server &s : servers) {
            if (s.url == wanted)
                lastUser = s.user;
        }
        setPrefill(wanted.toString(), lastUser);
        return;
    }
    setPrefill(shown->serverUrl().toString(), shown->userName());
    setSession(shown);
    if (shown->loginRequired()) {
        setSignedIn(false);
    } else {
        // The app opens on the cache while the token is read and the link comes up.
        setSignedIn(shown->state() != Connection::State::Offline, true);
    }
}

void AppController::watch(ClientSession *session)
{
    if (session->property("confabWatched").toBool())
        return;
    session->setProperty("confabWatched", true);
    session->setDoNotDisturb(m_doNotDisturb);
    connect(session, &ClientSession::notificationRequested, m_notifier, &Notifier::show);
    connect(session->rooms(), &client::RoomListModel::totalsChanged, this,
            &AppController::updateTray);
    connect(session, &ClientSession::stateChanged, this, [this, session] {
        if (session == m_session)
            onSessionState();
    });
    connect(session, &ClientSession::trustChanged, this, [this, session] {
        if (session == m_session)
            onTrustChanged();
    });
    connect(session, &ClientSession::loginRequiredChanged, this, [this, session] {
        if (session == m_session && session->loginRequired())
            onLoginRequired();
    });
    connect(session, &ClientSession::cacheLoaded, this, [this, session] {
        if (session == m_session)
            selectInitialRoom();
    });
    connect(session, &ClientSession::roomReady, this, [this, session](client::Room *room) {
        if (session == m_session)
            openRoom(room->roomId());
    });
    connect(session, &ClientSession::currentRoomChanged, this, [this, session] {
        client::Room *room = session->currentRoom();
        if (session != m_session || !room)
            return;
        m_settings->setValue(lastRoomKey(), room->roomId());
        if (session->windowActive())
            m_notifier->withdraw(room->roomId());
    });
    connect(session, &ClientSession::windowActiveChanged, this, [this, session] {
        if (session->windowActive() && session->currentRoom())
            m_notifier->withdraw(session->currentRoom()->roomId());
    });
}

void AppController::updateTray()
{
    int unread = 0;
    int mentions = 0;
    for (const ClientSession *s : m_accounts->sessions()) {
        unread += s->rooms()->totalUnread();
        mentions += s->rooms()->totalMentions();
    }
    m_tray->setCounts(unread, mentions);
}

QString AppController::lastRoomKey() const
{
    return u"lastRoom/"_s +
           client::Profile::accountKey(m_session->serverUrl(), m_session->userName());
}

ClientSession *AppController::ensureSession(const QUrl &url, const QString &user)
{
    m_attemptIsNew = !m_accounts->find(url, user);
    ClientSession *session = m_accounts->addAccount(url, user);
    watch(session);
    setSession(session);
    return session;
}

void AppController::setSession(ClientSession *session)
{
    if (session == m_session)
        return;
    if (m_session)
        m_session->setWindowActive(false);
    m_session = session;
    emit sessionChanged();
    selectInitialRoom();
}

void AppController::onSessionState()
{
    const Connection::State state = m_session->state();
    if (state == Connection::State::Authenticating)
        m_reachedServer = true;
    if (state == Connection::State::Resyncing || state == Connection::State::Online) {
        if (m_attempt != Attempt::None)
            attemptSucceeded();
        else // restored from a saved token, also one the keychain gave only after a while
            setSignedIn(true);
        // The welcome's rooms are added just after this state change.
        QMetaObject::invokeMethod(this, &AppController::selectInitialRoom, Qt::QueuedConnection);
        return;
    }
    if (m_restoring && state == Connection::State::Connecting) {
        setSignedIn(true); // a saved token: the app opens on the cache, offline or not
        return;
    }
    if (state == Connection::State::Offline && m_attempt != Attempt::None) {
        // The connection sets its error text just around this change: read it after.
        QTimer::singleShot(0, this, &AppController::evaluateFailedAttempt);
    }
}

void AppController::onTrustChanged()
{
    const Connection::TrustProblem problem = m_session->trustProblem();
    if (problem != Connection::TrustProblem::Unknown &&
        problem != Connection::TrustProblem::Changed)
        return;
    const QUrl url = m_session->serverUrl();
    emit certificatePrompt(
        url.toDisplayString(), m_session->presentedFingerprint(),
        problem == Connection::TrustProblem::Changed ? m_session->pinnedFingerprint() : QString(),
        m_accounts->servers()->announcedFingerprint(url));
}

void AppController::trustCertificate(const QString &fingerprint)
{
    if (!m_session)
        return;
    if (m_session->trustCertificate(fingerprint))
        setLoginError(LoginError::None);
}

void AppController::rejectCertificate()
{
    if (!m_session)
        return;
    const bool changed = m_session->trustProblem() == Connection::TrustProblem::Changed;
    const LoginError error =
        changed ? LoginError::CertificateChanged : LoginError::CertificateNotTrusted;
    m_session->disconnectFromServer();
    if (m_attempt != Attempt::None) {
        if (m_attemptIsNew) {
            ClientSession *failed = m_session;
            m_session = nullptr;
            emit sessionChanged();
            m_accounts->removeAccount(failed);
        }
        setLoginError(error, {});
        setAttempt(Attempt::None);
        return;
    }
    if (changed) {
        // Back to the connect page: only a new login (and an explicit trust) goes on.
        setPrefill(m_session->serverUrl().toString(), m_session->userName());
        setSignedIn(false);
        setLoginError(error, {});
    }
}

void AppController::evaluateFailedAttempt()
{
    if (!m_session || m_attempt == Attempt::None ||
        m_session->state() != Connection::State::Offline)
        return;
    const Connection::TrustProblem problem = m_session->trustProblem();
    if (problem == Connection::TrustProblem::Unknown ||
        problem == Connection::TrustProblem::Changed) {
        // The attempt waits for the user's answer to the certificate prompt.
        if (problem == Connection::TrustProblem::Changed)
            setLoginError(LoginError::CertificateChanged, m_session->errorText());
        return;
    }
    const QString text = m_session->errorText();
    const bool registering = m_attempt == Attempt::Register;
    LoginError error = LoginError::Other;
    if (!m_reachedServer)
        error = LoginError::Unreachable; // no WebSocket handshake
    else if (m_session->loginRequired() && !registering)
        error = LoginError::WrongPassword;
    else if (registering && text.contains(u"taken"_s))
        error = LoginError::NameTaken; // the core keeps the refusal's text, not its code
    else if (registering && text.contains(u"registration"_s))
        error = LoginError::RegistrationClosed;
    // Stop the retries a failed attempt would leave running, and forget an account that
    // never logged in.
    m_session->disconnectFromServer();
    if (m_attemptIsNew) {
        ClientSession *failed = m_session;
        m_session = nullptr;
        emit sessionChanged();
        m_accounts->removeAccount(failed);
    }
    setLoginError(error, text);
    setAttempt(Attempt::None);
}

void AppController::onLoginRequired()
{
    if (m_attempt != Attempt::None)
        return; // evaluateFailedAttempt() says why
    const bool wasSignedIn = m_signedIn;
    setSignedIn(false);
    if (wasSignedIn)
        setLoginError(LoginError::SessionEnded, m_session->errorText());
    setPrefill(m_session->serverUrl().toString(), m_session->userName());
}

void AppController::attemptSucceeded()
{
    setAttempt(Attempt::None);
    setLoginError(LoginError::None);
    m_settings->setValue(u"account/url"_s, m_session->serverUrl());
    m_settings->setValue(u"account/user"_s, m_session->userName());
    setSignedIn(true);
}

ClientSession *AppController::beginAttempt(Attempt attempt, const QString &server,
                                           const QString &user, const QString &password)
{
    const bool registering = attempt == Attempt::Register;
    const QUrl url = serverUrlFromText(server);
    const QString name = protocol::foldUserName(user.trimmed());
    if (url.isEmpty()) {
        setLoginError(LoginError::InvalidServer);
        return nullptr;
    }
    if (!protocol::isValidUserName(name)) {
        setLoginError(LoginError::InvalidName);
        return nullptr;
    }
    if (password.toUtf8().size() < (registering ? kMinPasswordBytes : 1)) {
        setLoginError(LoginError::ShortPassword);
        return nullptr;
    }
    setLoginError(LoginError::None);
    setPrefill(url.toString(), name);
    ClientSession *session = ensureSession(url, name);
    m_reachedServer = false;
    setAttempt(attempt);
    return session;
}

void AppController::logIn(const QString &server, const QString &user, const QString &password)
{
    if (ClientSession *s = beginAttempt(Attempt::Login, server, user, password))
        s->login(password);
}

void AppController::registerAccount(const QString &server, const QString &user,
                                    const QString &password, const QString &displayName)
{
    if (ClientSession *s = beginAttempt(Attempt::Register, server, user, password))
        s->registerAccount(password, displayName.trimmed());
}

void AppController::cancelLogin()
{
    if (m_attempt == Attempt::None)
        return;
    setAttempt(Attempt::None);
    if (m_session)
        m_session->disconnectFromServer();
}

void AppController::logOut()
{
    if (!m_session)
        return;
    // The account stays listed (its server, its cache); only its token goes.
    m_session->logout();
    setPrefill(m_session->serverUrl().toString(), m_session->userName());
    setSignedIn(false);
}

void AppController::clearLoginError()
{
    setLoginError(LoginError::None);
}

void AppController::reconnectNow()
{
    if (!m_session)
        return;
    const Connection::TrustProblem problem = m_session->trustProblem();
    if (problem == Connection::TrustProblem::Unknown ||
        problem == Connection::TrustProblem::Changed) {
        onTrustChanged(); // only the user's answer about the certificate can help: ask again
        return;
    }
    m_session->connection()->reconnectNow(u"asked by the user"_s);
}

void AppController::quit()
{
    m_quitting = true;
    emit quittingChanged();
    QGuiApplication::quit();
}

void AppController::setLoginError(LoginError error, const QString &detail)
{
    if (error == m_loginError && detail == m_loginErrorDetail)
        return;
    m_loginError = error;
    m_loginErrorDetail = detail;
    emit loginErrorChanged();
}

void AppController::setSignedIn(bool on, bool restoring)
{
    if (on == m_signedIn && restoring == m_restoring)
        return;
    m_signedIn = on;
    m_restoring = restoring;
    emit signedInChanged();
}

void AppController::setAttempt(Attempt attempt)
{
    if (attempt == m_attempt)
        return;
    m_attempt = attempt;
    emit busyChanged();
}

void AppController::setPrefill(const QString &server, const QString &user)
{
    m_serverText = server;
    m_userText = user;
    emit prefillChanged();
}

// ---- rooms --------------------------------------------------------------------------

void AppController::selectInitialRoom()
{
    if (!m_session || m_session->currentRoom())
        return;
    const QString last = m_settings->value(lastRoomKey()).toString();
    client::Room *room = m_session->room(last);
    if (!room || !room->isMember()) {
        const QStringList order = sidebarOrder();
        room = order.isEmpty() ? nullptr : m_session->room(order.first());
    }
    if (room)
        m_session->setCurrentRoom(room);
}

void AppController::openRoom(const QString &roomId)
{
    if (!m_session)
        return;
    if (client::Room *room = m_session->room(roomId))
        m_session->setCurrentRoom(room);
}

QStringList AppController::sidebarOrder() const
{
    QStringList channels, direct;
    if (!m_session)
        return {};
    const client::RoomListModel *rooms = m_session->rooms();
    for (int row = 0; row < rooms->rowCount(); ++row) {
        const client::Room *r = rooms->roomAt(row);
        if (r->isMember()) // what the sidebar lists (RoomFilter's default)
            (r->isDirect() ? direct : channels).append(r->roomId());
    }
    return channels + direct;
}

QString AppController::nextUnreadRoom(int direction) const
{
    if (!m_session)
        return {};
    const QStringList order = sidebarOrder();
    const qsizetype n = order.size();
    const client::Room *current = m_session->currentRoom();
    const qsizetype at = current ? order.indexOf(current->roomId()) : -1;
    const int step = direction < 0 ? -1 : 1;
    for (qsizetype i = 1; i <= n; ++i) {
        const qsizetype row = ((at < 0 ? (step > 0 ? -1 : 0) : at) + step * i + n * 2) % n;
        const client::Room *r = m_session->room(order[row]);
        if (r && r != current && !r->muted() && r->unreadCount() > 0)
            return r->roomId();
    }
    return {};
}

} // namespace confab::app
