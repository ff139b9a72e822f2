#pragma once

#include "harness.h"

#include <QTcpSocket>
#include <QTest>

// Shared helpers for the integration suites.
namespace confab::testing {

// One counter of a Prometheus text body; -1 when it is not there.
inline qint64 metricIn(const QByteArray &metrics, const QByteArray &name)
{
    const qsizetype at = metrics.indexOf('\n' + name + ' ');
    if (at < 0)
        return -1;
    const qsizetype from = at + name.size() + 2;
    return metrics.mid(from, metrics.indexOf('\n', from) - from).toLongLong();
}

// One counter from GET /metrics on a plain connection; -1 when it cannot be read.
inline qint64 metricValue(quint16 port, const QByteArray &name)
{
    QTcpSocket s;
    s.connectToHost(QHostAddress::LocalHost, port);
    s.write("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
    QByteArray all;
    QObject::connect(&s, &QTcpSocket::readyRead, &s, [&] { all += s.readAll(); });
    if (!QTest::qWaitFor([&] { return s.state() == QAbstractSocket::UnconnectedState; }, 10000))
        return -1;
    return metricIn(all + s.readAll(), name);
}

inline protocol::SendRequest textMessage(const QString &room, const QString &body,
                                         const QString &clientMsgId, qint64 id)
{
    protocol::SendRequest s;
    s.id = id;
    s.room = room;
    s.clientMsgId = clientMsgId;
    s.kind = protocol::EventKind::Text;
    s.body = body;
    return s;
}

// A send of kind file naming an uploaded file (the server fills in the rest).
inline protocol::SendRequest fileMessage(const QString &room, const QString &fileId,
                                         const QString &clientMsgId, qint64 id)
{
    protocol::SendRequest s;
    s.id = id;
    s.room = room;
    s.clientMsgId = clientMsgId;
    s.kind = protocol::EventKind::File;
    s.file = protocol::FileInfo{};
    s.file->id = fileId;
    return s;
}

// Connects a client and registers (first time) or logs in.
inline std::unique_ptr<TestClient> connectUser(const ServerProcess &server, const QString &user,
                                               bool registerFirst = true)
{
    auto c = std::make_unique<TestClient>();
    if (!c->connectTo(server.url()))
        return nullptr;
    const QString password = user + QStringLiteral("-password");
    auto w = registerFirst ? c->registerUser(user, password) : c->login(user, password);
    if (!w)
        return nullptr;
    return c;
}

template<class T> std::optional<T> replyAs(TestClient &c, qint64 id, int timeoutMs = 10000)
{
    const auto m = c.waitForReply(id, timeoutMs);
    if (!m)
        return std::nullopt;
    if (const T *t = std::get_if<T>(&*m))
        return *t;
    qWarning().noquote() << "unexpected reply:" << protocol::encode(*m);
    return std::nullopt;
}

inline std::optional<protocol::Error> errorReply(TestClient &c, qint64 id)
{
    return replyAs<protocol::Error>(c, id);
}

// Creates a public channel; true once the room reply is here (the join is stored).
inline bool createRoom(TestClient &c, const QString &room)
{
    const qint64 id = c.nextId();
    c.sendMessage(protocol::CreateRequest{id, room, false, {}});
    return replyAs<protocol::RoomReply>(c, id).has_value();
}

inline bool joinRoom(TestClient &c, const QString &room)
{
    const qint64 id = c.nextId();
    c.sendMessage(protocol::JoinRequest{id, room});
    return replyAs<protocol::RoomReply>(c, id).has_value();
}

// Base of the suites that start one server per test function on a fresh store.
class ServerTest : public QObject
{
protected:
    std::unique_ptr<TestStore> m_store;
    std::unique_ptr<ServerProcess> m_server;

    void startServer(const QStringList &args = {})
    {
        m_store = std::make_unique<TestStore>();
        QVERIFY2(m_store->error().isEmpty(), qPrintable(m_store->error()));
        m_server = std::make_unique<ServerProcess>(m_store->url(), args);
        QVERIFY(m_server->start());
    }

    void stopServer()
    {
        m_server.reset();
        m_store.reset();
    }
};

} // namespace confab::testing
