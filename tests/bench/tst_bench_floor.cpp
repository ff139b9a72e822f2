// `confab-bench floor`: every byte written arrives, writes are counted per call, the
// options reject what they cannot measure. (The figures themselves are the benchmark's,
// in docs/benchmarks.md; nothing here depends on how fast this machine is.)
#include "floor.h"

#include <QJsonArray>
#include <QTest>

using namespace confab::bench;
using namespace Qt::StringLiterals;

class TestBenchFloor : public QObject
{
    Q_OBJECT

private slots:
    void everyFrameArrives_data();
    void everyFrameArrives();
    void largeWritesArriveWhole();
    void rejectsBadOptions_data();
    void rejectsBadOptions();
    void reportsEveryBatch();
};

void TestBenchFloor::everyFrameArrives_data()
{
    QTest::addColumn<bool>("contiguous");
    QTest::addColumn<int>("gapUs");
    QTest::addRow("writev") << false << 0;
    QTest::addRow("contiguous") << true << 0;
    QTest::addRow("paced writev") << false << 20;
}

void TestBenchFloor::everyFrameArrives()
{
    QFETCH(bool, contiguous);
    QFETCH(int, gapUs);
    FloorOptions o;
    o.batches = {1, 3, 16};
    o.frames = 1000; // not a multiple of 3 or 16: rounded up to whole writes
    o.sockets = 7;
    o.contiguous = contiguous;
    o.gapUs = gapUs;
    QString error;
    const auto results = measureFloor(o, &error);
    QVERIFY2(results, qPrintable(error));
    QCOMPARE(results->size(), 3);
    const qint64 expectedFrames[] = {1000, 1002, 1008};
    for (int i = 0; i < 3; ++i) {
        const FloorResult &r = results->at(i);
        QCOMPARE(r.batch, o.batches[i]);
        QCOMPARE(r.frames, expectedFrames[i]);
        QCOMPARE(r.bytesSent, r.frames * o.frameBytes);
        QCOMPARE(r.bytesReceived, r.bytesSent);
        // Small writes into an empty socket buffer are taken whole: one call each.
        QCOMPARE(r.writes, r.frames / r.batch);
        QVERIFY(r.senderCpuUs > 0);
        QVERIFY(r.wallUs > 0);
        if (gapUs > 0) // every write waited for its slot
            QVERIFY(r.wallUs >= double(r.writes - 1) * gapUs);
    }
}

void TestBenchFloor::largeWritesArriveWhole()
{
    // 64 frames of 60,000 bytes per write on 2 sockets: far beyond a socket buffer, so
    // the kernel takes writes in part and the rest must follow without loss.
    FloorOptions o;
    o.batches = {64};
    o.frames = 256;
    o.frameBytes = 60'000;
    o.sockets = 2;
    QString error;
    const auto results = measureFloor(o, &error);
    QVERIFY2(results, qPrintable(error));
    const FloorResult &r = results->constFirst();
    QCOMPARE(r.bytesSent, qint64(256) * 60'000);
    QCOMPARE(r.bytesReceived, r.bytesSent);
    QVERIFY(r.writes >= 4);
}

void TestBenchFloor::rejectsBadOptions_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("message");
    QTest::addRow("zero batch") << QStringList{u"--batches"_s, u"1,0"_s} << u"--batches"_s;
    QTest::addRow("word batch") << QStringList{u"--batches"_s, u"four"_s} << u"--batches"_s;
    QTest::addRow("no frames") << QStringList{u"--frames"_s, u"0"_s} << u"--frames"_s;
    QTest::addRow("huge frame") << QStringList{u"--frame-bytes"_s, u"70000"_s}
                                << u"--frame-bytes"_s;
    QTest::addRow("negative gap") << QStringList{u"--gap-us"_s, u"-5"_s} << u"--gap-us"_s;
    QTest::addRow("no sockets") << QStringList{u"--sockets"_s, u"0"_s} << u"--sockets"_s;
    QTest::addRow("missing value") << QStringList{u"--frames"_s} << u"needs a value"_s;
    QTest::addRow("unknown") << QStringList{u"--fast"_s, u"1"_s} << u"unknown option --fast"_s;
    QTest::addRow("stray") << QStringList{u"16"_s} << u"unexpected argument '16'"_s;
}

void TestBenchFloor::rejectsBadOptions()
{
    QFETCH(QStringList, args);
    QFETCH(QString, message);
    QString error;
    QVERIFY(!parseFloorOptions(args, &error));
    QVERIFY2(error.contains(message), qPrintable(error));
}

void TestBenchFloor::reportsEveryBatch()
{
    QString error;
    const auto o = parseFloorOptions({u"--batches"_s, u"2,8"_s, u"--frames"_s, u"64"_s,
                                      u"--sockets"_s, u"3"_s, u"--contiguous"_s},
                                     &error);
    QVERIFY2(o, qPrintable(error));
    QCOMPARE(o->batches, (QList<int>{2, 8}));
    QVERIFY(o->contiguous);
    const auto results = measureFloor(*o, &error);
    QVERIFY2(results, qPrintable(error));
    const QJsonObject json = floorJson(*o, *results);
    QCOMPARE(json[u"schema"_s].toString(), u"confab-bench-floor/1"_s);
    const QJsonArray rows = json[u"results"_s].toArray();
    QCOMPARE(rows.size(), 2);
    QCOMPARE(rows[0][u"framesPerWrite"_s].toInt(), 2);
    QCOMPARE(rows[1][u"writes"_s].toInt(), 8);
    const QString table = floorTable(*o, *results);
    QVERIFY2(table.contains(u"3 sockets round robin, one buffer per write"_s), qPrintable(table));
    QCOMPARE(table.count(u" us  "_s), 4); // CPU per frame and per write, two rows
}

QTEST_GUILESS_MAIN(TestBenchFloor)
#include "tst_bench_floor.moc"
