// The real confab app (offscreen) against the real confab-server with TLS (tls = auto)
// and LAN discovery on a UDP port of the test's own: the connect page lists the server
// under "Servers on this network" with a lock, and picking it fills a wss:// address; the
// first login asks to trust the real certificate (its fingerprint, and that it is the one
// discovery heard announced); cancelling ends the attempt with an inline reason, and
// trusting it on the next try signs in and pins it in the profile. The server then
// comes back with another certificate: the signed-in app gets the hard warning with both
// fingerprints, sends nothing, and "disconnect" lands on the connect page with the inline
// "certificate has changed"; logging in again and trusting the new certificate
// explicitly (the confirmation tick) replaces the pin. It saves the real
// docs/screenshots/connect-network.png, fingerprint.png and fingerprint-changed.png.
#include "appdriver.h"
#include "fixtures.h"
#include "tlsfixtures.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>

using namespace confab;
using namespace confab::testing;
using namespace Qt::StringLiterals;

namespace {
const QString kPassword = u"alice-password"_s;

// What the dialog shows (two lines of 16 bytes) back as one fingerprint.
QString unformatted(const QString &shown)
{
    QStringList lines = shown.split(u'\n', Qt::SkipEmptyParts);
    for (QString &line : lines)
        line = line.trimmed();
    return lines.join(u':');
}
} // namespace

