// The client core against the real confab-server: two clients chat and converge, the
// server is killed with -9 mid-stream, messages typed offline and across an app restart
// go out exactly once and in order, gaps are filled, history pages, a reset store (new
// epoch) drops the cache, a refused send can be retried.
#include "clientfixture.h"
#include "fixtures.h"

#include <QAbstractItemModelTester>
#include <QProcess>
#include <QSet>
#include <QSignalSpy>

using namespace confab;
using namespace confab::testing;
using namespace Qt::StringLiterals;
using client::ClientSession;
using client::Room;

namespace {
constexpr auto kQtTest = QAbstractItemModelTester::FailureReportingMode::QtTest;
}

#define RETURN_IF_FAILED()                                                                         \
    do {                                                                                           \
        if (QTest::currentTestFailed())                                                            \
            return;                                                                                \
    } while (false)

class TestClientSession : public ServerTest
{
    Q_OBJECT

private:
    // Pages older history until the timeline starts at seq 1.
    static bool loadAll(Room *room)
    {
        return QTest::qWaitFor(
            [room] {
                if (!room->timeline()->atBeginning())
                    room->loadOlder();
                return room->timeline()->atBeginning() && !room->syncing();
            },
            30000);
    }

    static void sendMany(Room *room, const QString &prefix, int count)
    {
        for (int i = 0; i < count; ++i)
            QVERIFY(room->sendText(u"%1 %2"_s.arg(prefix).arg(i)));
    }

    static bool holdsAll(const Room *room, const QStringList &expected)
    {
        const QStringList got = bodies(room->timeline());
        return QSet<QString>(got.cbegin(), got.cend())
            .contains(QSet<QString>(expected.cbegin(), expected.cend()));
    }

    static QStringList numbered(const QString &prefix, int count)
    {
        QStringList out;
        for (int i = 0; i < count; ++i)
            out.append(u"%1 %2"_s.arg(prefix).arg(i));
        return out;
    }

    // Every message once, each sender's in the order sent.
    static void verifyExactlyOnceInOrder(const Room *room, const QStringList &a,
                                         const QStringList &b)
    {
        const QStringList got = bodies(room->timeline());
        QCOMPARE(QSet<QString>(got.cbegin(), got.cend()).size(), got.size());
        for (const QStringList *expected : {&a, &b}) {
            QStringList mine;
            for (const QString &body : got) {
                if (expected->contains(body))
                    mine.append(body);
            }
            QCOMPARE(mine, *expected);
        }
        QVERIFY(contiguous(room->timeline()->seqs()));
    }

    std::unique_ptr<TestAccount> m_alice;

    // A server, and alice online in #general on it.
    Room *startAlone(const QStringList &serverArgs = {})
    {
        startServer(serverArgs);
        m_alice = std::make_unique<TestAccount>(m_server->url(), u"alice"_s);
        ClientSession *a = online(*m_alice);
        return a ? createRoom(a, u"general"_s) : nullptr;
    }

    void startChat(Chat &chat) { testing::startChat(chat, m_server->url()); }

    // Both sent `count` numbered messages; both timelines end identical, each message
    // once, each sender's in order, nothing pending.
    static void verifyConverged(const Chat &chat, const QString &fromA, const QString &fromB,
                                int count)
    {
        const QStringList all = numbered(fromA, count) + numbered(fromB, count);
        QTRY_VERIFY_WITH_TIMEOUT(holdsAll(chat.ra, all) && holdsAll(chat.rb, all), 30000);
        QTRY_COMPARE_WITH_TIMEOUT(chat.a->outboxCount() + chat.b->outboxCount(), 0, 20000);
        QVERIFY(loadAll(chat.ra));
        QVERIFY(loadAll(chat.rb));
        QCOMPARE(chat.ra->timeline()->seqs(), chat.rb->timeline()->seqs());
        QCOMPARE(bodies(chat.ra->timeline()), bodies(chat.rb->timeline()));
        verifyExactlyOnceInOrder(chat.ra, numbered(fromA, count), numbered(fromB, count));
        QCOMPARE(chat.ra->timeline()->pendingCount(), 0);
        QCOMPARE(chat.rb->timeline()->pendingCount(), 0);
    }

private slots:
    void cleanup()
    {
        m_alice.reset();
        stopServer();
    }

