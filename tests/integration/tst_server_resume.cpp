// Resume and durability: replay by per-room seq with no gap and no duplicate, acks that
// survive kill -9, idempotent resends across a restart, graceful SIGTERM.
#include "fixtures.h"

#include <QSet>
#include <QSqlDatabase>
#include <QSqlQuery>

using namespace confab;
using namespace confab::testing;
using namespace Qt::StringLiterals;
using protocol::ErrorCode;

namespace {
// Seqs must run from `from` upwards by exactly one.
bool contiguous(const QList<protocol::Event> &events, qint64 from)
{
    for (qsizetype i = 0; i < events.size(); ++i) {
        if (events[i].seq != from + i)
            return false;
    }
    return true;
}
} // namespace

class TestServerResume : public ServerTest
{
    Q_OBJECT

private:
    // Collects events of a room until `count` arrived; returns them in arrival order.
    static QList<protocol::Event> collect(TestClient &c, const QString &room, int count,
                                          int timeoutMs = 20000)
    {
        QList<protocol::Event> got;
        QElapsedTimer t;
        t.start();
        while (got.size() < count && t.elapsed() < timeoutMs) {
            got += c.takeEvents(room);
            if (got.size() < count)
                QTest::qWait(10);
        }
        return got;
    }

    static QList<protocol::Event> fullHistory(TestClient &c, const QString &room)
    {
        QList<protocol::Event> all;
        qint64 after = 0;
        while (true) {
            const qint64 id = c.nextId();
            c.sendMessage(protocol::HistoryRequest{id, room, {}, after, 200});
            const auto h = replyAs<protocol::HistoryReply>(c, id);
            if (!h)
                return {};
            all += h->events;
            if (!h->more || h->events.isEmpty())
                return all;
            after = h->events.last().seq;
        }
    }

private slots:
    void cleanup() { stopServer(); }

    void identicalStreamsForEveryMember()
    {
        startServer({u"--rate"_s, u"0"_s});
        std::vector<std::unique_ptr<TestClient>> clients;
        for (int i = 0; i < 4; ++i) {
            clients.push_back(connectUser(*m_server, u"user%1"_s.arg(i)));
            QVERIFY(clients.back());
        }
        QVERIFY(createRoom(*clients[0], u"general"_s));
        for (int i = 1; i < 4; ++i)
            QVERIFY(joinRoom(*clients[size_t(i)], u"general"_s));
        // seqs 1-4 are joins; everyone drops what they saw so far.
        QTest::qWait(100);
        for (auto &c : clients)
            c->takeEvents(u"general"_s);
        for (int round = 0; round < 25; ++round) {
            for (int i = 0; i < 4; ++i) {
                clients[size_t(i)]->sendMessage(
                    textMessage(u"general"_s, u"r%1 from %2"_s.arg(round).arg(i),
                                u"%1-%2"_s.arg(i).arg(round), 10000 + round));
            }
        }
        QList<QList<protocol::Event>> streams;
        for (auto &c : clients) {
            const auto got = collect(*c, u"general"_s, 100);
            QCOMPARE(got.size(), 100);
            QVERIFY(contiguous(got, 5));
            streams.append(got);
        }
        for (int i = 1; i < 4; ++i)
            QCOMPARE(streams[i], streams[0]);
    }

