// LAN discovery against the real confab-server: the answer to a probe (name, port,
// protocol, TLS and the certificate's fingerprint), nothing for a probe smaller than the
// answer or for anything that is not a probe, answers rate-limited per source, none with
// discovery off; and across two network namespaces joined by a veth pair (created and
// removed here, as root), a probe sent to the subnet's broadcast address and one sent to
// the multicast group both find the server on the other side.
//
// Run as `tst_server_discovery --probe <address> <port> [interface address]`, the binary
// is the prober itself: it sends one probe and prints every answer it hears for two
// seconds, one per line, as "<source address> <answer JSON>". The namespace test runs it
// with `ip netns exec`.
#include "fixtures.h"
#include "tlsfixtures.h"

#include "protocol/discovery.h"

#include <QCoreApplication>
#include <QNetworkDatagram>
#include <QNetworkInterface>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QUdpSocket>
#include <cstdio>
#include <unistd.h>

using namespace confab;
using namespace confab::testing;
using namespace Qt::StringLiterals;

namespace {

struct Heard
{
    QHostAddress from;
    QByteArray data;
};

// Sends datagram to address:port and collects what comes back within ms.
QList<Heard> ask(const QHostAddress &address, quint16 port, const QByteArray &datagram,
                 int ms = 1000, int copies = 1)
{
    QUdpSocket s;
    s.bind(QHostAddress::AnyIPv4, 0);
    for (int i = 0; i < copies; ++i)
        s.writeDatagram(datagram, address, port);
    QList<Heard> heard;
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < ms) {
        s.waitForReadyRead(50);
        while (s.hasPendingDatagrams()) {
            const QNetworkDatagram d = s.receiveDatagram();
            heard.append({d.senderAddress(), d.data()});
        }
    }
    return heard;
}

// The prober mode (see the top of the file).
int probeMain(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QHostAddress address(QString::fromLatin1(argv[2]));
    const quint16 port = quint16(QByteArray(argv[3]).toUInt());
    QUdpSocket s;
    if (!s.bind(QHostAddress::AnyIPv4, 0)) {
        std::fprintf(stderr, "bind: %s\n", qPrintable(s.errorString()));
        return 1;
    }
    if (argc > 4) { // the interface multicast goes out on
        const QHostAddress local(QString::fromLatin1(argv[4]));
        const QList<QNetworkInterface> interfaces = QNetworkInterface::allInterfaces();
        for (const QNetworkInterface &iface : interfaces) {
            for (const QNetworkAddressEntry &e : iface.addressEntries()) {
                if (e.ip() == local)
                    s.setMulticastInterface(iface);
            }
        }
    }
    const QString nonce = protocol::makeProbeNonce();
    if (s.writeDatagram(protocol::encodeProbe({nonce}), address, port) < 0) {
        std::fprintf(stderr, "send: %s\n", qPrintable(s.errorString()));
        return 1;
    }
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < 2000) {
        s.waitForReadyRead(50);
        while (s.hasPendingDatagrams()) {
            const QNetworkDatagram d = s.receiveDatagram();
            const auto answer = protocol::parseAnswer(d.data());
            if (answer && answer->nonce == nonce)
                std::printf("%s %s\n", qPrintable(d.senderAddress().toString()),
                            d.data().constData());
        }
    }
    return 0;
}

int run(const QString &program, const QStringList &args, QByteArray *out = nullptr)
{
    QProcess p;
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.start(program, args);
    if (!p.waitForFinished(30000))
        return -1;
    if (out)
        *out = p.readAll();
    return p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
}

} // namespace

class TestServerDiscovery : public QObject
{
    Q_OBJECT

    std::unique_ptr<TestStore> m_store;
    std::unique_ptr<QTemporaryDir> m_state;
    std::unique_ptr<ServerProcess> m_server;
    quint16 m_discoveryPort = 0;

    void start(const QStringList &args = {})
    {
        m_store = std::make_unique<TestStore>();
        m_state = std::make_unique<QTemporaryDir>();
        m_discoveryPort = freeUdpPort();
        m_server = std::make_unique<ServerProcess>(
            m_store->url(),
            QStringList{u"--state-dir"_s, m_state->path(), u"--discovery"_s, u"on"_s,
                        u"--discovery-port"_s, QString::number(m_discoveryPort)} +
                args);
        QVERIFY2(m_server->start(), m_server->output().constData());
    }

    std::optional<protocol::DiscoveryAnswer> askOnce(const QString &nonce)
    {
        const QList<Heard> heard =
            ask(QHostAddress::LocalHost, m_discoveryPort, protocol::encodeProbe({nonce}));
        if (heard.size() != 1)
            return std::nullopt;
        return protocol::parseAnswer(heard.first().data);
    }

private slots:
    void cleanup()
    {
        if (m_server)
            m_server->terminate();
        m_server.reset();
    }

