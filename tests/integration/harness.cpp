#include "harness.h"

#include <QCoreApplication>
#include <QFile>
#include <QRandomGenerator>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTcpServer>
#include <QTest>
#include <QUuid>
#include <csignal>
#include <sys/resource.h>

namespace confab::testing {

using namespace Qt::StringLiterals;

namespace {
constexpr int kWaitSliceMs = 10;

QString postgresAdminUrlFile()
{
    return qEnvironmentVariable("CONFAB_TEST_DB_URL_FILE");
}
} // namespace

TestStore::TestStore()
{
    const QString urlFile = postgresAdminUrlFile();
    if (urlFile.isEmpty()) {
        m_url = m_dir.filePath(u"confab.db"_s);
        return;
    }
    m_postgres = true;
    QFile file(urlFile);
    if (!file.open(QIODevice::ReadOnly)) {
        m_error = u"cannot read %1"_s.arg(urlFile);
        return;
    }
    const QUrl base(QString::fromUtf8(file.readAll().trimmed()));
    const QString dbName = u"t_"_s + QUuid::createUuid().toString(QUuid::Id128).left(16);
    const QString connection = u"admin-"_s + dbName;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(u"QPSQL"_s, connection);
        db.setHostName(base.host());
        db.setPort(base.port(5432));
        db.setUserName(base.userName());
        db.setPassword(base.password());
        db.setDatabaseName(base.path().mid(1));
        if (!db.open()) {
            m_error = db.lastError().text();
        } else {
            QSqlQuery q(db);
            if (!q.exec(u"CREATE DATABASE "_s + dbName))
                m_error = q.lastError().text();
        }
        db.close();
    }
    QSqlDatabase::removeDatabase(connection);
    QUrl url = base;
    url.setPath(u"/"_s + dbName);
    m_url = url.toString();
}

StoreLock::StoreLock(const TestStore &store)
    : m_url(store.url())
    , m_postgres(store.isPostgres())
    , m_connection(u"lock-"_s + QUuid::createUuid().toString(QUuid::Id128))
{
}

StoreLock::~StoreLock()
{
    release();
}

QSqlDatabase openStore(const QString &storeUrl, bool postgres, const QString &name, QString *error)
{
    QSqlDatabase db = QSqlDatabase::addDatabase(postgres ? u"QPSQL"_s : u"QSQLITE"_s, name);
    if (postgres) {
        const QUrl url(storeUrl);
        db.setHostName(url.host());
        db.setPort(url.port(5432));
        db.setUserName(url.userName());
        db.setPassword(url.password());
        db.setDatabaseName(url.path().mid(1));
    } else {
        db.setDatabaseName(storeUrl);
    }
    if (!db.open())
        *error = db.lastError().text();
    return db;
}

bool execOnStore(const TestStore &store, const QString &statement, QString *error)
{
    const QString name = u"exec-"_s + QUuid::createUuid().toString(QUuid::Id128);
    bool ok = false;
    {
        QSqlDatabase db = openStore(store.url(), store.isPostgres(), name, error);
        if (db.isOpen()) {
            QSqlQuery q(db);
            ok = q.exec(statement);
            if (!ok)
                *error = q.lastError().text();
            db.close();
        }
    }
    QSqlDatabase::removeDatabase(name);
    return ok;
}

bool StoreLock::lock(QString *error)
{
    QSqlDatabase db = openStore(m_url, m_postgres, m_connection, error);
    if (!db.isOpen())
        return false;
    QSqlQuery q(db);
    const bool ok = m_postgres
                        ? q.exec(u"BEGIN"_s) && q.exec(u"LOCK TABLE events IN EXCLUSIVE MODE"_s)
                        : q.exec(u"BEGIN EXCLUSIVE"_s);
    if (!ok)
        *error = q.lastError().text();
    return ok;
}

void StoreLock::release()
{
    if (!QSqlDatabase::contains(m_connection))
        return;
    {
        QSqlDatabase db = QSqlDatabase::database(m_connection, false);
        if (db.isOpen()) {
            QSqlQuery q(db);
            q.exec(u"ROLLBACK"_s);
            db.close();
        }
    }
    QSqlDatabase::removeDatabase(m_connection);
}

ServerProcess::ServerProcess(const QString &dbUrl, QStringList extraArgs)
    : m_dbUrl(dbUrl)
    , m_extraArgs(std::move(extraArgs))
{
}

ServerProcess::~ServerProcess()
{
    if (isRunning())
        terminate(10000);
    if (isRunning())
        kill9();
}