    void resumeReplaysWhatWasMissed()
    {
        startServer({u"--rate"_s, u"0"_s});
        auto alice = connectUser(*m_server, u"alice"_s);
        auto bob = std::make_unique<TestClient>();
        QVERIFY(bob->connectTo(m_server->url()));
        const auto welcome = bob->registerUser(u"bob"_s, u"bob-password"_s);
        QVERIFY(welcome);
        QVERIFY(createRoom(*alice, u"general"_s));
        QVERIFY(joinRoom(*bob, u"general"_s));
        QVERIFY(collect(*bob, u"general"_s, 1).size() == 1); // seq 2, bob's join
        bob->socket().abort();
        for (int i = 0; i < 20; ++i)
            alice->sendMessage(
                textMessage(u"general"_s, u"missed %1"_s.arg(i), u"m%1"_s.arg(i), 100 + i));
        QVERIFY(replyAs<protocol::Ack>(*alice, 119));

        TestClient back;
        QVERIFY(back.connectTo(m_server->url()));
        QVERIFY(back.resume(welcome->token, {{u"general"_s, 2}}));
        // Live traffic that arrives during the replay must come after it, not inside it.
        alice->sendMessage(textMessage(u"general"_s, u"live"_s, u"live"_s, 500));
        const auto synced = back.waitForType<protocol::Synced>();
        QVERIFY(synced);
        QVERIFY(synced->complete);
        const auto got = collect(back, u"general"_s, 21);
        QCOMPARE(got.size(), 21);
        QVERIFY(contiguous(got, 3));
        QCOMPARE(got.first().body, u"missed 0"_s);
        QCOMPARE(got.last().body, u"live"_s);
    }

    void replayIsCappedAt500()
    {
        startServer({u"--rate"_s, u"0"_s});
        auto alice = connectUser(*m_server, u"alice"_s);
        QVERIFY(createRoom(*alice, u"general"_s));
        for (int i = 0; i < 600; ++i)
            alice->sendMessage(
                textMessage(u"general"_s, u"n%1"_s.arg(i), u"n%1"_s.arg(i), 1000 + i));
        QVERIFY(replyAs<protocol::Ack>(*alice, 1599, 60000));
        TestClient back;
        QVERIFY(back.connectTo(m_server->url()));
        QVERIFY(back.login(u"alice"_s, u"alice-password"_s, {{u"general"_s, 0}}));
        const auto synced = back.waitForType<protocol::Synced>(20000);
        QVERIFY(synced);
        QVERIFY(!synced->complete);
        const auto got = back.takeEvents(u"general"_s);
        QCOMPARE(got.size(), 500);
        QVERIFY(contiguous(got, 1));
    }

