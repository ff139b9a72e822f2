// A short run of every scenario against the real confab-server (and the fanout one
// against the Node ws peer): no loss, no duplicates, no reorder, every send acked; for
// files, every byte read back with the SHA-256 it was sent with and as its ETag.
#include "filebench.h"
#include "harness.h"
#include "peer.h"
#include "runner.h"

#include <QJsonObject>
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
    void fileContent();
    void files_data();
    void files();
    void filesRefused();
    void search();

private:
    static std::optional<Report> run(const Options &options, QString *error);

    std::unique_ptr<confab::testing::TestStore> m_store;
    std::unique_ptr<confab::testing::ServerProcess> m_server;
};

constexpr qint64 kMaxFileBytes = 4 << 20;

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
    // Uploads up to 4 MiB (filesRefused() goes past that).
    m_server = std::make_unique<confab::testing::ServerProcess>(
        m_store->url(), QStringList{u"--rate"_s, u"0"_s, u"--workers"_s, u"2"_s,
                                    u"--max-file-bytes"_s, QString::number(kMaxFileBytes)});
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

// Random content is the same whatever the offsets it is read at; the hash is SHA-256.
void TestBenchSmoke::fileContent()
{
    const FileContent c = FileContent::random(42, 1000);
    QByteArray whole(1000, '\0');
    c.read(0, whole.data(), 1000);
    QByteArray pieces(1000, '\0');
    for (qint64 at = 0; at < 1000;) {
        const qint64 n = std::min<qint64>(1 + at % 13, 1000 - at);
        c.read(at, pieces.data() + at, n);
        at += n;
    }
    QCOMPARE(pieces, whole);
    QByteArray other(1000, '\0');
    FileContent::random(43, 1000).read(0, other.data(), 1000);
    QVERIFY(other != whole);
    Sha256 sha;
    sha.add("ab", 2);
    sha.add("c", 1);
    QCOMPARE(sha.hex(), u"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"_s);
}

void TestBenchSmoke::files_data()
{
    QTest::addColumn<FileMode>("mode");
    QTest::addColumn<QString>("content");
    QTest::addColumn<qint64>("chunk");
    QTest::addRow("upload, random, chunked") << FileMode::Upload << u"random"_s << qint64(100000);
    QTest::addRow("upload, jpeg") << FileMode::Upload << u"jpeg"_s << qint64(0);
    QTest::addRow("download, random") << FileMode::Download << u"random"_s << qint64(0);
}

void TestBenchSmoke::files()
{
    QFETCH(FileMode, mode);
    QFETCH(QString, content);
    QFETCH(qint64, chunk);
    Options o = smallRun(Scenario::Files, m_server->url());
    o.clients = 4;
    o.fileMode = mode;
    o.fileBytes = 300 * 1024 + 7; // three chunks and a few bytes
    o.fileContent = content;
    o.imageWidth = 640;
    o.imageHeight = 480;
    o.chunkBytes = chunk;
    o.transfers = 2;
    QVERIFY(applyScenarioDefaults(o).isEmpty());
    QString error;
    const auto report = run(o, &error);
    QVERIFY2(report, qPrintable(error));
    QVERIFY2(report->correct(), qPrintable(report->table()));
    QVERIFY(report->files);
    const FileReport &f = *report->files;
    const qint64 expected = qint64(o.clients) * o.transfers;
    QCOMPARE(f.failures, 0);
    QCOMPARE(f.hashMismatch, 0);
    QCOMPARE(f.etagMismatch, 0);
    QCOMPARE(f.sizeMismatch, 0);
    QCOMPARE(f.downloads, expected);
    QCOMPARE(f.verified, expected);
    QCOMPARE(f.bytesDown, expected * f.fileBytes);
    QCOMPARE(f.uploads, mode == FileMode::Upload ? expected : 1);
    QCOMPARE(f.bytesUp, f.uploads * f.fileBytes);
    QCOMPARE(f.download.count(), expected);
    QVERIFY(f.upMBps() > 0);
    QVERIFY(f.downMBps() > 0);
    if (content == u"jpeg"_s) {
        QCOMPARE(f.mime, u"image/jpeg"_s);
        QCOMPARE(f.thumbnails, expected); // made by the server, fetched and checked
    } else {
        QCOMPARE(f.fileBytes, o.fileBytes);
        QCOMPARE(f.thumbnails, 0);
    }
    QVERIFY(f.serverRssMaxBytes > 0);
    QVERIFY(report->serverEnd.ok);
    const QJsonObject json = report->toJson().value(u"files"_s).toObject();
    QCOMPARE(json.value(u"verified"_s).toInteger(), expected);
    QVERIFY(json.value(u"download_mb_per_s"_s).toDouble() > 0);
    if (mode == FileMode::Download) {
        // The post of the shared file reached every member (the room's seqs are checked).
        QCOMPARE(report->stats.acksTotal, 1);
        QVERIFY(!f.sharedId.isEmpty());
    }
}

// A file the server refuses (larger than its --max-file-bytes) fails the run, with the
// reason among the errors.
void TestBenchSmoke::filesRefused()
{
    Options o = smallRun(Scenario::Files, m_server->url());
    o.clients = 2;
    o.fileBytes = kMaxFileBytes + 1;
    QVERIFY(applyScenarioDefaults(o).isEmpty());
    QString error;
    const auto report = run(o, &error);
    QVERIFY2(report, qPrintable(error));
    QVERIFY(!report->correct());
    QCOMPARE(report->files->failures, 2);
    QCOMPARE(report->files->errors.value(u"http:status-413"_s), 2);
    QCOMPARE(report->stats.errors.value(u"http:status-413"_s), 2);
    QVERIFY(report->table().contains(u"FAILED"_s));
}

// search: 2,000 seeded messages in 5 rooms, then every query kind for 2 s; each phrase
// query finds the message it was taken from. A rerun with --no-seed (the same run id)
// asks the same store and knows what it holds.
void TestBenchSmoke::search()
{
    Options o = smallRun(Scenario::Search, m_server->url());
    o.clients = 2;
    o.seeders = 8;
    o.messages = 2000;
    o.rooms = 5;
    o.members = 0;
    QVERIFY(applyScenarioDefaults(o).isEmpty());
    QCOMPARE(o.clients, 8);
    QCOMPARE(o.searchClients, 2);
    for (const bool seed : {true, false}) {
        o.seed = seed;
        QString error;
        const auto report = run(o, &error);
        QVERIFY2(report, qPrintable(error));
        QVERIFY2(report->correct(), qPrintable(report->table()));
        const SearchStats &s = report->stats.search;
        QCOMPARE(report->seeded, seed ? o.messages : 0);
        QCOMPARE(s.phraseMissed, 0);
        QCOMPARE(s.errorsTotal, 0);
        QCOMPARE(s.all.timedOut, 0);
        QVERIFY(s.phraseFound > 0);
        QVERIFY(s.all.requests >= kSearchKinds);
        QVERIFY2(s.kinds.size() >= kSearchKinds, qPrintable(report->table()));
        // Rare words and phrases are in some message; the common words in most.
        QVERIFY(s.kinds.value(u"common/all"_s).empty == 0);
        const QJsonObject json = report->toJson().value(u"search"_s).toObject();
        QCOMPARE(json.value(u"phrase"_s).toObject().value(u"missed"_s).toInteger(), 0);
        QVERIFY(json.value(u"latency_us"_s).toObject().value(u"p99"_s).toInteger() > 0);
    }
}

QTEST_GUILESS_MAIN(TestBenchSmoke)
#include "tst_bench_smoke.moc"
