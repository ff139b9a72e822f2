// Search and jump in the client core against the real confab-server: a jump to an old
// message shows the history around it and pages newer and older without a gap or a
// duplicate, while live messages keep coming; back to the newest page; a jump from the
// cache with the server gone; the session's search (pages, an invalid query's error, a
// result opened).
#include "clientfixture.h"
#include "fixtures.h"

#include <QAbstractItemModelTester>
#include <QSet>
#include <QSignalSpy>

using namespace confab;
using namespace confab::testing;
using namespace Qt::StringLiterals;
using client::ClientSession;
using client::Room;
using client::SearchModel;

namespace {
constexpr auto kQtTest = QAbstractItemModelTester::FailureReportingMode::QtTest;
}

class TestClientSearch : public ServerTest
{
    Q_OBJECT

private:
    std::unique_ptr<TestAccount> m_alice;
    std::unique_ptr<TestClient> m_bob;
    QHash<QString, qint64> m_seqOf; // bob's client_msg_id -> seq

    // A server; alice online in #general (her cache keeps cacheKeep events a room); bob in
    // it over the raw protocol.
    Room *startAlice(int cacheKeep)
    {
        startServer({u"--rate"_s, u"0"_s});
        m_alice = std::make_unique<TestAccount>(m_server->url(), u"alice"_s, cacheKeep);
        ClientSession *a = online(*m_alice);
        Room *room = a ? createRoom(a, u"general"_s) : nullptr;
        m_bob = connectUser(*m_server, u"bob"_s);
        if (!room || !m_bob || !joinRoom(*m_bob, u"general"_s))
            return nullptr;
        room->open();
        return QTest::qWaitFor([room] { return room->isLoaded() && !room->syncing(); }, 10000)
                   ? room
                   : nullptr;
    }

    // bob writes "<prefix> i" for i in [0, count); their seqs go to m_seqOf.
    bool bobWrites(const QString &prefix, int count)
    {
        for (int i = 0; i < count; ++i)
            m_bob->sendMessage(textMessage(u"general"_s, u"%1 %2"_s.arg(prefix).arg(i),
                                           u"%1-%2"_s.arg(prefix).arg(i), m_bob->nextId()));
        const QString last = u"%1-%2"_s.arg(prefix).arg(count - 1);
        for (int i = 0; i < count; ++i) {
            const auto ack = m_bob->waitForType<protocol::Ack>(30000);
            if (!ack)
                return false;
            m_seqOf.insert(ack->clientMsgId, ack->seq);
        }
        return m_seqOf.contains(last);
    }

    // The app restarts (online): the room shows its newest page again, from the cache.
    Room *restartAlice()
    {
        m_alice->stopSession();
        ClientSession *a = online(*m_alice, false);
        Room *room = a ? a->room(u"general"_s) : nullptr;
        if (!room)
            return nullptr;
        room->open();
        return QTest::qWaitFor(
                   [room] {
                       return room->isLoaded() && !room->syncing() &&
                              room->timeline()->eventCount() > 0;
                   },
                   10000)
                   ? room
                   : nullptr;
    }

    // bob wrote "m 0".."m <count-1>"; alice's app was restarted since, with a cache of 100:
    // what is older is only on the server.
    Room *roomWithHistory(int count)
    {
        Room *ra = startAlice(100);
        if (!ra || !bobWrites(u"m"_s, count))
            return nullptr;
        const qint64 last = m_seqOf.value(u"m-%1"_s.arg(count - 1));
        if (!QTest::qWaitFor([&] { return ra->highSeq() == last; }, 30000))
            return nullptr;
        return restartAlice();
    }

    static bool reachNewest(Room *room)
    {
        return QTest::qWaitFor(
            [room] {
                room->loadNewer();
                return room->timeline()->atNewest();
            },
            30000);
    }

    static bool reachBeginning(Room *room)
    {
        return QTest::qWaitFor(
            [room] {
                room->loadOlder();
                return room->timeline()->atBeginning() && !room->timeline()->loadingOlder();
            },
            30000);
    }

    static int countOf(const QStringList &list, const QString &s)
    {
        return int(std::count(list.cbegin(), list.cend(), s));
    }

private slots:
    void cleanup()
    {
        m_alice.reset();
        m_bob.reset();
        m_seqOf.clear();
        stopServer();
    }

