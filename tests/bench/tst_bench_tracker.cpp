// StreamTracker: what a receiver concludes from the order in which numbers arrive.
#include "tracker.h"

#include <QTest>

using confab::bench::StreamTracker;

class TestBenchTracker : public QObject
{
    Q_OBJECT

private slots:
    void arrivals_data();
    void arrivals();
    void earlyArrivalsWaitForTheBaseline();
    void finishCountsTheMissingTail();
};

void TestBenchTracker::arrivals_data()
{
    QTest::addColumn<QList<qint64>>("arrivals");
    QTest::addColumn<qint64>("lost");
    QTest::addColumn<qint64>("duplicates");
    QTest::addColumn<qint64>("reordered");
    QTest::addRow("in order") << QList<qint64>{1, 2, 3, 4} << 0LL << 0LL << 0LL;
    QTest::addRow("one lost") << QList<qint64>{1, 2, 4, 5} << 1LL << 0LL << 0LL;
    QTest::addRow("three lost") << QList<qint64>{1, 5} << 3LL << 0LL << 0LL;
    QTest::addRow("duplicate") << QList<qint64>{1, 2, 2, 3} << 0LL << 1LL << 0LL;
    QTest::addRow("old duplicate") << QList<qint64>{1, 2, 3, 1} << 0LL << 1LL << 0LL;
    QTest::addRow("swap") << QList<qint64>{1, 3, 2, 4} << 0LL << 0LL << 1LL;
    QTest::addRow("late by three") << QList<qint64>{1, 3, 4, 5, 2} << 0LL << 0LL << 1LL;
    QTest::addRow("reordered then duplicated") << QList<qint64>{1, 3, 2, 2} << 0LL << 1LL << 1LL;
    QTest::addRow("middle of a gap") << QList<qint64>{1, 6, 3} << 3LL << 0LL << 1LL;
    QTest::addRow("gap filled from both ends")
        << QList<qint64>{1, 6, 2, 5, 4, 3} << 0LL << 0LL << 4LL;
    QTest::addRow("everything at once") << QList<qint64>{1, 3, 2, 2, 5, 7, 8} << 2LL << 1LL << 1LL;
}

void TestBenchTracker::arrivals()
{
    QFETCH(QList<qint64>, arrivals);
    QFETCH(qint64, lost);
    QFETCH(qint64, duplicates);
    QFETCH(qint64, reordered);
    StreamTracker t;
    t.setBaseline(0);
    for (const qint64 n : arrivals)
        t.observe(n);
    t.finish(0);
    QCOMPARE(t.lost(), lost);
    QCOMPARE(t.duplicates(), duplicates);
    QCOMPARE(t.reordered(), reordered);
}

// The join event reaches the joiner before the join reply that carries the baseline.
void TestBenchTracker::earlyArrivalsWaitForTheBaseline()
{
    StreamTracker t;
    QCOMPARE(t.observe(7), StreamTracker::Verdict::Buffered);
    t.setBaseline(7);
    QCOMPARE(t.observe(8), StreamTracker::Verdict::InOrder);
    QCOMPARE(t.lost() + t.duplicates() + t.reordered(), 0);

    StreamTracker u;
    u.observe(9); // after the baseline: one (8) is missing so far
    u.setBaseline(7);
    QCOMPARE(u.lost(), 1);
    QCOMPARE(u.observe(8), StreamTracker::Verdict::Reordered);
    QCOMPARE(u.lost(), 0);
}

void TestBenchTracker::finishCountsTheMissingTail()
{
    StreamTracker t;
    t.setBaseline(10);
    t.observe(11);
    t.observe(12);
    t.finish(15);
    QCOMPARE(t.lost(), 3);
    QCOMPARE(t.last(), 15);
}

QTEST_APPLESS_MAIN(TestBenchTracker)
#include "tst_bench_tracker.moc"
