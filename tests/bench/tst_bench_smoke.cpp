// A short run of every scenario against the real confab-server (and the fanout one
// against the Node ws peer): no loss, no duplicates, no reorder, every send acked.
#include "harness.h"
#include "peer.h"
#include "runner.h"

#include <QStandardPaths>
#include <QTest>

using namespace confab::bench;
using namespace Qt::StringLiterals;

class TestBenchSmoke : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();
    void scenario_data();
    void scenario();
    void fromSourceAddresses();
    void wsPeer();

private:
    static std::optional<Report> run(const Options &options, QString *error);

    std::unique_ptr<confab::testing::TestStore> m_store;
    std::unique_ptr<confab::testing::ServerProcess> m_server;
};

// 20 clients for 2 s: short enough for ctest, long enough for drops and resumes.
Options smallRun(Scenario scenario, const QUrl &url)
{
    Options o;
    o.scenario = scenario;
    o.url = url;
    o.clients = 20;
    o.members = scenario == Scenario::Fanout ? 0 : 5;
    o.rate = scenario == Scenario::Idle ? 20 : 40;
    o.duration = 2;
    o.warmup = 0.5;
    o.grace = 5;
    o.workers = 2;
    o.dropInterval = 0.5;
    o.dropFraction = 0.2;
    o.reconnectDelay = 0.1;
    o.quiet = true;
    return o;
}

// CONFAB_BENCH_VERBOSE=1 shows the runner's progress lines.
std::optional<Report> TestBenchSmoke::run(const Options &options, QString *error)
{
    Runner runner(options);
    if (qEnvironmentVariableIsSet("CONFAB_BENCH_VERBOSE"))
        runner.setProgress([](const QString &line) { qInfo().noquote() << line; });
    auto report = runner.run(error);
    if (report && qEnvironmentVariableIsSet("CONFAB_BENCH_VERBOSE"))
        qInfo().noquote() << report->table();
    return report;
}

void TestBenchSmoke::initTestCase()
{
    m_store = std::make_unique<confab::testing::TestStore>();
    QVERIFY2(m_store->error().isEmpty(), qPrintable(m_store->error()));
    // One server for every scenario: each run has its own users and rooms (run id).
    m_server = std::make_unique<confab::testing::ServerProcess>(
        m_store->url(), QStringList{u"--rate"_s, u"0"_s, u"--workers"_s, u"2"_s});
    QVERIFY(m_server->start());
}

void TestBenchSmoke::cleanupTestCase()
{
    if (m_server)
        QCOMPARE(m_server->terminate(), 0);
}

void TestBenchSmoke::scenario_data()
{
    QTest::addColumn<Scenario>("scenario");
    QTest::addRow("fanout") << Scenario::Fanout;
    QTest::addRow("team") << Scenario::Team;
    QTest::addRow("idle") << Scenario::Idle;
    QTest::addRow("connect") << Scenario::Connect;
    QTest::addRow("durable") << Scenario::Durable;
    QTest::addRow("resume") << Scenario::Resume;
}

void TestBenchSmoke::scenario()
{
    QFETCH(Scenario, scenario);
    Options o = smallRun(scenario, m_server->url());
    QVERIFY(applyScenarioDefaults(o).isEmpty());
    QString error;
    const auto report = run(o, &error);
    QVERIFY2(report, qPrintable(error));
    const Stats &s = report->stats;
    QVERIFY2(report->correct(), qPrintable(report->table()));
    QCOMPARE(report->setupFailures, 0);
    QCOMPARE(s.unexpectedCloses, 0);
    QVERIFY2(report->serverEnd.ok, "no figures from the server's /metrics");
    switch (scenario) {
    case Scenario::Connect:
        QVERIFY(s.connects > 20);
        QCOMPARE(s.connectFailures, 0);
        break;
    case Scenario::Idle:
        QVERIFY(s.pings > 10);
        break;
    case Scenario::Resume:
        QVERIFY(s.drops > 0);
        QVERIFY(s.reconnects > 0);
        Q_FALLTHROUGH();
    default:
        QVERIFY(s.acks > 10);
        QVERIFY(s.deliveries >= s.acks);
        QVERIFY(!s.delivery.isEmpty());
        break;
    }
}

// Connections bound to other loopback addresses (how a run gets past one address's
// ephemeral ports) work, reconnects included; an address that is not local fails the
// setup with the reason.
void TestBenchSmoke::fromSourceAddresses()
{
    Options o = smallRun(Scenario::Resume, m_server->url());
    o.sourceAddresses = {QHostAddress(u"127.0.0.2"_s), QHostAddress(u"127.0.0.3"_s)};
    QVERIFY(applyScenarioDefaults(o).isEmpty());
    QString error;
    const auto report = run(o, &error);
    QVERIFY2(report, qPrintable(error));
    QVERIFY2(report->correct(), qPrintable(report->table()));
    QVERIFY(report->stats.reconnects > 0);

    o.scenario = Scenario::Team;
    o.runId.clear();
    o.sourceAddresses = {QHostAddress(u"192.0.2.1"_s)}; // TEST-NET-1, never local
    QVERIFY(applyScenarioDefaults(o).isEmpty());
    QVERIFY(!run(o, &error));
    QVERIFY2(error.contains(u"socket:address-not-available"_s), qPrintable(error));
}

void TestBenchSmoke::wsPeer()
{
    if (QStandardPaths::findExecutable(u"node"_s).isEmpty())
        QSKIP("node is not on PATH");
    PeerProcess peer;
    QString error;
    // The first run installs ws with npm; without network that is a skip, not a failure.
    if (!peer.start(&error))
        QSKIP(qPrintable(u"the ws peer cannot start: "_s + error));
    Options o = smallRun(Scenario::Fanout, peer.url());
    o.target = Target::WsPeer;
    o.serverPid = peer.pid();
    QVERIFY(applyScenarioDefaults(o).isEmpty());
    const auto report = run(o, &error);
    QVERIFY2(report, qPrintable(error));
    QVERIFY2(report->correct(), qPrintable(report->table()));
    QVERIFY(report->stats.deliveries > 10 * 20);
    QVERIFY(report->serverEnd.ok);
}

QTEST_GUILESS_MAIN(TestBenchSmoke)
#include "tst_bench_smoke.moc"