    void jumpShowsTheHistoryAroundAndPagesWithoutGaps()
    {
        Room *ra = roomWithHistory(600);
        QVERIFY(ra);
        QAbstractItemModelTester tester(ra->timeline(), kQtTest);
        const qint64 target = m_seqOf.value(u"m-100"_s);
        QVERIFY(ra->timeline()->rowOfSeq(target) < 0);

        QSignalSpy jumped(ra, &Room::jumped);
        ra->jumpTo(target);
        QTRY_COMPARE(jumped.count(), 1);
        QCOMPARE(jumped.at(0).at(0).toLongLong(), target);
        client::TimelineModel *t = ra->timeline();
        QVERIFY(!t->atNewest());
        QVERIFY(t->rowOfSeq(target) >= 0);
        QList<qint64> seqs = t->seqs();
        QVERIFY(contiguous(seqs));
        QVERIFY2(seqs.first() <= target - 20 && seqs.last() >= target + 20,
                 qPrintable(u"%1..%2"_s.arg(seqs.first()).arg(seqs.last())));
        const qint64 windowLow = seqs.first();

        // Live while the window is older: held, cached, not a row in the window.
        m_bob->sendMessage(textMessage(u"general"_s, u"live one"_s, u"live-1"_s, m_bob->nextId()));
        const auto ack = m_bob->waitForType<protocol::Ack>();
        QVERIFY(ack);
        QTRY_COMPARE(ra->highSeq(), ack->seq);
        QCOMPARE(t->rowOfSeq(ack->seq), -1);
        QVERIFY(!t->atNewest());

        // Scrolling down meets the newest end: every seq once, the live one included.
        QVERIFY(reachNewest(ra));
        seqs = t->seqs();
        QVERIFY(contiguous(seqs));
        QVERIFY(seqs.first() <= windowLow); // the model tester's fetchMore pages older too
        QCOMPARE(seqs.last(), ack->seq);
        QCOMPARE(countOf(bodies(t), u"live one"_s), 1);
        // And up to the room's first message.
        QVERIFY(reachBeginning(ra));
        seqs = t->seqs();
        QVERIFY(contiguous(seqs));
        QCOMPARE(seqs.first(), 1);
        QCOMPARE(seqs.last(), ack->seq);
        const QStringList all = bodies(t);
        QCOMPARE(QSet<QString>(all.cbegin(), all.cend()).size(), all.size());
        QCOMPARE(all.size(), 601);

        // A message the timeline holds: no new window, only the signal.
        ra->jumpTo(target);
        QTRY_COMPARE(jumped.count(), 2);
        QVERIFY(t->atNewest());
        QCOMPARE(t->seqs(), seqs);
    }

    void backToTheNewestAndSendingFromAJump()
    {
        Room *ra = roomWithHistory(300);
        QVERIFY(ra);
        QAbstractItemModelTester tester(ra->timeline(), kQtTest);
        client::TimelineModel *t = ra->timeline();
        QSignalSpy jumped(ra, &Room::jumped);
        ra->jumpTo(m_seqOf.value(u"m-10"_s));
        QTRY_COMPARE(jumped.count(), 1);
        QVERIFY(!t->atNewest());

        // A message written from the jump waits in the outbox, not in the old window.
        QVERIFY(ra->sendText(u"written while away"_s));
        QCOMPARE(t->rowCount(), t->eventCount());
        ra->jumpToNewest();
        QTRY_COMPARE(jumped.count(), 2);
        QCOMPARE(jumped.at(1).at(0).toLongLong(), 0);
        QVERIFY(t->atNewest());
        QTRY_COMPARE(countOf(bodies(t), u"written while away"_s), 1);
        QTRY_COMPARE(t->pendingCount(), 0);
        const QList<qint64> seqs = t->seqs();
        QVERIFY(contiguous(seqs));
        QCOMPARE(seqs.last(), ra->highSeq());
        QCOMPARE(countOf(bodies(t), u"m 299"_s), 1);
    }

