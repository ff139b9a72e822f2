// Options defaults, the body stamp, the JSON report and `compare`, the plot, /metrics.
#include "body.h"
#include "cli.h"
#include "options.h"
#include "plan.h"
#include "plot.h"
#include "probe.h"
#include "report.h"

#include <QGuiApplication>
#include <QImage>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTemporaryDir>
#include <QTest>

using namespace confab::bench;
using namespace Qt::StringLiterals;

class TestBenchReport : public QObject
{
    Q_OBJECT

private slots:
    void scenarioDefaults_data();
    void scenarioDefaults();
    void rejectsBadOptions_data();
    void rejectsBadOptions();
    void sourceAddresses();
    void descriptorShortage_data();
    void descriptorShortage();
    void bodyRoundTrip();
    void jsonReport();
    void compareRatios();
    void plotIsAPng();
    void metricsText();
    void serverRestartedInTheWindow_data();
    void serverRestartedInTheWindow();

private:
    static Report sampleReport(double deliveriesPerSecond);
};

void TestBenchReport::scenarioDefaults_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<int>("rooms");
    QTest::addColumn<int>("members");
    QTest::addColumn<int>("senders");
    QTest::addRow("fanout") << QStringList{u"fanout"_s, u"--clients"_s, u"100"_s} << 1 << 100 << 10;
    QTest::addRow("team") << QStringList{u"team"_s, u"--clients"_s, u"100"_s} << 4 << 25 << 100;
    QTest::addRow("team by rooms")
        << QStringList{u"team"_s, u"--clients"_s, u"100"_s, u"--rooms"_s, u"10"_s} << 10 << 10
        << 100;
    QTest::addRow("durable") << QStringList{u"durable"_s, u"--clients"_s, u"50"_s} << 3 << 20 << 50;
    QTest::addRow("connect") << QStringList{u"connect"_s, u"--clients"_s, u"50"_s} << 0 << 0 << 50;
}

void TestBenchReport::scenarioDefaults()
{
    QFETCH(QStringList, args);
    QFETCH(int, rooms);
    QFETCH(int, members);
    QFETCH(int, senders);
    args.prepend(u"confab-bench"_s);
    args << u"--url"_s << u"ws://127.0.0.1:1"_s;
    QString error;
    const auto o = parseOptions(args, &error);
    QVERIFY2(o, qPrintable(error));
    QCOMPARE(o->rooms, rooms);
    QCOMPARE(o->members, members);
    QCOMPARE(o->senders, senders);
    QVERIFY(!o->runId.isEmpty());
}

void TestBenchReport::rejectsBadOptions_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addRow("no url") << QStringList{u"fanout"_s};
    QTest::addRow("unknown scenario") << QStringList{u"storm"_s, u"--url"_s, u"ws://h:1"_s};
    QTest::addRow("http url") << QStringList{u"team"_s, u"--url"_s, u"http://h:1"_s};
    QTest::addRow("peer with team") << QStringList{u"team"_s, u"--peer"_s, u"ws"_s};
    QTest::addRow("bad run id") << QStringList{u"team"_s, u"--url"_s, u"ws://h:1"_s, u"--run-id"_s,
                                               u"A-B"_s};
    QTest::addRow("versus outside fanout")
        << QStringList{u"team"_s, u"--url"_s, u"ws://h:1"_s, u"--versus"_s, u"ws"_s};
    QTest::addRow("versus with peer")
        << QStringList{u"fanout"_s, u"--peer"_s, u"ws"_s, u"--versus"_s, u"ws"_s};
    QTest::addRow("not a number") << QStringList{u"team"_s, u"--url"_s, u"ws://h:1"_s,
                                                 u"--clients"_s, u"many"_s};
    QTest::addRow("bad source address") << QStringList{
        u"team"_s, u"--url"_s, u"ws://h:1"_s, u"--source-addresses"_s, u"127.0.0.2,localhost"_s};
}

void TestBenchReport::rejectsBadOptions()
{
    QFETCH(QStringList, args);
    args.prepend(u"confab-bench"_s);
    QString error;
    QVERIFY(!parseOptions(args, &error));
    QVERIFY(!error.isEmpty());
}

