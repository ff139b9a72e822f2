#pragma once

#include "protocol/codec.h"

#include <QElapsedTimer>
#include <QObject>
#include <QProcess>
#include <QSqlDatabase>
#include <QTemporaryDir>
#include <QUrl>
#include <QWebSocket>
#include <functional>
#include <memory>

// Integration-test support: the real confab-server binary as a child process on a free
// loopback port, and a protocol client over a real QWebSocket.
namespace confab::testing {

// The store a test server uses: a fresh SQLite file in a temp dir, or, when
// CONFAB_TEST_DB_URL_FILE names a file holding a PostgreSQL URL, a fresh database on
// that cluster.
class TestStore
{
public:
    TestStore();
    QString url() const { return m_url; }
    bool isPostgres() const { return m_postgres; }
    QString error() const { return m_error; }

private:
    QTemporaryDir m_dir;
    QString m_url;
    bool m_postgres = false;
    QString m_error;
};

// Holds the store's write lock from the test process, so the server's writer cannot
// commit until release(): what a stuck disk or a busy database looks like to it.
class StoreLock
{
public:
    explicit StoreLock(const TestStore &store);
    ~StoreLock();
    bool lock(QString *error);
    void release();

private:
    QString m_url;
    bool m_postgres;
    QString m_connection;
};

// A connection of the test process to the store at storeUrl (a SQLite file or a
// postgres:// URL), registered under name; open unless *error was set. The caller closes
// it and removes name.
QSqlDatabase openStore(const QString &storeUrl, bool postgres, const QString &name, QString *error);

// Runs one SQL statement on the store from the test process: what another program
// writing to the same database looks like to the server.
bool execOnStore(const TestStore &store, const QString &statement, QString *error);

class ServerProcess
{
public:
    explicit ServerProcess(const QString &dbUrl, QStringList extraArgs = {});
    ~ServerProcess();

    // Starts and waits for the "listening on port N" line. Keeps the port across
    // restarts so clients can reconnect to the same URL.
    bool start(int timeoutMs = 20000);
    void kill9();
    // SIGTERM and wait; returns the exit code (-1 on crash or timeout).
    int terminate(int timeoutMs = 20000);
    bool isRunning() const;
    // SIGSTOP / SIGCONT: a server that still holds its sockets but answers nothing (what
    // a dead link looks like to a client).
    void pause();
    void resume();
    quint16 port() const { return m_port; }
    // Listen on this port from the next start() on (another store on the same URL).
    void setPort(quint16 port) { m_port = port; }
    qint64 pid() const { return m_process ? m_process->processId() : 0; }
    QUrl url() const;
    QByteArray output() const { return m_output; }
    static QString binary();
    // Soft and hard RLIMIT_NOFILE of the server process from the next start() on
    // (0: inherited), so a test can run it out of descriptors with few connections.
    void setFileLimit(qint64 limit) { m_fileLimit = limit; }
    // Where the server keeps uploaded files (its own temporary directory, the same across
    // restarts; a test may pass another --files-dir).
    QString filesDir() const { return m_filesDir.path(); }

private:
    QTemporaryDir m_filesDir;
    QString m_dbUrl;
    QStringList m_extraArgs;
    qint64 m_fileLimit = 0;
    std::unique_ptr<QProcess> m_process;
    quint16 m_port = 0;
    QByteArray m_output;
};

// Runs a confab-server admin subcommand to completion; returns exit code, output in *out.
int runAdmin(const QString &dbUrl, const QStringList &args, const QByteArray &stdinData = {},
             QByteArray *out = nullptr);

class TestClient : public QObject
{
public:
    TestClient();
    ~TestClient() override;

    bool connectTo(const QUrl &url, int timeoutMs = 10000);
    void sendMessage(const protocol::ClientMessage &message);
    void sendRaw(const QByteArray &text);
    void sendBinary(const QByteArray &data);

    // Waits until a received message satisfies pred (searching from the oldest unconsumed
    // one), removes and returns it. nullopt on timeout.
    std::optional<protocol::ServerMessage>
    waitFor(const std::function<bool(const protocol::ServerMessage &)> &pred,
            int timeoutMs = 10000);
    template<class T>
    std::optional<T> waitForType(int timeoutMs = 10000,
                                 const std::function<bool(const T &)> &pred = nullptr)
    {
        auto m = waitFor(
            [&](const protocol::ServerMessage &msg) {
                const T *t = std::get_if<T>(&msg);
                return t && (!pred || pred(*t));
            },
            timeoutMs);
        if (!m)
            return std::nullopt;
        return std::get<T>(*m);
    }
    // The reply to request id (any type).
    std::optional<protocol::ServerMessage> waitForReply(qint64 id, int timeoutMs = 10000);
    bool waitForClose(int timeoutMs = 10000);
    // Events of a room received so far (and not consumed), in arrival order.
    QList<protocol::Event> takeEvents(const QString &room);
    // Lets the event loop run for a moment and returns whether anything arrived that
    // matches pred (used to check that something does NOT happen).
    bool receivesWithin(const std::function<bool(const protocol::ServerMessage &)> &pred, int ms);

    // hello helpers; return the welcome or nullopt (the error is kept in lastError()).
    std::optional<protocol::Welcome> login(const QString &user, const QString &password,
                                           const QMap<QString, qint64> &since = {});
    std::optional<protocol::Welcome> registerUser(const QString &user, const QString &password);
    std::optional<protocol::Welcome> resume(const QString &token,
                                            const QMap<QString, qint64> &since = {});
    std::optional<protocol::Error> lastError() const { return m_lastError; }

    qint64 nextId() { return ++m_nextId; }
    QWebSocket &socket() { return m_socket; }
    int closeCode() const { return m_closeCode; }
    bool isOpen() const;
    QList<protocol::ServerMessage> &pending() { return m_received; }
    QList<QByteArray> &badFrames() { return m_badFrames; }

private:
    std::optional<protocol::Welcome> hello(const protocol::Auth &auth,
                                           const QMap<QString, qint64> &since);

    QWebSocket m_socket;
    QList<protocol::ServerMessage> m_received;
    QList<QByteArray> m_badFrames; // frames the client-side decoder rejected
    std::optional<protocol::Error> m_lastError;
    qint64 m_nextId = 0;
    int m_closeCode = -1;
    bool m_closed = false;
};

} // namespace confab::testing
