// Search against the real server: words, prefixes, phrases and non-Latin text, every
// operator, paging, permissions, edits and deletes, invalid queries and the time budget.
#include "fixtures.h"
#include "httpclient.h"

#include <QBuffer>
#include <QDateTime>
#include <QImage>
#include <QSet>

using namespace confab;
using namespace confab::testing;
using namespace Qt::StringLiterals;
using protocol::ErrorCode;

namespace {

struct User
{
    std::unique_ptr<TestClient> client;
    QString token;
};

User registered(const ServerProcess &server, const QString &name)
{
    User u;
    u.client = std::make_unique<TestClient>();
    if (!u.client->connectTo(server.url()))
        return {};
    const auto w = u.client->registerUser(name, name + u"-password"_s);
    if (!w)
        return {};
    u.token = w->token;
    return u;
}

// The texts of hits, newest first, with the hit marks taken out.
QStringList texts(const protocol::SearchReply &r)
{
    QStringList out;
    for (const protocol::SearchHit &h : r.results) {
        QString s = h.snippet;
        s.remove(protocol::kHitStart);
        s.remove(protocol::kHitEnd);
        out.append(s);
    }
    return out;
}

QList<qint64> seqs(const protocol::SearchReply &r)
{
    QList<qint64> out;
    for (const protocol::SearchHit &h : r.results)
        out.append(h.seq);
    return out;
}

} // namespace

class TestServerSearch : public ServerTest
{
    Q_OBJECT

private:
    qint64 m_msg = 0;

    // Sends text and waits for its ack; the seq.
    qint64 say(TestClient &c, const QString &room, const QString &body)
    {
        const qint64 id = c.nextId();
        c.sendMessage(textMessage(room, body, u"m%1"_s.arg(++m_msg), id));
        const auto ack = replyAs<protocol::Ack>(c, id);
        return ack ? ack->seq : 0;
    }

    qint64 sendKind(TestClient &c, const QString &room, protocol::EventKind kind, qint64 target,
                    const QString &body = {})
    {
        protocol::SendRequest s;
        s.id = c.nextId();
        s.room = room;
        s.clientMsgId = u"m%1"_s.arg(++m_msg);
        s.kind = kind;
        s.target = target;
        s.body = body;
        c.sendMessage(s);
        const auto ack = replyAs<protocol::Ack>(c, *s.id);
        return ack ? ack->seq : 0;
    }

    static std::optional<protocol::SearchReply>
    find(TestClient &c, const QString &query, std::optional<QString> room = {}, int limit = 20,
         std::optional<QString> cursor = {},
         protocol::SearchOrder order = protocol::SearchOrder::Newest)
    {
        protocol::SearchRequest r;
        r.id = c.nextId();
        r.query = query;
        r.room = room;
        r.limit = limit;
        r.cursor = cursor;
        r.order = order;
        c.sendMessage(r);
        return replyAs<protocol::SearchReply>(c, *r.id);
    }

    // The seqs of a search's results; {-1} when it got no search reply.
    static QList<qint64> hits(TestClient &c, const QString &query, std::optional<QString> room = {})
    {
        const auto r = find(c, query, room);
        return r ? seqs(*r) : QList<qint64>{-1};
    }

    static std::optional<protocol::Error> refused(TestClient &c, const QString &query,
                                                  std::optional<QString> cursor = {})
    {
        protocol::SearchRequest r;
        r.id = c.nextId();
        r.query = query;
        r.cursor = cursor;
        c.sendMessage(r);
        return errorReply(c, *r.id);
    }

private slots:
    void cleanup() { stopServer(); }