    void ackedEventsSurviveKill9()
    {
        startServer({u"--rate"_s, u"0"_s});
        StoreLock storeLock(*m_store);
        const int senders = 3;
        const int perSender = 150;
        std::vector<std::unique_ptr<TestClient>> clients;
        for (int i = 0; i < senders; ++i) {
            clients.push_back(connectUser(*m_server, u"s%1"_s.arg(i)));
            QVERIFY(clients.back());
        }
        QVERIFY(createRoom(*clients[0], u"general"_s));
        for (int i = 1; i < senders; ++i)
            QVERIFY(joinRoom(*clients[size_t(i)], u"general"_s));
        // The first third is acked; the rest gets seqs, but the writer cannot commit it
        // (the test holds the store's lock) when the server is killed, so nobody sees it.
        const int ackedPart = perSender / 3;
        QHash<QString, qint64> acked; // client_msg_id -> seq
        for (int n = 0; n < perSender; ++n) {
            if (n == ackedPart) {
                for (auto &c : clients) {
                    for (int k = 0; k < ackedPart; ++k) {
                        const auto ack = replyAs<protocol::Ack>(*c, k, 30000);
                        QVERIFY(ack);
                        acked.insert(ack->clientMsgId, ack->seq);
                    }
                }
                QString error;
                QVERIFY2(storeLock.lock(&error), qPrintable(error));
            }
            for (int i = 0; i < senders; ++i)
                clients[size_t(i)]->sendMessage(textMessage(u"general"_s, u"%1/%2"_s.arg(i).arg(n),
                                                            u"k%1-%2"_s.arg(i).arg(n), n));
        }
        // The hub handles each client's requests in order: once a client's typing
        // notice reached another member, all its sends before it have their seqs.
        for (int i = 0; i < senders; ++i)
            clients[size_t(i)]->sendMessage(protocol::TypingRequest{u"general"_s});
        for (int i = 0; i < senders; ++i) {
            const QString from = u"s%1"_s.arg(i);
            QVERIFY(clients[size_t((i + 1) % senders)]->waitForType<protocol::TypingNotice>(
                20000, [&](const protocol::TypingNotice &t) { return t.user == from; }));
        }
        m_server->kill9();
        storeLock.release();
        // Nothing sent while the store was locked may have been acked or shown to anyone.
        for (auto &c : clients) {
            for (const auto &m : c->pending()) {
                QVERIFY(!std::holds_alternative<protocol::Ack>(m));
                const auto *e = std::get_if<protocol::Event>(&m);
                QVERIFY2(!e || !e->clientMsgId ||
                             e->clientMsgId->section(u'-', 1).toInt() < ackedPart,
                         qPrintable(e ? e->body : QString()));
            }
        }
        QCOMPARE(acked.size(), senders * ackedPart);

        QVERIFY(m_server->start());
        // Every client resends everything it holds no ack for, plus a few it does.
        QHash<QString, qint64> final;
        for (int i = 0; i < senders; ++i) {
            auto c = std::make_unique<TestClient>();
            QVERIFY(c->connectTo(m_server->url()));
            QVERIFY(c->login(u"s%1"_s.arg(i), u"s%1-password"_s.arg(i)));
            for (int n = 0; n < perSender; ++n)
                c->sendMessage(textMessage(u"general"_s, u"%1/%2"_s.arg(i).arg(n),
                                           u"k%1-%2"_s.arg(i).arg(n), n));
            for (int n = 0; n < perSender; ++n) {
                const auto ack = replyAs<protocol::Ack>(*c, n, 30000);
                QVERIFY2(ack, qPrintable(u"no ack for %1/%2"_s.arg(i).arg(n)));
                final.insert(ack->clientMsgId, ack->seq);
            }
            clients[size_t(i)] = std::move(c);
        }
        for (auto it = acked.cbegin(); it != acked.cend(); ++it)
            QCOMPARE(final.value(it.key()), it.value()); // an ack is a promise
        const QList<protocol::Event> history = fullHistory(*clients[0], u"general"_s);
        QVERIFY(contiguous(history, 1));
        QSet<QString> seen;
        for (const auto &e : history) {
            if (e.kind != protocol::EventKind::Text)
                continue;
            QVERIFY2(!seen.contains(*e.clientMsgId), qPrintable(*e.clientMsgId));
            seen.insert(*e.clientMsgId);
            QCOMPARE(final.value(*e.clientMsgId), e.seq);
        }
        QCOMPARE(seen.size(), senders * perSender);
    }