    void jumpFromTheCacheWithTheServerGone()
    {
        Room *ra = startAlice(1000);
        QVERIFY(ra);
        QVERIFY(bobWrites(u"m"_s, 300)); // live: all of it in alice's cache
        QTRY_COMPARE_WITH_TIMEOUT(ra->highSeq(), m_seqOf.value(u"m-299"_s), 30000);
        stopServer();
        m_bob.reset();
        // The app restarts with the server gone: the room opens on its cache.
        ClientSession *a = m_alice->startSession();
        QVERIFY(a);
        QVERIFY(!isOnline(a));
        QTRY_VERIFY(a->room(u"general"_s) != nullptr);
        Room *room = a->room(u"general"_s);
        room->open();
        QTRY_VERIFY(room->timeline()->eventCount() > 0);
        const qint64 target = m_seqOf.value(u"m-5"_s);
        QCOMPARE(room->timeline()->rowOfSeq(target), -1);

        QSignalSpy jumped(room, &Room::jumped);
        room->jumpTo(target);
        QTRY_COMPARE(jumped.count(), 1);
        QCOMPARE(jumped.at(0).at(0).toLongLong(), target);
        QVERIFY(room->timeline()->rowOfSeq(target) >= 0);
        QVERIFY(!room->timeline()->atNewest());
        QVERIFY(contiguous(room->timeline()->seqs()));
        QVERIFY(reachNewest(room));
        const QList<qint64> seqs = room->timeline()->seqs();
        QVERIFY(contiguous(seqs));
        QCOMPARE(seqs.last(), m_seqOf.value(u"m-299"_s));
    }

    void searchPagesAndOpensAResult()
    {
        Room *ra = startAlice(100);
        QVERIFY(ra);
        QVERIFY(bobWrites(u"note"_s, 120));
        QTRY_COMPARE_WITH_TIMEOUT(ra->highSeq(), m_seqOf.value(u"note-119"_s), 30000);
        SearchModel *search = m_alice->session()->search();
        QAbstractItemModelTester tester(search, kQtTest);

        // A phrase: one message.
        search->search(u"\"note 42\""_s);
        QTRY_VERIFY(search->searched() && !search->busy());
        QCOMPARE(search->errorText(), QString());
        QCOMPARE(search->count(), 1);
        QVERIFY(!search->offline());
        const QModelIndex hit = search->index(0);
        QCOMPARE(search->data(hit, SearchModel::SeqRole).toLongLong(), m_seqOf.value(u"note-42"_s));
        QCOMPARE(search->data(hit, SearchModel::RoomRole).toString(), u"general"_s);
        QCOMPARE(search->data(hit, SearchModel::RoomNameRole).toString(), u"#general"_s);
        QCOMPARE(search->data(hit, SearchModel::SenderRole).toString(), u"bob"_s);
        QCOMPARE(search->data(hit, SearchModel::SnippetRole).toString(), u"note 42"_s);
        QVERIFY(search->data(hit, SearchModel::SnippetHtmlRole).toString().contains(u"<span"_s));

        // Every message, newest first, page by page: each once.
        search->search(u"note"_s, u"general"_s);
        QTRY_VERIFY(search->searched() && !search->busy());
        QVERIFY(search->canLoadMore());
        QVERIFY(QTest::qWaitFor(
            [search] {
                search->loadMore();
                return !search->busy() && !search->canLoadMore();
            },
            30000));
        QCOMPARE(search->count(), 120);
        QSet<qint64> seen;
        qint64 previous = std::numeric_limits<qint64>::max();
        for (int row = 0; row < search->count(); ++row) {
            const qint64 seq = search->data(search->index(row), SearchModel::SeqRole).toLongLong();
            QVERIFY(seq < previous);
            previous = seq;
            seen.insert(seq);
        }
        QCOMPARE(seen.size(), 120);

        // A bad query says which part is wrong and finds nothing.
        search->search(u"note after:someday"_s);
        QTRY_VERIFY(search->searched() && !search->busy());
        QVERIFY2(search->errorText().contains(u"after:someday"_s), qPrintable(search->errorText()));
        QCOMPARE(search->count(), 0);

        // A later query wins over one still running.
        search->search(u"\"note 7\""_s);
        search->search(u"\"note 8\""_s);
        QTRY_VERIFY(search->searched() && !search->busy());
        QCOMPARE(search->count(), 1);
        QCOMPARE(search->data(search->index(0), SearchModel::SeqRole).toLongLong(),
                 m_seqOf.value(u"note-8"_s));

        // Opening it: the room jumps there.
        QSignalSpy jumped(ra, &Room::jumped);
        ra->jumpTo(search->resultAt(0).value(u"seq"_s).toLongLong());
        QTRY_COMPARE(jumped.count(), 1);
        QVERIFY(ra->timeline()->rowOfSeq(m_seqOf.value(u"note-8"_s)) >= 0);
    }
};

QTEST_MAIN(TestClientSearch)
#include "tst_client_search.moc"