    void twoClientsChatAndConverge()
    {
        startServer({u"--rate"_s, u"0"_s});
        Chat chat;
        startChat(chat);
        RETURN_IF_FAILED();
        QAbstractItemModelTester ta(chat.ra->timeline(), kQtTest);
        QAbstractItemModelTester tb(chat.rb->timeline(), kQtTest);
        QAbstractItemModelTester tl(chat.a->rooms(), kQtTest);
        sendMany(chat.ra, u"from alice"_s, 20);
        sendMany(chat.rb, u"from bob"_s, 20);
        verifyConverged(chat, u"from alice"_s, u"from bob"_s, 20);
        RETURN_IF_FAILED();
        // Bob's messages are unread for alice until she reads them.
        QVERIFY(chat.ra->unreadCount() >= 20);
        chat.ra->markRead(chat.ra->highSeq());
        QCOMPARE(chat.ra->unreadCount(), 0);
    }

    void killMinus9MidStreamConverges()
    {
        startServer({u"--rate"_s, u"0"_s});
        Chat chat;
        startChat(chat);
        RETURN_IF_FAILED();
        QAbstractItemModelTester ta(chat.ra->timeline(), kQtTest);
        sendMany(chat.ra, u"a"_s, 60);
        sendMany(chat.rb, u"b"_s, 60);
        // Kill once some, but not all, are through.
        QTRY_VERIFY_WITH_TIMEOUT(bodies(chat.rb->timeline()).size() >= 10, 20000);
        m_server->kill9();
        QTRY_VERIFY(!isOnline(chat.a) && !isOnline(chat.b));
        QVERIFY(m_server->start());
        verifyConverged(chat, u"a"_s, u"b"_s, 60);
    }

    void offlineAndAcrossRestartExactlyOnceInOrder()
    {
        startServer();
        TestAccount alice(m_server->url(), u"alice"_s), bob(m_server->url(), u"bob"_s);
        ClientSession *a = online(alice);
        ClientSession *b = online(bob);
        QVERIFY(a && b);
        QVERIFY(createRoom(a, u"general"_s));
        Room *rb = joinRoom(b, u"general"_s);
        QVERIFY(rb);
        QCOMPARE(m_server->terminate(), 0);
        QTRY_VERIFY(!isOnline(a));
        // Typed while the server is down: pending rows, in order.
        Room *ra = a->room(u"general"_s);
        sendMany(ra, u"offline"_s, 5);
        QCOMPARE(ra->timeline()->pendingCount(), 5);
        QCOMPARE(a->outboxCount(), 5);
        // The app quits and starts again, still offline: the outbox is still there.
        alice.stopSession();
        a = alice.startSession();
        QVERIFY(a);
        QTRY_VERIFY(a->room(u"general"_s));
        ra = a->room(u"general"_s);
        QCOMPARE(a->outboxCount(), 5);
        QCOMPARE(ra->timeline()->pendingCount(), 5);
        sendMany(ra, u"after restart"_s, 3);
        a->connectToServer();
        QVERIFY(m_server->start());
        const QStringList expected = numbered(u"offline"_s, 5) + numbered(u"after restart"_s, 3);
        QTRY_VERIFY_WITH_TIMEOUT(holdsAll(rb, expected), 30000);
        QTRY_COMPARE_WITH_TIMEOUT(a->outboxCount(), 0, 20000);
        QTRY_COMPARE(ra->timeline()->pendingCount(), 0);
        verifyExactlyOnceInOrder(rb, expected, {});
        ra->open();
        QTRY_VERIFY(holdsAll(ra, expected));
        verifyExactlyOnceInOrder(ra, expected, {});
    }

