// BenchClient, transport half: TCP (or TLS), the RFC 6455 upgrade and framing, and
// what happens when a connection ends. The protocol half is in clientprotocol.cpp.
#include "client.h"

#include "worker.h"

#include <QSslSocket>
#include <QTcpSocket>

namespace confab::bench {

using namespace Qt::StringLiterals;

namespace {
// Request ids of control requests (hello, create, join, ping) start here so they never
// collide with bench sends, whose id is the sender's counter.
constexpr qint64 kControlIdBase = qint64(1) << 40;
constexpr int kMaxAttempts = 5;
constexpr qint64 kMaxMessageBytes = 16 * 1024 * 1024;

// What the upgrade request offers as Sec-WebSocket-Protocol: confab.v1, or nothing to a
// peer server that speaks none.
QByteArrayView offeredSubprotocol(const RunPlan &plan)
{
    return plan.peer() ? QByteArrayView() : QByteArrayView(protocol::kSubprotocol);
}

QString socketErrorKey(QAbstractSocket::SocketError e)
{
    switch (e) {
    case QAbstractSocket::ConnectionRefusedError:
        return u"socket:refused"_s;
    case QAbstractSocket::RemoteHostClosedError:
        return u"socket:remote-closed"_s;
    case QAbstractSocket::SocketTimeoutError:
        return u"socket:timeout"_s;
    case QAbstractSocket::SocketResourceError:
        return u"socket:resource"_s;
    case QAbstractSocket::SslHandshakeFailedError:
        return u"socket:tls-handshake"_s;
    case QAbstractSocket::SocketAddressNotAvailableError:
        return u"socket:address-not-available"_s;
    case QAbstractSocket::AddressInUseError:
        return u"socket:address-in-use"_s;
    default:
        return u"socket:error-%1"_s.arg(int(e));
    }
}
} // namespace

BenchClient::BenchClient(Worker *worker, int index)
    : m_worker(worker)
    , m_index(index)
    , m_nextControlId(kControlIdBase)
{
    if (worker->plan().peer()) {
        // The peer has no seqs: every sender's counter is a stream, starting at 0.
        for (int s = 0; s < worker->plan().clients(); ++s) {
            if (worker->plan().isSender(s))
                tracker(s).setBaseline(0);
        }
    }
}

BenchClient::~BenchClient() = default;

void BenchClient::start(Purpose purpose)
{
    m_purpose = purpose;
    m_attempts = 0;
    m_inStage = purpose != Purpose::Resume;
    openSocket();
}

void BenchClient::reconnect()
{
    if (m_state != State::Offline)
        return;
    if (m_inStage)
        openSocket();
    else
        start(Purpose::Resume);
}

void BenchClient::reportStage(bool ok)
{
    if (!m_inStage)
        return;
    m_inStage = false;
    m_worker->clientStageDone(this, ok);
}

void BenchClient::openSocket()
{
    const QUrl &url = m_worker->plan().options().url;
    const bool tls = url.scheme() == u"wss"_s;
    if (!m_socket) {
        if (tls) {
            auto *ssl = new QSslSocket;
            if (m_worker->plan().options().insecure)
                ssl->setPeerVerifyMode(QSslSocket::VerifyNone);
            QObject::connect(ssl, &QSslSocket::encrypted, ssl, [this] { onConnected(); });
            m_socket.reset(ssl);
        } else {
            m_socket = std::make_unique<QTcpSocket>();
            QObject::connect(m_socket.get(), &QTcpSocket::connected, m_socket.get(),
                             [this] { onConnected(); });
        }
        QTcpSocket *s = m_socket.get();
        QObject::connect(s, &QTcpSocket::readyRead, s, [this] { onReadable(); });
        QObject::connect(s, &QTcpSocket::disconnected, s, [this] { onDisconnected(); });
        QObject::connect(s, &QTcpSocket::errorOccurred, s, [this] { onSocketError(); });
    }
    if (m_socket->state() != QAbstractSocket::UnconnectedState) {
        m_state = State::Offline; // so the disconnected() of this abort is ignored
        m_socket->abort();
    }
    m_state = State::Connecting;
    m_serverClosed = false;
    m_handshake.clear();
    m_parser =
        std::make_unique<wire::FrameParser>(wire::FrameParser::Role::Client, kMaxMessageBytes);
    m_connectStartUs = nowUs();
    const QHostAddress source = m_worker->plan().sourceAddress(m_index);
    if (!source.isNull() && !m_socket->bind(source)) {
        // Not a local address, or out of ports on it: a failed attempt like a refused
        // connect. Qt reports it through errorOccurred (counted there) as bind() fails.
        if (m_state == State::Connecting)
            onDisconnected();
        return;
    }
    const quint16 port = quint16(url.port(tls ? 443 : 80));
    if (tls)
        static_cast<QSslSocket *>(m_socket.get())->connectToHostEncrypted(url.host(), port);
    else
        m_socket->connectToHost(url.host(), port);
}

void BenchClient::onConnected()
{
    // Latency is the point of the exercise: no Nagle delay on small frames.
    m_socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
    m_state = State::Upgrading;
    m_key = wire::makeClientKey();
    const QUrl &url = m_worker->plan().options().url;
    const QByteArray path = url.path().isEmpty() ? QByteArray("/") : url.path().toUtf8();
    QByteArray request = "GET " + path + " HTTP/1.1\r\nHost: " + url.host().toUtf8() + ':' +
                         QByteArray::number(url.port()) +
                         "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                         "Sec-WebSocket-Key: " +
                         m_key + "\r\nSec-WebSocket-Version: 13\r\n";
    if (const QByteArrayView offered = offeredSubprotocol(m_worker->plan()); !offered.isEmpty())
        request += "Sec-WebSocket-Protocol: " + offered.toByteArray() + "\r\n";
    request += "\r\n";
    m_socket->write(request);
}

void BenchClient::onReadable()
{
    QByteArray data = m_socket->readAll();
    if (m_state == State::Upgrading && !readHandshake(data))
        return;
    if (m_state == State::Offline || m_state == State::Connecting || m_state == State::Upgrading)
        return;
    m_parser->feed(data);
    while (auto message = m_parser->next()) {
        handleFrame(*message);
        if (!m_parser) // the connection ended while handling the frame
            return;
    }
    if (m_parser->error()) {
        m_worker->countError(u"frame:%1"_s.arg(m_parser->error()));
        m_socket->abort();
    }
}

// Reads the 101 response; leaves any bytes after it in data. False when the handshake
// is incomplete or failed.
bool BenchClient::readHandshake(QByteArray &data)
{
    m_handshake.append(data);
    data.clear();
    QString error;
    // Also refuses a 101 without Upgrade and Connection, and one that picks a subprotocol
    // other than the offered one: such a server speaks something else.
    const qsizetype head = wire::parseHandshakeResponse(
        m_handshake, m_key, offeredSubprotocol(m_worker->plan()), nullptr, &error);
    if (head == 0)
        return false;
    if (head < 0) {
        m_worker->countError(u"handshake"_s);
        m_socket->abort();
        return false;
    }
    data = m_handshake.mid(head);
    m_handshake.clear();
    if (m_worker->plan().peer()) {
        becomeReady();
    } else {
        m_state = State::Authenticating;
        sendHello();
    }
    return true;
}

void BenchClient::handleFrame(wire::Message &message)
{
    switch (message.opcode) {
    case wire::Opcode::Text:
        handleText(message.payload);
        break;
    case wire::Opcode::Ping:
        ++m_worker->stats().serverPings;
        writeFrame(wire::makeFrame(wire::Opcode::Pong, message.payload, true));
        break;
    case wire::Opcode::Close:
        m_serverClosed = true;
        if (m_state != State::Closing) {
            // The server ended it: answer the close and count why.
            if (!m_authRetry) {
                m_worker->countError(u"close:%1"_s.arg(message.closeCode));
                ++m_worker->stats().unexpectedCloses;
            }
            writeFrame(wire::makeCloseFrame(message.closeCode, {}, true));
        }
        m_socket->disconnectFromHost();
        break;
    default:
        break;
    }
}

void BenchClient::writeText(const QByteArray &json)
{
    writeFrame(wire::makeFrame(wire::Opcode::Text, json, true));
}

void BenchClient::writeFrame(const QByteArray &frame)
{
    if (m_socket && m_socket->state() == QAbstractSocket::ConnectedState)
        m_socket->write(frame);
}

void BenchClient::closeGracefully()
{
    if (!m_socket || m_state == State::Offline)
        return;
    if (m_state == State::Connecting) {
        m_state = State::Closing;
        m_socket->abort();
        onDisconnected(); // not connected yet: abort() emits nothing
        return;
    }
    m_state = State::Closing;
    m_closeStartUs = nowUs();
    writeFrame(wire::makeCloseFrame(quint16(protocol::CloseCode::Normal), {}, true));
    // The server answers the close frame and closes TCP; disconnected() follows.
}

void BenchClient::drop()
{
    if (!m_socket || m_state == State::Offline || m_state == State::Closing)
        return;
    ++m_worker->stats().drops;
    m_state = State::Offline;
    m_parser.reset();
    m_socket->abort(); // emits disconnected() synchronously when it was connected
    const double base = m_worker->plan().options().reconnectDelay * 1000.0;
    const int delay = int(base * (0.5 + m_worker->random().generateDouble()));
    m_worker->scheduleReconnect(this, delay);
}

void BenchClient::timeOut()
{
    if (m_state == State::Offline || m_state == State::Ready)
        return;
    m_worker->countError(u"timeout"_s);
    const bool closing = m_state == State::Closing;
    m_state = State::Offline;
    m_parser.reset();
    m_syncPending = 0;
    m_socket->abort();
    connectionEnded(closing);
}

void BenchClient::onSocketError()
{
    if (m_state == State::Closing || m_state == State::Offline)
        return;
    if (m_socket->error() != QAbstractSocket::RemoteHostClosedError)
        m_worker->countError(socketErrorKey(m_socket->error()));
    // A connect that never succeeded emits no disconnected(); every other error does.
    if (m_state == State::Connecting && m_socket->state() == QAbstractSocket::UnconnectedState)
        onDisconnected();
}

void BenchClient::onDisconnected()
{
    const State was = std::exchange(m_state, State::Offline);
    m_parser.reset();
    if (was == State::Offline)
        return; // dropped on purpose: drop() already scheduled the reconnect
    connectionEnded(was == State::Closing);
}

// What to do once a connection is gone: report the stage, retry, or resume.
void BenchClient::connectionEnded(bool wanted)
{
    if (m_authRetry) {
        m_authRetry = false;
        m_worker->scheduleReconnect(this, 0); // same step, now with the password
        return;
    }
    if (wanted) {
        reportStage(true);
        return;
    }
    if (m_inStage) {
        // A storm measures what the server does with the burst: no second chances.
        if (m_purpose == Purpose::Storm || ++m_attempts >= kMaxAttempts) {
            ++m_worker->stats().connectFailures;
            reportStage(false);
        } else {
            m_worker->scheduleReconnect(this, 100 << m_attempts);
        }
        return;
    }
    // An established session was lost: come back the way the real client does, with the
    // token and `since`, after a short backoff. Without a close frame (a server killed, a
    // reset) it is counted here; a close frame was counted when it came.
    if (!m_serverClosed) {
        m_worker->countError(u"connection_lost"_s);
        ++m_worker->stats().unexpectedCloses;
    }
    m_worker->scheduleReconnect(this, 250 + int(m_worker->random().bounded(250)));
}

qint64 BenchClient::busySinceUs() const
{
    switch (m_state) {
    case State::Offline:
    case State::Ready:
        return 0;
    case State::Closing:
        return m_closeStartUs;
    default:
        return m_connectStartUs;
    }
}

int BenchClient::laggingStreams() const
{
    int lagging = 0;
    for (const auto &[stream, tracker] : m_streams) {
        if (tracker.last() < m_worker->shared().highest(stream))
            ++lagging;
    }
    return lagging;
}

void BenchClient::finish()
{
    Stats &stats = m_worker->stats();
    for (auto &[stream, tracker] : m_streams) {
        tracker.finish(m_worker->shared().highest(stream));
        stats.lost += tracker.lost();
        stats.duplicated += tracker.duplicates();
        stats.outOfOrder += tracker.reordered();
    }
    stats.missingAcks += m_outbox.size();
}

} // namespace confab::bench