    void answersAProbe()
    {
        start({u"--discovery-name"_s, u"Third floor"_s});
        const QString nonce = protocol::makeProbeNonce();
        const auto answer = askOnce(nonce);
        QVERIFY(answer);
        QCOMPARE(answer->nonce, nonce);
        QCOMPARE(answer->name, u"Third floor"_s);
        QCOMPARE(answer->port, m_server->port());
        QCOMPARE(answer->protocol, protocol::kProtocolVersion);
        QVERIFY(!answer->tls);
        QVERIFY(answer->fingerprint.isEmpty());
        QVERIFY(!answer->host.isEmpty());
        QCOMPARE(metricValue(m_server->port(), "confab_discovery_answers_total"), 1);
    }

    void answerCarriesTheFingerprint()
    {
        start({u"--tls"_s, u"required"_s});
        const auto answer = askOnce(protocol::makeProbeNonce());
        QVERIFY(answer);
        QVERIFY(answer->tls);
        QVERIFY(answer->tlsRequired);
        QCOMPARE(answer->fingerprint, loggedFingerprint(m_server->output()));
        QCOMPARE(answer->fingerprint.size(), 95);
        // The name defaults to the host name.
        QCOMPARE(answer->name, answer->host);
    }

    void noAnswerLargerThanTheProbe()
    {
        start();
        // A well-formed probe without its padding: smaller than the answer.
        const QByteArray small = R"({"type":"confab.probe","v":1,"nonce":"0123456789abcdef"})";
        QVERIFY(protocol::parseProbe(small));
        QVERIFY(ask(QHostAddress::LocalHost, m_discoveryPort, small).isEmpty());
        // Not probes at all.
        for (const QByteArray &junk :
             {QByteArray(600, 'x'),
              QByteArray(R"({"type":"confab.server","v":1,"nonce":"00000000"})"),
              QByteArray(R"({"type":"confab.probe","v":2,"nonce":"0123456789abcdef"})") +
                  QByteArray(500, ' '),
              QByteArray(R"({"type":"confab.probe","v":1,"nonce":"NOT-HEX!"})") +
                  QByteArray(500, ' '),
              QByteArray(1500, ' ')}) {
            QVERIFY(ask(QHostAddress::LocalHost, m_discoveryPort, junk, 300).isEmpty());
        }
        QCOMPARE(metricValue(m_server->port(), "confab_discovery_ignored_total"), 6);
        QCOMPARE(metricValue(m_server->port(), "confab_discovery_answers_total"), 0);
        // The padded probe of the same nonce is answered, and the answer is no larger.
        const QByteArray probe = protocol::encodeProbe({u"0123456789abcdef"_s});
        QCOMPARE(probe.size(), protocol::kProbeSize);
        const QList<Heard> heard = ask(QHostAddress::LocalHost, m_discoveryPort, probe);
        QCOMPARE(heard.size(), 1);
        QVERIFY(heard.first().data.size() <= probe.size());
    }

    void answersAreRateLimitedPerSource()
    {
        start();
        // 40 probes (each its own nonce) from one address as fast as it can send them.
        QUdpSocket s;
        QVERIFY(s.bind(QHostAddress::AnyIPv4, 0));
        for (int i = 0; i < 40; ++i)
            s.writeDatagram(protocol::encodeProbe({protocol::makeProbeNonce()}),
                            QHostAddress::LocalHost, m_discoveryPort);
        int heard = 0;
        QElapsedTimer t;
        t.start();
        while (t.elapsed() < 1000) {
            s.waitForReadyRead(50);
            while (s.hasPendingDatagrams()) {
                s.receiveDatagram();
                ++heard;
            }
        }
        // A burst of 8, and at 4 per second not much more within the second.
        QVERIFY2(heard >= 8 && heard <= 14, qPrintable(QString::number(heard)));
        QVERIFY(metricValue(m_server->port(), "confab_discovery_rate_limited_total") >= 26);
    }

    // A client sends one probe to several addresses; the server answers it once.
    void copiesOfAProbeAreAnsweredOnce()
    {
        start();
        const QList<Heard> heard =
            ask(QHostAddress::LocalHost, m_discoveryPort,
                protocol::encodeProbe({protocol::makeProbeNonce()}), 1000, 3);
        QCOMPARE(heard.size(), 1);
        QCOMPARE(metricValue(m_server->port(), "confab_discovery_ignored_total"), 2);
        QCOMPARE(metricValue(m_server->port(), "confab_discovery_rate_limited_total"), 0);
    }

