// Trust on first use against the real confab-server over wss://: the first connection
// to a self-signed server stops before the hello and shows the fingerprint (the one the
// server logs and `confab-server fingerprint` prints); trusting it pins it in the
// profile's pins file, which a restarted client reuses without asking. A server that
// comes back with another certificate is refused with both fingerprints, no hello and so
// no token reaches it (its /metrics count no frame and no login), also after a restart;
// trusting the new certificate replaces the pin. A certificate signed by a CA the client
// trusts (a throwaway CA made with openssl and added to the test process's default
// QSslConfiguration) connects with no question and no pin. The verdict on a handshake's
// errors is checked on real certificates too.
#include "clientfixture.h"
#include "fixtures.h"
#include "net/trust.h"
#include "tlsfixtures.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QScopeGuard>
#include <QSignalSpy>
#include <QSslConfiguration>
#include <QSslSocket>

using namespace confab;
using namespace confab::testing;
using namespace Qt::StringLiterals;
using client::ClientSession;
using client::Connection;
using Trust = client::Connection::TrustProblem;

namespace {

// A throwaway CA and a server certificate it signed for 127.0.0.1 and localhost.
bool makeCaSigned(const QString &dir)
{
    QFile ext(dir + u"/server.ext"_s);
    if (!ext.open(QIODevice::WriteOnly))
        return false;
    ext.write("subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n"
              "keyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n");
    ext.close();
    const QStringList ec{u"-newkey"_s, u"ec"_s, u"-pkeyopt"_s, u"ec_paramgen_curve:prime256v1"_s,
                         u"-nodes"_s};
    return runTool(u"openssl"_s,
                   QStringList{u"req"_s, u"-x509"_s} + ec +
                       QStringList{u"-keyout"_s, dir + u"/ca.key"_s, u"-out"_s, dir + u"/ca.crt"_s,
                                   u"-days"_s, u"30"_s, u"-subj"_s, u"/CN=Confab Test CA"_s,
                                   u"-addext"_s, u"basicConstraints=critical,CA:TRUE"_s,
                                   u"-addext"_s, u"keyUsage=critical,keyCertSign,cRLSign"_s}) &&
           runTool(u"openssl"_s,
                   QStringList{u"req"_s} + ec +
                       QStringList{u"-keyout"_s, dir + u"/server.key"_s, u"-out"_s,
                                   dir + u"/server.csr"_s, u"-subj"_s, u"/CN=localhost"_s}) &&
           runTool(u"openssl"_s, {u"x509"_s, u"-req"_s, u"-in"_s, dir + u"/server.csr"_s, u"-CA"_s,
                                  dir + u"/ca.crt"_s, u"-CAkey"_s, dir + u"/ca.key"_s,
                                  u"-CAcreateserial"_s, u"-out"_s, dir + u"/server.crt"_s,
                                  u"-days"_s, u"30"_s, u"-extfile"_s, dir + u"/server.ext"_s});
}

QJsonObject pinsIn(const QString &file)
{
    QFile f(file);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return QJsonDocument::fromJson(f.readAll()).object();
}

// The states a session's connection goes through, to show it never said hello.
struct StateLog
{
    explicit StateLog(ClientSession *s)
    {
        QObject::connect(s->connection(), &Connection::stateChanged, s->connection(),
                         [this](Connection::State st) { states.append(st); });
    }
    bool reachedHello() const { return states.contains(Connection::State::Authenticating); }
    QList<Connection::State> states;
};

} // namespace

class TestClientTrust : public QObject
{
    Q_OBJECT

    std::unique_ptr<TestStore> m_store;
    std::unique_ptr<QTemporaryDir> m_state;
    std::unique_ptr<ServerProcess> m_server;
    QTemporaryDir m_certs;

    QUrl wssUrl() const { return QUrl(u"wss://127.0.0.1:%1"_s.arg(m_server->port())); }