    void clientKilledWithMinus9KeepsItsOutbox()
    {
        Room *ra = startAlone();
        QVERIFY(ra);
        TestAccount &alice = *m_alice;
        QCOMPARE(m_server->terminate(), 0);
        alice.stopSession();
        // The app as a process of its own queues messages offline and is killed -9.
        QProcess probe;
        probe.start(QStringLiteral(CONFAB_CLIENT_PROBE),
                    {u"--dir"_s, alice.dir(), u"--url"_s, m_server->url().toString(), u"--user"_s,
                     u"alice"_s, u"--room"_s, u"general"_s, u"--send"_s, u"6"_s, u"--prefix"_s,
                     u"crash"_s});
        QVERIFY(probe.waitForStarted());
        QByteArray said;
        QTRY_VERIFY_WITH_TIMEOUT((said += probe.readAllStandardOutput()).contains("queued 6") ||
                                     probe.state() == QProcess::NotRunning,
                                 15000);
        QVERIFY2(said.contains("queued 6"), said.constData());
        QCOMPARE(probe.state(), QProcess::Running);
        probe.kill(); // SIGKILL: no destructor, no drain
        QVERIFY(probe.waitForFinished());
        ClientSession *a = alice.startSession();
        QVERIFY(a);
        QCOMPARE(a->outboxCount(), 6);
        QVERIFY(m_server->start());
        a->connectToServer();
        TestAccount bob(m_server->url(), u"bob"_s);
        ClientSession *b = online(bob);
        QVERIFY(b);
        Room *rb = joinRoom(b, u"general"_s);
        QVERIFY(rb);
        QTRY_VERIFY_WITH_TIMEOUT(holdsAll(rb, numbered(u"crash"_s, 6)), 20000);
        QTRY_COMPARE(a->outboxCount(), 0);
        QVERIFY(loadAll(rb));
        verifyExactlyOnceInOrder(rb, numbered(u"crash"_s, 6), {});
    }

    void readMarkersSyncAcrossConnections()
    {
        startServer();
        Chat chat;
        startChat(chat);
        RETURN_IF_FAILED();
        // Alice's second computer: its own files, the same account.
        TestAccount laptop(m_server->url(), u"alice"_s);
        QVERIFY(laptop.startSession());
        laptop.session()->login(chat.alice->password());
        QTRY_VERIFY_WITH_TIMEOUT(isOnline(laptop.session()), 15000);
        Room *second = laptop.session()->room(u"general"_s);
        QVERIFY(second);
        sendMany(chat.rb, u"unread"_s, 3);
        QTRY_VERIFY(holdsAll(chat.ra, numbered(u"unread"_s, 3)) &&
                    holdsAll(second, numbered(u"unread"_s, 3)));
        QCOMPARE(second->unreadCount(), 3);
        chat.a->setWindowActive(true);
        chat.ra->viewed(chat.ra->highSeq());
        QCOMPARE(chat.ra->unreadCount(), 0);
        QTRY_COMPARE(second->readSeq(), chat.ra->highSeq());
        QCOMPARE(second->unreadCount(), 0);
        QCOMPARE(second->timeline()->readSeq(), chat.ra->highSeq());
    }

    void typingPresenceAndNotifications()
    {
        startServer();
        Chat chat;
        startChat(chat);
        RETURN_IF_FAILED();
        QSignalSpy notified(chat.a, &ClientSession::notificationRequested);
        chat.rb->composer()->setText(u"@alice are you th"_s);
        QTRY_COMPARE(chat.ra->typing()->rowCount(), 1);
        QCOMPARE(chat.ra->typing()->displayNames(), QStringList{u"bob"_s});
        QVERIFY(chat.rb->send());
        QTRY_COMPARE(notified.size(), 1);
        QCOMPARE(notified[0][0].toString(), u"general"_s);
        QCOMPARE(notified[0][2].toString(), u"@alice are you th"_s);
        QCOMPARE(notified[0][4].toString(), u"mention"_s);
        QCOMPARE(chat.ra->typing()->rowCount(), 0); // the message ends the typing
        QCOMPARE(chat.ra->mentionCount(), 1);
        chat.rb->sendText(u"no mention here"_s);
        QTRY_VERIFY(holdsAll(chat.ra, {u"no mention here"_s}));
        QCOMPARE(notified.size(), 1); // channels notify on mentions by default
        chat.ra->refreshMembers();
        QTRY_COMPARE(chat.ra->members()->rowCount(), 2);
        chat.b->setAway(true);
        QTRY_COMPARE(chat.ra->members()->find(u"bob"_s)->presence, protocol::Presence::Away);
        // The link goes: nobody's presence is known until a fresh list after the welcome.
        const client::MembersModel *members = chat.ra->members();
        const auto presenceOf = [members](int row) {
            return members->data(members->index(row), client::MembersModel::PresenceRole)
                .toString();
        };
        QCOMPARE(presenceOf(0), u"online"_s);
        m_server->kill9();
        QTRY_VERIFY(!members->presenceKnown());
        QCOMPARE(members->rowCount(), 2);
        QCOMPARE(presenceOf(0), u"unknown"_s);
        QCOMPARE(presenceOf(1), u"unknown"_s);
        QVERIFY(m_server->start());
        QTRY_VERIFY_WITH_TIMEOUT(chat.a->state() == client::Connection::State::Online, 20000);
        chat.ra->refreshMembers(); // what the members pane does when the link is up
        QTRY_VERIFY(members->presenceKnown());
        QTRY_COMPARE(members->find(u"alice"_s)->presence, protocol::Presence::Online);
    }

