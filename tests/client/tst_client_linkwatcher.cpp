// The reconnect triggers of the client core, against the real confab-server: a wake from
// sleep (logind's PrepareForSleep on the system bus, and the wall clock jumping ahead of
// the monotonic one) and a network change (NetworkManager's State, read by Qt's
// NetworkManager backend of QNetworkInformation). The test runs a dbus-daemon of its own
// as the system bus and plays logind and NetworkManager on it; the clock jump is
// libfaketime under a client process of its own (confab-client-probe). Each client
// waits a minute between reconnect attempts and finds a dead link only after a minute
// of silence, so a reconnect within seconds can only come from the trigger.
#include "clientfixture.h"
#include "fixtures.h"

#include <QDBusConnection>
#include <QDBusConnectionInterface>
#include <QDBusMessage>
#include <QFile>
#include <QNetworkInformation>
#include <QProcess>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QThread>
#include <atomic>

using namespace confab;
using namespace confab::testing;
using namespace Qt::StringLiterals;
using client::ClientSession;
using client::Connection;

#define RETURN_IF_FAILED()                                                                         \
    do {                                                                                           \
        if (QTest::currentTestFailed())                                                            \
            return;                                                                                \
    } while (false)

namespace {
const QString kNmService = u"org.freedesktop.NetworkManager"_s;
const QString kNmPath = u"/org/freedesktop/NetworkManager"_s;
const QString kLogindService = u"org.freedesktop.login1"_s;
constexpr int kLongMs = 60000; // backoff and dead-link timeout: far beyond every wait here
constexpr int kSoonMs = 15000; // "at once", with room for a loaded machine

// NetworkManager's NMState values (what Qt's backend maps to a reachability).
enum NmState : uint {
    Disconnected = 20,
    ConnectedLocal = 50,
    ConnectedSite = 60,
    ConnectedGlobal = 70,
};

// A system bus of the test's own: anyone may own any name and talk to anyone.
// (Built from plain literals: moc does not read raw strings.)
const char kBusConfig[] = "<!DOCTYPE busconfig PUBLIC"
                          " \"-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN\""
                          " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
                          "<busconfig>\n"
                          "  <type>system</type>\n"
                          "  <listen>unix:path=%1</listen>\n"
                          "  <auth>EXTERNAL</auth>\n"
                          "  <policy context=\"default\">\n"
                          "    <allow user=\"*\"/>\n"
                          "    <allow own=\"*\"/>\n"
                          "    <allow send_destination=\"*\" eavesdrop=\"true\"/>\n"
                          "    <allow receive_sender=\"*\"/>\n"
                          "  </policy>\n"
                          "</busconfig>\n";
} // namespace

// The properties of org.freedesktop.NetworkManager that Qt's backend reads with GetAll at
// start; changes are PropertiesChanged signals (sent by the test).
class FakeNetworkManager : public QObject
{
    Q_OBJECT
    Q_CLASSINFO("D-Bus Interface", "org.freedesktop.NetworkManager")
    Q_PROPERTY(uint State READ state)
    Q_PROPERTY(uint Connectivity READ connectivity)

public:
    std::atomic<uint> nmState{ConnectedGlobal};
    uint state() const { return nmState; }
    uint connectivity() const { return 4; } // NM_CONNECTIVITY_FULL
};

class TestClientLinkWatcher : public ServerTest
{
    Q_OBJECT

    QTemporaryDir m_busDir;
    QProcess m_bus;
    QString m_busAddress;
    // logind and NetworkManager are other processes: their connection is not the
    // client's, and their objects answer on a thread of their own (Qt's backend reads the
    // properties with a blocking call from the main thread).
    QThread m_servicesThread;
    FakeNetworkManager *m_nm = nullptr;

    QDBusConnection services() const
    {
        return QDBusConnection::connectToBus(m_busAddress, u"fake-system-services"_s);
    }