    // (Re)starts the server on the same store and port with other TLS arguments.
    void startServer(const QStringList &args)
    {
        const quint16 port = m_server ? m_server->port() : 0;
        m_server.reset();
        if (!m_store)
            m_store = std::make_unique<TestStore>();
        QVERIFY2(m_store->error().isEmpty(), qPrintable(m_store->error()));
        m_server = std::make_unique<ServerProcess>(m_store->url(), args);
        m_server->setPort(port);
        QVERIFY2(m_server->start(), m_server->output().constData());
    }

    void startAutoServer()
    {
        m_state = std::make_unique<QTemporaryDir>();
        startServer({u"--state-dir"_s, m_state->path(), u"--tls"_s, u"auto"_s});
    }

    qint64 metric(const char *name) const { return metricValue(m_server->port(), name); }

    static QString pinsFile(const TestAccount &a) { return QDir(a.dir()).filePath(u"pins.json"_s); }

    // The app restarts on the same profile: it gets online with no question asked.
    static void restartsUnasked(TestAccount &alice)
    {
        alice.stopSession();
        ClientSession *s = alice.startSession();
        QVERIFY(s);
        QSignalSpy asked(s, &ClientSession::trustChanged);
        s->connectToServer();
        QTRY_VERIFY_WITH_TIMEOUT(isOnline(s), 15000);
        QCOMPARE(asked.count(), 0);
        QCOMPARE(s->trustProblem(), Trust::None);
    }

    // First use: register, get asked, trust, be online. The fingerprint pinned.
    QString registerAndPin(TestAccount &alice)
    {
        ClientSession *s = alice.startSession();
        if (!s)
            return {};
        s->registerAccount(alice.password(), {});
        if (!QTest::qWaitFor([&] { return s->trustProblem() == Trust::Unknown; }, 15000))
            return {};
        const QString fp = s->presentedFingerprint();
        if (!s->trustCertificate(fp) || !QTest::qWaitFor([&] { return isOnline(s); }, 15000))
            return {};
        return fp;
    }

private slots:
    void initTestCase()
    {
        if (!QSslSocket::supportsSsl())
            QSKIP("Qt has no TLS backend here");
        QVERIFY(m_certs.isValid());
    }

    void cleanup()
    {
        m_server.reset();
        m_store.reset();
        m_state.reset();
    }

    void firstUseAsksThenPins()
    {
        startAutoServer();
        const QString expected = serverFingerprint({u"--state-dir"_s, m_state->path()});
        QCOMPARE(expected.size(), 95);
        QCOMPARE(loggedFingerprint(m_server->output()), expected);

        TestAccount alice(wssUrl(), u"alice"_s);
        ClientSession *s = alice.startSession();
        QVERIFY(s);
        StateLog log(s);
        QSignalSpy trustSpy(s, &ClientSession::trustChanged);
        s->registerAccount(alice.password(), {});
        QTRY_COMPARE_WITH_TIMEOUT(s->trustProblem(), Trust::Unknown, 15000);
        QCOMPARE(s->presentedFingerprint(), expected);
        QVERIFY(s->pinnedFingerprint().isEmpty());
        QCOMPARE(s->state(), Connection::State::Offline);
        QVERIFY2(s->errorText().contains(u"not trusted"_s), qPrintable(s->errorText()));
        QVERIFY(!log.reachedHello());
        QVERIFY(trustSpy.count() >= 1);
        // It waits for the user: no retry, nothing reached the server's WebSocket layer.
        QTest::qWait(1500);
        QCOMPARE(s->state(), Connection::State::Offline);
        QCOMPARE(s->connection()->retryDelayMs(), 0);
        QCOMPARE(metric("confab_frames_in_total"), 0);
        QCOMPARE(metric("confab_logins_total"), 0);
        QVERIFY(!pinsIn(pinsFile(alice)).contains(client::pinKey(wssUrl())));

        // Only the fingerprint that was presented can be trusted.
        QVERIFY(!s->trustCertificate(expected.toLower()));
        QVERIFY(!s->trustCertificate({}));
        QVERIFY(s->trustCertificate(expected));
        QTRY_VERIFY_WITH_TIMEOUT(isOnline(s), 15000);
        QCOMPARE(s->trustProblem(), Trust::None);
        QCOMPARE(pinsIn(pinsFile(alice)).value(client::pinKey(wssUrl())).toString(), expected);

        // The app restarts: the pin (in the profile, not the cache) lets it straight in.
        alice.stopSession();
        QVERIFY(QDir(QDir(alice.dir()).filePath(u"cache"_s)).removeRecursively());
        restartsUnasked(alice);
    }