    void wordsPhrasesAndScripts()
    {
        startServer({u"--rate"_s, u"0"_s});
        User alice = registered(*m_server, u"alice"_s);
        QVERIFY(alice.client);
        TestClient &a = *alice.client;
        QVERIFY(createRoom(a, u"general"_s));
        const qint64 first = say(a, u"general"_s, u"The deployment failed on staging"_s);
        const qint64 second = say(a, u"general"_s, u"deploy done, all green"_s);
        say(a, u"general"_s, u"Café au lait for everyone"_s);
        say(a, u"general"_s, u"Привет, мир! Сервер обновлён"_s);
        say(a, u"general"_s, u"東京都に行きました"_s);
        say(a, u"general"_s, u"nothing to see here"_s);
        QVERIFY(first > 0 && second > first);

        // Words are prefixes; newest first; hits are marked in the snippet.
        auto r = find(a, u"deploy"_s);
        QVERIFY(r);
        QCOMPARE(seqs(*r), (QList<qint64>{second, first}));
        QVERIFY(
            r->results[0].snippet.contains(protocol::kHitStart + u"deploy"_s + protocol::kHitEnd));
        QCOMPARE(r->results[0].from, u"alice"_s);
        QCOMPARE(r->results[0].room, u"general"_s);
        QVERIFY(r->results[0].ts > 0);
        QVERIFY(!r->cursor);
        // Every word must be there; case does not matter.
        QCOMPARE(hits(a, u"DEPLOYMENT Staging"_s), QList<qint64>{first});
        // A phrase matches its words in order only.
        QCOMPARE(hits(a, u"\"deployment failed\""_s), QList<qint64>{first});
        QCOMPARE(hits(a, u"\"failed deployment\""_s), QList<qint64>{});
        // An excluded word, also as a prefix.
        QCOMPARE(hits(a, u"deploy -staging"_s), QList<qint64>{second});
        QCOMPARE(hits(a, u"deploy -deploym"_s), QList<qint64>{second});
        // A word no term starts with; words of two tokens (the second one the prefix).
        QCOMPARE(hits(a, u"deployx"_s), QList<qint64>{});
        // (PostgreSQL's parser keeps a hyphenated word whole, and no message has one.)
        QCOMPARE(hits(a, u"all-gre"_s),
                 m_store->isPostgres() ? QList<qint64>{} : QList<qint64>{second});
        // A word more terms start with than the server reads one by one (24): still
        // every message, as a prefix query.
        QList<qint64> many;
        for (char c = 'a'; c <= 'z'; ++c)
            many.prepend(say(a, u"general"_s, u"zeta%1 release"_s.arg(QLatin1Char(c))));
        r = find(a, u"zeta"_s, {}, 50);
        QVERIFY(r);
        QCOMPARE(seqs(*r), many);
        r = find(a, u"zetab release"_s, {}, 50);
        QVERIFY(r);
        QCOMPARE(seqs(*r), QList<qint64>{many.at(24)});
        // Diacritics: the accented word always matches; SQLite's index also folds them
        // away (PostgreSQL's `simple` configuration keeps them, as documented).
        r = find(a, u"café"_s);
        QVERIFY(r);
        QCOMPARE(texts(*r), QStringList{u"Café au lait for everyone"_s});
        r = find(a, u"cafe"_s);
        QVERIFY(r);
        QCOMPARE(r->results.size(), m_store->isPostgres() ? 0 : 1);
        // Cyrillic, any case; CJK by prefix (a run of ideographs is one word).
        r = find(a, u"привет сервер"_s);
        QVERIFY(r);
        QCOMPARE(texts(*r), QStringList{u"Привет, мир! Сервер обновлён"_s});
        r = find(a, u"東京"_s);
        QVERIFY(r);
        QCOMPARE(texts(*r), QStringList{u"東京都に行きました"_s});
        // Relevance order finds the same messages.
        r = find(a, u"deploy"_s, {}, 20, {}, protocol::SearchOrder::Relevance);
        QVERIFY(r);
        const QList<qint64> relevant = seqs(*r);
        QCOMPARE(QSet<qint64>(relevant.begin(), relevant.end()), (QSet<qint64>{first, second}));
    }

