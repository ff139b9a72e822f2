// LAN discovery (LanDiscovery filling ServersModel's discovered rows) against the real
// confab-server on a UDP port of the test's own: the probe on the wire (512 bytes, a
// fresh 16-hex nonce every two seconds), the real server listed within 2 s with its name,
// wss:// address and announced fingerprint, one row however many addresses it answers
// from, gone after three missed probes, and an answer that echoes no nonce of ours (a
// small responder in the test) ignored. The model runs under QAbstractItemModelTester.
#include "fixtures.h"
#include "models/serversmodel.h"
#include "net/discovery.h"
#include "protocol/discovery.h"
#include "tlsfixtures.h"

#include <QAbstractItemModelTester>
#include <QElapsedTimer>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkDatagram>
#include <QNetworkInterface>
#include <QRegularExpression>

using namespace confab;
using namespace confab::testing;
using namespace Qt::StringLiterals;
using client::LanDiscovery;
using client::ServersModel;

namespace {
constexpr auto kQtTest = QAbstractItemModelTester::FailureReportingMode::QtTest;

int rowNamed(const ServersModel &m, const QString &name)
{
    for (int row = 0; row < m.rowCount(); ++row) {
        if (m.data(m.index(row), ServersModel::NameRole).toString() == name)
            return row;
    }
    return -1;
}

} // namespace

class TestClientDiscovery : public QObject
{
    Q_OBJECT

    std::unique_ptr<TestStore> m_store;
    QTemporaryDir m_state;
    std::unique_ptr<ServerProcess> m_server;
    quint16 m_discoveryPort = 0;

    void startServer(const QString &name)
    {
        m_store = std::make_unique<TestStore>();
        m_discoveryPort = freeUdpPort();
        QVERIFY(m_discoveryPort != 0);
        m_server = std::make_unique<ServerProcess>(
            m_store->url(),
            QStringList{u"--state-dir"_s, m_state.path(), u"--tls"_s, u"auto"_s, u"--discovery"_s,
                        u"on"_s, u"--discovery-port"_s, QString::number(m_discoveryPort),
                        u"--discovery-name"_s, name});
        QVERIFY2(m_server->start(), m_server->output().constData());
    }

private slots:
    void cleanup()
    {
        m_server.reset();
        m_store.reset();
    }

    void probesAre512BytesWithAFreshNonce()
    {
        const quint16 port = freeUdpPort();
        QUdpSocket listener;
        QVERIFY(listener.bind(QHostAddress::AnyIPv4, port, QUdpSocket::ShareAddress));
        const QHostAddress group(QLatin1String(protocol::kDiscoveryGroup));
        const bool inGroup = listener.joinMulticastGroup(group);
        QList<QNetworkDatagram> got;
        connect(&listener, &QUdpSocket::readyRead, &listener, [&] {
            while (listener.hasPendingDatagrams())
                got.append(listener.receiveDatagram(4096));
        });
        ServersModel servers;
        LanDiscovery discovery(&servers, {port, 2000, 3});
        QElapsedTimer clock;
        clock.start();
        discovery.setActive(true);
        QTRY_VERIFY_WITH_TIMEOUT(!got.isEmpty(), 1000);
        QVERIFY(clock.elapsed() < 500); // the first probe goes at once
        const QJsonObject first = QJsonDocument::fromJson(got.first().data()).object();
        for (const QNetworkDatagram &d : std::as_const(got)) {
            QCOMPARE(d.data().size(), 512);
            QVERIFY(protocol::parseProbe(d.data()));
        }
        QCOMPARE(first.value(u"type"_s).toString(), u"confab.probe"_s);
        QCOMPARE(first.value(u"v"_s).toInt(), 1);
        const QString nonce = first.value(u"nonce"_s).toString();
        QVERIFY2(QRegularExpression(u"^[0-9a-f]{16}$"_s).match(nonce).hasMatch(),
                 qPrintable(nonce));
        QVERIFY(
            QRegularExpression(u"^[x ]*$"_s).match(first.value(u"pad"_s).toString()).hasMatch());
        // The next probe, two seconds on, asks with another nonce.
        QTRY_VERIFY_WITH_TIMEOUT(
            QJsonDocument::fromJson(got.last().data()).object().value(u"nonce"_s).toString() !=
                nonce,
            3000);
        QVERIFY(clock.elapsed() >= 1500);
        discovery.setActive(false);
        QCOMPARE(discovery.probesSent(), 2);
        // Each probe went everywhere: this machine, every broadcast address, the group.
        QSet<QHostAddress> to;
        for (const QNetworkDatagram &d : std::as_const(got))
            to.insert(d.destinationAddress());
        qInfo() << "probes reached" << to;
        QVERIFY(to.contains(QHostAddress(u"127.0.0.1"_s)));
        QVERIFY(to.contains(QHostAddress::Broadcast));
        const QList<QNetworkInterface> interfaces = QNetworkInterface::allInterfaces();
        for (const QNetworkInterface &iface : interfaces) {
            if (!iface.flags().testFlags(QNetworkInterface::IsUp | QNetworkInterface::IsRunning |
                                         QNetworkInterface::CanBroadcast))
                continue;
            for (const QNetworkAddressEntry &e : iface.addressEntries()) {
                if (e.ip().protocol() == QAbstractSocket::IPv4Protocol && !e.broadcast().isNull())
                    QVERIFY2(to.contains(e.broadcast()), qPrintable(e.broadcast().toString()));
            }
        }
        if (inGroup)
            QVERIFY(to.contains(group));
    }