    // Many senders in many rooms at once, so the writer's batches (and their multi-row
    // inserts) mix rooms: each room's stored events still run 1..N with no gap, every ack
    // names the seq its event was stored under, and a resent client_msg_id (in flight and
    // after its ack) gets the same seq instead of a second event.
    void batchesAcrossRoomsKeepEachRoomsSeqsContiguous()
    {
        startServer({u"--rate"_s, u"0"_s});
        constexpr int kUsers = 6;
        constexpr int kRooms = 24;
        constexpr int kEach = 10; // messages per user and room
        std::vector<std::unique_ptr<TestClient>> clients;
        for (int i = 0; i < kUsers; ++i) {
            clients.push_back(connectUser(*m_server, u"u%1"_s.arg(i)));
            QVERIFY(clients.back());
        }
        const auto roomId = [](int r) {
            return u"room-%1"_s.arg(r);
        };
        for (int r = 0; r < kRooms; ++r) {
            QVERIFY(createRoom(*clients[0], roomId(r)));
            for (int i = 1; i < kUsers; ++i)
                QVERIFY(joinRoom(*clients[size_t(i)], roomId(r)));
        }
        const qint64 opsBefore = metricValue(m_server->port(), "confab_store_commit_ops_sum");
        const qint64 batchesBefore = metricValue(m_server->port(), "confab_store_commit_ops_count");
        QVERIFY(opsBefore > 0 && batchesBefore > 0);

        // Request id n * kRooms + r: message n into room r, key "u<i>-<r>-<n>".
        const auto key = [](int i, int r, int n) {
            return u"u%1-%2-%3"_s.arg(i).arg(r).arg(n);
        };
        for (int n = 0; n < kEach; ++n) {
            for (int r = 0; r < kRooms; ++r) {
                for (int i = 0; i < kUsers; ++i) {
                    clients[size_t(i)]->sendMessage(textMessage(roomId(r), u"m"_s, key(i, r, n),
                                                                1000 + qint64(n) * kRooms + r));
                }
            }
            if (n == 0) // a resend while the first is (most likely) still being committed
                clients[0]->sendMessage(textMessage(roomId(0), u"m"_s, key(0, 0, 0), 999));
        }
        QHash<QString, qint64> acked; // "<room> <client_msg_id>" -> seq
        for (int i = 0; i < kUsers; ++i) {
            for (int n = 0; n < kEach; ++n) {
                for (int r = 0; r < kRooms; ++r) {
                    const auto ack = replyAs<protocol::Ack>(*clients[size_t(i)],
                                                            1000 + qint64(n) * kRooms + r, 30000);
                    QVERIFY2(ack, qPrintable(key(i, r, n)));
                    QCOMPARE(ack->clientMsgId, key(i, r, n));
                    QCOMPARE(ack->room, roomId(r));
                    acked.insert(ack->room + u' ' + ack->clientMsgId, ack->seq);
                }
            }
        }
        const auto inFlight = replyAs<protocol::Ack>(*clients[0], 999);
        QVERIFY(inFlight);
        QCOMPARE(inFlight->seq, acked.value(roomId(0) + u' ' + key(0, 0, 0)));
        clients[0]->sendMessage(textMessage(roomId(0), u"m"_s, key(0, 0, 0), 998)); // acked
        const auto again = replyAs<protocol::Ack>(*clients[0], 998);
        QVERIFY(again);
        QCOMPARE(again->seq, inFlight->seq);

        const qint64 ops = metricValue(m_server->port(), "confab_store_commit_ops_sum") - opsBefore;
        const qint64 batches =
            metricValue(m_server->port(), "confab_store_commit_ops_count") - batchesBefore;
        QCOMPARE(ops, qint64(kUsers) * kRooms * kEach);
        QVERIFY2(batches < ops, qPrintable(u"%1 ops in %2 batches"_s.arg(ops).arg(batches)));

        // What the store holds, read from the test process.
        QString error;
        const QString name = u"check-seqs"_s;
        {
            QSqlDatabase db = openStore(m_store->url(), m_store->isPostgres(), name, &error);
            QVERIFY2(db.isOpen(), qPrintable(error));
            QSqlQuery q(db);
            QVERIFY(q.exec(u"SELECT room, COUNT(*), MIN(seq), MAX(seq) FROM events"
                           " GROUP BY room ORDER BY room"_s));
            int rooms = 0;
            while (q.next()) {
                ++rooms;
                const QString room = q.value(0).toString();
                const qint64 count = q.value(1).toLongLong();
                QCOMPARE(q.value(2).toLongLong(), 1);
                QVERIFY2(q.value(3).toLongLong() == count, qPrintable(room)); // no gap
                // The joins, then every user's messages, each once.
                QCOMPARE(count, qint64(kUsers) + kUsers * kEach);
            }
            QCOMPARE(rooms, kRooms);
            QVERIFY(q.exec(u"SELECT room, client_msg_id, seq FROM events"
                           " WHERE client_msg_id IS NOT NULL"_s));
            int stored = 0;
            while (q.next()) {
                ++stored;
                const QString k = q.value(0).toString() + u' ' + q.value(1).toString();
                QVERIFY2(acked.contains(k), qPrintable(k));
                QCOMPARE(q.value(2).toLongLong(), acked.value(k));
            }
            QCOMPARE(stored, kUsers * kRooms * kEach);
            db.close();
        }
        QSqlDatabase::removeDatabase(name);
    }