    void operators()
    {
        startServer({u"--rate"_s, u"0"_s});
        User alice = registered(*m_server, u"alice"_s);
        User bob = registered(*m_server, u"bob"_s);
        QVERIFY(alice.client && bob.client);
        TestClient &a = *alice.client;
        TestClient &b = *bob.client;
        QVERIFY(createRoom(a, u"general"_s));
        QVERIFY(createRoom(a, u"ops"_s));
        QVERIFY(joinRoom(b, u"general"_s));
        const qint64 fromAlice = say(a, u"general"_s, u"release notes are ready"_s);
        const qint64 fromBob = say(b, u"general"_s, u"release party on friday"_s);
        const qint64 inOps = say(a, u"ops"_s, u"release the hounds"_s);
        const qint64 link = say(b, u"general"_s, u"release page https://example.org/r"_s);
        const qint64 mention = say(b, u"general"_s, u"@alice can you check the release?"_s);
        // A direct-message room.
        const qint64 dmId = b.nextId();
        b.sendMessage(protocol::DmRequest{dmId, u"alice"_s});
        const auto dm = replyAs<protocol::RoomReply>(b, dmId);
        QVERIFY(dm);
        const qint64 inDm = say(b, dm->room.room, u"private release thoughts"_s);
        // A file, its name searchable and has:file / has:image.
        QImage image(40, 30, QImage::Format_RGB32);
        image.fill(Qt::darkCyan);
        QByteArray png;
        {
            QBuffer buffer(&png);
            buffer.open(QIODevice::WriteOnly);
            QVERIFY(image.save(&buffer, "PNG"));
        }
        const HttpReply up = uploadFile(m_server->port(), alice.token, u"release-chart.png"_s, png);
        QCOMPARE(up.status, 201);
        const QString fileId = up.json().value(u"id"_s).toString();
        const qint64 sendId = a.nextId();
        a.sendMessage(fileMessage(u"general"_s, fileId, u"file-1"_s, sendId));
        const auto fileAck = replyAs<protocol::Ack>(a, sendId);
        QVERIFY(fileAck);

        auto r = find(a, u"release from:bob"_s);
        QVERIFY(r);
        QCOMPARE(seqs(*r), (QList<qint64>{inDm, mention, link, fromBob}));
        QCOMPARE(hits(a, u"release from:@alice in:#general"_s),
                 (QList<qint64>{fileAck->seq, fromAlice}));
        QCOMPARE(hits(a, u"release in:ops"_s), QList<qint64>{inOps});
        r = find(a, u"release in:@bob"_s);
        QVERIFY(r);
        QCOMPARE(seqs(*r), QList<qint64>{inDm});
        QCOMPARE(r->results[0].room, dm->room.room);
        // The request's room field does what in: does.
        QCOMPARE(hits(a, u"hounds"_s, u"general"_s), QList<qint64>{});
        QCOMPARE(hits(a, u"has:link"_s), QList<qint64>{link});
        QCOMPARE(hits(a, u"is:mention"_s), QList<qint64>{mention});
        r = find(b, u"is:mention"_s); // nobody mentions bob
        QVERIFY(r);
        QVERIFY(r->results.isEmpty());
        r = find(a, u"has:file"_s);
        QVERIFY(r);
        QCOMPARE(seqs(*r), QList<qint64>{fileAck->seq});
        QVERIFY(r->results[0].file);
        QCOMPARE(r->results[0].file->name, u"release-chart.png"_s);
        QCOMPARE(r->results[0].kind, protocol::EventKind::File);
        QCOMPARE(hits(a, u"has:image chart"_s), QList<qint64>{fileAck->seq});
        // Days: everything here was sent today (in UTC, the default zone).
        const QDate today = QDateTime::currentDateTimeUtc().date();
        const QString day = today.toString(Qt::ISODate);
        r = find(a, u"release on:%1"_s.arg(day));
        QVERIFY(r);
        QCOMPARE(r->results.size(), 7);
        QCOMPARE(hits(a, u"release before:%1"_s.arg(day)), QList<qint64>{});
        QCOMPARE(hits(a, u"release after:%1"_s.arg(today.addDays(1).toString(Qt::ISODate))),
                 QList<qint64>{});
        QCOMPARE(
            hits(a, u"after:%1 from:alice in:ops"_s.arg(today.addDays(-1).toString(Qt::ISODate))),
            QList<qint64>{inOps});
    }

