// BenchClient, transport half: TCP (or TLS), the RFC 6455 upgrade and framing, and
// what happens when a connection ends. The protocol half is in clientprotocol.cpp.
#include "client.h"

#include "wire/websocket.h"
#include "worker.h"

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

} // namespace

BenchClient::BenchClient(Worker *worker, int index)
    : m_worker(worker)
    , m_index(index)
    , m_reader(kMaxMessageBytes)
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
    if (!m_transport) {
        if (tls)
            m_transport =
                std::make_unique<QtTransport>(this, true, m_worker->plan().options().insecure);
        else
            m_transport = std::make_unique<RawSocket>(&m_worker->poller(), this);
    }
    m_state = State::Offline; // what the abort of a previous connection would report is moot
    m_transport->abort();
    m_state = State::Connecting;
    m_serverClosed = false;
    m_handshake.clear();
    m_reader.reset();
    m_connectStartUs = nowUs();
    // A failure to bind the source address (not a local address, or out of ports on it)
    // or to connect is reported from inside open(), like a refused connect.
    m_transport->open(url.host(), m_worker->serverAddress(), quint16(url.port(tls ? 443 : 80)),
                      m_worker->plan().sourceAddress(m_index));
}

void BenchClient::onConnected()
{
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
    m_transport->write(request);
}

void BenchClient::onData(QByteArrayView data)
{
    if (m_state == State::Upgrading && !readHandshake(data))
        return;
    if (m_state == State::Offline || m_state == State::Connecting || m_state == State::Upgrading)
        return;
    m_reader.feed(data, [this](quint8 opcode, QByteArrayView payload) {
        return handleMessage(opcode, payload);
    });
    if (m_reader.error() && m_state != State::Offline)
        fail(u"frame:%1"_s.arg(m_reader.error()));
}

void BenchClient::fail(const QString &key)
{
    m_worker->countError(key);
    m_transport->abort();
    onDisconnected();
}

// Reads the 101 response; leaves any bytes after it in data. False when the handshake
// is incomplete or failed.
bool BenchClient::readHandshake(QByteArrayView &data)
{
    const qsizetype before = m_handshake.size();
    m_handshake.append(data.data(), data.size());
    QString error;
    // Also refuses a 101 without Upgrade and Connection, and one that picks a subprotocol
    // other than the offered one: such a server speaks something else.
    const qsizetype head = wire::parseHandshakeResponse(
        m_handshake, m_key, offeredSubprotocol(m_worker->plan()), nullptr, &error);
    if (head == 0)
        return false;
    if (head < 0) {
        fail(u"handshake"_s);
        return false;
    }
    // What followed the response in this chunk is the first frames.
    data = data.sliced(std::max<qsizetype>(0, head - before));
    m_handshake.clear();
    if (m_worker->plan().peer()) {
        becomeReady();
    } else {
        m_state = State::Authenticating;
        sendHello();
    }
    return true;
}

bool BenchClient::handleMessage(quint8 opcode, QByteArrayView payload)
{
    switch (opcode) {
    case FrameReader::Text:
        handleText(payload);
        break;
    case FrameReader::Ping:
        ++m_worker->stats().serverPings;
        writeFrame(wire::makeFrame(wire::Opcode::Pong, payload, true));
        break;
    case FrameReader::Close: {
        quint16 code = wire::kCloseNoStatus;
        if (payload.size() >= 2)
            code = quint16((uchar(payload[0]) << 8) | uchar(payload[1]));
        m_serverClosed = true;
        if (m_state != State::Closing) {
            // The server ended it: answer the close and count why.
            if (!m_authRetry) {
                m_worker->countError(u"close:%1"_s.arg(code));
                ++m_worker->stats().unexpectedCloses;
            }
            writeFrame(wire::makeCloseFrame(code, {}, true));
        }
        m_transport->disconnectFromHost();
        return false;
    }
    default:
        break;
    }
    return m_state != State::Offline;
}

void BenchClient::writeText(const QByteArray &json)
{
    writeFrame(wire::makeFrame(wire::Opcode::Text, json, true));
}

void BenchClient::writeFrame(const QByteArray &frame)
{
    if (m_transport)
        m_transport->write(frame);
}

void BenchClient::closeGracefully()
{
    if (!m_transport || m_state == State::Offline)
        return;
    if (m_state == State::Connecting) {
        m_state = State::Closing;
        m_transport->abort();
        onDisconnected(); // abort() reports nothing
        return;
    }
    m_state = State::Closing;
    m_closeStartUs = nowUs();
    writeFrame(wire::makeCloseFrame(quint16(protocol::CloseCode::Normal), {}, true));
    // The server answers the close frame and closes TCP; disconnected() follows.
}

void BenchClient::drop()
{
    if (!m_transport || m_state == State::Offline || m_state == State::Closing)
        return;
    ++m_worker->stats().drops;
    m_state = State::Offline;
    m_transport->abort();
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
    m_syncPending = 0;
    m_transport->abort();
    connectionEnded(closing);
}

void BenchClient::onSocketError(const QString &key, bool neverConnected)
{
    if (m_state == State::Closing || m_state == State::Offline)
        return;
    if (!key.isEmpty())
        m_worker->countError(key);
    // A connect that never succeeded reports no disconnect; every other error does.
    if (m_state == State::Connecting && neverConnected)
        onDisconnected();
}

void BenchClient::onDisconnected()
{
    const State was = std::exchange(m_state, State::Offline);
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
