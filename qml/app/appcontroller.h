#pragma once

#include "account/accounts.h"
#include "session/clientsession.h"
#include "startupoptions.h"

#include <QObject>
#include <QPointer>
#include <QSettings>
#include <QtQml/qqmlregistration.h>
#include <memory>

class QQmlEngine;
class QJSEngine;

namespace confab::client {
class TokenStore;
class ServersModel;
} // namespace confab::client

namespace confab::app {

class Notifier;
class TrayIcon;

// The app around the client core: which of the profile's accounts (the core's Accounts)
// is shown, the login and registration attempts with errors the connect page can show
// inline, the app's own settings (window, theme, the last room), and the desktop glue
// (notifications, tray) wired to the sessions. One per process; QML sees it as the
// singleton App. UI thread only.
class AppController : public QObject
{
    Q_OBJECT
    QML_NAMED_ELEMENT(App)
    QML_SINGLETON
    Q_PROPERTY(confab::client::ClientSession *session READ session NOTIFY sessionChanged)
    Q_PROPERTY(bool signedIn READ signedIn NOTIFY signedInChanged)
    Q_PROPERTY(bool restoring READ restoring NOTIFY signedInChanged)
    Q_PROPERTY(bool busy READ busy NOTIFY busyChanged)
    Q_PROPERTY(LoginError loginError READ loginError NOTIFY loginErrorChanged)
    Q_PROPERTY(QString loginErrorDetail READ loginErrorDetail NOTIFY loginErrorChanged)
    Q_PROPERTY(QString serverText READ serverText NOTIFY prefillChanged)
    Q_PROPERTY(QString userText READ userText NOTIFY prefillChanged)
    Q_PROPERTY(confab::client::ServersModel *servers READ servers CONSTANT)
    // LAN discovery runs while this is true (the connect page sets it while shown).
    Q_PROPERTY(bool discoveryActive READ discoveryActive WRITE setDiscoveryActive NOTIFY
                   discoveryActiveChanged)
    Q_PROPERTY(QString tokenWarning READ tokenWarning NOTIFY tokenWarningChanged)
    Q_PROPERTY(bool doNotDisturb READ doNotDisturb WRITE setDoNotDisturb NOTIFY settingsChanged)
    Q_PROPERTY(bool closeToTray READ closeToTray WRITE setCloseToTray NOTIFY settingsChanged)
    Q_PROPERTY(bool trayAvailable READ trayAvailable CONSTANT)
    Q_PROPERTY(QString theme READ theme WRITE setTheme NOTIFY settingsChanged)
    // The size the downloaded files and thumbnails of each account may take on disk.
    Q_PROPERTY(int fileCacheMb READ fileCacheMb WRITE setFileCacheMb NOTIFY settingsChanged)
    // Quitting for real (the tray's Quit): closing the window must not hide it instead.
    Q_PROPERTY(bool quitting READ quitting NOTIFY quittingChanged)

public:
    enum class LoginError {
        None,
        InvalidServer,         // not a server address
        InvalidName,           // not a valid user name
        ShortPassword,         // registration: under 8 bytes
        WrongPassword,         // the server refused the credentials
        NameTaken,             // registration: the name exists
        RegistrationClosed,    // registration: the server does not allow it
        Unreachable,           // no connection to the server (detail: why)
        CertificateChanged,    // the server's certificate is not the pinned one
        CertificateNotTrusted, // first use: the user did not trust the certificate
        SessionEnded,          // the saved login was refused (revoked, expired)
        Other,                 // detail: the server's text
    };
    Q_ENUM(LoginError)

    explicit AppController(StartupOptions options, QObject *parent = nullptr);
    ~AppController() override;
    static AppController *create(QQmlEngine *, QJSEngine *);
    static AppController *instance();

    client::ClientSession *session() const { return m_session; }
    int fileCacheMb() const { return m_fileCacheMb; }
    void setFileCacheMb(int mb);
    bool signedIn() const { return m_signedIn; }
    bool restoring() const { return m_restoring; }
    bool busy() const { return m_attempt != Attempt::None; }
    LoginError loginError() const { return m_loginError; }
    QString loginErrorDetail() const { return m_loginErrorDetail; }
    QString serverText() const { return m_serverText; }
    QString userText() const { return m_userText; }
    client::ServersModel *servers() const { return m_accounts->servers(); }
    client::Accounts *accounts() const { return m_accounts; }
    bool discoveryActive() const;
    void setDiscoveryActive(bool active);
    QString tokenWarning() const;
    bool doNotDisturb() const { return m_doNotDisturb; }
    void setDoNotDisturb(bool on);
    bool closeToTray() const { return m_closeToTray; }
    void setCloseToTray(bool on);
    bool trayAvailable() const;
    QString theme() const { return m_theme; }
    void setTheme(const QString &theme);
    bool quitting() const { return m_quitting; }
    Notifier *notifier() const { return m_notifier; }
    const StartupOptions &options() const { return m_options; }