    void setNetworkState(NmState state)
    {
        m_nm->nmState = state;
        QDBusMessage signal = QDBusMessage::createSignal(
            kNmPath, u"org.freedesktop.DBus.Properties"_s, u"PropertiesChanged"_s);
        signal << kNmService << QVariantMap{{u"State"_s, QVariant::fromValue(uint(state))}}
               << QStringList();
        QVERIFY(services().send(signal));
    }

    void prepareForSleep(bool sleeping)
    {
        QDBusMessage signal =
            QDBusMessage::createSignal(u"/org/freedesktop/login1"_s,
                                       u"org.freedesktop.login1.Manager"_s, u"PrepareForSleep"_s);
        signal << sleeping;
        QVERIFY(services().send(signal));
    }

    // A client that reacts to wake and network changes, with a long backoff and a long
    // dead-link timeout; pings after a second of silence (the network-change probe
    // waits that long for an answer).
    struct Client
    {
        QTemporaryDir dir;
        std::unique_ptr<client::FileTokenStore> tokens;
        std::unique_ptr<ClientSession> session;
        std::unique_ptr<QSignalSpy> lost;
    };

    static std::unique_ptr<Client> online(const QUrl &url, const QString &user)
    {
        auto c = std::make_unique<Client>();
        client::SessionOptions o = testSessionOptions(c->dir.path(), url, user);
        o.watchLink = true;
        o.connection.backoffInitialMs = kLongMs;
        o.connection.backoffMaxMs = kLongMs;
        o.connection.pingIntervalMs = 1000;
        o.connection.deadAfterMs = kLongMs;
        c->tokens = std::make_unique<client::FileTokenStore>(testTokenFile(c->dir.path()));
        c->session = std::make_unique<ClientSession>(o, c->tokens.get());
        if (!c->session->start())
            return nullptr;
        c->session->registerAccount(user + u"-password"_s, {});
        if (!QTest::qWaitFor([&] { return isOnline(c->session.get()); }, kSoonMs))
            return nullptr;
        c->lost = std::make_unique<QSignalSpy>(c->session->connection(), &Connection::linkLost);
        return c;
    }

    // A fresh server and alice online on it.
    std::unique_ptr<Client> startWithAlice()
    {
        startServer();
        return m_server ? online(m_server->url(), u"alice"_s) : nullptr;
    }

    // The server goes away and the client settles into its (long) wait before the next
    // attempt; then the server comes back on the same port.
    void serverBackWhileTheClientWaits(ClientSession *s)
    {
        QCOMPARE(m_server->terminate(), 0);
        QTRY_VERIFY_WITH_TIMEOUT(s->connection()->retryDelayMs() >= kLongMs / 2, kSoonMs);
        QVERIFY(m_server->start());
    }

private slots:
    void initTestCase()
    {
        const QString daemon = QStandardPaths::findExecutable(u"dbus-daemon"_s);
        if (daemon.isEmpty())
            QSKIP("no dbus-daemon");
        QFile config(m_busDir.filePath(u"system.conf"_s));
        QVERIFY(config.open(QIODevice::WriteOnly));
        config.write(QString::fromLatin1(kBusConfig)
                         .arg(m_busDir.filePath(u"system_bus_socket"_s))
                         .toUtf8());
        config.close();
        m_bus.start(daemon,
                    {u"--config-file="_s + config.fileName(), u"--nofork"_s, u"--print-address"_s});
        QVERIFY(m_bus.waitForStarted());
        QTRY_VERIFY(m_bus.canReadLine());
        m_busAddress = QString::fromUtf8(m_bus.readLine()).trimmed();
        // Before anything in this process asks for the system bus.
        qputenv("DBUS_SYSTEM_BUS_ADDRESS", m_busAddress.toUtf8());
        QVERIFY2(services().isConnected(), qPrintable(services().lastError().message()));

        m_nm = new FakeNetworkManager;
        m_nm->moveToThread(&m_servicesThread);
        connect(&m_servicesThread, &QThread::finished, m_nm, &QObject::deleteLater);
        m_servicesThread.start();
        QVERIFY(services().registerObject(kNmPath, m_nm, QDBusConnection::ExportAllProperties));
        QVERIFY(services().registerService(kNmService));
        QVERIFY(services().registerService(kLogindService));
        QVERIFY(QDBusConnection::systemBus().interface()->isServiceRegistered(kNmService));
    }