    void editsDeletesAndReactionsReachEveryone()
    {
        startServer();
        Chat chat;
        startChat(chat);
        RETURN_IF_FAILED();
        chat.ra->sendText(u"helo"_s);
        chat.rb->sendText(u"to be removed"_s);
        QTRY_VERIFY(holdsAll(chat.ra, {u"helo"_s, u"to be removed"_s}) &&
                    holdsAll(chat.rb, {u"helo"_s, u"to be removed"_s}));
        const auto seqOf = [](Room *room, const QString &body) {
            const client::TimelineModel *t = room->timeline();
            for (int row = 0; row < t->rowCount(); ++row) {
                if (t->data(t->index(row), client::TimelineModel::BodyRole).toString() == body)
                    return t->data(t->index(row), client::TimelineModel::SeqRole).toLongLong();
            }
            return qint64(0);
        };
        const qint64 mine = seqOf(chat.ra, u"helo"_s);
        const qint64 theirs = seqOf(chat.rb, u"to be removed"_s);
        QVERIFY(mine > 0 && theirs > 0);
        chat.ra->composer()->startEdit(mine, u"helo"_s);
        chat.ra->composer()->setText(u"hello"_s);
        QVERIFY(chat.ra->send());
        QVERIFY(chat.rb->react(mine, u"👍"_s));
        QVERIFY(chat.rb->remove(theirs));
        const auto roleAt = [](Room *room, qint64 seq, int role) {
            return room->timeline()->data(room->timeline()->index(room->timeline()->rowOfSeq(seq)),
                                          role);
        };
        QTRY_COMPARE(roleAt(chat.rb, mine, client::TimelineModel::BodyRole).toString(), u"hello"_s);
        QVERIFY(roleAt(chat.rb, mine, client::TimelineModel::EditedRole).toBool());
        QTRY_VERIFY(roleAt(chat.ra, theirs, client::TimelineModel::DeletedRole).toBool());
        QTRY_COMPARE(roleAt(chat.ra, mine, client::TimelineModel::ReactionsRole).toList().size(),
                     1);
        QTRY_COMPARE(chat.a->outboxCount() + chat.b->outboxCount(), 0);
        const QVariantMap thumbs =
            roleAt(chat.rb, mine, client::TimelineModel::ReactionsRole).toList().value(0).toMap();
        QCOMPARE(thumbs.value(u"you"_s).toBool(), true);
        QCOMPARE(thumbs.value(u"count"_s).toInt(), 1);
        QCOMPARE(chat.ra->timeline()->seqs(), chat.rb->timeline()->seqs());
    }

    void gapIsFilledAndHistoryPages()
    {
        Room *ra = startAlone({u"--rate"_s, u"0"_s});
        QVERIFY(ra);
        TestAccount &alice = *m_alice;
        ClientSession *a = alice.session();
        QTRY_VERIFY(ra->isLoaded()); // it holds seqs now: the reconnect resumes with since
        a->disconnectFromServer();
        QTRY_VERIFY(!isOnline(a));
        // Bob writes more than one replay holds (500) while alice is away.
        auto bob = connectUser(*m_server, u"bob"_s);
        QVERIFY(bob);
        const qint64 joinId = bob->nextId();
        bob->sendMessage(protocol::JoinRequest{joinId, u"general"_s});
        QVERIFY(replyAs<protocol::RoomReply>(*bob, joinId));
        constexpr int kMissed = 620;
        for (int i = 0; i < kMissed; ++i)
            bob->sendMessage(
                textMessage(u"general"_s, u"m %1"_s.arg(i), u"bob-%1"_s.arg(i), bob->nextId()));
        QVERIFY(bob->waitForType<protocol::Ack>(30000, [](const protocol::Ack &ack) {
            return ack.clientMsgId == u"bob-%1"_s.arg(kMissed - 1);
        }));
        a->connectToServer();
        QTRY_VERIFY_WITH_TIMEOUT(holdsAll(ra, numbered(u"m"_s, kMissed)), 30000);
        QVERIFY(contiguous(ra->timeline()->seqs()));
        QTRY_VERIFY(!ra->syncing());
        // A new member pages the whole history from the server.
        TestAccount carol(m_server->url(), u"carol"_s);
        ClientSession *c = online(carol);
        QVERIFY(c);
        Room *rc = joinRoom(c, u"general"_s);
        QVERIFY(rc);
        QTRY_VERIFY(rc->timeline()->eventCount() > 0);
        QVERIFY(rc->timeline()->eventCount() < kMissed);
        QVERIFY(loadAll(rc));
        QCOMPARE(rc->timeline()->seqs().first(), 1);
        QVERIFY(contiguous(rc->timeline()->seqs()));
        QCOMPARE(bodies(rc->timeline()), bodies(ra->timeline()));
    }

