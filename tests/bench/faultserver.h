#pragma once

#include "protocol/messages.h"
#include "wire/websocket.h"

#include <QHash>
#include <QObject>
#include <QSet>
#include <QTcpServer>
#include <QUrl>
#include <memory>
#include <vector>

class QTcpSocket;

// A deliberately small and deliberately faulty server for the harness's own tests. It
// speaks just enough of protocol v1 over the shared framing (hello with register,
// password or token; create, join, send -> event + ack; ping; `since` replay) to carry
// a bench run, and can hurt one victim on purpose: drop, duplicate or reorder one text
// event, or withhold one ack. In raw mode it behaves like the ws peer instead: every
// text frame goes to every connection, no session at all. Lives in the thread that
// created it (the test's main thread).
namespace confab::bench::testing {

struct Faults
{
    // Ordinals count the text events of a room (raw mode: all frames) from 1.
    int dropText = 0;      // the victim never gets this one
    int duplicateText = 0; // the victim gets it twice
    int swapText = 0;      // the victim gets it after the next one
    int withholdAck = 0;   // the Nth send is stored and broadcast but never acked
    int resetText = 0;     // instead of this one the victim's connection is reset (no
                           // close frame); it comes back with `since` and is replayed
    QString victim;        // user name of the victim; raw mode: the oldest connection that
                           // did not send the first frame
    bool raw = false;
};

class FaultServer : public QObject
{
public:
    explicit FaultServer(Faults faults);
    ~FaultServer() override;

    bool listen(QString *error);
    QUrl url() const;
    int textEvents() const { return m_textEvents; }

private:
    struct Connection;
    struct Room
    {
        QString id;
        QSet<QString> members;
        std::vector<QByteArray> events; // encoded, by seq - 1
        int texts = 0;
    };

    void accept();
    void readable(Connection *c);
    bool upgrade(Connection *c);
    void handleText(Connection *c, const QByteArray &payload);
    void handleRaw(Connection *c, const QByteArray &payload);
    void onHello(Connection *c, const protocol::Hello &hello);
    void onCreateOrJoin(Connection *c, const QString &room, protocol::RequestId id, bool create);
    void onSend(Connection *c, const protocol::SendRequest &send);
    qint64 append(Room &room, protocol::Event event);
    void deliver(Connection *to, const QByteArray &frame, int ordinal);
    void write(Connection *c, const QByteArray &frame);
    void reply(Connection *c, const protocol::ServerMessage &m);
    void fail(Connection *c, protocol::ErrorCode code, protocol::RequestId id, bool close = false);
    void closeConnection(Connection *c, quint16 code);
    void forget(Connection *c);
    protocol::RoomInfo info(const Room &room) const;

    Faults m_faults;
    QTcpServer m_server;
    std::vector<std::unique_ptr<Connection>> m_connections;
    const Connection *m_rawVictim = nullptr;
    QHash<QString, QString> m_passwords; // user -> password
    QHash<QString, QString> m_tokens;    // token -> user
    QHash<QString, Room> m_rooms;
    QHash<QString, qint64> m_sent; // user + client_msg_id -> seq (idempotency)
    int m_sends = 0;
    int m_textEvents = 0;
};

} // namespace confab::bench::testing