#define VERIFY_WAIT(expr, ms)                                                                      \
    QVERIFY2(AppDriver::waitFor([&] { return bool(expr); }, ms),                                   \
             qPrintable(u"timed out: "_s + QStringLiteral(#expr) + u" | "_s + m_app.lastError()))

class TestAppTls : public QObject
{
    Q_OBJECT

    TestStore m_store;
    QTemporaryDir m_state;
    QTemporaryDir m_certs;
    QTemporaryDir m_profile;
    std::unique_ptr<ServerProcess> m_server;
    AppDriver m_app;
    quint16 m_discoveryPort = 0;
    QString m_fingerprint;

    QString address() const { return u"127.0.0.1:%1"_s.arg(m_server->port()); }
    QString pinned()
    {
        QFile f(QDir(m_profile.path()).filePath(u"config/known-servers.json"_s));
        if (!f.open(QIODevice::ReadOnly))
            return {};
        return QJsonDocument::fromJson(f.readAll()).object().value(address()).toString();
    }
    bool dialogOpen() { return m_app.get(u"fingerprintDialog"_s, u"opened"_s).toBool(); }
    bool shown(const QString &name)
    {
        bool visible = false;
        return m_app.exists(name, &visible) && visible;
    }

private slots:
    void initTestCase()
    {
        QVERIFY2(m_store.error().isEmpty(), qPrintable(m_store.error()));
        m_discoveryPort = freeUdpPort();
        QVERIFY(m_discoveryPort != 0);
        m_server = std::make_unique<ServerProcess>(
            m_store.url(),
            QStringList{u"--state-dir"_s, m_state.path(), u"--tls"_s, u"auto"_s, u"--discovery"_s,
                        u"on"_s, u"--discovery-port"_s, QString::number(m_discoveryPort),
                        u"--discovery-name"_s, u"Third floor"_s});
        QVERIFY2(m_server->start(), m_server->output().constData());
        m_fingerprint = serverFingerprint({u"--state-dir"_s, m_state.path()});
        QCOMPARE(m_fingerprint.size(), 95);
        QVERIFY2(m_app.start(QUrl(), m_profile.path(),
                             {u"--discovery-port"_s, QString::number(m_discoveryPort)}),
                 qPrintable(m_app.lastError()));
    }

    void cleanupTestCase()
    {
        const int code = m_app.stop();
        if (code != 0 || qEnvironmentVariableIsSet("CONFAB_TEST_APP_OUTPUT"))
            qInfo().noquote() << "app output:\n" << m_app.output().right(6000);
        QCOMPARE(code, 0);
    }

    void discoveredServerFillsTheAddress()
    {
        VERIFY_WAIT(shown(u"connectPage"_s), 10000);
        QCOMPARE(m_app.get(u"App"_s, u"discoveryActive"_s).toBool(), true);
        VERIFY_WAIT(!m_app.findRow(u"serverList"_s, u"name"_s, u"Third floor"_s).isEmpty(), 5000);
        const QJsonObject row = m_app.findRow(u"serverList"_s, u"name"_s, u"Third floor"_s);
        QCOMPARE(row.value(u"tls"_s).toBool(), true);
        QCOMPARE(row.value(u"address"_s).toString(), address());
        QCOMPARE(row.value(u"fingerprint"_s).toString(), m_fingerprint);
        VERIFY_WAIT(shown(u"server:"_s + address()), 5000);
        QVERIFY(shown(u"serverSection_network"_s));
        QTest::qWait(300);
        QVERIFY(m_app.screenshot(screenshotDir() + u"/connect-network.png"_s));
        QVERIFY(m_app.click(u"server:"_s + address()));
        QCOMPARE(m_app.get(u"serverField"_s, u"text"_s).toString(), u"wss://"_s + address());
    }

    void firstUseAsksWithTheRealFingerprint()
    {
        QVERIFY(m_app.click(u"registerTab"_s));
        QVERIFY(m_app.focus(u"userField"_s));
        QVERIFY(m_app.type(u"alice"_s));
        QVERIFY(m_app.focus(u"passwordField"_s));
        QVERIFY(m_app.type(kPassword));
        QVERIFY(m_app.key(u"Return"_s));
        VERIFY_WAIT(dialogOpen(), 15000);
        QCOMPARE(unformatted(m_app.get(u"fingerprintText"_s, u"text"_s).toString()), m_fingerprint);
        QCOMPARE(m_app.get(u"fingerprintDialog"_s, u"changed"_s).toBool(), false);
        QVERIFY(shown(u"fingerprintAnnounced"_s));
        QVERIFY(m_app.get(u"fingerprintAnnounced"_s, u"text"_s).toString().contains(u"same"_s));
        QCOMPARE(m_app.get(u"App"_s, u"session.trustProblem"_s).toString(), u"Unknown"_s);
        QCOMPARE(m_app.get(u"App"_s, u"session.state"_s).toString(), u"Offline"_s);
        QCOMPARE(m_app.get(u"App"_s, u"signedIn"_s).toBool(), false);
        QCOMPARE(metricValue(m_server->port(), "confab_logins_total"), 0);
        QVERIFY(pinned().isEmpty());
        QTest::qWait(300);
        QVERIFY(m_app.screenshot(screenshotDir() + u"/fingerprint.png"_s));

        // Cancel: the attempt ends with the reason under the address, nothing pinned.
        QVERIFY(m_app.click(u"fingerprintReject"_s));
        VERIFY_WAIT(m_app.get(u"serverError"_s, u"text"_s).toString().contains(u"did not trust"_s),
                    5000);
        QCOMPARE(m_app.get(u"App"_s, u"busy"_s).toBool(), false);
        QVERIFY(pinned().isEmpty());
        QCOMPARE(metricValue(m_server->port(), "confab_frames_in_total"), 0);

        // Asked again on the next try; this time trusted.
        QVERIFY(m_app.focus(u"passwordField"_s));
        QVERIFY(m_app.key(u"Return"_s));
        VERIFY_WAIT(dialogOpen(), 15000);
        QCOMPARE(unformatted(m_app.get(u"fingerprintText"_s, u"text"_s).toString()), m_fingerprint);
        QVERIFY(m_app.click(u"fingerprintAccept"_s));
        VERIFY_WAIT(m_app.get(u"App"_s, u"signedIn"_s).toBool(), 15000);
        VERIFY_WAIT(m_app.get(u"App"_s, u"session.state"_s).toString() == u"Online"_s, 15000);
        QCOMPARE(pinned(), m_fingerprint);
        QCOMPARE(m_app.get(u"App"_s, u"discoveryActive"_s).toBool(), false);
    }

    void changedCertificateIsAHardWarning()
    {
        // The same store and port, another certificate (naming another host).
        QVERIFY(makeSelfSigned(m_certs.path(), u"chat-box"_s));
        const QString second =
            serverFingerprint({u"--tls-cert"_s, m_certs.filePath(u"server.crt"_s)});
        QCOMPARE(second.size(), 95);
        const quint16 port = m_server->port();
        m_server = std::make_unique<ServerProcess>(
            m_store.url(),
            QStringList{u"--tls"_s, u"on"_s, u"--tls-cert"_s, m_certs.filePath(u"server.crt"_s),
                        u"--tls-key"_s, m_certs.filePath(u"server.key"_s)});
        m_server->setPort(port);
        QVERIFY2(m_server->start(), m_server->output().constData());

        // The signed-in app reconnects by itself and stops at the certificate.
        VERIFY_WAIT(dialogOpen(), 20000);
        QCOMPARE(m_app.get(u"fingerprintDialog"_s, u"changed"_s).toBool(), true);
        QCOMPARE(m_app.get(u"fingerprintDialog"_s, u"previousFingerprint"_s).toString(),
                 m_fingerprint);
        QCOMPARE(unformatted(m_app.get(u"fingerprintText"_s, u"text"_s).toString()), second);
        QCOMPARE(m_app.get(u"App"_s, u"session.trustProblem"_s).toString(), u"Changed"_s);
        QVERIFY(m_app.get(u"App"_s, u"session.errorText"_s).toString().contains(u"changed"_s));
        // Trusting needs the deliberate tick first.
        QCOMPARE(m_app.get(u"fingerprintAccept"_s, u"enabled"_s).toBool(), false);
        QCOMPARE(metricValue(m_server->port(), "confab_frames_in_total"), 0);
        QTest::qWait(300);
        QVERIFY(m_app.screenshot(screenshotDir() + u"/fingerprint-changed.png"_s));

        // Disconnect: back to the connect page, with the reason under the address.
        QVERIFY(m_app.click(u"fingerprintReject"_s));
        VERIFY_WAIT(shown(u"connectPage"_s), 10000);
        VERIFY_WAIT(m_app.get(u"serverError"_s, u"text"_s).toString().contains(u"has changed"_s),
                    5000);
        QCOMPARE(pinned(), m_fingerprint);
        QCOMPARE(metricValue(m_server->port(), "confab_logins_total"), 0);

        // Logging in again asks again; this time the new certificate is trusted.
        QCOMPARE(m_app.get(u"serverField"_s, u"text"_s).toString(), u"wss://"_s + address());
        QVERIFY(m_app.click(u"loginTab"_s));
        QVERIFY(m_app.focus(u"passwordField"_s));
        QVERIFY(m_app.type(kPassword));
        QVERIFY(m_app.key(u"Return"_s));
        VERIFY_WAIT(dialogOpen(), 15000);
        QCOMPARE(m_app.get(u"fingerprintDialog"_s, u"changed"_s).toBool(), true);
        QVERIFY(m_app.click(u"fingerprintConfirm"_s));
        VERIFY_WAIT(m_app.get(u"fingerprintAccept"_s, u"enabled"_s).toBool(), 5000);
        QVERIFY(m_app.click(u"fingerprintAccept"_s));
        VERIFY_WAIT(m_app.get(u"App"_s, u"signedIn"_s).toBool(), 15000);
        VERIFY_WAIT(m_app.get(u"App"_s, u"session.state"_s).toString() == u"Online"_s, 15000);
        QCOMPARE(pinned(), second);
    }
};

QTEST_GUILESS_MAIN(TestAppTls)
#include "tst_app_tls.moc"