    void changedCertificateIsRefused()
    {
        startAutoServer();
        TestAccount alice(wssUrl(), u"alice"_s);
        const QString first = registerAndPin(alice);
        QVERIFY(!first.isEmpty());
        ClientSession *s = alice.session();
        StateLog log(s);

        // The same store and port (alice's token is valid there), another certificate.
        QVERIFY(makeSelfSigned(m_certs.path(), u"impostor.example"_s));
        const QString cert = m_certs.filePath(u"server.crt"_s);
        const QString key = m_certs.filePath(u"server.key"_s);
        const QString second = serverFingerprint({u"--tls-cert"_s, cert});
        QCOMPARE(second.size(), 95);
        QVERIFY(second != first);
        startServer({u"--tls"_s, u"on"_s, u"--tls-cert"_s, cert, u"--tls-key"_s, key});

        // The session was online: it reconnects by itself, and stops at the certificate.
        QTRY_COMPARE_WITH_TIMEOUT(s->trustProblem(), Trust::Changed, 15000);
        QCOMPARE(s->pinnedFingerprint(), first);
        QCOMPARE(s->presentedFingerprint(), second);
        QCOMPARE(s->state(), Connection::State::Offline);
        QVERIFY2(s->errorText().contains(u"certificate has changed"_s), qPrintable(s->errorText()));
        QVERIFY(!s->loginRequired());
        QTest::qWait(1500);
        QCOMPARE(s->connection()->retryDelayMs(), 0);
        QVERIFY(!log.reachedHello());
        // No hello, so the token never went out: not one frame, not one login.
        QCOMPARE(metric("confab_frames_in_total"), 0);
        QCOMPARE(metric("confab_logins_total"), 0);
        QCOMPARE(pinsIn(pinsFile(alice)).value(client::pinKey(wssUrl())).toString(), first);

        // After an app restart it is refused just the same.
        alice.stopSession();
        s = alice.startSession();
        QVERIFY(s);
        StateLog log2(s);
        s->connectToServer();
        QTRY_COMPARE_WITH_TIMEOUT(s->trustProblem(), Trust::Changed, 15000);
        QCOMPARE(s->presentedFingerprint(), second);
        QVERIFY(!log2.reachedHello());
        QCOMPARE(metric("confab_frames_in_total"), 0);
        QCOMPARE(metric("confab_logins_total"), 0);
    }

    void trustingTheNewCertificateReplacesThePin()
    {
        startAutoServer();
        TestAccount alice(wssUrl(), u"alice"_s);
        const QString first = registerAndPin(alice);
        QVERIFY(!first.isEmpty());
        alice.stopSession();

        QVERIFY(makeSelfSigned(m_certs.path(), u"replacement.example"_s));
        const QString cert = m_certs.filePath(u"server.crt"_s);
        const QString second = serverFingerprint({u"--tls-cert"_s, cert});
        startServer({u"--tls"_s, u"on"_s, u"--tls-cert"_s, cert, u"--tls-key"_s,
                     m_certs.filePath(u"server.key"_s)});

        ClientSession *s = alice.startSession();
        QVERIFY(s);
        s->connectToServer();
        QTRY_COMPARE_WITH_TIMEOUT(s->trustProblem(), Trust::Changed, 15000);
        // The old fingerprint is not an answer; the new one, explicitly, is.
        QVERIFY(!s->trustCertificate(first));
        QCOMPARE(s->trustProblem(), Trust::Changed);
        QVERIFY(s->trustCertificate(second));
        QTRY_VERIFY_WITH_TIMEOUT(isOnline(s), 15000);
        QCOMPARE(metric("confab_logins_total"), 1); // the saved token, once trusted
        QCOMPARE(pinsIn(pinsFile(alice)).value(client::pinKey(wssUrl())).toString(), second);

        // Restarted, it connects to the new certificate without asking; the old server's
        // certificate would now be the changed one.
        restartsUnasked(alice);
    }