// Past one address's ephemeral ports, loopback runs spread over 127.0.0.x by themselves;
// --source-addresses overrides; other servers get the kernel's choice.
void TestBenchReport::sourceAddresses()
{
    auto plan = [](QStringList args) {
        args.prepend(u"confab-bench"_s);
        QString error;
        const auto o = parseOptions(args, &error);
        if (!o)
            qFatal("%s", qPrintable(error));
        return RunPlan(*o);
    };
    const RunPlan small = plan({u"idle"_s, u"--url"_s, u"ws://127.0.0.1:1"_s});
    QVERIFY(small.sourceAddress(0).isNull());
    const RunPlan big =
        plan({u"idle"_s, u"--url"_s, u"ws://127.0.0.1:1"_s, u"--clients"_s, u"60000"_s});
    QCOMPARE(big.sourceAddress(0), QHostAddress(u"127.0.0.1"_s));
    QCOMPARE(big.sourceAddress(1), QHostAddress(u"127.0.0.2"_s));
    QCOMPARE(big.sourceAddress(2), QHostAddress(u"127.0.0.3"_s));
    QCOMPARE(big.sourceAddress(3), QHostAddress(u"127.0.0.1"_s));
    const RunPlan remote =
        plan({u"idle"_s, u"--url"_s, u"ws://192.0.2.7:1"_s, u"--clients"_s, u"60000"_s});
    QVERIFY(remote.sourceAddress(1).isNull());
    const RunPlan given = plan({u"idle"_s, u"--url"_s, u"ws://127.0.0.1:1"_s,
                                u"--source-addresses"_s, u"127.0.0.9, 127.0.0.8"_s});
    QCOMPARE(given.sourceAddress(0), QHostAddress(u"127.0.0.9"_s));
    QCOMPARE(given.sourceAddress(1), QHostAddress(u"127.0.0.8"_s));
}

void TestBenchReport::descriptorShortage_data()
{
    QTest::addColumn<int>("clients");
    QTest::addColumn<qint64>("soft");
    QTest::addColumn<qint64>("hard");
    QTest::addColumn<bool>("refused");
    QTest::addRow("fits") << 19000 << qint64(20000) << qint64(20000) << false;
    QTest::addRow("exactly") << 19744 << qint64(20000) << qint64(20000) << false;
    QTest::addRow("one over") << 19745 << qint64(20000) << qint64(20000) << true;
    QTest::addRow("hard limit not raised") << 40000 << qint64(20000) << qint64(20000) << true;
    QTest::addRow("unknown limit") << 40000 << qint64(-1) << qint64(-1) << false;
}

void TestBenchReport::descriptorShortage()
{
    QFETCH(int, clients);
    QFETCH(qint64, soft);
    QFETCH(qint64, hard);
    QFETCH(bool, refused);
    const QString why = confab::bench::descriptorShortage(clients, confab::FileLimit{soft, hard});
    QCOMPARE(!why.isEmpty(), refused);
    if (refused) {
        QVERIFY2(why.contains(QString::number(clients)), qPrintable(why));
        QVERIFY2(why.contains(u"may open %1"_s.arg(soft)), qPrintable(why));
    }
}

void TestBenchReport::bodyRoundTrip()
{
    const QString body = makeBody(42, 7, 1763765000123456, 100);
    QCOMPARE(body.size(), 100);
    const auto stamp = parseBody(body);
    QVERIFY(stamp);
    QCOMPARE(stamp->sender, 42);
    QCOMPARE(stamp->n, 7);
    QCOMPARE(stamp->tUs, 1763765000123456);
    QVERIFY(!parseBody(u"hello"_s));
    QVERIFY(!parseBody(u"cb1 1 x 3 "_s));
}

Report TestBenchReport::sampleReport(double deliveriesPerSecond)
{
    Report r;
    r.options.scenario = Scenario::Fanout;
    r.options.duration = 10;
    r.options.warmup = 1;
    r.options.clients = 3;
    r.target = u"confab"_s;
    r.measuredSeconds = 10;
    r.stats.deliveries = qint64(deliveriesPerSecond * 10);
    for (int i = 1; i <= 1000; ++i)
        r.stats.delivery.record(i);
    r.stats.second(11).deliveries = 5;
    r.stats.countError(u"rate_limited"_s);
    return r;
}

void TestBenchReport::jsonReport()
{
    Report r = sampleReport(100);
    QVERIFY(r.correct());
    const QJsonObject o = r.toJson();
    QCOMPARE(o.value("schema"_L1).toString(), u"confab-bench/1"_s);
    QCOMPARE(o.value("throughput"_L1)["deliveries_per_s"_L1].toDouble(), 100.0);
    const QJsonObject delivery = o.value("latency_us"_L1)["delivery"_L1].toObject();
    QCOMPARE(delivery.value("count"_L1).toInteger(), 1000);
    QCOMPARE(delivery.value("max"_L1).toInteger(), 1000);
    QVERIFY(delivery.value("p50"_L1).toInteger() >= 500);
    QCOMPARE(o.value("errors"_L1)["rate_limited"_L1].toInteger(), 1);
    const QJsonArray series = o.value("series"_L1).toArray();
    QCOMPARE(series.size(), 12);
    QCOMPARE(series[0]["phase"_L1].toString(), u"warmup"_s);
    QCOMPARE(series[5]["phase"_L1].toString(), u"measure"_s);
    QCOMPARE(series[11]["phase"_L1].toString(), u"drain"_s);
    r.stats.lost = 1;
    QVERIFY(!r.correct());
    QCOMPARE(r.toJson().value("correctness"_L1)["ok"_L1].toBool(), false);
    QVERIFY(r.table().contains(u"FAILED"_s));
}