QString ServerProcess::binary()
{
    // CONFAB_TEST_SERVER_BINARY runs the suites against another build, e.g. to show that
    // a new test fails on the server as it was.
    const QString other = qEnvironmentVariable("CONFAB_TEST_SERVER_BINARY");
    return other.isEmpty() ? QStringLiteral(CONFAB_SERVER_BINARY) : other;
}

QUrl ServerProcess::url() const
{
    return QUrl(u"ws://127.0.0.1:%1"_s.arg(m_port));
}

bool ServerProcess::isRunning() const
{
    return m_process && m_process->state() != QProcess::NotRunning;
}

bool ServerProcess::start(int timeoutMs)
{
    m_process = std::make_unique<QProcess>();
    m_process->setProcessChannelMode(QProcess::SeparateChannels);
    QStringList args = {u"--db"_s, m_dbUrl, u"--listen"_s, u"127.0.0.1:%1"_s.arg(m_port),
                        u"--fast-password-hash"_s, u"--allow-register"_s,
                        // Test servers stay off the LAN (and off UDP 7681); a test of
                        // discovery turns it on with a port of its own (the last flag wins).
                        u"--discovery"_s, u"off"_s, u"--files-dir"_s, m_filesDir.path()};
    args += m_extraArgs;
    // Lets ctest run a suite against another server configuration.
    const QString more = qEnvironmentVariable("CONFAB_TEST_SERVER_ARGS");
    if (!more.isEmpty())
        args += more.split(u' ', Qt::SkipEmptyParts);
    QObject::connect(m_process.get(), &QProcess::readyReadStandardError, m_process.get(),
                     [this] { m_output += m_process->readAllStandardError(); });
    if (m_fileLimit > 0) {
        m_process->setChildProcessModifier([limit = rlim_t(m_fileLimit)] {
            const rlimit files{limit, limit};
            ::setrlimit(RLIMIT_NOFILE, &files);
        });
    }
    // A command the server runs under, e.g. `ip netns exec NAME` (it must exec the binary,
    // so that the pid is the server's).
    const QStringList wrapper =
        qEnvironmentVariable("CONFAB_TEST_SERVER_WRAPPER").split(u' ', Qt::SkipEmptyParts);
    if (wrapper.isEmpty())
        m_process->start(binary(), args);
    else
        m_process->start(wrapper.first(), wrapper.mid(1) + QStringList{binary()} + args);
    if (!m_process->waitForStarted(timeoutMs))
        return false;
    QElapsedTimer timer;
    timer.start();
    QByteArray stdoutText;
    while (timer.elapsed() < timeoutMs && m_process->state() == QProcess::Running) {
        m_process->waitForReadyRead(50);
        stdoutText += m_process->readAllStandardOutput();
        const qsizetype at = stdoutText.indexOf("listening on port ");
        const qsizetype end = stdoutText.indexOf('\n', at);
        if (at >= 0 && end > at) {
            m_port = quint16(stdoutText.mid(at + 18, end - at - 18).trimmed().toUInt());
            return m_port != 0;
        }
    }
    m_output += m_process->readAllStandardError();
    qWarning().noquote() << "server did not start:" << m_output;
    return false;
}

void ServerProcess::kill9()
{
    if (!isRunning())
        return;
    ::kill(pid_t(m_process->processId()), SIGKILL);
    m_process->waitForFinished(10000);
}

void ServerProcess::pause()
{
    if (isRunning())
        ::kill(pid_t(m_process->processId()), SIGSTOP);
}

void ServerProcess::resume()
{
    if (isRunning())
        ::kill(pid_t(m_process->processId()), SIGCONT);
}

int ServerProcess::terminate(int timeoutMs)
{
    if (!isRunning())
        return m_process ? m_process->exitCode() : -1;
    ::kill(pid_t(m_process->processId()), SIGTERM);
    if (!m_process->waitForFinished(timeoutMs))
        return -1;
    m_output += m_process->readAllStandardError();
    return m_process->exitStatus() == QProcess::NormalExit ? m_process->exitCode() : -1;
}

int runAdmin(const QString &dbUrl, const QStringList &args, const QByteArray &stdinData,
             QByteArray *out)
{
    QProcess p;
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.start(ServerProcess::binary(), QStringList{u"--db"_s, dbUrl} + args);
    if (!p.waitForStarted(10000))
        return -1;
    p.write(stdinData);
    p.closeWriteChannel();
    if (!p.waitForFinished(60000))
        return -1;
    if (out)
        *out = p.readAll();
    return p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
}

