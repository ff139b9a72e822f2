// EpollEventDispatcher: what a worker thread's event loop relies on: queued calls from
// other threads (one at a time and in bursts from several threads at once), timers (repeating,
// single shot, zero, stopped from their own handler), socket notifiers through real QTcpSockets,
// and the interest changes it applies lazily (just before it waits): within one pass, a descriptor
// number closed and reused, and a notifier enabled and disabled again.
#include "eventloop/epolldispatcher.h"

#include <QElapsedTimer>
#include <QSignalSpy>
#include <QSocketNotifier>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>
#include <QThread>
#include <QTimer>
#include <atomic>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

using confab::EpollEventDispatcher;

class TestEventloopEpoll : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void cleanup();
    void queuedCallsFromAnotherThread();
    void burstsFromManyThreadsAllArrive();
    void timers();
    void socketsEchoThroughTheThread();
    void descriptorReusedWithinOnePass_data();
    void descriptorReusedWithinOnePass();
    void notifierToggledWithinOnePass();
    void quitWakesTheLoop();

private:
    // Runs f on the epoll thread and waits for it.
    template<class F> void onThread(F f)
    {
        QMetaObject::invokeMethod(m_context, f, Qt::BlockingQueuedConnection);
    }

    QThread *m_thread = nullptr;
    QObject *m_context = nullptr; // lives in m_thread
};

void TestEventloopEpoll::init()
{
    m_thread = new QThread;
    m_thread->setEventDispatcher(new EpollEventDispatcher);
    m_context = new QObject;
    m_context->moveToThread(m_thread);
    QObject::connect(m_thread, &QThread::finished, m_context, &QObject::deleteLater);
    m_thread->start();
}

void TestEventloopEpoll::cleanup()
{
    m_thread->quit();
    QVERIFY(m_thread->wait(5000));
    delete m_thread;
}

void TestEventloopEpoll::queuedCallsFromAnotherThread()
{
    std::atomic<int> calls{0};
    for (int i = 0; i < 1000; ++i)
        QMetaObject::invokeMethod(
            m_context, [&calls] { ++calls; }, Qt::QueuedConnection);
    onThread([] {});
    QCOMPARE(calls.load(), 1000);
    bool onEpoll = false;
    onThread([&onEpoll] {
        onEpoll = dynamic_cast<EpollEventDispatcher *>(QThread::currentThread()->eventDispatcher());
    });
    QVERIFY(onEpoll);
}

// Posts that find a wake-up already pending skip the eventfd write: whatever the
// interleaving, the last post of each burst must still be delivered without a later post
// to nudge the loop (a lost wake-up leaves the loop asleep and the count short).
void TestEventloopEpoll::burstsFromManyThreadsAllArrive()
{
    constexpr int kThreads = 4;
    constexpr int kRounds = 50;
    constexpr int kPerRound = 200;
    std::atomic<int> calls{0};
    for (int round = 1; round <= kRounds; ++round) {
        std::vector<std::thread> posters;
        for (int t = 0; t < kThreads; ++t) {
            posters.emplace_back([this, &calls] {
                for (int i = 0; i < kPerRound; ++i)
                    QMetaObject::invokeMethod(
                        m_context, [&calls] { ++calls; }, Qt::QueuedConnection);
            });
        }
        for (auto &p : posters)
            p.join();
        const int expected = round * kThreads * kPerRound;
        QTRY_COMPARE_WITH_TIMEOUT(calls.load(), expected, 5000);
        if (round % 10 == 0)
            QThread::msleep(20); // let the loop block in epoll_wait between some rounds
    }
}

void TestEventloopEpoll::timers()
{
    std::atomic<int> repeats{0};
    std::atomic<int> zeroShots{0};
    std::atomic<bool> singleShot{false};
    std::atomic<qint64> singleShotMs{0};
    onThread([&, this] {
        auto *repeating = new QTimer(m_context);
        QObject::connect(repeating, &QTimer::timeout, repeating, [&repeats, repeating] {
            if (++repeats == 5)
                repeating->stop(); // stopped from its own handler
        });
        repeating->start(10);
        auto *zero = new QTimer(m_context);
        QObject::connect(zero, &QTimer::timeout, zero, [&zeroShots, zero] {
            if (++zeroShots == 100)
                zero->stop();
        });
        zero->start(0);
        auto *clock = new QElapsedTimer;
        clock->start();
        QTimer::singleShot(50, m_context, [&, clock] {
            singleShotMs = clock->elapsed();
            singleShot = true;
            delete clock;
        });
    });
    QTRY_COMPARE(repeats.load(), 5);
    QTRY_COMPARE(zeroShots.load(), 100);
    QTRY_VERIFY(singleShot.load());
    QVERIFY2(singleShotMs >= 50, qPrintable(QString::number(singleShotMs)));
    QTest::qWait(50);
    QCOMPARE(repeats.load(), 5);
    QCOMPARE(zeroShots.load(), 100);
}