    void cleanupTestCase()
    {
        m_servicesThread.quit();
        m_servicesThread.wait();
        if (m_bus.state() != QProcess::NotRunning) {
            m_bus.terminate();
            m_bus.waitForFinished();
        }
    }

    void cleanup() { stopServer(); }

    // The client's LinkWatcher loads Qt's NetworkManager backend, which reads the fake.
    void networkManagerBackendReadsTheFake()
    {
        const auto alice = startWithAlice();
        QVERIFY(alice);
        QNetworkInformation *info = QNetworkInformation::instance();
        QVERIFY2(info, "no QNetworkInformation backend loaded");
        QCOMPARE(info->backendName(), u"networkmanager"_s);
        QCOMPARE(info->reachability(), QNetworkInformation::Reachability::Online);
        QSignalSpy changed(info, &QNetworkInformation::reachabilityChanged);
        setNetworkState(ConnectedSite);
        QTRY_COMPARE(info->reachability(), QNetworkInformation::Reachability::Site);
        setNetworkState(ConnectedGlobal);
        QTRY_COMPARE(info->reachability(), QNetworkInformation::Reachability::Online);
        QCOMPARE(changed.size(), 2);
    }

    // Suspend drops nothing (the link may well survive a short one); the resume replaces
    // the link at once, whatever state it seems to be in.
    void wakeFromSleepReconnectsAtOnce()
    {
        const auto alice = startWithAlice();
        QVERIFY(alice);
        ClientSession *a = alice->session.get();
        QSignalSpy states(a, &ClientSession::stateChanged);
        prepareForSleep(true);
        QTest::qWait(500);
        QVERIFY(isOnline(a));
        QCOMPARE(alice->lost->size(), 0);
        prepareForSleep(false);
        QTRY_COMPARE_WITH_TIMEOUT(alice->lost->size(), 1, kSoonMs);
        QTRY_VERIFY_WITH_TIMEOUT(isOnline(a), kSoonMs);
        QCOMPARE(alice->lost->size(), 1);
    }

    // Asleep while the server was away: on wake the client does not sit out its backoff.
    void wakeCutsTheBackoffShort()
    {
        const auto alice = startWithAlice();
        QVERIFY(alice);
        ClientSession *a = alice->session.get();
        serverBackWhileTheClientWaits(a);
        prepareForSleep(false);
        QTRY_VERIFY_WITH_TIMEOUT(isOnline(a), kSoonMs);
    }

    // The network comes back (a Wi-Fi reconnects) while the client waits: it connects now.
    // Also when it is only "local" to NetworkManager (an office LAN without a default
    // route): the server is on that LAN.
    void networkBackCutsTheBackoffShort_data()
    {
        QTest::addColumn<uint>("back");
        QTest::newRow("global") << uint(ConnectedGlobal);
        QTest::newRow("site") << uint(ConnectedSite);
        QTest::newRow("lan only") << uint(ConnectedLocal);
    }

    void networkBackCutsTheBackoffShort()
    {
        QFETCH(uint, back);
        const auto alice = startWithAlice();
        QVERIFY(alice);
        ClientSession *a = alice->session.get();
        setNetworkState(Disconnected);
        serverBackWhileTheClientWaits(a);
        RETURN_IF_FAILED();
        setNetworkState(NmState(back));
        QTRY_VERIFY_WITH_TIMEOUT(isOnline(a), kSoonMs);
        setNetworkState(ConnectedGlobal);
    }