    void epochChangeDropsTheCache()
    {
        Room *ra = startAlone();
        QVERIFY(ra);
        TestAccount &alice = *m_alice;
        ClientSession *a = alice.session();
        ra->sendText(u"old store"_s);
        QTRY_COMPARE(a->outboxCount(), 0);
        const QString oldEpoch = a->epoch();
        auto cached = [a] {
            return a->store()->call(
                [](client::StoreWorker &w) { return w.eventCount(u"general"_s); });
        };
        QTRY_VERIFY(cached() > 0);
        // A new, empty store on the same address: its epoch differs, alice must log in again.
        const quint16 port = m_server->port();
        QCOMPARE(m_server->terminate(), 0);
        m_server.reset();
        m_store = std::make_unique<TestStore>();
        m_server = std::make_unique<ServerProcess>(m_store->url());
        m_server->setPort(port);
        QVERIFY(m_server->start());
        QTRY_VERIFY_WITH_TIMEOUT(a->loginRequired(), 15000);
        a->registerAccount(alice.password(), {});
        QTRY_VERIFY_WITH_TIMEOUT(isOnline(a), 15000);
        QVERIFY(a->epoch() != oldEpoch);
        QCOMPARE(cached(), 0);
        QCOMPARE(a->room(u"general"_s), nullptr);
        QCOMPARE(a->rooms()->rowCount(), 0);
    }

    void refusedSendCanBeRetried()
    {
        Room *ra = startAlone({u"--max-body-bytes"_s, u"100"_s});
        QVERIFY(ra);
        TestAccount &alice = *m_alice;
        ClientSession *a = alice.session();
        const QString big(200, u'x');
        QVERIFY(ra->sendText(big));
        ra->sendText(u"small"_s);
        QTRY_COMPARE(ra->timeline()->pendingCount(), 1);
        const QModelIndex failed = ra->timeline()->index(0);
        QCOMPARE(ra->timeline()
                     ->data(failed, client::TimelineModel::DeliveryRole)
                     .value<client::TimelineModel::Delivery>(),
                 client::TimelineModel::Delivery::Failed);
        QVERIFY(!ra->timeline()
                     ->data(failed, client::TimelineModel::ErrorTextRole)
                     .toString()
                     .isEmpty());
        const QString id =
            ra->timeline()->data(failed, client::TimelineModel::ClientMsgIdRole).toString();
        // The failure survives a restart of the app; then the server allows more.
        QCOMPARE(m_server->terminate(), 0);
        alice.stopSession();
        a = alice.startSession();
        QVERIFY(a);
        QTRY_VERIFY(a->room(u"general"_s));
        ra = a->room(u"general"_s);
        QCOMPARE(ra->timeline()->pendingCount(), 1);
        m_server = std::make_unique<ServerProcess>(m_store->url(), QStringList{});
        m_server->setPort(alice.session()->serverUrl().port());
        QVERIFY(m_server->start());
        a->connectToServer();
        QTRY_VERIFY_WITH_TIMEOUT(isOnline(a), 15000);
        QVERIFY(ra->retry(id));
        QTRY_COMPARE(a->outboxCount(), 0);
        QTRY_COMPARE(ra->timeline()->pendingCount(), 0);
        ra->open();
        QTRY_COMPARE(bodies(ra->timeline()), (QStringList{u"small"_s, big}));
    }