    void caSignedCertificateNeedsNoPrompt()
    {
        QVERIFY(makeCaSigned(m_certs.path()));
        startServer({u"--tls"_s, u"on"_s, u"--tls-cert"_s, m_certs.filePath(u"server.crt"_s),
                     u"--tls-key"_s, m_certs.filePath(u"server.key"_s)});

        // Without the CA it is just an unknown certificate...
        {
            TestAccount bob(wssUrl(), u"bob"_s);
            ClientSession *s = bob.startSession();
            QVERIFY(s);
            s->registerAccount(bob.password(), {});
            QTRY_COMPARE_WITH_TIMEOUT(s->trustProblem(), Trust::Unknown, 15000);
        }

        // ...with the CA trusted (as the system's store would), it connects, unasked.
        const QSslConfiguration saved = QSslConfiguration::defaultConfiguration();
        QSslConfiguration withCa = saved;
        QVERIFY(withCa.addCaCertificates(m_certs.filePath(u"ca.crt"_s)));
        QSslConfiguration::setDefaultConfiguration(withCa);
        const auto restore =
            qScopeGuard([&] { QSslConfiguration::setDefaultConfiguration(saved); });
        TestAccount alice(wssUrl(), u"alice"_s);
        ClientSession *s = alice.startSession();
        QVERIFY(s);
        QSignalSpy trustSpy(s, &ClientSession::trustChanged);
        s->registerAccount(alice.password(), {});
        QTRY_VERIFY_WITH_TIMEOUT(isOnline(s), 15000);
        QCOMPARE(trustSpy.count(), 0);
        QVERIFY(!pinsIn(pinsFile(alice)).contains(client::pinKey(wssUrl())));
    }

    void verdictOnHandshakeErrors()
    {
        QTemporaryDir a, b;
        QVERIFY(makeSelfSigned(a.path(), u"a.example"_s));
        QVERIFY(makeSelfSigned(b.path(), u"b.example"_s));
        const QSslCertificate ca = QSslCertificate::fromPath(a.filePath(u"server.crt"_s)).value(0);
        const QSslCertificate cb = QSslCertificate::fromPath(b.filePath(u"server.crt"_s)).value(0);
        QVERIFY(!ca.isNull() && !cb.isNull());
        const QString fa = client::certificateFingerprint(ca);
        QCOMPARE(fa, serverFingerprint({u"--tls-cert"_s, a.filePath(u"server.crt"_s)}));
        using V = client::TrustVerdict;
        const QList<QSslError> selfSigned{QSslError(QSslError::SelfSignedCertificate, ca),
                                          QSslError(QSslError::HostNameMismatch, ca)};
        QCOMPARE(client::judgeCertificate(selfSigned, ca, fa), V::Accept);
        QCOMPARE(client::judgeCertificate(selfSigned, ca, {}), V::Unknown);
        QCOMPARE(client::judgeCertificate(selfSigned, ca, client::certificateFingerprint(cb)),
                 V::Changed);
        // Errors no pin excuses, or about another certificate than the peer's.
        QCOMPARE(client::judgeCertificate({QSslError(QSslError::CertificateExpired, ca)}, ca, fa),
                 V::Invalid);
        QCOMPARE(client::judgeCertificate({QSslError(QSslError::CertificateSignatureFailed, ca)},
                                          ca, fa),
                 V::Invalid);
        QCOMPARE(
            client::judgeCertificate({QSslError(QSslError::SelfSignedCertificate, cb)}, ca, fa),
            V::Invalid);
        QCOMPARE(client::judgeCertificate(selfSigned, QSslCertificate(), fa), V::Invalid);
    }
};

QTEST_GUILESS_MAIN(TestClientTrust)
#include "tst_client_trust.moc"