    void permissions()
    {
        startServer({u"--rate"_s, u"0"_s});
        User alice = registered(*m_server, u"alice"_s);
        User bob = registered(*m_server, u"bob"_s);
        User carol = registered(*m_server, u"carol"_s);
        QVERIFY(alice.client && bob.client && carol.client);
        TestClient &a = *alice.client;
        TestClient &b = *bob.client;
        const qint64 id = a.nextId();
        a.sendMessage(protocol::CreateRequest{id, u"secret"_s, true, {}});
        QVERIFY(replyAs<protocol::RoomReply>(a, id));
        QVERIFY(createRoom(a, u"lobby"_s));
        say(a, u"secret"_s, u"the zebra plan, private"_s);
        const qint64 open = say(a, u"lobby"_s, u"the zebra plan, public"_s);

        // Bob is in neither: the public channel's message only.
        auto r = find(b, u"zebra"_s);
        QVERIFY(r);
        QCOMPARE(seqs(*r), QList<qint64>{open});
        QCOMPARE(r->results[0].room, u"lobby"_s);
        auto e = [&] {
            protocol::SearchRequest s;
            s.id = b.nextId();
            s.query = u"zebra in:#secret"_s;
            b.sendMessage(s);
            return errorReply(b, *s.id);
        }();
        QVERIFY(e);
        QCOMPARE(e->code, ErrorCode::Forbidden);

        // Bob is invited, joins, sees it; leaves, and finds nothing of it any more.
        const qint64 inv = a.nextId();
        a.sendMessage(protocol::InviteRequest{inv, u"secret"_s, u"bob"_s});
        QVERIFY(replyAs<protocol::Ok>(a, inv));
        QVERIFY(joinRoom(b, u"secret"_s));
        r = find(b, u"zebra in:#secret"_s);
        QVERIFY(r);
        QCOMPARE(r->results.size(), 1);
        const qint64 leave = b.nextId();
        b.sendMessage(protocol::LeaveRequest{leave, u"secret"_s});
        QVERIFY(replyAs<protocol::Ok>(b, leave));
        say(a, u"secret"_s, u"zebra: later news after bob left"_s);
        QCOMPARE(hits(b, u"zebra"_s), QList<qint64>{open});
        // Carol's direct messages with alice are not bob's business.
        const qint64 dmId = carol.client->nextId();
        carol.client->sendMessage(protocol::DmRequest{dmId, u"alice"_s});
        const auto dm = replyAs<protocol::RoomReply>(*carol.client, dmId);
        QVERIFY(dm);
        say(*carol.client, dm->room.room, u"zebra between us"_s);
        QCOMPARE(hits(b, u"zebra between"_s), QList<qint64>{});
        r = find(a, u"zebra between"_s);
        QVERIFY(r);
        QCOMPARE(r->results.size(), 1);
    }

    void editsAndDeletes()
    {
        startServer({u"--rate"_s, u"0"_s});
        User alice = registered(*m_server, u"alice"_s);
        QVERIFY(alice.client);
        TestClient &a = *alice.client;
        QVERIFY(createRoom(a, u"general"_s));
        const qint64 typo = say(a, u"general"_s, u"the meeting is on tusday"_s);
        const qint64 other = say(a, u"general"_s, u"meeting notes later"_s);
        QVERIFY(sendKind(a, u"general"_s, protocol::EventKind::Edit, typo,
                         u"the meeting is on tuesday"_s));
        auto r = find(a, u"tusday"_s);
        QVERIFY(r);
        QVERIFY(r->results.isEmpty());
        r = find(a, u"tuesday"_s);
        QVERIFY(r);
        QCOMPARE(seqs(*r), QList<qint64>{typo}); // the message, not the edit event
        QVERIFY(r->results[0].edited);
        // A second edit replaces the first.
        QVERIFY(sendKind(a, u"general"_s, protocol::EventKind::Edit, typo,
                         u"the meeting moved to wednesday"_s));
        QCOMPARE(hits(a, u"tuesday"_s), QList<qint64>{});
        r = find(a, u"meeting"_s);
        QVERIFY(r);
        QCOMPARE(r->results.size(), 2);
        // Deleted: gone from the index, edits and all.
        QVERIFY(sendKind(a, u"general"_s, protocol::EventKind::Delete, typo));
        QCOMPARE(hits(a, u"meeting"_s), QList<qint64>{other});
        QCOMPARE(hits(a, u"wednesday"_s), QList<qint64>{});
        // Operators alone read the events, not the index: the same answer.
        QCOMPARE(hits(a, u"from:alice"_s), QList<qint64>{other});
    }