    void offMeansSilent()
    {
        start({u"--discovery"_s, u"off"_s});
        QVERIFY(ask(QHostAddress::LocalHost, m_discoveryPort,
                    protocol::encodeProbe({protocol::makeProbeNonce()}))
                    .isEmpty());
    }

    void acrossNetworkNamespaces()
    {
        if (::geteuid() != 0)
            QSKIP("network namespaces need root: covered on loopback only");
        const QString tag = QString::number(QCoreApplication::applicationPid() % 100000);
        const QString nsServer = u"cfd-s"_s + tag, nsClient = u"cfd-c"_s + tag;
        const QString vethServer = u"cfs"_s + tag, vethClient = u"cfc"_s + tag;
        // A /24 of 10.x picked from the pid, so parallel runs do not collide.
        const QString net = u"10.%1.%2."_s.arg(200 + tag.toInt() % 50).arg(tag.toInt() % 250);
        const QStringList setup[] = {
            {u"netns"_s, u"add"_s, nsServer},
            {u"netns"_s, u"add"_s, nsClient},
            {u"link"_s, u"add"_s, vethServer, u"netns"_s, nsServer, u"type"_s, u"veth"_s, u"peer"_s,
             u"name"_s, vethClient, u"netns"_s, nsClient},
            {u"-n"_s, nsServer, u"addr"_s, u"add"_s, net + u"1/24"_s, u"brd"_s, u"+"_s, u"dev"_s,
             vethServer},
            {u"-n"_s, nsClient, u"addr"_s, u"add"_s, net + u"2/24"_s, u"brd"_s, u"+"_s, u"dev"_s,
             vethClient},
            {u"-n"_s, nsServer, u"link"_s, u"set"_s, u"lo"_s, u"up"_s},
            {u"-n"_s, nsServer, u"link"_s, u"set"_s, vethServer, u"up"_s},
            {u"-n"_s, nsClient, u"link"_s, u"set"_s, u"lo"_s, u"up"_s},
            {u"-n"_s, nsClient, u"link"_s, u"set"_s, vethClient, u"up"_s},
        };
        struct Cleanup
        {
            QString a, b;
            ~Cleanup()
            {
                run(u"ip"_s, {u"netns"_s, u"del"_s, a});
                run(u"ip"_s, {u"netns"_s, u"del"_s, b});
            }
        } cleanupNamespaces{nsServer, nsClient};
        for (const QStringList &args : setup) {
            QByteArray out;
            if (run(u"ip"_s, args, &out) != 0)
                QSKIP(qPrintable(u"cannot make network namespaces here (ip %1: %2): covered on "
                                 "loopback only"_s.arg(args.join(u' '), QString::fromUtf8(out))));
        }
        // The server inside one namespace: `ip netns exec` in front of the binary.
        qputenv("CONFAB_TEST_SERVER_WRAPPER", u"ip netns exec %1"_s.arg(nsServer).toUtf8());
        start();
        qunsetenv("CONFAB_TEST_SERVER_WRAPPER");
        const QString self = QCoreApplication::applicationFilePath();
        auto probeFromClient = [&](const QStringList &target) {
            QByteArray out;
            const int code = run(
                u"ip"_s, QStringList{u"netns"_s, u"exec"_s, nsClient, self, u"--probe"_s} + target,
                &out);
            return code == 0 ? out : QByteArray("prober failed: ") + out;
        };
        const QString port = QString::number(m_discoveryPort);
        // The subnet's broadcast address.
        const QByteArray broadcast = probeFromClient({net + u"255"_s, port});
        QVERIFY2(broadcast.startsWith((net + u"1 {"_s).toUtf8()), broadcast.constData());
        const auto viaBroadcast =
            protocol::parseAnswer(broadcast.mid(broadcast.indexOf('{')).trimmed());
        QVERIFY(viaBroadcast);
        QCOMPARE(viaBroadcast->port, m_server->port());
        // The multicast group, out of the veth interface.
        const QByteArray multicast =
            probeFromClient({QLatin1String(protocol::kDiscoveryGroup), port, net + u"2"_s});
        QVERIFY2(multicast.startsWith((net + u"1 {"_s).toUtf8()), multicast.constData());
        m_server->terminate();
        m_server.reset();
    }
};

int main(int argc, char **argv)
{
    if (argc >= 4 && qstrcmp(argv[1], "--probe") == 0)
        return probeMain(argc, argv);
    QCoreApplication app(argc, argv);
    TestServerDiscovery test;
    QTEST_SET_MAIN_SOURCE_PATH
    return QTest::qExec(&test, argc, argv);
}

#include "tst_server_discovery.moc"