void TestBenchReport::compareRatios()
{
    QTemporaryDir dir;
    const QString a = dir.filePath(u"a.json"_s);
    const QString b = dir.filePath(u"b.json"_s);
    for (const auto &[file, rate] : {std::pair{a, 100.0}, std::pair{b, 250.0}}) {
        QFile f(file);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(QJsonDocument(sampleReport(rate).toJson()).toJson());
    }
    QString error;
    const QString text = compareReports(a, b, &error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    const QStringList lines = text.split(u'\n');
    const auto row = std::find_if(lines.begin(), lines.end(), [](const QString &l) {
        return l.startsWith(u"throughput.deliveries_per_s "_s);
    });
    QVERIFY(row != lines.end());
    QVERIFY2(row->endsWith(u"2.500"_s), qPrintable(*row));
    QVERIFY(compareReports(a, dir.filePath(u"missing.json"_s), &error).isEmpty());
    QVERIFY(!error.isEmpty());

    error.clear();
    const QString summary = summarizeReports({a, b, a}, &error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    const QStringList rows = summary.split(u'\n');
    const auto median = std::find_if(rows.begin(), rows.end(), [](const QString &l) {
        return l.startsWith(u"throughput.deliveries_per_s "_s);
    });
    QVERIFY(median != rows.end());
    QCOMPARE(median->split(u' ', Qt::SkipEmptyParts).mid(1),
             (QStringList{u"100"_s, u"100"_s, u"250"_s}));
}

void TestBenchReport::plotIsAPng()
{
    QTemporaryDir dir;
    const QString file = dir.filePath(u"plot.png"_s);
    QString error;
    QVERIFY2(writePlot(sampleReport(100), file, &error), qPrintable(error));
    QImage image;
    QVERIFY(image.load(file, "PNG"));
    QVERIFY(image.width() > 600);
}

void TestBenchReport::serverRestartedInTheWindow_data()
{
    QTest::addColumn<double>("startTimeAtEnd");
    QTest::addColumn<double>("cpuAtEnd");
    QTest::addColumn<bool>("restarted");
    QTest::addRow("same process") << 1000.0 << 52.0 << false;
    QTest::addRow("new start time") << 1030.0 << 52.0 << true;
    QTest::addRow("counter went back, no start time") << 0.0 << 2.0 << true;
}

// A server killed and started again inside the window: the harness must not difference
// two processes' counters (it used to print a negative CPU time).
void TestBenchReport::serverRestartedInTheWindow()
{
    QFETCH(double, startTimeAtEnd);
    QFETCH(double, cpuAtEnd);
    QFETCH(bool, restarted);
    Report r = sampleReport(100);
    r.serverSource = u"metrics"_s;
    r.clientsReady = 3;
    r.serverBefore = {true, 40, 1 << 20, 1 << 20, startTimeAtEnd > 0 ? 1000.0 : 0.0};
    r.serverStart = {true, 50, 2 << 20, 2 << 20, startTimeAtEnd > 0 ? 1000.0 : 0.0};
    r.serverEnd = {true, cpuAtEnd, 4 << 20, 4 << 20, startTimeAtEnd};
    const QJsonObject server = r.toJson().value("server"_L1).toObject();
    QCOMPARE(server.value("restarted"_L1).toBool(), restarted);
    QCOMPARE(server.contains("cpu_seconds"_L1), !restarted);
    QCOMPARE(server.contains("rss_per_connection_bytes"_L1), !restarted);
    QCOMPARE(r.table().contains(u"restarted during the measured window"_s), restarted);
    if (!restarted)
        QCOMPARE(server.value("cpu_seconds"_L1).toDouble(), 2.0);
    QVERIFY(!r.table().contains(u"CPU -"_s));
}

void TestBenchReport::metricsText()
{
    const QByteArray text = "# HELP process_cpu_seconds_total x\n"
                            "process_cpu_seconds_total 12.5\n"
                            "process_resident_memory_bytes 1048576\n"
                            "process_peak_resident_memory_bytes 2097152\n"
                            "process_start_time_seconds 1764000000.25\n";
    const ProcessSample s = parseMetrics(text);
    QVERIFY(s.ok);
    QCOMPARE(s.cpuSeconds, 12.5);
    QCOMPARE(s.rssBytes, 1048576);
    QCOMPARE(s.peakRssBytes, 2097152);
    QCOMPARE(s.startTime, 1764000000.25);
    QVERIFY(sampleSelf().ok);
}

// QPainter text needs a QGuiApplication (offscreen: the test environment sets it).
QTEST_MAIN(TestBenchReport)
#include "tst_bench_report.moc"