    void paging()
    {
        startServer({u"--rate"_s, u"0"_s});
        User alice = registered(*m_server, u"alice"_s);
        QVERIFY(alice.client);
        TestClient &a = *alice.client;
        QVERIFY(createRoom(a, u"general"_s));
        QList<qint64> sent;
        for (int i = 0; i < 25; ++i)
            sent.prepend(say(a, u"general"_s, u"standup note %1"_s.arg(i)));
        for (const QString &query : {u"standup"_s, u"from:alice"_s}) {
            for (const std::optional<QString> &room :
                 {std::optional<QString>(), std::optional(u"general"_s)}) {
                QList<qint64> got;
                std::optional<QString> cursor;
                int pages = 0;
                do {
                    const auto r = find(a, query, room, 10, cursor);
                    QVERIFY(r);
                    got += seqs(*r);
                    cursor = r->cursor;
                    ++pages;
                } while (cursor && pages < 10);
                QCOMPARE(pages, 3);
                QCOMPARE(got, sent);
            }
        }
        auto r = find(a, u"standup"_s, {}, 10, {}, protocol::SearchOrder::Relevance);
        QVERIFY(r && r->cursor);
        const auto next =
            find(a, u"standup"_s, {}, 10, r->cursor, protocol::SearchOrder::Relevance);
        QVERIFY(next);
        QCOMPARE(next->results.size(), 10);
        for (qint64 s : seqs(*next))
            QVERIFY(!seqs(*r).contains(s));
    }

    // SQLite ranks the newest 1,000 hits (ranking all of a frequent word's is too slow);
    // PostgreSQL all of them. Paging keeps the window of the first page.
    void relevanceRanksTheNewestHits()
    {
        startServer({u"--rate"_s, u"0"_s});
        User alice = registered(*m_server, u"alice"_s);
        QVERIFY(alice.client);
        TestClient &a = *alice.client;
        QVERIFY(createRoom(a, u"general"_s));
        const qint64 oldBest = say(a, u"general"_s, u"alpha alpha alpha alpha"_s);
        constexpr int kOthers = 1000;
        QSet<qint64> others;
        for (int done = 0; done < kOthers; done += 100) {
            for (int i = done; i < done + 100; ++i)
                a.sendMessage(textMessage(u"general"_s, u"alpha note %1 of the day"_s.arg(i),
                                          u"n%1"_s.arg(i), a.nextId()));
            for (int i = 0; i < 100; ++i) {
                const auto ack = a.waitForType<protocol::Ack>(10000);
                QVERIFY(ack);
                others.insert(ack->seq);
            }
        }
        const bool postgres = m_store->isPostgres();
        QList<qint64> got;
        std::optional<QString> cursor;
        qint64 newBest = 0;
        for (int page = 0; page < 30; ++page) {
            const auto r = find(a, u"alpha"_s, {}, 50, cursor, protocol::SearchOrder::Relevance);
            QVERIFY(r);
            if (page == 0) {
                // Ranked: the message with the word four times first, where it is ranked.
                QCOMPARE(r->results.first().seq == oldBest, postgres);
                // A new best match after the first page is not in the later pages.
                newBest = say(a, u"general"_s, u"alpha alpha alpha alpha alpha"_s);
            }
            got += seqs(*r);
            cursor = r->cursor;
            if (!cursor)
                break;
        }
        QVERIFY(!got.contains(newBest));
        QCOMPARE(QSet<qint64>(got.begin(), got.end()).size(), got.size()); // nothing twice
        QCOMPARE(got.size(), postgres ? kOthers + 1 : kOthers);
        QCOMPARE(got.contains(oldBest), postgres);
        // Newest first still finds every one.
        got.clear();
        cursor.reset();
        for (int page = 0; page < 30; ++page) {
            const auto r = find(a, u"alpha"_s, {}, 50, cursor);
            QVERIFY(r);
            got += seqs(*r);
            cursor = r->cursor;
            if (!cursor)
                break;
        }
        QCOMPARE(got.size(), kOthers + 2);
    }