    // A seq, once seen, names one event forever: while the store cannot commit, nobody
    // receives the event; after kill -9 its seq goes to the next message, and a member
    // resuming from what it saw gets that message.
    void seqSeenNamesOneEventForever()
    {
        startServer({u"--rate"_s, u"0"_s});
        StoreLock storeLock(*m_store);
        auto alice = connectUser(*m_server, u"alice"_s);
        auto bob = std::make_unique<TestClient>();
        QVERIFY(bob->connectTo(m_server->url()));
        const auto bobWelcome = bob->registerUser(u"bob"_s, u"bob-password"_s);
        QVERIFY(bobWelcome);
        QVERIFY(createRoom(*alice, u"general"_s));
        QVERIFY(joinRoom(*bob, u"general"_s));
        alice->sendMessage(textMessage(u"general"_s, u"m1"_s, u"m1"_s, 100));
        const auto m1 = replyAs<protocol::Ack>(*alice, 100);
        QVERIFY(m1);
        QVERIFY(bob->waitForType<protocol::Event>(
            10000, [&](const protocol::Event &e) { return e.seq == m1->seq; }));
        QString error;
        QVERIFY2(storeLock.lock(&error), qPrintable(error));
        alice->sendMessage(textMessage(u"general"_s, u"m2"_s, u"m2"_s, 101));
        // The typing notice is handled after m2: it reaching bob means m2 has its seq.
        alice->sendMessage(protocol::TypingRequest{u"general"_s});
        QVERIFY(bob->waitForType<protocol::TypingNotice>());
        for (const auto &m : bob->pending()) {
            const auto *e = std::get_if<protocol::Event>(&m);
            QVERIFY2(!e || e->body != u"m2"_s, "an event the store does not hold was sent");
        }
        m_server->kill9();
        storeLock.release();

        QVERIFY(m_server->start());
        auto alice2 = connectUser(*m_server, u"alice"_s, false);
        QVERIFY(alice2);
        alice2->sendMessage(textMessage(u"general"_s, u"m4"_s, u"m4"_s, 102));
        const auto m4 = replyAs<protocol::Ack>(*alice2, 102);
        QVERIFY(m4);
        QCOMPARE(m4->seq, m1->seq + 1); // m2's seq was never seen, so it is free again

        TestClient back;
        QVERIFY(back.connectTo(m_server->url()));
        QVERIFY(back.resume(bobWelcome->token, {{u"general"_s, m1->seq}}));
        const auto synced = back.waitForType<protocol::Synced>();
        QVERIFY(synced);
        QVERIFY(synced->complete);
        const auto got = back.takeEvents(u"general"_s);
        QCOMPARE(got.size(), 1);
        QCOMPARE(got.first().seq, m4->seq);
        QCOMPARE(got.first().body, u"m4"_s);
    }

    void sigtermFlushesAndSays1001()
    {
        startServer({u"--rate"_s, u"0"_s});
        auto alice = connectUser(*m_server, u"alice"_s);
        QVERIFY(createRoom(*alice, u"general"_s));
        for (int i = 0; i < 200; ++i)
            alice->sendMessage(
                textMessage(u"general"_s, u"b%1"_s.arg(i), u"b%1"_s.arg(i), 100 + i));
        QVERIFY(replyAs<protocol::Ack>(*alice, 100));
        QCOMPARE(m_server->terminate(), 0);
        QVERIFY(alice->waitForClose());
        QCOMPARE(alice->closeCode(), 1001);
        QSet<QString> acked;
        for (const auto &m : alice->pending()) {
            if (const auto *a = std::get_if<protocol::Ack>(&m))
                acked.insert(a->clientMsgId);
        }
        QVERIFY(m_server->start());
        auto back = connectUser(*m_server, u"alice"_s, false);
        QVERIFY(back);
        const auto history = fullHistory(*back, u"general"_s);
        QSet<QString> stored;
        for (const auto &e : history) {
            if (e.clientMsgId)
                stored.insert(*e.clientMsgId);
        }
        for (const QString &id : acked)
            QVERIFY(stored.contains(id));
        QVERIFY(contiguous(history, 1));
    }
};

QTEST_GUILESS_MAIN(TestServerResume)
#include "tst_server_resume.moc"