void TestEventloopEpoll::socketsEchoThroughTheThread()
{
    QTcpServer server; // main thread, Qt's own dispatcher
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    QObject::connect(&server, &QTcpServer::newConnection, &server, [&server] {
        QTcpSocket *peer = server.nextPendingConnection();
        QObject::connect(peer, &QTcpSocket::readyRead, peer,
                         [peer] { peer->write(peer->readAll()); });
    });
    std::atomic<qint64> echoed{0};
    std::atomic<bool> disconnected{false};
    const quint16 port = server.serverPort();
    QTcpSocket *client = nullptr;
    onThread([&, this] {
        client = new QTcpSocket(m_context);
        QObject::connect(client, &QTcpSocket::connected, client, [client] {
            client->write(QByteArray(100000, 'x')); // needs the write notifier too
        });
        QObject::connect(client, &QTcpSocket::readyRead, client,
                         [&echoed, client] { echoed += client->readAll().size(); });
        QObject::connect(client, &QTcpSocket::disconnected, client, [&] { disconnected = true; });
        client->connectToHost(QHostAddress::LocalHost, port);
    });
    QTRY_COMPARE(echoed.load(), 100000);
    const QList<QTcpSocket *> peers = server.findChildren<QTcpSocket *>();
    QCOMPARE(peers.size(), 1);
    peers.first()->disconnectFromHost();
    QTRY_VERIFY(disconnected.load());
}

void TestEventloopEpoll::descriptorReusedWithinOnePass_data()
{
    QTest::addColumn<bool>("firstWatchedByKernel");
    QTest::addRow("old registration applied") << true;
    QTest::addRow("old registration never applied") << false;
}

// A socket's notifiers go away and its descriptor is closed; a new socket gets the same
// number and a read notifier, all before the loop waits again. The new one must fire.
void TestEventloopEpoll::descriptorReusedWithinOnePass()
{
    QFETCH(bool, firstWatchedByKernel);
    int first[2];
    int second[2] = {-1, -1};
    QCOMPARE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, first), 0);
    QSocketNotifier *old = nullptr;
    onThread([&, this] { old = new QSocketNotifier(first[0], QSocketNotifier::Read, m_context); });
    if (firstWatchedByKernel)
        onThread([] {}); // a pass in between: the loop waited with the old notifier
    std::atomic<int> fired{0};
    onThread([&, this] {
        delete old;
        ::close(first[0]);
        if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, second) != 0)
            return;
        auto *fresh = new QSocketNotifier(second[0], QSocketNotifier::Read, m_context);
        QObject::connect(fresh, &QSocketNotifier::activated, fresh, [&fired, fresh] {
            char c;
            while (::read(int(fresh->socket()), &c, 1) == 1)
                ++fired;
        });
    });
    QVERIFY(second[0] >= 0);
    QCOMPARE(second[0], first[0]); // the lowest free number: the case under test
    QCOMPARE(::write(second[1], "x", 1), 1);
    QTRY_COMPARE(fired.load(), 1);
    onThread([this] { qDeleteAll(m_context->findChildren<QSocketNotifier *>()); });
    for (const int fd : {first[1], second[0], second[1]})
        ::close(fd);
}

// A write notifier on a writable socket, enabled and disabled again in one pass, never
// fires; a read notifier disabled and enabled again in one pass still fires.
void TestEventloopEpoll::notifierToggledWithinOnePass()
{
    int pair[2];
    QCOMPARE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, pair), 0);
    std::atomic<int> writable{0};
    std::atomic<int> readable{0};
    QSocketNotifier *writeNotifier = nullptr;
    QSocketNotifier *readNotifier = nullptr;
    onThread([&, this] {
        readNotifier = new QSocketNotifier(pair[0], QSocketNotifier::Read, m_context);
        QObject::connect(readNotifier, &QSocketNotifier::activated, readNotifier, [&] {
            char c;
            while (::read(pair[0], &c, 1) == 1)
                ++readable;
        });
        writeNotifier = new QSocketNotifier(pair[0], QSocketNotifier::Write, m_context);
        QObject::connect(writeNotifier, &QSocketNotifier::activated, writeNotifier,
                         [&writable] { ++writable; });
        writeNotifier->setEnabled(false);
    });
    onThread([&] {
        readNotifier->setEnabled(false);
        readNotifier->setEnabled(true);
    });
    QCOMPARE(::write(pair[1], "y", 1), 1);
    QTRY_COMPARE(readable.load(), 1);
    onThread([] {}); // two more passes: a wrongly applied write interest would have fired
    onThread([] {});
    QCOMPARE(writable.load(), 0);
    onThread([&] {
        delete writeNotifier;
        delete readNotifier;
    });
    ::close(pair[0]);
    ::close(pair[1]);
}

void TestEventloopEpoll::quitWakesTheLoop()
{
    QElapsedTimer timer;
    timer.start();
    m_thread->quit();
    QVERIFY(m_thread->wait(2000));
    QVERIFY(timer.elapsed() < 1000);
    m_thread->start(); // cleanup() quits it again
}

QTEST_GUILESS_MAIN(TestEventloopEpoll)
#include "tst_eventloop_epoll.moc"