    void failedSendCanBeDiscarded()
    {
        Room *ra = startAlone({u"--max-body-bytes"_s, u"100"_s});
        QVERIFY(ra);
        TestAccount &alice = *m_alice;
        ClientSession *a = alice.session();
        ra->sendText(QString(300, u'y'));
        QTRY_COMPARE(ra->timeline()
                         ->data(ra->timeline()->index(0), client::TimelineModel::DeliveryRole)
                         .value<client::TimelineModel::Delivery>(),
                     client::TimelineModel::Delivery::Failed);
        const QString id =
            ra->timeline()
                ->data(ra->timeline()->index(0), client::TimelineModel::ClientMsgIdRole)
                .toString();
        QVERIFY(ra->discard(id));
        QCOMPARE(ra->timeline()->pendingCount(), 0);
        QCOMPARE(a->outboxCount(), 0);
    }

    void rateLimitedSendsWaitAndKeepOrder()
    {
        Room *ra = startAlone({u"--rate"_s, u"5"_s, u"--burst"_s, u"3"_s});
        QVERIFY(ra);
        TestAccount &alice = *m_alice;
        ClientSession *a = alice.session();
        sendMany(ra, u"r"_s, 12);
        QTRY_COMPARE_WITH_TIMEOUT(a->outboxCount(), 0, 20000);
        QTRY_VERIFY(holdsAll(ra, numbered(u"r"_s, 12)));
        verifyExactlyOnceInOrder(ra, numbered(u"r"_s, 12), {});
    }

    void deadLinkIsFoundByPings()
    {
        startServer();
        TestAccount alice(m_server->url(), u"alice"_s);
        ClientSession *a = online(alice);
        QVERIFY(a);
        // The server stops answering without closing anything.
        m_server->pause();
        QTRY_VERIFY_WITH_TIMEOUT(!isOnline(a), 10000);
        m_server->resume();
        QTRY_VERIFY_WITH_TIMEOUT(isOnline(a), 15000);
    }

    void wakeSkipsTheBackoff()
    {
        startServer();
        const QUrl url = m_server->url();
        QCOMPARE(m_server->terminate(), 0);
        client::Connection::Options options;
        options.backoffInitialMs = 20000; // a long wait the wake must cut short
        options.backoffSeed = 3;
        client::Connection link(options);
        link.setUrl(url);
        protocol::Auth auth;
        auth.method = protocol::AuthMethod::Register;
        auth.user = u"alice"_s;
        auth.password = u"alice-password"_s;
        link.setAuth(auth);
        link.open();
        QTRY_VERIFY(link.retryDelayMs() >= 10000);
        QCOMPARE(link.state(), client::Connection::State::Offline);
        QVERIFY(!link.errorText().isEmpty());
        QVERIFY(m_server->start());
        link.reconnectNow(u"woke from sleep"_s);
        QTRY_COMPARE_WITH_TIMEOUT(link.state(), client::Connection::State::Online, 5000);
        QCOMPARE(link.errorText(), QString());
    }

    void revokedTokenAsksForLogin()
    {
        startServer();
        TestAccount alice(m_server->url(), u"alice"_s);
        ClientSession *a = online(alice);
        QVERIFY(a);
        a->logout();
        QVERIFY(a->loginRequired());
        QTRY_VERIFY(!isOnline(a));
        a->connectToServer(); // no token left: stays offline, asks for a login
        QTRY_VERIFY(a->loginRequired());
        a->login(u"wrong-password"_s);
        QTRY_VERIFY(!a->errorText().isEmpty());
        QVERIFY(a->loginRequired());
        a->login(alice.password());
        QTRY_VERIFY_WITH_TIMEOUT(isOnline(a), 15000);
        QVERIFY(!a->loginRequired());
    }