    // Opens the remembered account (or prefills the connect page from --server).
    void restore();

    Q_INVOKABLE void logIn(const QString &server, const QString &user, const QString &password);
    Q_INVOKABLE void registerAccount(const QString &server, const QString &user,
                                     const QString &password, const QString &displayName);
    Q_INVOKABLE void cancelLogin();
    Q_INVOKABLE void logOut();
    Q_INVOKABLE void clearLoginError();
    // Makes the room current (and remembers it as the account's last room).
    Q_INVOKABLE void openRoom(const QString &roomId);
    // The next (+1) or previous (-1) room with unread messages, in sidebar order.
    Q_INVOKABLE QString nextUnreadRoom(int direction) const;
    // The rooms in sidebar order: channels, then direct messages.
    Q_INVOKABLE QStringList sidebarOrder() const;
    Q_INVOKABLE QVariant setting(const QString &key, const QVariant &fallback = {}) const;
    Q_INVOKABLE void setSetting(const QString &key, const QVariant &value);
    // Reconnect now instead of waiting for the scheduled retry.
    Q_INVOKABLE void reconnectNow();
    // The answer to certificatePrompt: trust the certificate presented (it is pinned and
    // the connection goes on), or not (the attempt fails; a signed-in account whose
    // certificate changed goes back to the connect page).
    Q_INVOKABLE void trustCertificate(const QString &fingerprint);
    Q_INVOKABLE void rejectCertificate();
    Q_INVOKABLE void quit();

signals:
    void sessionChanged();
    void signedInChanged();
    void busyChanged();
    void loginErrorChanged();
    void prefillChanged();
    void tokenWarningChanged();
    void settingsChanged();
    void quittingChanged();
    // Show the window (tray click, notification action) and, when seq > 0, that message.
    void raiseRequested();
    void jumpRequested(const QString &roomId, qint64 seq);
    void discoveryActiveChanged();
    // The shown session's server presented a certificate to decide on: first use
    // (previous empty) or changed (previous: the pinned one). announced: what LAN
    // discovery heard that server announce (empty: not heard).
    void certificatePrompt(const QString &server, const QString &fingerprint,
                           const QString &previous, const QString &announced);

private:
    enum class Attempt { None, Login, Register };

    client::ClientSession *ensureSession(const QUrl &url, const QString &user);
    void watch(client::ClientSession *session);
    void setSession(client::ClientSession *session);
    void onSessionState();
    void evaluateFailedAttempt();
    void onLoginRequired();
    void onTrustChanged();
    void attemptSucceeded();
    // Checks the form and starts the session of the attempt (nullptr: the form is wrong).
    client::ClientSession *beginAttempt(Attempt attempt, const QString &server, const QString &user,
                                        const QString &password);
    void setLoginError(LoginError error, const QString &detail = {});
    void setSignedIn(bool on, bool restoring = false);
    void setAttempt(Attempt attempt);
    void setPrefill(const QString &server, const QString &user);
    void selectInitialRoom();
    void updateTray();
    QString lastRoomKey() const;

    StartupOptions m_options;
    std::unique_ptr<QSettings> m_settings;
    int m_fileCacheMb = 512;
    std::unique_ptr<client::TokenStore> m_fileTokens; // --token-store file
    client::Accounts *m_accounts;
    Notifier *m_notifier;
    TrayIcon *m_tray;
    QPointer<client::ClientSession> m_session;
    Attempt m_attempt = Attempt::None;
    bool m_reachedServer = false;
    bool m_attemptIsNew = false; // the account of the attempt was not known before
    bool m_signedIn = false;
    bool m_restoring = false;
    bool m_doNotDisturb = false;
    bool m_closeToTray = true;
    bool m_quitting = false;
    QString m_theme;
    LoginError m_loginError = LoginError::None;
    QString m_loginErrorDetail;
    QString m_serverText;
    QString m_userText;
};

} // namespace confab::app
