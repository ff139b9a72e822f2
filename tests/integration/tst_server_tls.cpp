// TLS on confab-server's port, against the real binary: wss and ws side by side on one
// port, the self-signed certificate of tls = auto (made once, key 0600, the same
// fingerprint in the log, in `confab-server fingerprint` and on the wire), tls =
// required refusing plain upgrades with 426 while /healthz stays plain, TLS 1.2 as the
// floor, and connections that send a broken ClientHello, half a handshake or nothing at
// all are closed without holding up the worker they are on.
#include "fixtures.h"
#include "tlsfixtures.h"

#include <QFileInfo>
#include <QProcess>
#include <QRegularExpression>
#include <QSslKey>
#include <QSslSocket>
#include <QTcpSocket>
#include <QTemporaryDir>

using namespace confab;
using namespace confab::testing;
using namespace Qt::StringLiterals;

namespace {

QString fingerprintOf(const QSslCertificate &cert)
{
    return QString::fromLatin1(cert.digest(QCryptographicHash::Sha256).toHex(':').toUpper());
}

// A client configuration that trusts exactly this certificate (it names 127.0.0.1).
QSslConfiguration trusting(const QSslCertificate &cert)
{
    QSslConfiguration conf = QSslConfiguration::defaultConfiguration();
    conf.setCaCertificates({cert});
    return conf;
}

QUrl wssUrl(const ServerProcess &server)
{
    return QUrl(u"wss://127.0.0.1:%1/"_s.arg(server.port()));
}

// One request on a fresh connection, plain or TLS; everything the server answered.
QByteArray httpExchange(quint16 port, const QByteArray &request, const QSslCertificate *tlsCert)
{
    QSslSocket s;
    QByteArray all;
    QObject::connect(&s, &QTcpSocket::readyRead, &s, [&] { all += s.readAll(); });
    if (tlsCert) {
        s.setSslConfiguration(trusting(*tlsCert));
        s.connectToHostEncrypted(u"127.0.0.1"_s, port);
        if (!s.waitForEncrypted(10000)) {
            qWarning() << "no TLS:" << s.errorString();
            return {};
        }
    } else {
        s.connectToHost(QHostAddress::LocalHost, port);
        if (!s.waitForConnected(10000))
            return {};
    }
    s.write(request);
    if (!QTest::qWaitFor([&] { return s.state() == QAbstractSocket::UnconnectedState; }, 10000))
        qWarning() << "the server did not close the connection";
    return all + s.readAll();
}

qint64 metricOverTls(quint16 port, const QByteArray &name, const QSslCertificate &cert)
{
    return metricIn(httpExchange(port, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", &cert), name);
}

// Polls a counter until it reaches at least `atLeast`.
bool metricReaches(quint16 port, const QByteArray &name, qint64 atLeast, int timeoutMs = 10000)
{
    return QTest::qWaitFor([&] { return metricValue(port, name) >= atLeast; }, timeoutMs);
}

int runServerCommand(const QStringList &args, QByteArray *out, QByteArray *err = nullptr)
{
    QProcess p;
    p.start(ServerProcess::binary(), args);
    if (!p.waitForFinished(30000))
        return -1;
    *out = p.readAllStandardOutput();
    if (err)
        *err = p.readAllStandardError();
    return p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
}

// Registers alice over the URL with the given TLS configuration and sends one message
// to a new room; true when the ack came back.
bool chatOver(TestClient &c, const QUrl &url, const QString &user)
{
    if (!c.connectTo(url))
        return false;
    if (!c.registerUser(user, user + u"-password"_s))
        return false;
    if (!createRoom(c, u"tls-"_s + user))
        return false;
    const qint64 id = c.nextId();
    c.sendMessage(textMessage(u"tls-"_s + user, u"over TLS"_s, u"m-"_s + user, id));
    return replyAs<protocol::Ack>(c, id).has_value();
}

} // namespace

class TestServerTls : public QObject
{
    Q_OBJECT

    std::unique_ptr<TestStore> m_store;
    std::unique_ptr<QTemporaryDir> m_state;
    std::unique_ptr<ServerProcess> m_server;

    void start(const QStringList &args)
    {
        m_store = std::make_unique<TestStore>();
        m_state = std::make_unique<QTemporaryDir>();
        QVERIFY(m_state->isValid());
        m_server = std::make_unique<ServerProcess>(
            m_store->url(), QStringList{u"--state-dir"_s, m_state->path()} + args);
        QVERIFY2(m_server->start(), m_server->output().constData());
    }

    QSslCertificate autoCertificate() const
    {
        return QSslCertificate::fromPath(m_state->filePath(u"tls/server.crt"_s)).value(0);
    }

private slots:
    void init()
    {
        if (!QSslSocket::supportsSsl())
            QSKIP("Qt has no TLS backend here");
    }
    void cleanup()
    {
        if (m_server)
            m_server->terminate();
        m_server.reset();
    }

    void autoCertificateIsMadeOnceAndReused()
    {
        start({u"--tls"_s, u"auto"_s});
        const QString certPath = m_state->filePath(u"tls/server.crt"_s);
        const QString keyPath = m_state->filePath(u"tls/server.key"_s);
        QVERIFY(QFileInfo::exists(certPath));
        QCOMPARE(QFileInfo(keyPath).permissions() &
                     (QFile::ReadGroup | QFile::WriteGroup | QFile::ReadOther | QFile::WriteOther |
                      QFile::ExeGroup | QFile::ExeOther),
                 QFile::Permissions());
        const QSslCertificate cert = autoCertificate();
        QVERIFY(!cert.isNull());
        QVERIFY(cert.isSelfSigned());
        const QString fingerprint = fingerprintOf(cert);
        QCOMPARE(loggedFingerprint(m_server->output()), fingerprint);

        // The fingerprint subcommand reads the same file, and prints it alone.
        QByteArray out;
        QCOMPARE(runServerCommand({u"fingerprint"_s, u"--state-dir"_s, m_state->path()}, &out), 0);
        QCOMPARE(QString::fromLatin1(out.trimmed()), fingerprint);

        // What a client sees on the wire is that certificate.
        QSslSocket probe;
        probe.setSslConfiguration(trusting(cert));
        probe.connectToHostEncrypted(u"127.0.0.1"_s, m_server->port());
        QVERIFY2(probe.waitForEncrypted(10000), qPrintable(probe.errorString()));
        QCOMPARE(fingerprintOf(probe.peerCertificate()), fingerprint);
        QVERIFY(probe.sessionProtocol() == QSsl::TlsV1_3 ||
                probe.sessionProtocol() == QSsl::TlsV1_2);
        probe.abort();

        // Restarted on the same state directory: the same certificate, the file untouched.
        const QDateTime written = QFileInfo(certPath).lastModified();
        const QByteArray keyBefore = [&] {
            QFile f(keyPath);
            return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
        }();
        QCOMPARE(m_server->terminate(), 0);
        QVERIFY(m_server->start());
        QCOMPARE(fingerprintOf(autoCertificate()), fingerprint);
        QCOMPARE(QFileInfo(certPath).lastModified(), written);
        QFile key(keyPath);
        QVERIFY(key.open(QIODevice::ReadOnly));
        QCOMPARE(key.readAll(), keyBefore);
        QCOMPARE(loggedFingerprint(m_server->output()), fingerprint);
    }

    void wssAndWsShareThePort()
    {
        start({u"--tls"_s, u"auto"_s});
        const QSslCertificate cert = autoCertificate();

        TestClient secure;
        secure.socket().setSslConfiguration(trusting(cert));
        QVERIFY(chatOver(secure, wssUrl(*m_server), u"alice"_s));

        // A plain client on the same port sees the TLS client's message.
        TestClient plain;
        QVERIFY(chatOver(plain, m_server->url(), u"bob"_s));
        QVERIFY(joinRoom(plain, u"tls-alice"_s));
        const qint64 id = secure.nextId();
        secure.sendMessage(textMessage(u"tls-alice"_s, u"to bob"_s, u"m-to-bob"_s, id));
        QVERIFY(replyAs<protocol::Ack>(secure, id));
        QVERIFY(plain.waitForType<protocol::Event>(
            10000, [](const protocol::Event &e) { return e.body == u"to bob"_s; }));

        // Plain HTTP on both.
        const QByteArray get = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
        QVERIFY(httpExchange(m_server->port(), get, nullptr).startsWith("HTTP/1.1 200"));
        QVERIFY(httpExchange(m_server->port(), get, &cert).startsWith("HTTP/1.1 200"));
        QVERIFY(metricValue(m_server->port(), "confab_tls_handshakes_total") >= 2);
    }

    void givenCertificateAndKeyAreServed()
    {
        QTemporaryDir files;
        const QString cert = files.filePath(u"c.pem"_s);
        const QString key = files.filePath(u"k.pem"_s);
        QProcess openssl;
        openssl.start(u"openssl"_s,
                      {u"req"_s, u"-x509"_s, u"-newkey"_s, u"rsa:2048"_s, u"-nodes"_s, u"-keyout"_s,
                       key, u"-out"_s, cert, u"-days"_s, u"2"_s, u"-subj"_s, u"/CN=confab-test"_s,
                       u"-addext"_s, u"subjectAltName=IP:127.0.0.1"_s});
        QVERIFY(openssl.waitForFinished(60000));
        QCOMPARE(openssl.exitCode(), 0);
        start({u"--tls"_s, u"on"_s, u"--tls-cert"_s, cert, u"--tls-key"_s, key});
        const QSslCertificate given = QSslCertificate::fromPath(cert).value(0);
        QCOMPARE(loggedFingerprint(m_server->output()), fingerprintOf(given));
        QVERIFY(!QFileInfo::exists(m_state->filePath(u"tls/server.crt"_s)));
        TestClient c;
        c.socket().setSslConfiguration(trusting(given));
        QVERIFY(chatOver(c, wssUrl(*m_server), u"carol"_s));
        QByteArray out;
        QCOMPARE(runServerCommand({u"fingerprint"_s, u"--tls-cert"_s, cert}, &out), 0);
        QCOMPARE(QString::fromLatin1(out.trimmed()), fingerprintOf(given));
    }

    void requiredRefusesPlain()
    {
        start({u"--tls"_s, u"required"_s});
        const QSslCertificate cert = autoCertificate();
        // A plain upgrade learns why.
        const QByteArray upgrade = "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                                   "Connection: Upgrade\r\nSec-WebSocket-Key: "
                                   "dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
        const QByteArray refused = httpExchange(m_server->port(), upgrade, nullptr);
        QVERIFY2(refused.startsWith("HTTP/1.1 426 Upgrade Required\r\n"), refused.constData());
        QVERIFY(refused.contains("wss://"));
        QVERIFY(refused.contains("\r\nUpgrade: TLS/1.2"));
        // So does QWebSocket: no connection.
        TestClient plain;
        QVERIFY(!plain.connectTo(m_server->url(), 5000));
        // /metrics is not plain any more; /healthz is.
        QVERIFY(httpExchange(m_server->port(), "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", nullptr)
                    .startsWith("HTTP/1.1 426"));
        QVERIFY(httpExchange(m_server->port(), "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", nullptr)
                    .startsWith("HTTP/1.1 200"));
        TestClient secure;
        secure.socket().setSslConfiguration(trusting(cert));
        QVERIFY(chatOver(secure, wssUrl(*m_server), u"dave"_s));
        QCOMPARE(metricOverTls(m_server->port(), "confab_plain_refused_total", cert), 3);
    }

    void tlsBelow12IsRefused()
    {
        start({u"--tls"_s, u"auto"_s});
        // openssl's own client, allowed everything down to TLS 1.0 (security level 0):
        // the handshake fails at 1.1 and succeeds at 1.2.
        struct Outcome
        {
            int exitCode;
            QString text;
        };
        auto handshake = [&](const QString &version) {
            QProcess p;
            p.start(u"openssl"_s,
                    {u"s_client"_s, u"-connect"_s, u"127.0.0.1:%1"_s.arg(m_server->port()), version,
                     u"-cipher"_s, u"DEFAULT@SECLEVEL=0"_s});
            p.closeWriteChannel();
            p.waitForFinished(20000);
            return Outcome{p.exitCode(), QString::fromUtf8(p.readAllStandardOutput())};
        };
        const Outcome old = handshake(u"-tls1_1"_s);
        QVERIFY2(old.exitCode != 0 && old.text.contains(u"Cipher is (NONE)"_s),
                 qPrintable(old.text));
        const Outcome ok = handshake(u"-tls1_2"_s);
        QVERIFY2(ok.exitCode == 0 && ok.text.contains(u"Protocol  : TLSv1.2"_s) &&
                     !ok.text.contains(u"(NONE)"_s),
                 qPrintable(ok.text));
    }

    // One I/O worker, so that a connection which held it would hold everything.
    void badHandshakesDoNotHoldTheWorker()
    {
        start({u"--tls"_s, u"auto"_s, u"--workers"_s, u"1"_s, u"--tls-handshake-timeout-ms"_s,
               u"5000"_s});
        const QSslCertificate cert = autoCertificate();
        const quint16 port = m_server->port();

        // A ClientHello record whose body is garbage: refused at once.
        QTcpSocket malformed;
        malformed.connectToHost(QHostAddress::LocalHost, port);
        QVERIFY(malformed.waitForConnected(5000));
        QByteArray garbage("\x16\x03\x01\x00\x40", 5);
        garbage += QByteArray(64, '\x7f');
        malformed.write(garbage);
        QVERIFY(QTest::qWaitFor(
            [&] { return malformed.state() == QAbstractSocket::UnconnectedState; }, 5000));
        QVERIFY(metricReaches(port, "confab_tls_handshake_failures_total", 1));

        // Half a ClientHello, then silence; and a connection that sends nothing at all.
        QTcpSocket stalled, silent;
        stalled.connectToHost(QHostAddress::LocalHost, port);
        silent.connectToHost(QHostAddress::LocalHost, port);
        QVERIFY(stalled.waitForConnected(5000) && silent.waitForConnected(5000));
        stalled.write(QByteArray("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11));
        QVERIFY(stalled.waitForBytesWritten(5000));

        // Meanwhile the same worker serves a TLS client and a plain one as usual.
        TestClient secure;
        secure.socket().setSslConfiguration(trusting(cert));
        QVERIFY(chatOver(secure, wssUrl(*m_server), u"erin"_s));
        TestClient plain;
        QVERIFY(chatOver(plain, m_server->url(), u"frank"_s));
        QCOMPARE(stalled.state(), QAbstractSocket::ConnectedState);

        // Then both are closed once their time is up, and counted.
        QVERIFY(QTest::qWaitFor(
            [&] {
                return stalled.state() == QAbstractSocket::UnconnectedState &&
                       silent.state() == QAbstractSocket::UnconnectedState;
            },
            15000));
        QVERIFY(metricReaches(port, "confab_tls_handshake_timeouts_total", 2));
        QVERIFY(secure.isOpen() && plain.isOpen());
    }

    void configurationErrorsAreClear_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("message");
        QTest::newRow("on without files")
            << QStringList{u"--tls"_s, u"on"_s} << u"tls = on needs tls.cert and tls.key"_s;
        QTest::newRow("cert without key")
            << QStringList{u"--tls"_s, u"on"_s, u"--tls-cert"_s, u"/nonexistent/c.pem"_s}
            << u"tls.cert is set but tls.key is not"_s;
        QTest::newRow("missing files")
            << QStringList{u"--tls"_s,      u"on"_s,
                           u"--tls-cert"_s, u"/nonexistent/c.pem"_s,
                           u"--tls-key"_s,  u"/nonexistent/k.pem"_s}
            << u"the TLS certificate /nonexistent/c.pem does not exist"_s;
        QTest::newRow("bad mode")
            << QStringList{u"--tls"_s, u"maybe"_s}
            << u"--tls: server.tls: 'maybe' is not off, auto, on or required"_s;
    }
    void configurationErrorsAreClear()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, message);
        QTemporaryDir state;
        QByteArray out, err;
        const int code = runServerCommand(
            QStringList{u"--state-dir"_s, state.path(), u"--listen"_s, u"127.0.0.1:0"_s} + args,
            &out, &err);
        QVERIFY2(code != 0, out.constData());
        QVERIFY2(QString::fromUtf8(err).contains(message), err.constData());
    }

    void keyOfAnotherCertificateIsRefused()
    {
        QTemporaryDir a, b;
        // Two auto certificates: a's certificate with b's key.
        for (QTemporaryDir *dir : {&a, &b}) {
            ServerProcess s(TestStore().url(),
                            {u"--state-dir"_s, dir->path(), u"--tls"_s, u"auto"_s});
            QVERIFY(s.start());
            s.terminate();
        }
        QByteArray out, err;
        const int code =
            runServerCommand({u"--state-dir"_s, a.path(), u"--listen"_s, u"127.0.0.1:0"_s,
                              u"--tls"_s, u"on"_s, u"--tls-cert"_s, a.filePath(u"tls/server.crt"_s),
                              u"--tls-key"_s, b.filePath(u"tls/server.key"_s)},
                             &out, &err);
        QVERIFY(code != 0);
        QVERIFY2(err.contains("does not belong to the certificate"), err.constData());
        // And the fingerprint subcommand says when there is nothing to print yet.
        QTemporaryDir empty;
        QCOMPARE(runServerCommand({u"fingerprint"_s, u"--state-dir"_s, empty.path()}, &out, &err),
                 1);
        QVERIFY2(err.contains("no certificate yet"), err.constData());
    }
};

QTEST_GUILESS_MAIN(TestServerTls)
#include "tst_server_tls.moc"
