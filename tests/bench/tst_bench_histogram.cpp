// LatencyHistogram: bucket layout, percentile accuracy, merging.
#include "histogram.h"

#include <QTest>

using confab::bench::LatencyHistogram;

class TestBenchHistogram : public QObject
{
    Q_OBJECT

private slots:
    void bucketsAreMonotonic();
    void percentiles_data();
    void percentiles();
    void mergeEqualsRecordingTogether();
    void emptyAndExtremes();
};

void TestBenchHistogram::bucketsAreMonotonic()
{
    int previous = -1;
    for (qint64 v = 0; v < 5'000'000; v += 1 + v / 50) {
        const int b = LatencyHistogram::bucketOf(v);
        QVERIFY2(b >= previous, qPrintable(QString::number(v)));
        QVERIFY(LatencyHistogram::highestInBucket(b) >= v);
        if (b > 0)
            QVERIFY(LatencyHistogram::highestInBucket(b - 1) < v);
        previous = b;
    }
}

void TestBenchHistogram::percentiles_data()
{
    QTest::addColumn<qint64>("count");
    QTest::addColumn<double>("p");
    QTest::addRow("small exact p50") << qint64(100) << 50.0;
    QTest::addRow("10k p50") << qint64(10000) << 50.0;
    QTest::addRow("10k p90") << qint64(10000) << 90.0;
    QTest::addRow("10k p99") << qint64(10000) << 99.0;
    QTest::addRow("1M p99.9") << qint64(1000000) << 99.9;
}

// Values 1..count once each: the true percentile is p% of count; the histogram may be
// above it by one bucket width (1.6 %), never below.
void TestBenchHistogram::percentiles()
{
    QFETCH(qint64, count);
    QFETCH(double, p);
    LatencyHistogram h;
    for (qint64 v = 1; v <= count; ++v)
        h.record(v);
    const double truth = p / 100.0 * double(count);
    const double got = double(h.percentile(p));
    QVERIFY2(got >= truth - 1 && got <= truth * 1.016 + 1,
             qPrintable(QStringLiteral("p%1: got %2, truth %3").arg(p).arg(got).arg(truth)));
    QCOMPARE(h.percentile(100), count);
    QCOMPARE(h.min(), 1);
    QCOMPARE(h.count(), count);
}

void TestBenchHistogram::mergeEqualsRecordingTogether()
{
    LatencyHistogram a, b, all;
    for (qint64 v = 0; v < 20000; ++v) {
        const qint64 value = (v * 7919) % 100000;
        (v % 3 ? a : b).record(value);
        all.record(value);
    }
    a.merge(b);
    QCOMPARE(a.count(), all.count());
    QCOMPARE(a.min(), all.min());
    QCOMPARE(a.max(), all.max());
    for (const double p : {1.0, 50.0, 90.0, 99.0, 99.9})
        QCOMPARE(a.percentile(p), all.percentile(p));
}

void TestBenchHistogram::emptyAndExtremes()
{
    LatencyHistogram h;
    QCOMPARE(h.percentile(50), 0);
    QCOMPARE(h.max(), 0);
    h.record(-5); // clock steps never produce negative buckets
    QCOMPARE(h.min(), 0);
    h.record(qint64(1) << 50);
    QCOMPARE(h.max(), qint64(1) << 50);
    QCOMPARE(h.percentile(100), qint64(1) << 50);
    LatencyHistogram empty;
    h.merge(empty);
    QCOMPARE(h.count(), 2);
}

QTEST_APPLESS_MAIN(TestBenchHistogram)
#include "tst_bench_histogram.moc"