    void listsTheRealServerWithinTwoSeconds()
    {
        startServer(u"Third floor"_s);
        const QString fingerprint = serverFingerprint({u"--state-dir"_s, m_state.path()});
        QCOMPARE(fingerprint.size(), 95);
        ServersModel servers;
        QAbstractItemModelTester tester(&servers, kQtTest);
        servers.addRecent(QUrl(u"ws://10.1.2.3:7680"_s), u"alice"_s,
                          QDateTime::currentDateTimeUtc());
        LanDiscovery discovery(&servers, {m_discoveryPort, 2000, 3});
        QElapsedTimer clock;
        clock.start();
        discovery.setActive(true);
        QTRY_VERIFY_WITH_TIMEOUT(rowNamed(servers, u"Third floor"_s) >= 0, 2000);
        qInfo() << "heard after" << clock.elapsed() << "ms";
        // The first answer may come over another interface (the broadcast reaches the
        // server on the machine's own LAN address too); the row settles on loopback once
        // that answer is in, whichever order they came in.
        QTRY_COMPARE_WITH_TIMEOUT(
            servers.data(servers.index(rowNamed(servers, u"Third floor"_s)), ServersModel::UrlRole)
                .toUrl(),
            QUrl(u"wss://127.0.0.1:%1"_s.arg(m_server->port())), 2000);
        const QModelIndex i = servers.index(rowNamed(servers, u"Third floor"_s));
        QCOMPARE(servers.data(i, ServersModel::TlsRole).toBool(), true);
        QCOMPARE(servers.data(i, ServersModel::DiscoveredRole).toBool(), true);
        QCOMPARE(servers.data(i, ServersModel::RecentRole).toBool(), false);
        QCOMPARE(servers.data(i, ServersModel::FingerprintRole).toString(), fingerprint);
        QCOMPARE(servers.announcedFingerprint(QUrl(u"wss://127.0.0.1:%1"_s.arg(m_server->port()))),
                 fingerprint);
        // Several probes later (broadcast, multicast and loopback all answered), one row.
        QTest::qWait(4500);
        QCOMPARE(servers.rowCount(), 2);
        QVERIFY(discovery.probesSent() >= 3);
        // Stopping forgets what was heard; the recent server stays.
        discovery.setActive(false);
        QCOMPARE(servers.rowCount(), 1);
        QCOMPARE(servers.data(servers.index(0), ServersModel::RecentRole).toBool(), true);
    }

    void aServerThatStopsAnsweringGoes()
    {
        startServer(u"Basement"_s);
        ServersModel servers;
        QAbstractItemModelTester tester(&servers, kQtTest);
        // Faster probes: three missed ones take 1.5 s here.
        LanDiscovery discovery(&servers, {m_discoveryPort, 500, 3});
        discovery.setActive(true);
        QTRY_VERIFY_WITH_TIMEOUT(rowNamed(servers, u"Basement"_s) >= 0, 2000);
        m_server->kill9(); // gone at once: no answer after this
        QElapsedTimer clock;
        clock.start();
        QTRY_VERIFY_WITH_TIMEOUT(rowNamed(servers, u"Basement"_s) < 0, 5000);
        // Not at the first missed probe: after the third.
        QVERIFY2(clock.elapsed() >= 1000, qPrintable(QString::number(clock.elapsed())));
    }

    void ignoresAnAnswerToAnotherNonce()
    {
        // A responder that answers every probe, but never with the probe's nonce.
        const quint16 port = freeUdpPort();
        QUdpSocket responder;
        QVERIFY(responder.bind(QHostAddress::AnyIPv4, port, QUdpSocket::ShareAddress));
        int probes = 0;
        connect(&responder, &QUdpSocket::readyRead, &responder, [&] {
            while (responder.hasPendingDatagrams()) {
                const QNetworkDatagram d = responder.receiveDatagram(4096);
                const auto probe = protocol::parseProbe(d.data());
                if (!probe)
                    continue;
                ++probes;
                protocol::DiscoveryAnswer a;
                a.nonce = protocol::makeProbeNonce(); // not the one asked with
                a.name = u"Impostor"_s;
                a.host = u"evil"_s;
                a.port = 7680;
                a.protocol = 1;
                responder.writeDatagram(protocol::encodeAnswer(a), d.senderAddress(),
                                        quint16(d.senderPort()));
            }
        });
        ServersModel servers;
        QAbstractItemModelTester tester(&servers, kQtTest);
        LanDiscovery discovery(&servers, {port, 500, 3});
        discovery.setActive(true);
        QTRY_VERIFY_WITH_TIMEOUT(discovery.answersIgnored() >= 2, 3000);
        QTest::qWait(500);
        QVERIFY(probes >= 2);
        QCOMPARE(servers.rowCount(), 0);
    }
};

QTEST_GUILESS_MAIN(TestClientDiscovery)
#include "tst_client_discovery.moc"