    void publicChannelsAreListedUntilJoined()
    {
        Room *ra = startAlone();
        QVERIFY(ra);
        sendMany(ra, u"before bob"_s, 3);
        QTRY_COMPARE(m_alice->session()->outboxCount(), 0);
        TestAccount bob(m_server->url(), u"bob"_s);
        ClientSession *b = online(bob);
        QVERIFY(b);
        // Bob sees #general from the welcome, as a channel he is not in: nothing unread,
        // and the room list says so.
        QTRY_VERIFY(b->room(u"general"_s) != nullptr);
        Room *rb = b->room(u"general"_s);
        QVERIFY(!rb->isMember());
        QCOMPARE(rb->unreadCount(), 0);
        QCOMPARE(b->rooms()->totalUnread(), 0);
        // What the room list model says of a room, by id (rows move as activity does).
        const auto listedAsMember = [b](const QString &id) {
            for (int i = 0; i < b->rooms()->rowCount(); ++i) {
                const QModelIndex row = b->rooms()->index(i, 0);
                if (row.data(client::RoomListModel::RoomIdRole).toString() == id)
                    return row.data(client::RoomListModel::MemberRole).toBool();
            }
            return false;
        };
        auto tester = std::make_unique<QAbstractItemModelTester>(b->rooms(), kQtTest);
        QVERIFY(!listedAsMember(u"general"_s));
        // A channel created after his login reaches him through `rooms`.
        QVERIFY(createRoom(m_alice->session(), u"random"_s));
        QVERIFY(b->room(u"random"_s) == nullptr);
        b->refreshRooms();
        QTRY_VERIFY(b->room(u"random"_s) != nullptr);
        QVERIFY(!b->room(u"random"_s)->isMember());

        QCOMPARE(joinRoom(b, u"general"_s), rb);
        QVERIFY(rb->isMember());
        QTRY_VERIFY(listedAsMember(u"general"_s));
        // What was written before he joined is history, not unread: his read marker
        // starts at his join (and the server keeps it: see the restart below).
        // (The join event can come before the reply that moves the marker.)
        QTRY_VERIFY(rb->readSeq() >= 5); // alice's join, her 3 messages, his join
        const qint64 joinedAt = rb->readSeq();
        QCOMPARE(joinedAt, rb->info().lastSeq);
        QCOMPARE(rb->unreadCount(), 0);
        QCOMPARE(rb->timeline()->readSeq(), joinedAt);
        // Joining again changes nothing: what alice writes now stays unread.
        sendMany(ra, u"after bob"_s, 2);
        QTRY_COMPARE(rb->unreadCount(), 2);
        QSignalSpy answered(b, &ClientSession::roomReady);
        b->joinRoom(u"general"_s);
        QTRY_COMPARE(answered.count(), 1);
        QCOMPARE(rb->unreadCount(), 2);
        QCOMPARE(rb->readSeq(), joinedAt);
        rb->open();
        QTRY_VERIFY(holdsAll(rb, numbered(u"before bob"_s, 3)));
        // Reading a channel he is not in loads its history like any other.
        Room *random = b->room(u"random"_s);
        random->open();
        QTRY_VERIFY(random->isLoaded() && !random->syncing());

        // The cache keeps who is a member of what across a restart of the app.
        QCOMPARE(m_server->terminate(), 0);
        tester.reset();
        bob.stopSession();
        b = bob.startSession();
        QVERIFY(b);
        QTRY_VERIFY(b->room(u"general"_s) && b->room(u"random"_s));
        QVERIFY(b->room(u"general"_s)->isMember());
        QVERIFY(!b->room(u"random"_s)->isMember());
        // Back online, the resume waits for no replay of a channel he is not in (the
        // server sends none): the session does not stay "catching up".
        b->connectToServer();
        QVERIFY(m_server->start());
        QTRY_COMPARE_WITH_TIMEOUT(b->state(), client::Connection::State::Online, 15000);
        // The welcome's read_seq is the marker the join set.
        QTRY_COMPARE(b->room(u"general"_s)->info().readSeq, joinedAt);
    }

    void opensOnTheCacheOffline()
    {
        Room *ra = startAlone();
        QVERIFY(ra);
        TestAccount &alice = *m_alice;
        ClientSession *a = alice.session();
        sendMany(ra, u"cached"_s, 3);
        QTRY_COMPARE(a->outboxCount(), 0);
        ra->composer()->setText(u"half a thought"_s);
        ra->composer()->startReply(2);
        QCOMPARE(m_server->terminate(), 0);
        alice.stopSession();
        a = alice.startSession();
        QVERIFY(a);
        QTRY_COMPARE(a->rooms()->rowCount(), 1);
        ra = a->room(u"general"_s);
        QCOMPARE(ra->composer()->text(), u"half a thought"_s);
        QCOMPARE(ra->composer()->replyTo(), 2);
        ra->open();
        QTRY_COMPARE(bodies(ra->timeline()), numbered(u"cached"_s, 3));
        QCOMPARE(a->state(), client::Connection::State::Offline);
    }
};

QTEST_GUILESS_MAIN(TestClientSession)
#include "tst_client_session.moc"
