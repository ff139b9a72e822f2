// The harness against a server that misbehaves on purpose: it must count exactly the
// loss, duplicate, reorder and missing ack that were injected, and nothing when none was.
#include "faultserver.h"
#include "runner.h"

#include <QTest>

using namespace confab::bench;
using confab::bench::testing::Faults;
using confab::bench::testing::FaultServer;
using namespace Qt::StringLiterals;

class TestBenchFaults : public QObject
{
    Q_OBJECT

private slots:
    void injected_data();
    void injected();
    void resumeOverDropsIsClean();
    void lostConnectionIsCountedAndResumed();

private:
    static Options options(Scenario scenario, const QUrl &url, bool peer);
    static std::optional<Report> run(const Options &options, QString *error);
};

// CONFAB_BENCH_VERBOSE=1 shows the runner's progress lines.
std::optional<Report> TestBenchFaults::run(const Options &options, QString *error)
{
    Runner runner(options);
    if (qEnvironmentVariableIsSet("CONFAB_BENCH_VERBOSE"))
        runner.setProgress([](const QString &line) { qInfo().noquote() << line; });
    return runner.run(error);
}

Options TestBenchFaults::options(Scenario scenario, const QUrl &url, bool peer)
{
    Options o;
    o.scenario = scenario;
    o.target = peer ? Target::WsPeer : Target::Confab;
    o.url = url;
    o.clients = 5;
    o.senders = 1; // one stream, so a swap is a reorder even against the peer
    o.rate = 60;
    o.duration = 1.0;
    o.warmup = 0.2;
    o.grace = 2;
    o.workers = 2;
    o.runId = u"flt"_s;
    o.quiet = true;
    o.serverStats = false; // a blocking GET /metrics would starve this thread's fake server
    const QString error = applyScenarioDefaults(o);
    if (!error.isEmpty())
        qFatal("bad options: %s", qPrintable(error));
    return o;
}

void TestBenchFaults::injected_data()
{
    QTest::addColumn<bool>("peer");
    QTest::addColumn<int>("drop");
    QTest::addColumn<int>("duplicate");
    QTest::addColumn<int>("swap");
    QTest::addColumn<int>("withholdAck");
    QTest::addRow("clean") << false << 0 << 0 << 0 << 0;
    QTest::addRow("loss") << false << 10 << 0 << 0 << 0;
    QTest::addRow("duplicate") << false << 0 << 10 << 0 << 0;
    QTest::addRow("reorder") << false << 0 << 0 << 10 << 0;
    QTest::addRow("missing ack") << false << 0 << 0 << 0 << 10;
    QTest::addRow("all at once") << false << 10 << 20 << 30 << 40;
    QTest::addRow("peer clean") << true << 0 << 0 << 0 << 0;
    QTest::addRow("peer all at once") << true << 10 << 20 << 30 << 0;
}

void TestBenchFaults::injected()
{
    QFETCH(bool, peer);
    QFETCH(int, drop);
    QFETCH(int, duplicate);
    QFETCH(int, swap);
    QFETCH(int, withholdAck);
    Faults faults;
    faults.raw = peer;
    faults.dropText = drop;
    faults.duplicateText = duplicate;
    faults.swapText = swap;
    faults.withholdAck = withholdAck;
    faults.victim = u"bflt-3"_s;
    FaultServer server(faults);
    QString error;
    QVERIFY2(server.listen(&error), qPrintable(error));

    const auto report = run(options(Scenario::Fanout, server.url(), peer), &error);
    QVERIFY2(report, qPrintable(error));
    QVERIFY2(server.textEvents() > 40, "too few messages to reach every fault");
    const Stats &s = report->stats;
    QCOMPARE(report->setupFailures, 0);
    QCOMPARE(s.lost, drop ? 1 : 0);
    QCOMPARE(s.duplicated, duplicate ? 1 : 0);
    QCOMPARE(s.outOfOrder, swap ? 1 : 0);
    QCOMPARE(s.missingAcks, withholdAck ? 1 : 0);
    QCOMPARE(s.ackMismatch, 0);
    QCOMPARE(s.refused, 0);
    QCOMPARE(report->correct(), !drop && !duplicate && !swap && !withholdAck);
    // Every message reached every member but the victim's dropped one; a duplicate is
    // not a second delivery.
    QCOMPARE(s.deliveriesTotal, s.sendsTotal * 5 - (drop ? 1 : 0));
}

// Clients dropped and resumed with `since`: the replay must fill every gap, and resent
// sends must be acked once, not broadcast twice.
void TestBenchFaults::resumeOverDropsIsClean()
{
    FaultServer server(Faults{});
    QString error;
    QVERIFY2(server.listen(&error), qPrintable(error));
    Options o = options(Scenario::Resume, server.url(), false);
    o.clients = 8;
    o.members = 4;
    o.rooms = 2;
    o.senders = 8;
    o.rate = 100;
    o.duration = 2;
    o.dropInterval = 0.2;
    o.dropFraction = 0.25;
    o.reconnectDelay = 0.05;
    const auto report = run(o, &error);
    QVERIFY2(report, qPrintable(error));
    const Stats &s = report->stats;
    QVERIFY(s.drops > 0);
    QVERIFY(s.reconnects > 0);
    QCOMPARE(s.lost, 0);
    QCOMPARE(s.duplicated, 0);
    QCOMPARE(s.outOfOrder, 0);
    QCOMPARE(s.missingAcks, 0);
    QCOMPARE(s.unexpectedCloses, 0); // its own drops are not the server's doing
    QVERIFY(report->correct());
}

// The server resets one connection without a close frame (as a killed server does): the
// harness counts exactly that one, comes back with `since`, and the replay fills the gap.
void TestBenchFaults::lostConnectionIsCountedAndResumed()
{
    Faults faults;
    faults.resetText = 10;
    faults.victim = u"bflt-3"_s;
    FaultServer server(faults);
    QString error;
    QVERIFY2(server.listen(&error), qPrintable(error));
    const auto report = run(options(Scenario::Fanout, server.url(), false), &error);
    QVERIFY2(report, qPrintable(error));
    QVERIFY2(server.textEvents() > 40, "too few messages to reach the fault");
    const Stats &s = report->stats;
    QCOMPARE(s.unexpectedCloses, 1);
    QCOMPARE(s.errors.value(u"connection_lost"_s), 1);
    QCOMPARE(s.reconnects, 1);
    QCOMPARE(s.lost, 0);
    QCOMPARE(s.duplicated, 0);
    QCOMPARE(s.outOfOrder, 0);
    QCOMPARE(s.missingAcks, 0);
    QVERIFY(s.replayed >= 1);
    QVERIFY(report->correct());
}

QTEST_GUILESS_MAIN(TestBenchFaults)
#include "tst_bench_faults.moc"