    void invalidQueries_data()
    {
        QTest::addColumn<QString>("query");
        QTest::addColumn<QString>("token");
        QTest::newRow("empty") << u"   "_s << u"the query is empty"_s;
        QTest::newRow("from without a name") << u"deploy from:"_s << u"from:"_s;
        QTest::newRow("bad user") << u"from:al!ce"_s << u"from:al!ce"_s;
        QTest::newRow("bad day") << u"after:yesterday x"_s << u"after:yesterday"_s;
        QTest::newRow("no such day") << u"on:2026-02-30"_s << u"on:2026-02-30"_s;
        QTest::newRow("unknown has") << u"has:nothing"_s << u"has:nothing"_s;
        QTest::newRow("unknown is") << u"is:cool"_s << u"is:cool"_s;
        QTest::newRow("only excluded") << u"-deploy"_s << u"leave out"_s;
        QTest::newRow("two rooms") << u"in:a in:b"_s << u"in:b"_s;
        QTest::newRow("empty range")
            << u"after:2026-12-05 before:2026-12-01"_s << u"before:2026-12-01"_s;
        QTest::newRow("negated operator") << u"x -from:bob"_s << u"-from:bob"_s;
    }

    void invalidQueries()
    {
        QFETCH(QString, query);
        QFETCH(QString, token);
        if (!m_server)
            startServer();
        User alice = registered(*m_server, u"alice%1"_s.arg(++m_msg));
        QVERIFY(alice.client);
        const auto e = refused(*alice.client, query);
        QVERIFY(e);
        QCOMPARE(e->code, ErrorCode::Invalid);
        QCOMPARE(e->field, std::optional<QString>(u"query"_s));
        QVERIFY2(e->message.contains(token), qPrintable(e->message));
        // The connection goes on.
        const auto r = find(*alice.client, u"anything"_s);
        QVERIFY(r);
    }

    void badCursor()
    {
        startServer();
        User alice = registered(*m_server, u"alice"_s);
        QVERIFY(alice.client);
        auto e = refused(*alice.client, u"x"_s, u"zzz"_s);
        QVERIFY(e);
        QCOMPARE(e->code, ErrorCode::Invalid);
        QCOMPARE(e->field, std::optional<QString>(u"cursor"_s));
    }

    // A search that would run long stops at its budget with what it found, and the
    // server answers everything else meanwhile.
    void timeBudget()
    {
        startServer({u"--rate"_s, u"0"_s, u"--search-time-budget-ms"_s, u"20"_s});
        User alice = registered(*m_server, u"alice"_s);
        QVERIFY(alice.client);
        TestClient &a = *alice.client;
        QVERIFY(createRoom(a, u"general"_s));
        say(a, u"general"_s, u"seed"_s);
        // Many rows at once, straight into the store (the triggers index them); SQLite
        // reads its memory-mapped file fast, so it gets more.
        const QString fill =
            m_store->isPostgres()
                ? u"INSERT INTO events (room, seq, ts, sender, kind, body) SELECT 'general',"
                  " 100 + i, 1, 'alice', 'text', 'common words number ' || i FROM"
                  " generate_series(1, 50000) AS i"_s
                : u"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n"
                  " WHERE i < 250000) INSERT INTO events (room, seq, ts, sender, kind, body)"
                  " SELECT 'general', 100 + i, 1, 'alice', 'text', 'common words number ' || i"
                  " FROM n"_s;
        QString error;
        QVERIFY2(execOnStore(*m_store, fill, &error), qPrintable(error));
        QElapsedTimer t;
        t.start();
        // Every row has "common" and none is bob's: each of them is read for nothing.
        auto r = find(a, u"common from:bob"_s);
        QVERIFY(r);
        QVERIFY(r->timedOut);
        QVERIFY(r->results.isEmpty());
        QVERIFY2(t.elapsed() < 5000, qPrintable(QString::number(t.elapsed())));
        const qint64 ping = a.nextId();
        a.sendMessage(protocol::PingRequest{ping});
        QVERIFY(replyAs<protocol::Pong>(a, ping));
    }
};

QTEST_MAIN(TestServerSearch)
#include "tst_server_search.moc"
