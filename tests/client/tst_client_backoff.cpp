// Reconnect delays: 0.5 s doubling to 30 s, each within +-50 %, reproducible by seed; and
// the wake-from-sleep detection that makes a reconnect skip them.
#include "net/backoff.h"
#include "net/linkwatcher.h"

#include <QSignalSpy>
#include <QTest>

using confab::client::Backoff;

class TestClientBackoff : public QObject
{
    Q_OBJECT

private slots:
    void delaysStayWithinJitter_data()
    {
        QTest::addColumn<int>("attempt");
        QTest::addColumn<int>("base");
        QTest::addRow("first") << 0 << 500;
        QTest::addRow("second") << 1 << 1000;
        QTest::addRow("third") << 2 << 2000;
        QTest::addRow("sixth") << 5 << 16000;
        QTest::addRow("capped") << 6 << 30000;
        QTest::addRow("long after") << 40 << 30000;
    }

    void delaysStayWithinJitter()
    {
        QFETCH(int, attempt);
        QFETCH(int, base);
        for (quint32 seed = 1; seed <= 50; ++seed) {
            Backoff b(seed);
            QCOMPARE(b.baseDelayMs(attempt), base);
            int delay = 0;
            for (int i = 0; i <= attempt; ++i)
                delay = b.nextDelayMs();
            QVERIFY2(delay >= base / 2 && delay < base * 3 / 2, qPrintable(QString::number(delay)));
        }
    }

    void seedMakesItReproducible()
    {
        Backoff a(42), b(42), c(43);
        QList<int> da, db, dc;
        for (int i = 0; i < 8; ++i) {
            da.append(a.nextDelayMs());
            db.append(b.nextDelayMs());
            dc.append(c.nextDelayMs());
        }
        QCOMPARE(da, db);
        QVERIFY(da != dc);
    }

    void wakeIsAClockJump();

    void resetStartsOver()
    {
        Backoff b(5);
        for (int i = 0; i < 10; ++i)
            b.nextDelayMs();
        QCOMPARE(b.attempts(), 10);
        b.reset();
        QCOMPARE(b.attempts(), 0);
        QVERIFY(b.nextDelayMs() < 750);
    }
};

void TestClientBackoff::wakeIsAClockJump()
{
    confab::client::LinkWatcher watcher(nullptr, 60000, 5000);
    QSignalSpy woke(&watcher, &confab::client::LinkWatcher::wokeUp);
    QVERIFY(!watcher.checkClocks());
    QVERIFY(!watcher.checkClocks(1000)); // a small step is not a sleep
    QVERIFY(watcher.checkClocks(20000)); // the wall clock ran on while the machine slept
    QCOMPARE(woke.size(), 1);
}

QTEST_GUILESS_MAIN(TestClientBackoff)
#include "tst_client_backoff.moc"