TestClient::TestClient()
{
    QObject::connect(&m_socket, &QWebSocket::textMessageReceived, this,
                     [this](const QString &text) {
                         const QByteArray bytes = text.toUtf8();
                         protocol::ServerDecodeResult r =
                             protocol::decodeServerMessage(bytes, {1 << 24, 1 << 26, 0, 0});
                         if (r.ok())
                             m_received.append(std::move(*r.message));
                         else
                             m_badFrames.append(bytes);
                     });
    QObject::connect(&m_socket, &QWebSocket::disconnected, this, [this] {
        m_closed = true;
        m_closeCode = int(m_socket.closeCode());
    });
}

TestClient::~TestClient()
{
    m_socket.abort();
}

bool TestClient::isOpen() const
{
    return m_socket.state() == QAbstractSocket::ConnectedState;
}

bool TestClient::connectTo(const QUrl &url, int timeoutMs)
{
    m_closed = false;
    m_closeCode = -1;
    m_received.clear();
    QNetworkRequest request(url);
    request.setRawHeader("Sec-WebSocket-Protocol", protocol::kSubprotocol);
    m_socket.open(request);
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < timeoutMs && m_socket.state() != QAbstractSocket::ConnectedState &&
           !m_closed)
        QTest::qWait(kWaitSliceMs);
    return isOpen();
}

void TestClient::sendMessage(const protocol::ClientMessage &message)
{
    m_socket.sendTextMessage(QString::fromUtf8(protocol::encode(message)));
}

void TestClient::sendRaw(const QByteArray &text)
{
    m_socket.sendTextMessage(QString::fromUtf8(text));
}

void TestClient::sendBinary(const QByteArray &data)
{
    m_socket.sendBinaryMessage(data);
}

std::optional<protocol::ServerMessage>
TestClient::waitFor(const std::function<bool(const protocol::ServerMessage &)> &pred, int timeoutMs)
{
    QElapsedTimer t;
    t.start();
    while (true) {
        for (qsizetype i = 0; i < m_received.size(); ++i) {
            if (pred(m_received[i]))
                return m_received.takeAt(i);
        }
        if (t.elapsed() >= timeoutMs)
            return std::nullopt;
        QTest::qWait(kWaitSliceMs);
    }
}

std::optional<protocol::ServerMessage> TestClient::waitForReply(qint64 id, int timeoutMs)
{
    return waitFor(
        [id](const protocol::ServerMessage &m) {
            return std::visit(
                [id](const auto &v) {
                    if constexpr (requires { v.id; })
                        return v.id == std::optional<qint64>(id);
                    else
                        return false;
                },
                m);
        },
        timeoutMs);
}

bool TestClient::waitForClose(int timeoutMs)
{
    QElapsedTimer t;
    t.start();
    while (!m_closed && t.elapsed() < timeoutMs)
        QTest::qWait(kWaitSliceMs);
    return m_closed;
}

bool TestClient::receivesWithin(const std::function<bool(const protocol::ServerMessage &)> &pred,
                                int ms)
{
    return waitFor(pred, ms).has_value();
}

QList<protocol::Event> TestClient::takeEvents(const QString &room)
{
    QList<protocol::Event> events;
    for (qsizetype i = 0; i < m_received.size();) {
        const auto *e = std::get_if<protocol::Event>(&m_received[i]);
        if (e && e->room == room) {
            events.append(*e);
            m_received.removeAt(i);
        } else {
            ++i;
        }
    }
    return events;
}

std::optional<protocol::Welcome> TestClient::hello(const protocol::Auth &auth,
                                                   const QMap<QString, qint64> &since)
{
    protocol::Hello h;
    h.id = nextId();
    h.client = u"confab-tests/0.3"_s;
    h.auth = auth;
    h.since = since;
    sendMessage(h);
    const auto reply = waitForReply(*h.id, 30000);
    m_lastError.reset();
    if (!reply)
        return std::nullopt;
    if (const auto *e = std::get_if<protocol::Error>(&*reply))
        m_lastError = *e;
    if (const auto *w = std::get_if<protocol::Welcome>(&*reply))
        return *w;
    return std::nullopt;
}

std::optional<protocol::Welcome> TestClient::login(const QString &user, const QString &password,
                                                   const QMap<QString, qint64> &since)
{
    return hello(protocol::Auth{protocol::AuthMethod::Password, user, password, {}, {}}, since);
}

std::optional<protocol::Welcome> TestClient::registerUser(const QString &user,
                                                          const QString &password)
{
    return hello(protocol::Auth{protocol::AuthMethod::Register, user, password, {}, {}}, {});
}

std::optional<protocol::Welcome> TestClient::resume(const QString &token,
                                                    const QMap<QString, qint64> &since)
{
    return hello(protocol::Auth{protocol::AuthMethod::Token, {}, {}, {}, token}, since);
}

} // namespace confab::testing
