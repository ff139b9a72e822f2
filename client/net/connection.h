#pragma once

#include "net/backoff.h"
#include "protocol/codec.h"

#include <QSslError>

#include <QElapsedTimer>
#include <QObject>
#include <QSet>
#include <QTimer>
#include <QUrl>
#include <QWebSocket>
#include <QtQml/qqmlregistration.h>
#include <functional>
#include <optional>

namespace confab::client {

// One server link: a QWebSocket (ws or wss), the hello/welcome handshake, resume with
// token and `since`, application pings that find a dead link, and reconnects with
// jittered exponential backoff. It knows nothing about rooms: it reports every decoded
// server message and leaves their meaning to ClientSession. Lives on the UI thread.
//
// A wss:// certificate that the system's CAs do not vouch for is accepted only when it
// is the one pinned for host:port (net/trust.h); otherwise the link stops before the
// hello (so no password or token goes out) with trustProblem() set, until
// trustPresentedCertificate() pins what was presented.
class Connection : public QObject
{
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("Connection is owned by ClientSession")

public:
    enum class State { Offline, Connecting, Authenticating, Resyncing, Online };
    Q_ENUM(State)
    // Why the last wss:// attempt was refused before the hello.
    enum class TrustProblem {
        None,
        Unknown, // a certificate not pinned yet (first use): the user may trust it
        Changed, // not the pinned certificate: refused until the user trusts the new one
        Invalid, // verification failed in a way no pin excuses (expired, bad signature)
    };
    Q_ENUM(TrustProblem)

    struct Options
    {
        int pingIntervalMs = 4000;      // app ping after this long without a frame
        int deadAfterMs = 10000;        // no frame for this long: the link is dead
        int handshakeTimeoutMs = 10000; // connect + hello + welcome
        int backoffInitialMs = 500;
        int backoffMaxMs = 30000;
        quint32 backoffSeed = 0; // 0: random
        QString clientName = QStringLiteral("confab-desktop/0.3");
        QString pinsFile; // trust on first use: the profile's pinned fingerprints
    };
    using SinceProvider = std::function<QMap<QString, qint64>()>;

    explicit Connection(QObject *parent = nullptr);
    explicit Connection(const Options &options, QObject *parent = nullptr);
    ~Connection() override;

    void setUrl(const QUrl &url) { m_url = url; }
    QUrl url() const { return m_url; }
    void setAuth(const protocol::Auth &auth) { m_auth = auth; }
    const protocol::Auth &auth() const { return m_auth; }
    void setSinceProvider(SinceProvider provider) { m_since = std::move(provider); }

    State state() const { return m_state; }
    QString errorText() const { return m_errorText; }
    bool isAuthenticated() const { return m_state == State::Resyncing || m_state == State::Online; }
    const protocol::Limits &limits() const { return m_limits; }
    // The delay of the retry that is scheduled (0: none).
    int retryDelayMs() const { return m_retryTimer.isActive() ? m_retryDelayMs : 0; }
    TrustProblem trustProblem() const { return m_trustProblem; }
    // The refused attempt's certificate, and what was pinned for host:port (if anything).
    QString presentedFingerprint() const { return m_presentedFingerprint; }
    QString pinnedFingerprint() const { return m_pinnedFingerprint; }
    // The explicit user action after a refusal: pins `fingerprint` for host:port (it must
    // be the one just presented) and connects again. False when it is not.
    bool trustPresentedCertificate(const QString &fingerprint);

    // Keep connected from now on (reconnecting after failures) / stop and stay offline.
    void open();
    void close();
    // A reason to believe the link changed (wake from sleep, new network): drop any wait
    // and connect now. A live link is probed with a ping first when probeFirst is set.
    void reconnectNow(const QString &why, bool probeFirst = false);
    // Sends a message on an authenticated link; false (nothing sent) otherwise.
    bool send(const protocol::ClientMessage &message);
    qint64 nextRequestId() { return ++m_lastRequestId; }

signals:
    void stateChanged(Connection::State state);
    void errorTextChanged();
    void welcomed(const protocol::Welcome &welcome);
    void messageReceived(const protocol::ServerMessage &message);
    // The server refused the credentials (or revoked the token): a new login is needed.
    void authenticationRequired(const QString &reason);
    // Emitted when an authenticated link is lost, before any reconnect.
    void linkLost();
    // trustProblem() or the fingerprints changed.
    void trustChanged();

private:
    void setState(State state);
    void setError(const QString &text);
    void startAttempt();
    void scheduleRetry();
    void onConnected();
    void onSslErrors(const QList<QSslError> &errors);
    void setTrust(TrustProblem problem, const QString &presented, const QString &pinned);
    void onDisconnected();
    void linkDown(int code, const QString &reason, const QString &socketError);
    QWebSocket *detachSocket();
    void onText(const QString &text);
    void onWelcome(const protocol::Welcome &welcome);
    void onHelloError(const protocol::Error &error);
    void onTick();
    void abortLink(const QString &why);
    void sendFrame(const protocol::ClientMessage &message);

    Options m_options;
    QWebSocket *m_socket = nullptr;
    QUrl m_url;
    protocol::Auth m_auth;
    SinceProvider m_since;
    protocol::Limits m_limits;
    Backoff m_backoff;
    QTimer m_retryTimer;
    QTimer m_tickTimer;
    QElapsedTimer m_lastFrame; // monotonic: when the last frame arrived
    QElapsedTimer m_lastPing;
    QElapsedTimer m_attemptClock; // since the attempt started
    State m_state = State::Offline;
    QString m_errorText;
    QSet<QString> m_resyncing;
    qint64 m_lastRequestId = 0;
    qint64 m_helloId = 0;
    int m_retryDelayMs = 0;
    int m_probeDeadlineMs = 0; // a shorter dead-link deadline after a probe
    bool m_wanted = false;
    bool m_reconnectAtOnce = false; // the link was dropped on purpose: no backoff wait
    TrustProblem m_trustProblem = TrustProblem::None;
    QString m_presentedFingerprint;
    QString m_pinnedFingerprint;
    // The current attempt's certificate was refused: set by onSslErrors, applied when
    // the socket goes down.
    struct Refusal
    {
        TrustProblem problem = TrustProblem::None;
        QString presented;
        QString pinned;
        QString detail;
    };
    std::optional<Refusal> m_refusal;
};

} // namespace confab::client
