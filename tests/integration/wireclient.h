#pragma once

#include "../support/rawframe.h"
#include "wire/websocket.h"

#include <QElapsedTimer>
#include <QObject>
#include <QTcpSocket>
#include <optional>

namespace confab::testing {

// A WebSocket client on a bare QTcpSocket that writes exactly the bytes a test gives it,
// broken frames included, and records what the server does: the frames it sends (pings
// answered), its Close, and how long after that Close the TCP connection ended. Waits
// run the event loop (QTest::qWaitFor) until their condition holds.
class WireClient : public QObject
{
public:
    WireClient();

    // Connects and upgrades, offering these subprotocols (comma-separated; empty: none).
    bool open(quint16 port, const QByteArray &offered = "confab.v1", int timeoutMs = 10000);
    void write(const QByteArray &bytes);
    void sendText(const QByteArray &payload);
    void sendClose(quint16 code);

    // The next message other than a ping; nullopt on timeout or when the server is gone.
    std::optional<wire::Message> next(int timeoutMs = 10000);
    // Skips to the server's Close and returns it; nullopt when none came.
    std::optional<wire::Message> waitForClose(int timeoutMs = 10000);
    bool waitForDisconnected(int timeoutMs = 10000);
    bool isConnected() const { return !m_gone; }
    // From the server's Close to the end of the TCP connection; -1 until both happened.
    qint64 closeToDisconnectMs() const { return m_closeToDisconnectMs; }
    quint16 parserError() const { return m_parser.error(); }

private:
    void onReadyRead();

    QTcpSocket m_socket;
    QByteArray m_key;
    QByteArray m_offered;
    QByteArray m_head;
    bool m_upgraded = false;
    bool m_gone = false;
    wire::FrameParser m_parser{wire::FrameParser::Role::Client, 1 << 24};
    QList<wire::Message> m_messages;
    QElapsedTimer m_sinceClose;
    qint64 m_closeToDisconnectMs = -1;
};

} // namespace confab::testing
