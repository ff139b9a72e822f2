// Session transport: HTTP sniffing, the WebSocket handshake, frames, the bounded outbox
// and closing. The protocol side is in sessionrequests.cpp.
#include "net/session.h"

#include "core/clock.h"
#include "core/metrics.h"
#include "logging.h"
#include "net/filetransfer.h"
#include "net/httpendpoints.h"
#include "net/ioworker.h"

#include <QDateTime>
#include <QSslSocket>
#include <QTcpSocket>
#include <array>
#include <cstring>
#include <sys/socket.h>
#include <sys/uio.h>

namespace confab::server {

using namespace Qt::StringLiterals;
using protocol::CloseCode;
using protocol::ErrorCode;

namespace {
// Bytes handed to the kernel side of the socket before the outbox holds the rest; the
// outbox is what the per-connection bound applies to.
constexpr qint64 kSocketHighWater = 256 * 1024;
constexpr int kMaxGather = 256; // frames in one sendmsg() (the kernel takes up to 1024)
// Several small frames are copied into one buffer before the sendmsg(): the kernel's TCP
// path costs per iovec segment, and copying a few hundred bytes is cheaper than that
// (confab-bench floor: 4 frames 0.84 -> 0.77 us each, 16 frames 0.29 -> 0.20 us).
constexpr qint64 kCoalesceBytes = 16 * 1024;
constexpr int kMaxBadRequests = 20;
constexpr qint64 kBadRequestWindowMs = 10000;
// How long a Close of ours waits for the peer's before the TCP connection goes anyway,
// and how long a closing connection may take at all (a peer that does not read).
constexpr qint64 kCloseHandshakeMs = 2000;
constexpr qint64 kClosingGraceMs = 5000;
// What a file transfer's socket reads ahead of the disk (TCP holds back the rest), and so
// the most upload body one loop pass takes from one connection: the WebSocket sessions on
// the same thread wait for that read's copy (team p99 beside two uploads 30 -> 23 ms with
// 256 KiB instead of 1 MiB, one upload's rate unchanged).
constexpr qint64 kTransferReadBuffer = 256 * 1024;

qint64 nowMs()
{
    return monotonicMs();
}

template<class List> void releaseIfEmpty(List &list)
{
    if (list.isEmpty() && list.capacity() > 0)
        list = List();
}
} // namespace

Session::Session(IoWorker *worker, quint64 id, QTcpSocket *socket, bool tls)
    : m_worker(worker)
    , m_ctx(worker->context())
    , m_id(id)
    , m_socket(socket)
    , m_tls(tls)
    , m_parser(wire::FrameParser::Role::Server, m_ctx->config.limits.maxFrameBytes)
{
    m_openedAt = m_lastSeen = m_lastPing = m_tokensAt = nowMs();
    m_sendTokens = m_ctx->config.limits.burst;
    QObject::connect(m_socket, &QTcpSocket::readyRead, m_socket, [this] { onReadyRead(); });
    QObject::connect(m_socket, &QTcpSocket::bytesWritten, m_socket, [this] { onBytesWritten(); });
    QObject::connect(m_socket, &QTcpSocket::disconnected, m_socket, [this] {
        m_state = State::Closed;
        m_worker->sessionGone(this);
    });
    if (m_tls) {
        auto *ssl = static_cast<QSslSocket *>(m_socket);
        QObject::connect(ssl, &QSslSocket::encrypted, ssl, [this] {
            m_encrypted = true;
            bump(m_ctx->metrics->tlsHandshakes);
        });
        QObject::connect(ssl, &QAbstractSocket::errorOccurred, ssl,
                         [this, ssl](QAbstractSocket::SocketError error) {
                             if (m_encrypted || m_state == State::Closed)
                                 return;
                             bump(m_ctx->metrics->tlsHandshakeFailures);
                             qCDebug(lcNet)
                                 << "TLS handshake failed:" << error << ssl->errorString();
                             abort();
                         });
        ssl->setSslConfiguration(m_worker->tls()->configuration);
        ssl->startServerEncryption();
    }
}

Session::~Session()
{
    m_socket->disconnect();
    m_socket->deleteLater();
}

SessionRef Session::ref() const
{
    return SessionRef{m_worker->index(), m_id};
}

void Session::onReadyRead()
{
    if (m_state == State::Closed)
        return;
    if (m_state == State::Transfer && !m_transfer->wantsBody())
        return;
    // read(bytesAvailable()) rather than readAll(): when QTcpSocket holds one block, it
    // hands that block over instead of copying it, and an idle connection is left with
    // no read buffer (readAll() copies, and the emptied block stays with the socket).
    while (m_state != State::Closed && m_socket->bytesAvailable() > 0) {
        if (m_state != State::Transfer) {
            consume(m_socket->read(m_socket->bytesAvailable()));
            continue;
        }
        // An upload's body goes to the file store's writer as that block, not a copy.
        if (!m_transfer->wantsBody())
            return;
        m_lastSeen = nowMs();
        m_transfer->body(m_socket->read(m_socket->bytesAvailable()));
    }
}

void Session::consume(QByteArrayView bytes)
{
    if (!m_upgraded) {
        if (m_state == State::Http) {
            m_httpBuffer.append(bytes);
            handleHttp();
        }
        // Otherwise the answer to the request is on its way (one per connection): the
        // rest is dropped.
        return;
    }
    m_parser.feed(bytes);
    handleFrames();
}

void Session::handleHttp()
{
    wire::HttpRequest request;
    const qsizetype head = wire::parseHttpRequest(m_httpBuffer, &request);
    if (head == wire::kHttpIncomplete)
        return;
    if (head == wire::kHttpTooLarge) {
        httpAnswered(wire::httpResponse(431, "Request Header Fields Too Large", "text/plain",
                                        "request head too large\n"));
    } else if (head < 0) {
        httpAnswered(wire::httpResponse(400, "Bad Request", "text/plain", "bad request\n"));
    } else if (refusePlain(request)) {
        return;
    } else if (FileTransfer::handles(request)) {
        startTransfer(request, head);
    } else if (request.isWebSocketUpgrade()) {
        acceptUpgrade(request, head);
    } else {
        serveHttp(request);
    }
}

bool Session::refusePlain(const wire::HttpRequest &request)
{
    const TlsSetup *tls = m_worker->tls();
    if (m_tls || !tls || !tls->required)
        return false;
    // Health checks stay plain: a load balancer or a monitor probing the port.
    if (!request.isWebSocketUpgrade() && request.target.split('?').value(0) == "/healthz")
        return false;
    bump(m_ctx->metrics->plainRefused);
    httpAnswered(wire::httpResponse(426, "Upgrade Required", "text/plain",
                                    "this server accepts TLS only: connect with wss://\n",
                                    "Upgrade: TLS/1.2, HTTP/1.1\r\n", request.method == "HEAD"));
    return true;
}

void Session::serveHttp(const wire::HttpRequest &request)
{
    m_state = State::Closing;
    m_closingSince = nowMs();
    IoWorker *worker = m_worker;
    const quint64 sid = m_id;
    const std::optional<QByteArray> answer =
        answerHttp(*m_ctx, request, m_ctx->readPool, [worker, sid](const QByteArray &response) {
            postTo(worker, [worker, sid, response] {
                worker->withSession(sid, [&](Session *s) { s->httpAnswered(response); });
            });
        });
    if (answer)
        httpAnswered(*answer);
}

void Session::startTransfer(const wire::HttpRequest &request, qsizetype headLength)
{
    m_state = State::Transfer;
    m_lastSeen = nowMs();
    m_socket->setReadBufferSize(kTransferReadBuffer);
    m_transfer = std::make_unique<FileTransfer>(this, request, m_httpBuffer.mid(headLength));
    m_httpBuffer = QByteArray();
    m_transfer->start();
}

void Session::transferSent()
{
    m_state = State::Closing;
    m_closingSince = nowMs();
    shutdownWriteWhenFlushed();
}

void Session::httpAnswered(const QByteArray &response)
{
    if (m_state == State::Closed)
        return;
    if (m_state != State::Closing)
        m_closingSince = nowMs();
    m_state = State::Closing;
    m_socket->write(response);
    // FIN once the answer is out, while the rest of what the client sent (a body, a head
    // over the cap) is still read and dropped: closing with it unread would reset the
    // connection, and a reset can discard the answer before the client read it.
    shutdownWriteWhenFlushed();
}

void Session::acceptUpgrade(const wire::HttpRequest &request, qsizetype headLength)
{
    if (request.header("sec-websocket-version") != "13") {
        httpAnswered("HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\n"
                     "Content-Length: 0\r\nConnection: close\r\n\r\n");
        return;
    }
    // A client that offers no subprotocol is taken as v1; one that offers only others
    // gets the handshake and then close 4002, so it learns why.
    const QByteArray offered = request.header("sec-websocket-protocol");
    const bool speaksV1 = offered.isEmpty() ||
                          request.headerHasToken("sec-websocket-protocol", protocol::kSubprotocol);
    QByteArray response = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                          "Connection: Upgrade\r\nSec-WebSocket-Accept: " +
                          wire::acceptKey(request.header("sec-websocket-key")) + "\r\n";
    if (!offered.isEmpty() && speaksV1)
        response += "Sec-WebSocket-Protocol: " + QByteArray(protocol::kSubprotocol) + "\r\n";
    response += "\r\n";
    // Straight to the kernel like every frame after it: a write through QTcpSocket would
    // leave its 16 KB write buffer allocated for the life of the connection.
    writeOut(response);
    m_upgraded = true;
    m_state = State::Hello;
    m_lastSeen = nowMs();
    // Frames sent right behind the request belong to the stream either way: the peer's
    // answer to a 4002 is among them.
    m_parser.feed(QByteArrayView(m_httpBuffer).sliced(headLength));
    m_httpBuffer.clear();
    if (!speaksV1)
        close(CloseCode::UnsupportedVersion, u"subprotocol confab.v1 required"_s);
    handleFrames();
}

void Session::handleFrames()
{
    const qint64 framesBefore = m_parser.framesParsed();
    bool peerClosed = false;
    while (!peerClosed && m_state != State::Closed) {
        std::optional<wire::Message> message = m_parser.next();
        if (!message)
            break;
        m_lastSeen = nowMs();
        switch (message->opcode) {
        case wire::Opcode::Text:
            if (m_state != State::Closing)
                handleText(message->payload);
            break;
        case wire::Opcode::Binary:
            if (m_state != State::Closing) {
                sendError(ErrorCode::BadRequest, u"binary frames are not part of the protocol"_s,
                          std::nullopt);
                countBadRequest();
            }
            break;
        case wire::Opcode::Ping:
            sendFrame(wire::makeFrame(wire::Opcode::Pong, message->payload));
            break;
        case wire::Opcode::Pong:
            break;
        case wire::Opcode::Close:
            peerClosed = true;
            if (m_state != State::Closing) {
                // The parser let only valid codes through, so echoing cannot send an
                // invalid one; a Close without a code is answered without one.
                pump(); // what was queued before the peer's Close still goes first
                m_outbox.clear();
                m_backlog.clear();
                writeOut(wire::makeCloseFrame(message->closeCode, {}));
                m_state = State::Closing;
                m_closingSince = nowMs();
            }
            // Both Close frames are out: the server ends TCP first (RFC 6455 7.1.1).
            finishClosing();
            break;
        default:
            break;
        }
    }
    if (const qint64 frames = m_parser.framesParsed() - framesBefore; frames > 0)
        bump(m_ctx->metrics->framesIn, frames);
    if (peerClosed || !m_parser.error() || m_state == State::Closed)
        return;
    if (m_state != State::Closing)
        close(CloseCode(m_parser.error()), m_parser.errorText());
    // RFC 6455 7.1.7: after a framing error nothing more is processed, the peer's Close
    // included, so there is no Close to wait for. Our FIN follows our Close instead;
    // what the peer still sends is read and dropped until it closes too, or for
    // kCloseHandshakeMs (a reset could cost the peer our Close).
    shutdownWriteWhenFlushed();
}

void Session::finishClosing()
{
    if (m_socket->state() == QAbstractSocket::ConnectedState)
        m_socket->disconnectFromHost();
}

void Session::shutdownWriteWhenFlushed()
{
    if (m_socket->state() != QAbstractSocket::ConnectedState)
        return;
    m_socket->flush();
    if (m_socket->bytesToWrite() != 0)
        return; // onBytesWritten() comes back here
    if (m_tls)
        m_socket->disconnectFromHost(); // TLS close_notify, then the TCP close
    else
        ::shutdown(int(m_socket->socketDescriptor()), SHUT_WR);
}

void Session::countBadRequest()
{
    const qint64 now = nowMs();
    m_badRequests.push_back(now);
    while (!m_badRequests.empty() && m_badRequests.front() < now - kBadRequestWindowMs)
        m_badRequests.pop_front();
    if (int(m_badRequests.size()) > kMaxBadRequests)
        close(CloseCode::PolicyViolation, u"too many bad requests"_s);
}

void Session::sendError(ErrorCode code, const QString &message, protocol::RequestId id,
                        std::optional<QString> field)
{
    bump(m_ctx->metrics->errorsByCode[size_t(code)]);
    protocol::Error error = protocol::makeError(code, message, id);
    error.field = std::move(field);
    send(error);
}

void Session::sendLive(const QString &room, const QByteArray &frame)
{
    auto held = m_replaying.find(room);
    if (held != m_replaying.end()) {
        held->append(frame);
        charge(frame.size());
        return;
    }
    if (m_draining.contains(room)) {
        // The room's replay is still being written; live frames queue behind it.
        m_backlog.push_back({frame, true});
        if (charge(frame.size()))
            schedulePump();
        return;
    }
    sendFrame(frame);
}

bool Session::charge(qint64 bytes)
{
    m_outboxBytes += bytes;
    if (m_outboxBytes <= m_ctx->config.outboundQueueBytes)
        return true;
    // The client cannot keep up. Dropping its queue loses nothing: it resumes with
    // `since` and is replayed from the store.
    bump(m_ctx->metrics->slowConsumerCloses);
    qCInfo(lcNet) << "closing slow consumer" << m_user << "queued" << m_outboxBytes;
    close(CloseCode::TooSlow, u"outbound queue over its bound"_s);
    return false;
}

void Session::sendFrame(const QByteArray &frame)
{
    if (m_state == State::Closing || m_state == State::Closed || m_state == State::Http ||
        m_state == State::Transfer)
        return;
    m_outbox.push_back(frame);
    if (charge(frame.size()))
        schedulePump();
}

void Session::sendReply(const QByteArray &frame)
{
    if (m_state != State::Active)
        return;
    m_backlog.push_back({frame, false});
    schedulePump();
}

void Session::queueReplay(const QList<QByteArray> &frames, const QList<QByteArray> &held,
                          const QString &room)
{
    // Replay frames are bounded by the replay limit and do not count against the
    // outbound bound: they are handed to the socket only as fast as it drains.
    for (const QByteArray &frame : frames)
        m_backlog.push_back({frame, false});
    for (const QByteArray &frame : held)
        m_backlog.push_back({frame, true}); // already charged when they arrived
    m_draining.insert(room);
    schedulePump();
}

void Session::schedulePump()
{
    if (m_pumpScheduled)
        return;
    m_pumpScheduled = true;
    m_worker->schedulePump(this);
}

void Session::scheduledPump()
{
    m_pumpScheduled = false;
    pump();
}

void Session::pump()
{
    if (m_state == State::Closing || m_state == State::Closed)
        return;
    qint64 written = 0;
    int frames = 0;
    while (!m_tls && m_socket->bytesToWrite() == 0 && (!m_outbox.empty() || !m_backlog.empty())) {
        if (!writeGathered(&written, &frames))
            break;
    }
    while (!m_outbox.empty() && m_socket->bytesToWrite() < kSocketHighWater) {
        const QByteArray &frame = m_outbox.front();
        writeOut(frame);
        written += frame.size();
        m_outboxBytes -= frame.size();
        ++frames;
        m_outbox.pop_front();
    }
    while (m_outbox.empty() && !m_backlog.empty() && m_socket->bytesToWrite() < kSocketHighWater) {
        const Pending &p = m_backlog.front();
        writeOut(p.frame);
        written += p.frame.size();
        if (p.charged)
            m_outboxBytes -= p.frame.size();
        ++frames;
        m_backlog.pop_front();
    }
    if (m_backlog.empty())
        m_draining.clear();
    if (frames) {
        bump(m_ctx->metrics->framesOut, frames);
        bump(m_ctx->metrics->bytesOut, written);
    }
}

bool Session::writeGathered(qint64 *written, int *frames)
{
    // Everything queued, up to the socket's high-water mark, in one sendmsg() straight
    // from the shared frame buffers (no copy per recipient): under load a pass of the
    // worker queues many frames per session and the kernel is entered once for them.
    iovec iov[kMaxGather];
    int n = 0;
    qint64 bytes = 0;
    for (auto it = m_outbox.cbegin();
         it != m_outbox.cend() && n < kMaxGather && bytes < kSocketHighWater; ++it) {
        iov[n++] = {const_cast<char *>(it->constData()), size_t(it->size())};
        bytes += it->size();
    }
    const int fromOutbox = n;
    if (fromOutbox == int(m_outbox.size())) {
        for (auto it = m_backlog.cbegin();
             it != m_backlog.cend() && n < kMaxGather && bytes < kSocketHighWater; ++it) {
            iov[n++] = {const_cast<char *>(it->frame.constData()), size_t(it->frame.size())};
            bytes += it->frame.size();
        }
    }
    msghdr message{};
    message.msg_iov = iov;
    message.msg_iovlen = size_t(n);
    iovec joined;
    if (n > 1 && bytes <= kCoalesceBytes) {
        // One scratch buffer per I/O thread: sendmsg() has copied it when it returns.
        thread_local std::array<char, kCoalesceBytes> scratch;
        size_t at = 0;
        for (int i = 0; i < n; ++i) {
            std::memcpy(scratch.data() + at, iov[i].iov_base, iov[i].iov_len);
            at += iov[i].iov_len;
        }
        joined = {scratch.data(), at};
        message.msg_iov = &joined;
        message.msg_iovlen = 1;
    }
    const ssize_t sent =
        ::sendmsg(int(m_socket->socketDescriptor()), &message, MSG_NOSIGNAL | MSG_DONTWAIT);
    bump(m_ctx->metrics->socketWrites);
    qint64 left = std::max<qint64>(sent, 0);
    // Frames the kernel took whole leave the queues; a frame it took part of goes to
    // QTcpSocket with its rest, which arms the write notifier and keeps the order. An
    // error is left to QTcpSocket as in writeOut().
    for (int i = 0; i < n; ++i) {
        const bool outbox = i < fromOutbox;
        const QByteArray &frame = outbox ? m_outbox.front() : m_backlog.front().frame;
        const bool charged = outbox || m_backlog.front().charged;
        if (left < frame.size()) {
            if (left == 0 && i > 0)
                return false; // the kernel is full: the rest waits in the queues
            m_socket->write(frame.constData() + left, frame.size() - left);
            left = 0;
        } else {
            left -= frame.size();
        }
        *written += frame.size();
        ++*frames;
        if (charged)
            m_outboxBytes -= frame.size();
        if (outbox)
            m_outbox.pop_front();
        else
            m_backlog.pop_front();
        if (m_socket->bytesToWrite() > 0)
            return false;
    }
    return true;
}

void Session::writeOut(const QByteArray &frame)
{
    writeOutRaw(frame);
}

void Session::writeOutRaw(QByteArrayView frame)
{
    // While QTcpSocket holds nothing, the frame goes to the kernel straight from the
    // shared buffer: no copy into QTcpSocket's ring buffer, no write notifier armed and
    // disarmed, no bytesWritten signal per delivery. Whatever the kernel does not take
    // goes to QTcpSocket, which keeps the order (everything after it queues behind it),
    // arms its notifier and emits bytesWritten as it drains, which pumps again. An error
    // is left to QTcpSocket too: its own write of the rest fails and closes the socket
    // from the event loop, never inside this call (a delivery loop may be walking the
    // room's sessions).
    qsizetype sent = 0;
    if (!m_tls && m_socket->bytesToWrite() == 0) {
        const ssize_t n = ::send(int(m_socket->socketDescriptor()), frame.constData(),
                                 size_t(frame.size()), MSG_NOSIGNAL | MSG_DONTWAIT);
        bump(m_ctx->metrics->socketWrites);
        if (n == frame.size())
            return;
        sent = n > 0 ? qsizetype(n) : 0;
    }
    m_socket->write(frame.constData() + sent, frame.size() - sent);
}

void Session::onBytesWritten()
{
    if (m_state == State::Transfer) {
        m_lastSeen = nowMs();
        m_transfer->drained();
        return;
    }
    if (m_state == State::Closing) {
        if (!m_upgraded || m_parser.error())
            shutdownWriteWhenFlushed();
        return;
    }
    if (!m_outbox.empty() || !m_backlog.empty())
        pump();
}

void Session::close(CloseCode code, const QString &reason)
{
    if (m_state == State::Closing || m_state == State::Closed)
        return;
    if (m_state == State::Http || m_state == State::Transfer) {
        abort();
        return;
    }
    // Frames queued before the close (a logout's ok, an error) go out ahead of the
    // Close frame, as far as the socket takes them; the rest of the queue is dropped.
    pump();
    m_outbox.clear();
    m_backlog.clear();
    m_replaying.clear();
    m_draining.clear();
    m_outboxBytes = 0;
    writeOut(wire::makeCloseFrame(quint16(code), reason.toUtf8()));
    m_state = State::Closing;
    m_closingSince = nowMs();
    // TCP stays up, and frames are still read, until the peer's Close arrives
    // (handleFrames) or kCloseHandshakeMs passed (tick). Closing at once would reset the
    // connection as soon as the peer sent anything more, and a reset can discard our
    // Close before the peer read it: it would see 1006 instead of the code.
}

void Session::abort()
{
    if (m_state == State::Closed)
        return;
    m_state = State::Closing;
    m_socket->abort();
}

void Session::tick(qint64 now)
{
    // An idle connection keeps no queue memory: what a burst grew is given back here,
    // not on every write (a busy session would allocate each pass).
    releaseIfEmpty(m_outbox);
    releaseIfEmpty(m_backlog);
    if (!m_badRequests.isEmpty() && m_badRequests.constLast() < now - kBadRequestWindowMs)
        m_badRequests.clear();
    releaseIfEmpty(m_badRequests);
    const ServerConfig &cfg = m_ctx->config;
    switch (m_state) {
    case State::Transfer:
        // A transfer may take long; one that moves nothing for the idle time is dropped.
        if (now - m_lastSeen > cfg.idleTimeoutMs)
            abort();
        break;
    case State::Http:
        if (m_tls && !m_encrypted && now - m_openedAt > cfg.tlsHandshakeTimeoutMs) {
            bump(m_ctx->metrics->tlsHandshakeTimeouts);
            abort();
            break;
        }
        [[fallthrough]];
    case State::Hello:
    case State::Authenticating:
        if (now - m_openedAt > cfg.helloTimeoutMs) {
            if (m_state == State::Http)
                abort();
            else
                close(CloseCode::AuthFailed, u"no hello in time"_s);
        }
        break;
    case State::Active:
        if (now - m_lastSeen > cfg.idleTimeoutMs) {
            close(CloseCode::Idle, u"no pong in time"_s);
        } else if (now - m_lastPing >= cfg.pingIntervalMs) {
            m_lastPing = now;
            sendFrame(wire::makeFrame(wire::Opcode::Ping, {}));
        }
        break;
    case State::Closing:
        if (now - m_closingSince > kClosingGraceMs)
            abort();
        else if (m_upgraded && now - m_closingSince >= kCloseHandshakeMs)
            finishClosing();
        break;
    case State::Closed:
        break;
    }
}

} // namespace confab::server
