#include "wireclient.h"

#include <QTest>

namespace confab::testing {

WireClient::WireClient()
{
    connect(&m_socket, &QTcpSocket::readyRead, this, [this] { onReadyRead(); });
    connect(&m_socket, &QTcpSocket::disconnected, this, [this] {
        m_gone = true;
        if (m_sinceClose.isValid())
            m_closeToDisconnectMs = m_sinceClose.elapsed();
    });
}

bool WireClient::open(quint16 port, const QByteArray &offered, int timeoutMs)
{
    m_socket.connectToHost(QHostAddress::LocalHost, port);
    if (!QTest::qWaitFor([this] { return m_socket.state() == QAbstractSocket::ConnectedState; },
                         timeoutMs))
        return false;
    m_key = wire::makeClientKey();
    m_offered = offered;
    QByteArray request = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                         "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                         "Sec-WebSocket-Key: " +
                         m_key + "\r\n";
    if (!offered.isEmpty())
        request += "Sec-WebSocket-Protocol: " + offered + "\r\n";
    m_socket.write(request + "\r\n");
    return QTest::qWaitFor([this] { return m_upgraded || m_gone; }, timeoutMs) && m_upgraded;
}

void WireClient::onReadyRead()
{
    QByteArray data = m_socket.readAll();
    if (!m_upgraded) {
        m_head += data;
        QString error;
        const qsizetype len =
            wire::parseHandshakeResponse(m_head, m_key, m_offered, nullptr, &error);
        if (len < 0) {
            qWarning().noquote() << error;
            m_socket.abort();
        }
        if (len <= 0)
            return;
        m_upgraded = true;
        data = m_head.mid(len);
    }
    m_parser.feed(data);
    while (auto m = m_parser.next()) {
        if (m->opcode == wire::Opcode::Ping) {
            write(wire::makeFrame(wire::Opcode::Pong, m->payload, true));
            continue;
        }
        if (m->opcode == wire::Opcode::Close && !m_sinceClose.isValid())
            m_sinceClose.start();
        m_messages.append(*m);
    }
}

void WireClient::write(const QByteArray &bytes)
{
    m_socket.write(bytes);
}

void WireClient::sendText(const QByteArray &payload)
{
    write(wire::makeFrame(wire::Opcode::Text, payload, true));
}

void WireClient::sendClose(quint16 code)
{
    write(wire::makeCloseFrame(code, {}, true));
}

std::optional<wire::Message> WireClient::next(int timeoutMs)
{
    if (!QTest::qWaitFor([this] { return !m_messages.isEmpty() || m_gone; }, timeoutMs) ||
        m_messages.isEmpty())
        return std::nullopt;
    return m_messages.takeFirst();
}

std::optional<wire::Message> WireClient::waitForClose(int timeoutMs)
{
    QElapsedTimer t;
    t.start();
    while (auto m = next(int(std::max<qint64>(0, timeoutMs - t.elapsed())))) {
        if (m->opcode == wire::Opcode::Close)
            return m;
    }
    return std::nullopt;
}

bool WireClient::waitForDisconnected(int timeoutMs)
{
    return QTest::qWaitFor([this] { return m_gone; }, timeoutMs);
}

} // namespace confab::testing
