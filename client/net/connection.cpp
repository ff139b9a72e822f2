#include "net/connection.h"

#include "logging.h"
#include "net/trust.h"

#include <QNetworkRequest>
#include <QSslSocket>
#include <QWebSocketHandshakeOptions>

namespace confab::client {

using namespace Qt::StringLiterals;
using protocol::CloseCode;

namespace {
constexpr int kTickMs = 500;

QString closeReason(int code, const QString &reason)
{
    if (!reason.isEmpty())
        return u"connection closed (%1: %2)"_s.arg(code).arg(reason);
    if (code == QWebSocketProtocol::CloseCodeAbnormalDisconnection)
        return u"connection lost"_s;
    return u"connection closed (%1)"_s.arg(code);
}
} // namespace

Connection::Connection(QObject *parent)
    : Connection(Options{}, parent)
{
}

Connection::Connection(const Options &options, QObject *parent)
    : QObject(parent)
    , m_options(options)
    , m_backoff(options.backoffSeed, options.backoffInitialMs, options.backoffMaxMs)
{
    m_retryTimer.setSingleShot(true);
    connect(&m_retryTimer, &QTimer::timeout, this, &Connection::startAttempt);
    m_tickTimer.setInterval(kTickMs);
    connect(&m_tickTimer, &QTimer::timeout, this, &Connection::onTick);
}

Connection::~Connection()
{
    if (m_socket) {
        m_socket->disconnect(this);
        m_socket->abort();
    }
}

void Connection::setState(State state)
{
    if (m_state == state)
        return;
    m_state = state;
    qCDebug(lcNet) << "state" << state;
    emit stateChanged(state);
}

void Connection::setError(const QString &text)
{
    if (m_errorText == text)
        return;
    m_errorText = text;
    emit errorTextChanged();
}

void Connection::open()
{
    m_wanted = true;
    if (m_state == State::Offline && !m_socket)
        startAttempt();
}

void Connection::close()
{
    m_wanted = false;
    m_retryTimer.stop();
    if (QWebSocket *socket = detachSocket()) {
        if (socket->state() == QAbstractSocket::ConnectedState) {
            // The close handshake finishes on its own; nothing waits for it.
            connect(socket, &QWebSocket::disconnected, socket, &QObject::deleteLater);
            socket->close(QWebSocketProtocol::CloseCodeNormal);
        } else {
            socket->abort();
            socket->deleteLater();
        }
        linkDown(QWebSocketProtocol::CloseCodeNormal, {}, {});
    }
}

QWebSocket *Connection::detachSocket()
{
    QWebSocket *socket = m_socket;
    m_socket = nullptr;
    m_tickTimer.stop();
    if (socket)
        socket->disconnect(this);
    return socket;
}

void Connection::reconnectNow(const QString &why, bool probeFirst)
{
    if (!m_wanted)
        return;
    qCInfo(lcNet) << "reconnect now:" << why;
    if (m_state == State::Offline && !m_socket) {
        m_backoff.reset();
        m_retryTimer.stop();
        startAttempt();
    } else if (isAuthenticated() && probeFirst) {
        // A quick round trip decides whether the link survived.
        m_probeDeadlineMs = m_options.pingIntervalMs;
        m_lastFrame.start();
        sendFrame(protocol::PingRequest{nextRequestId()});
    } else if (m_socket) {
        m_backoff.reset();
        m_reconnectAtOnce = true;
        abortLink(why);
    }
}

void Connection::startAttempt()
{
    if (!m_wanted || m_socket)
        return;
    m_socket = new QWebSocket(QString(), QWebSocketProtocol::VersionLatest, this);
    connect(m_socket, &QWebSocket::connected, this, &Connection::onConnected);
    connect(m_socket, &QWebSocket::disconnected, this, &Connection::onDisconnected);
    connect(m_socket, &QWebSocket::textMessageReceived, this, &Connection::onText);
    connect(m_socket, &QWebSocket::binaryMessageReceived, this,
            [this] { abortLink(u"binary frame from server"_s); });
    connect(m_socket, &QWebSocket::pong, this, [this] { m_lastFrame.start(); });
    // Direct: the decision must be made while the handshake waits for it.
    connect(m_socket, &QWebSocket::sslErrors, this, &Connection::onSslErrors, Qt::DirectConnection);
    m_refusal.reset();
    // A new attempt is judged afresh (a refusal again is a new question to the user).
    setTrust(TrustProblem::None, {}, {});
    QWebSocketHandshakeOptions handshake;
    handshake.setSubprotocols({QString::fromLatin1(protocol::kSubprotocol)});
    m_attemptClock.start();
    m_lastFrame.start();
    m_lastPing.start();
    m_probeDeadlineMs = 0;
    m_tickTimer.start();
    setState(State::Connecting);
    qCInfo(lcNet) << "connecting to" << m_url.toDisplayString();
    m_socket->open(QNetworkRequest(m_url), handshake);
}

void Connection::onSslErrors(const QList<QSslError> &errors)
{
    // QWebSocket has copied the TLS socket's configuration just before this signal: its
    // peer certificate is the one the server proved it holds the key of.
    QSslCertificate peer =
        m_socket ? m_socket->sslConfiguration().peerCertificate() : QSslCertificate();
    QSslSocket *tls = m_socket ? m_socket->findChild<QSslSocket *>() : nullptr;
    if (peer.isNull() && tls)
        peer = tls->peerCertificate();
    const QString presented = certificateFingerprint(peer);
    const QString pinned = CertificatePins(m_options.pinsFile).pinned(m_url);
    const TrustVerdict verdict = judgeCertificate(errors, peer, pinned);
    QStringList texts;
    for (const QSslError &e : errors)
        texts.append(e.errorString());
    if (verdict == TrustVerdict::Accept) {
        // Exactly these errors, on exactly this certificate, and nothing else.
        qCInfo(lcNet) << "pinned certificate of" << pinKey(m_url) << "accepted despite:" << texts;
        if (tls)
            tls->ignoreSslErrors(errors);
        else
            m_socket->ignoreSslErrors(); // what was just reported, which is only that
        return;
    }
    Refusal refusal;
    refusal.presented = presented;
    refusal.pinned = pinned;
    switch (verdict) {
    case TrustVerdict::Unknown:
        refusal.problem = TrustProblem::Unknown;
        refusal.detail = u"the server's certificate is not trusted yet"_s;
        break;
    case TrustVerdict::Changed:
        refusal.problem = TrustProblem::Changed;
        refusal.detail = u"the server's certificate has changed"_s;
        break;
    default:
        refusal.problem = TrustProblem::Invalid;
        refusal.detail = u"the server's certificate is not valid: %1"_s.arg(texts.join(u"; "_s));
        break;
    }
    qCWarning(lcNet) << "refusing the certificate of" << pinKey(m_url) << refusal.detail
                     << "presented" << presented << "pinned" << pinned << texts;
    m_refusal = refusal;
    // Not ignored: the TLS handshake fails and the socket goes down; linkDown() applies it.
}

void Connection::setTrust(TrustProblem problem, const QString &presented, const QString &pinned)
{
    if (problem == m_trustProblem && presented == m_presentedFingerprint &&
        pinned == m_pinnedFingerprint)
        return;
    m_trustProblem = problem;
    m_presentedFingerprint = presented;
    m_pinnedFingerprint = pinned;
    emit trustChanged();
}

bool Connection::trustPresentedCertificate(const QString &fingerprint)
{
    if (fingerprint.isEmpty() || fingerprint != m_presentedFingerprint ||
        (m_trustProblem != TrustProblem::Unknown && m_trustProblem != TrustProblem::Changed))
        return false;
    QString error;
    if (!CertificatePins(m_options.pinsFile).pin(m_url, fingerprint, &error)) {
        setError(u"cannot remember the certificate: %1"_s.arg(error));
        return false;
    }
    qCInfo(lcNet) << "pinned" << fingerprint << "for" << pinKey(m_url);
    setTrust(TrustProblem::None, {}, {});
    m_wanted = true;
    m_backoff.reset();
    m_retryTimer.stop();
    if (!m_socket)
        startAttempt();
    return true;
}

void Connection::onConnected()
{
    // The TLS handshake (if any) passed: whatever was refused before is settled.
    setTrust(TrustProblem::None, {}, {});
    setState(State::Authenticating);
    protocol::Hello hello;
    m_helloId = nextRequestId();
    hello.id = m_helloId;
    hello.client = m_options.clientName;
    hello.auth = m_auth;
    if (m_since)
        hello.since = m_since();
    m_resyncing.clear();
    for (auto it = hello.since.cbegin(); it != hello.since.cend(); ++it)
        m_resyncing.insert(it.key());
    sendFrame(hello);
}

void Connection::sendFrame(const protocol::ClientMessage &message)
{
    if (m_socket)
        m_socket->sendTextMessage(QString::fromUtf8(protocol::encode(message)));
}

bool Connection::send(const protocol::ClientMessage &message)
{
    if (!isAuthenticated())
        return false;
    sendFrame(message);
    return true;
}

void Connection::onText(const QString &text)
{
    m_lastFrame.start();
    m_probeDeadlineMs = 0;
    const auto decoded = protocol::decodeServerMessage(text.toUtf8(), m_limits);
    if (!decoded.ok()) {
        qCWarning(lcNet) << "undecodable frame from server:" << decoded.error.message;
        return;
    }
    const protocol::ServerMessage &m = *decoded.message;
    if (m_state == State::Authenticating) {
        if (const auto *w = std::get_if<protocol::Welcome>(&m))
            return onWelcome(*w);
        if (const auto *e = std::get_if<protocol::Error>(&m); e && e->id == m_helloId)
            return onHelloError(*e);
    }
    if (const auto *s = std::get_if<protocol::Synced>(&m); s && m_state == State::Resyncing) {
        m_resyncing.remove(s->room);
        emit messageReceived(m);
        if (m_resyncing.isEmpty() && m_state == State::Resyncing)
            setState(State::Online);
        return;
    }
    if (std::holds_alternative<protocol::Pong>(m))
        return;
    emit messageReceived(m);
}

void Connection::onWelcome(const protocol::Welcome &welcome)
{
    // Only rooms the user is still in are replayed; the others (left, or public channels
    // listed with member:false) will not say synced.
    QSet<QString> member;
    for (const protocol::RoomInfo &r : welcome.rooms) {
        if (r.member)
            member.insert(r.room);
    }
    m_resyncing.intersect(member);
    m_limits = welcome.limits;
    m_backoff.reset();
    setError({});
    setState(m_resyncing.isEmpty() ? State::Online : State::Resyncing);
    emit welcomed(welcome);
}

void Connection::onHelloError(const protocol::Error &error)
{
    // Retrying a refused login with the same credentials cannot succeed.
    setError(error.message.isEmpty() ? protocol::errorCodeName(error.code) : error.message);
    qCWarning(lcNet) << "login refused:" << protocol::errorCodeName(error.code);
    const QString text = m_errorText;
    close();
    setError(text);
    if (error.code == protocol::ErrorCode::Unauthenticated)
        emit authenticationRequired(m_errorText);
}

void Connection::onDisconnected()
{
    QWebSocket *socket = detachSocket();
    const int code = socket->closeCode();
    const QString reason = socket->closeReason();
    const QString socketError =
        socket->error() != QAbstractSocket::UnknownSocketError ? socket->errorString() : QString();
    socket->deleteLater();
    linkDown(code, reason, socketError);
}

void Connection::linkDown(int code, const QString &reason, const QString &socketError)
{
    const bool wasAuthenticated = isAuthenticated();
    const bool atOnce = std::exchange(m_reconnectAtOnce, false);
    if (const std::optional<Refusal> refusal = std::exchange(m_refusal, std::nullopt)) {
        // A refused certificate: no retry can change it, only the user can.
        m_wanted = false;
        m_retryTimer.stop();
        setError(refusal->detail);
        setTrust(refusal->problem, refusal->presented, refusal->pinned);
        setState(State::Offline);
        return;
    }
    setState(State::Offline);
    if (wasAuthenticated)
        emit linkLost();
    if (!m_wanted)
        return;
    switch (code) {
    case int(CloseCode::AuthFailed):
        m_wanted = false;
        setError(u"the server asks for a new login"_s);
        emit authenticationRequired(m_errorText);
        return;
    case int(CloseCode::UnsupportedVersion):
        m_wanted = false;
        setError(u"the server is too new or too old for this app"_s);
        return;
    case int(CloseCode::GoingAway):
    case int(CloseCode::TooSlow):
        setError(closeReason(code, reason));
        m_backoff.reset();
        startAttempt();
        return;
    default:
        setError(!socketError.isEmpty() ? socketError : closeReason(code, reason));
        if (atOnce)
            startAttempt();
        else
            scheduleRetry();
    }
}

void Connection::scheduleRetry()
{
    m_retryDelayMs = m_backoff.nextDelayMs();
    qCInfo(lcNet) << "retry in" << m_retryDelayMs << "ms:" << m_errorText;
    m_retryTimer.start(m_retryDelayMs);
}

void Connection::abortLink(const QString &why)
{
    QWebSocket *socket = detachSocket();
    if (!socket)
        return;
    qCInfo(lcNet) << "dropping link:" << why;
    socket->abort();
    socket->deleteLater();
    linkDown(QWebSocketProtocol::CloseCodeAbnormalDisconnection, {}, why);
}

void Connection::onTick()
{
    if (!m_socket)
        return;
    if (!isAuthenticated()) {
        if (m_attemptClock.elapsed() > m_options.handshakeTimeoutMs)
            abortLink(u"no answer from the server"_s);
        return;
    }
    const int deadline = m_probeDeadlineMs > 0 ? m_probeDeadlineMs : m_options.deadAfterMs;
    const qint64 silent = m_lastFrame.elapsed();
    if (silent > deadline) {
        // A failed network-change probe: the link died with the old network, and the new
        // one is up, so no backoff wait.
        if (m_probeDeadlineMs > 0) {
            m_backoff.reset();
            m_reconnectAtOnce = true;
        }
        abortLink(u"no answer from the server for %1 s"_s.arg(silent / 1000));
        return;
    }
    // One ping per interval of silence; the pong (or any frame) restarts the clock.
    const qint64 interval = m_options.pingIntervalMs;
    if (silent >= interval && m_lastPing.elapsed() >= interval) {
        m_lastPing.start();
        sendFrame(protocol::PingRequest{nextRequestId()});
    }
}

} // namespace confab::client