    // A network change under a live link: a ping decides. Here the old link is dead (the
    // server answers nothing): it is dropped after the probe's second, not after the
    // minute of silence, and the client connects again at once.
    void networkChangeProbesADeadLink()
    {
        const auto alice = startWithAlice();
        QVERIFY(alice);
        ClientSession *a = alice->session.get();
        m_server->pause();
        setNetworkState(ConnectedSite);
        QTRY_VERIFY_WITH_TIMEOUT(alice->lost->size() == 1, kSoonMs);
        m_server->resume();
        QTRY_VERIFY_WITH_TIMEOUT(isOnline(a), kSoonMs);
        setNetworkState(ConnectedGlobal);
    }

    // The same under a link that survived the change: the ping is answered, nothing drops.
    void networkChangeKeepsALiveLink()
    {
        const auto alice = startWithAlice();
        QVERIFY(alice);
        ClientSession *a = alice->session.get();
        setNetworkState(ConnectedSite);
        setNetworkState(ConnectedGlobal);
        QTest::qWait(3000); // three probe deadlines
        QVERIFY(isOnline(a));
        QCOMPARE(alice->lost->size(), 0);
    }

    // No logind at all: the wall clock jumping ahead of the monotonic one (it stands still
    // while the machine sleeps) is a wake. libfaketime moves the probe's wall clock.
    void wallClockJumpCutsTheBackoffShort()
    {
#ifndef CONFAB_LIBFAKETIME
        QSKIP("libfaketime not found at build time");
#else
        startServer();
        TestAccount alice(m_server->url(), u"alice"_s);
        ClientSession *s = alice.startSession();
        QVERIFY(s);
        s->registerAccount(alice.password(), {});
        QTRY_VERIFY_WITH_TIMEOUT(isOnline(s), kSoonMs);
        alice.stopSession(); // the token stays in the account's file
        QCOMPARE(m_server->terminate(), 0);

        QTemporaryDir fake;
        QFile offset(fake.filePath(u"offset"_s));
        const auto setOffset = [&](const QByteArray &text) {
            QVERIFY(offset.open(QIODevice::WriteOnly | QIODevice::Truncate));
            offset.write(text + '\n');
            offset.close();
        };
        setOffset("+0");
        QProcess probe;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(u"LD_PRELOAD"_s, QStringLiteral(CONFAB_LIBFAKETIME));
        env.insert(u"FAKETIME_TIMESTAMP_FILE"_s, offset.fileName());
        env.insert(u"FAKETIME_NO_CACHE"_s, u"1"_s);
        env.insert(u"FAKETIME_DONT_FAKE_MONOTONIC"_s, u"1"_s);
        env.insert(u"DBUS_SYSTEM_BUS_ADDRESS"_s, u"unix:path=/nonexistent"_s); // no logind
        probe.setProcessEnvironment(env);
        probe.setProcessChannelMode(QProcess::MergedChannels);
        QByteArray output;
        connect(&probe, &QProcess::readyRead, this, [&] { output += probe.readAll(); });
        probe.start(QStringLiteral(CONFAB_CLIENT_PROBE),
                    {u"--dir"_s, alice.dir(), u"--url"_s, m_server->url().toString(), u"--user"_s,
                     u"alice"_s, u"--send"_s, u"0"_s, u"--connect"_s, u"--watch-link"_s,
                     u"--backoff-ms"_s, QString::number(kLongMs)});
        QVERIFY(probe.waitForStarted());
        QTRY_VERIFY2_WITH_TIMEOUT(output.contains("retry "), output.constData(), kSoonMs);
        QVERIFY(m_server->start());
        QTest::qWait(1000);
        QVERIFY2(!output.contains("state Online"), output.constData());
        setOffset("+120"); // two minutes of sleep, as far as the wall clock can tell
        QTRY_VERIFY2_WITH_TIMEOUT(output.contains("state Online"), output.constData(), kSoonMs);
        QVERIFY2(output.contains("woke from sleep"), output.constData());
        probe.kill();
        probe.waitForFinished();
#endif
    }
};

QTEST_GUILESS_MAIN(TestClientLinkWatcher)
#include "tst_client_linkwatcher.moc"
