// Offline search on real cache files: the query language as the server has it, each
// message found in its current version however its edits, deletes and trims arrived,
// paging, and a cache made before the index.
#include "store/storethread.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>
#include <QTimeZone>
#include <algorithm>
#include <limits>
#include <memory>

using namespace confab;
using namespace confab::client;
using namespace Qt::StringLiterals;

namespace {

const QString kGeneral = u"general"_s;
const QString kOps = u"ops"_s;
const QString kDm = u"dm:alice:bob"_s; // the asker is alice

qint64 noonOf(const QString &day)
{
    return QDateTime(QDate::fromString(day, Qt::ISODate), QTime(12, 0), QTimeZone::utc())
        .toMSecsSinceEpoch();
}

protocol::Event message(const QString &room, qint64 seq, const QString &from, const QString &body,
                        qint64 ts = 0)
{
    protocol::Event e;
    e.room = room;
    e.seq = seq;
    e.ts = ts ? ts : 1700000000000 + seq * 1000;
    e.from = from;
    e.body = body;
    return e;
}

protocol::Event change(const QString &room, qint64 seq, protocol::EventKind kind, qint64 target,
                       const QString &body = {})
{
    protocol::Event e = message(room, seq, u"bob"_s, body);
    e.kind = kind;
    e.target = target;
    return e;
}

protocol::Event file(const QString &room, qint64 seq, const QString &name, const QString &mime,
                     const QString &caption, qint64 ts)
{
    protocol::Event e = message(room, seq, u"bob"_s, caption, ts);
    e.kind = protocol::EventKind::File;
    e.file = protocol::FileInfo{u"%1"_s.arg(seq, 32, 10, QLatin1Char('0')),
                                name,
                                1234,
                                mime,
                                std::nullopt,
                                std::nullopt,
                                std::nullopt};
    return e;
}

protocol::RoomInfo roomInfo(const QString &room)
{
    protocol::RoomInfo r;
    r.room = room;
    r.name = room;
    r.kind = room.startsWith(u"dm:"_s) ? protocol::RoomKind::Dm : protocol::RoomKind::Channel;
    return r;
}

// "room/seq" of each hit, in order.
QStringList found(const CacheSearchResult &r)
{
    QStringList out;
    for (const protocol::SearchHit &h : r.hits)
        out.append(u"%1/%2"_s.arg(h.room).arg(h.seq));
    return out;
}

QList<qint64> seqs(const CacheSearchResult &r)
{
    QList<qint64> out;
    for (const protocol::SearchHit &h : r.hits)
        out.append(h.seq);
    return out;
}

// The old schema, as migrateCache made it before the index (the commit before this one).
const char *const kOldSchema[] = {
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT)",
    "CREATE TABLE rooms(room TEXT PRIMARY KEY, name TEXT, kind INTEGER, private INTEGER, "
    "topic TEXT, last_seq INTEGER, read_seq INTEGER, members INTEGER, low_seq INTEGER NOT NULL "
    "DEFAULT 0, high_seq INTEGER NOT NULL DEFAULT -1, last_ts INTEGER NOT NULL DEFAULT 0, "
    "member INTEGER NOT NULL DEFAULT 1)",
    "CREATE TABLE events(room TEXT NOT NULL, seq INTEGER NOT NULL, ts INTEGER, sender TEXT, "
    "kind TEXT, body TEXT, client_msg_id TEXT, reply_to INTEGER, target INTEGER, emoji TEXT, "
    "removed INTEGER, file TEXT, PRIMARY KEY(room, seq)) WITHOUT ROWID",
    "CREATE TABLE members(room TEXT NOT NULL, user TEXT NOT NULL, display_name TEXT, "
    "presence TEXT, PRIMARY KEY(room, user))",
    "CREATE TABLE drafts(room TEXT PRIMARY KEY, text TEXT, reply_to INTEGER)",
    "INSERT INTO meta VALUES('epoch', 'e1'), ('user', 'alice')",
    "INSERT INTO rooms(room, name, kind, private, topic, last_seq, read_seq, members, low_seq, "
    "high_seq) VALUES('general', 'general', 0, 0, '', 6, 0, 2, 1, 6)",
    "INSERT INTO events(room, seq, ts, sender, kind, body, target, file) VALUES "
    "('general', 1, 1000, 'bob', 'text', 'legacy first draft', NULL, NULL), "
    "('general', 2, 2000, 'bob', 'text', 'legacy doomed words', NULL, NULL), "
    "('general', 3, 3000, 'bob', 'edit', 'legacy second draft', 1, NULL), "
    "('general', 4, 4000, 'bob', 'delete', '', 2, NULL), "
    "('general', 5, 5000, 'bob', 'react', 'legacy', 1, NULL), "
    "('general', 6, 6000, 'bob', 'file', 'legacy caption', NULL, "
    "'{\"id\":\"00000000000000000000000000000006\",\"name\":\"plan.pdf\",\"size\":5,"
    "\"mime\":\"application/pdf\"}')",
};

} // namespace

class TestClientCacheSearch : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    int m_generation = 0;
    std::unique_ptr<StoreThread> m_store;

    std::unique_ptr<StoreThread> openStore()
    {
        auto store = std::make_unique<StoreThread>(m_dir.filePath(u"outbox.db"_s),
                                                   m_dir.filePath(u"cache.db"_s),
                                                   u"s%1"_s.arg(++m_generation));
        QString error;
        if (!store->open(&error))
            qWarning() << error;
        return store;
    }

    CacheSearchResult search(const QString &query, const std::optional<QString> &room = {},
                             protocol::SearchOrder order = protocol::SearchOrder::Newest,
                             int limit = 20, const QString &cursor = {}, int tz = 0)
    {
        return m_store->call([&](StoreWorker &w) {
            return w.searchCache(query, room, order, limit, cursor, tz, u"alice"_s);
        });
    }

    void store(const QString &room, const QList<protocol::Event> &events, bool olderSide = false,
               int keep = 1000)
    {
        QVERIFY(m_store->call([&](StoreWorker &w) {
            return w.storeRooms({roomInfo(room)}) && w.storeEvents(room, events, olderSide, keep);
        }));
    }

    qint64 count(const QString &sql)
    {
        return m_store->call([&](StoreWorker &w) {
            Q_UNUSED(w);
            QSqlQuery q(QSqlDatabase::database(u"s%1-cache"_s.arg(m_generation), false));
            return q.exec(sql) && q.next() ? q.value(0).toLongLong() : qint64(-1);
        });
    }

    // The corpus most operator tests run against: one message a day in general from
    // 2026-11-01, and one in ops and the direct messages with bob in October.
    void storeCorpus()
    {
        const QStringList bodies = {
            u"deploy failed on staging"_s,                 // 1 bob
            u"deployment finished fine"_s,                 // 2 carol
            u"lunch at the café today?"_s,                 // 3 bob
            u"see https://example.com/docs for details"_s, // 4 alice
            u"hey @alice can you check"_s,                 // 5 bob
            u"@room meeting in five"_s,                    // 6 carol
        };
        QList<protocol::Event> general;
        for (int i = 0; i < bodies.size(); ++i) {
            general.append(message(kGeneral, i + 1,
                                   i == 3  ? u"alice"_s
                                   : i % 2 ? u"carol"_s
                                           : u"bob"_s,
                                   bodies[i],
                                   noonOf(u"2026-11-%1"_s.arg(i + 1, 2, 10, QLatin1Char('0')))));
        }
        general.append(file(kGeneral, 7, u"q3-report.pdf"_s, u"application/pdf"_s, u"the report"_s,
                            noonOf(u"2026-11-07"_s)));
        general.append(
            file(kGeneral, 8, u"cat.png"_s, u"image/png"_s, QString(), noonOf(u"2026-11-08"_s)));
        general.append(message(kGeneral, 9, u"carol"_s, u"Привет, как дела? Отчёт готов"_s,
                               noonOf(u"2026-11-09"_s)));
        general.append(
            message(kGeneral, 10, u"bob"_s, u"東京の会議は明日です"_s, noonOf(u"2026-11-10"_s)));
        general.append(message(kGeneral, 11, u"bob"_s, u"会議 は 明日"_s, noonOf(u"2026-11-11"_s)));
        general.append(message(kGeneral, 12, u"bob"_s, u"staging deploy rolled back"_s,
                               noonOf(u"2026-11-12"_s)));
        store(kGeneral, general);
        store(kOps, {message(kOps, 1, u"dave"_s, u"deploy window opens at noon"_s,
                             noonOf(u"2026-10-15"_s))});
        store(kDm, {message(kDm, 1, u"bob"_s, u"deploy secrets are in the vault"_s,
                            noonOf(u"2026-10-16"_s))});
    }

private slots:
    void initTestCase() { QVERIFY(m_dir.isValid()); }
    void init() { m_store = openStore(); }
    void cleanup()
    {
        m_store.reset();
        removeFiles();
    }

    void queryLanguage_data()
    {
        QTest::addColumn<QString>("query");
        QTest::addColumn<int>("tz");
        QTest::addColumn<QStringList>("expected");
        const auto g = [](int seq) {
            return u"general/%1"_s.arg(seq);
        };
        const QString ops = u"ops/1"_s;
        const QString dm = u"dm:alice:bob/1"_s;
        QTest::addRow("word as prefix")
            << u"deploy"_s << 0 << QStringList{g(12), g(2), g(1), dm, ops};
        QTest::addRow("every word") << u"deploy failed"_s << 0 << QStringList{g(1)};
        QTest::addRow("short prefix") << u"st"_s << 0 << QStringList{g(12), g(1)};
        QTest::addRow("phrase") << u"\"staging deploy\""_s << 0 << QStringList{g(12)};
        QTest::addRow("phrase in order only") << u"\"failed deploy\""_s << 0 << QStringList{};
        QTest::addRow("open quote") << u"\"deploy fail"_s << 0 << QStringList{};
        QTest::addRow("excluded") << u"deploy -staging"_s << 0 << QStringList{g(2), dm, ops};
        QTest::addRow("excluded prefix") << u"deploy -stag -vau"_s << 0 << QStringList{g(2), ops};
        QTest::addRow("from") << u"from:carol"_s << 0 << QStringList{g(9), g(6), g(2)};
        QTest::addRow("from @, any case") << u"FROM:@Carol deploy"_s << 0 << QStringList{g(2)};
        QTest::addRow("in channel") << u"in:#ops deploy"_s << 0 << QStringList{ops};
        QTest::addRow("in bare channel") << u"in:ops"_s << 0 << QStringList{ops};
        QTest::addRow("in direct") << u"in:@Bob deploy"_s << 0 << QStringList{dm};
        QTest::addRow("after") << u"after:2026-11-10"_s << 0 << QStringList{g(12), g(11), g(10)};
        QTest::addRow("before") << u"deploy before:2026-11-02"_s << 0 << QStringList{g(1), dm, ops};
        QTest::addRow("on") << u"on:2026-11-03"_s << 0 << QStringList{g(3)};
        // UTC+13: that day runs from 11:00 UTC the day before to 11:00 UTC.
        QTest::addRow("on, east") << u"on:2026-11-03"_s << 780 << QStringList{g(2)};
        QTest::addRow("after and before")
            << u"after:2026-11-05 before:2026-11-07"_s << 0 << QStringList{g(6), g(5)};
        QTest::addRow("has file") << u"has:file"_s << 0 << QStringList{g(8), g(7)};
        QTest::addRow("has image") << u"has:image"_s << 0 << QStringList{g(8)};
        QTest::addRow("has link") << u"has:link"_s << 0 << QStringList{g(4)};
        QTest::addRow("has link, words") << u"docs has:link"_s << 0 << QStringList{g(4)};
        QTest::addRow("is mention") << u"is:mention"_s << 0 << QStringList{g(6), g(5)};
        QTest::addRow("file name") << u"q3"_s << 0 << QStringList{g(7)};
        QTest::addRow("file name word") << u"cat has:image"_s << 0 << QStringList{g(8)};
        QTest::addRow("caption") << u"report"_s << 0 << QStringList{g(7)};
        QTest::addRow("diacritics dropped") << u"cafe"_s << 0 << QStringList{g(3)};
        QTest::addRow("diacritics kept") << u"CAFÉ"_s << 0 << QStringList{g(3)};
        QTest::addRow("cyrillic any case") << u"ПРИВЕТ"_s << 0 << QStringList{g(9)};
        QTest::addRow("cyrillic prefix") << u"отч"_s << 0 << QStringList{g(9)};
        QTest::addRow("cjk run by prefix") << u"東京"_s << 0 << QStringList{g(10)};
        QTest::addRow("cjk word") << u"会議"_s << 0 << QStringList{g(11)};
        QTest::addRow("fts syntax is text") << u"deploy OR NEAR(x) AND *"_s << 0 << QStringList{};
        QTest::addRow("quotes in words") << u"de\"ploy"_s << 0 << QStringList{};
        QTest::addRow("colon word is text") << u"https://example"_s << 0 << QStringList{g(4)};
        QTest::addRow("punctuation ignored") << u"deploy ?? failed"_s << 0 << QStringList{g(1)};
    }

    void queryLanguage()
    {
        QFETCH(QString, query);
        QFETCH(int, tz);
        QFETCH(QStringList, expected);
        storeCorpus();
        const CacheSearchResult r =
            search(query, std::nullopt, protocol::SearchOrder::Newest, 20, {}, tz);
        QVERIFY2(r.failure.isEmpty(), qPrintable(r.failure));
        QVERIFY(!r.error);
        QCOMPARE(found(r), expected);
        QCOMPARE(r.cursor, std::nullopt);
    }

    void hitsCarryTheMessage()
    {
        storeCorpus();
        CacheSearchResult r = search(u"failed"_s);
        QCOMPARE(r.hits.size(), 1);
        const protocol::SearchHit &h = r.hits[0];
        QCOMPARE(h.room, kGeneral);
        QCOMPARE(h.seq, 1);
        QCOMPARE(h.from, u"bob"_s);
        QCOMPARE(h.ts, noonOf(u"2026-11-01"_s));
        QCOMPARE(h.kind, protocol::EventKind::Text);
        QVERIFY(!h.edited);
        QCOMPARE(h.snippet, u"deploy \uE000failed\uE001 on staging"_s);
        QCOMPARE(h.file, std::nullopt);

        r = search(u"has:image"_s);
        QCOMPARE(r.hits.size(), 1);
        QCOMPARE(r.hits[0].kind, protocol::EventKind::File);
        QVERIFY(r.hits[0].file);
        QCOMPARE(r.hits[0].file->name, u"cat.png"_s);
        QCOMPARE(r.hits[0].file->mime, u"image/png"_s);
        QCOMPARE(r.hits[0].snippet, u"cat.png"_s); // no caption, no marks: operators alone

        r = search(u"pdf"_s);
        QCOMPARE(seqs(r), (QList<qint64>{7}));
        QVERIFY(r.hits[0].snippet.contains(u"\uE000pdf\uE001"_s));
    }

    void roomLimitsTheSearch()
    {
        storeCorpus();
        QCOMPARE(found(search(u"deploy"_s, kOps)), (QStringList{u"ops/1"_s}));
        QCOMPARE(found(search(u"deploy"_s, kDm)), (QStringList{u"dm:alice:bob/1"_s}));
        QCOMPARE(seqs(search(u"in:#general deploy"_s, kGeneral)), (QList<qint64>{12, 2, 1}));
        const CacheSearchResult r = search(u"deploy in:#ops"_s, kGeneral);
        QVERIFY(r.error);
        QCOMPARE(r.error->token, u"in:#ops"_s);
        QVERIFY(r.hits.isEmpty());
    }

    void invalidQueriesSayWhere_data()
    {
        QTest::addColumn<QString>("query");
        QTest::addColumn<QString>("token");
        QTest::addRow("empty") << u"  "_s << QString();
        QTest::addRow("no value") << u"deploy from:"_s << u"from:"_s;
        QTest::addRow("bad has") << u"has:video"_s << u"has:video"_s;
        QTest::addRow("bad day") << u"x on:2026-13-01"_s << u"on:2026-13-01"_s;
        QTest::addRow("negated operator") << u"x -from:bob"_s << u"-from:bob"_s;
        QTest::addRow("only excluded") << u"-staging"_s << u"-staging"_s;
        QTest::addRow("two senders") << u"from:bob from:carol"_s << u"from:carol"_s;
        QTest::addRow("lone quote") << u"\""_s << u"\""_s;
    }

    void invalidQueriesSayWhere()
    {
        QFETCH(QString, query);
        QFETCH(QString, token);
        storeCorpus();
        const CacheSearchResult r = search(query);
        QVERIFY(r.error);
        QCOMPARE(r.error->token, token);
        QVERIFY(!r.error->message.isEmpty());
        QVERIFY(r.hits.isEmpty());
        QVERIFY(r.failure.isEmpty());
    }

    void editReplacesTheText()
    {
        store(kGeneral,
              {message(kGeneral, 1, u"bob"_s, u"original wording alpha"_s),
               message(kGeneral, 2, u"carol"_s, u"unrelated"_s),
               change(kGeneral, 3, protocol::EventKind::Edit, 1, u"revised wording beta"_s)});
        QCOMPARE(seqs(search(u"alpha"_s)), QList<qint64>{});
        CacheSearchResult r = search(u"beta"_s);
        QCOMPARE(seqs(r), (QList<qint64>{1}));
        QVERIFY(r.hits[0].edited);
        QCOMPARE(r.hits[0].ts, 1700000001000); // the message's, not the edit's
        QCOMPARE(r.hits[0].from, u"bob"_s);
        QCOMPARE(seqs(search(u"wording"_s)), (QList<qint64>{1}));
        // The latest edit wins, and an edit stored again changes nothing.
        store(kGeneral, {change(kGeneral, 4, protocol::EventKind::Edit, 1, u"final gamma"_s)});
        store(kGeneral,
              {change(kGeneral, 3, protocol::EventKind::Edit, 1, u"revised wording beta"_s),
               change(kGeneral, 4, protocol::EventKind::Edit, 1, u"final gamma"_s)});
        QCOMPARE(seqs(search(u"beta"_s)), QList<qint64>{});
        QCOMPARE(seqs(search(u"gamma"_s)), (QList<qint64>{1}));
        // The message stored again (INSERT OR REPLACE) still reads as edited.
        store(kGeneral, {message(kGeneral, 1, u"bob"_s, u"original wording alpha"_s)});
        QCOMPARE(seqs(search(u"alpha"_s)), QList<qint64>{});
        QCOMPARE(seqs(search(u"gamma"_s)), (QList<qint64>{1}));
        QCOMPARE(count(u"SELECT count(*) FROM search_rows"_s), 2);
        // Reactions and topics are not messages.
        protocol::Event react = change(kGeneral, 5, protocol::EventKind::React, 2, u"zeta"_s);
        react.emoji = u"👍"_s;
        protocol::Event topic = message(kGeneral, 6, u"bob"_s, u"zeta"_s);
        topic.kind = protocol::EventKind::Topic;
        store(kGeneral, {react, topic});
        QCOMPARE(seqs(search(u"zeta"_s)), QList<qint64>{});
        QCOMPARE(seqs(search(u"unrelated"_s)), (QList<qint64>{2}));
    }

    void deleteTakesTheMessageOut()
    {
        store(kGeneral, {message(kGeneral, 1, u"bob"_s, u"keep this kappa"_s),
                         message(kGeneral, 2, u"bob"_s, u"regret this kappa"_s),
                         change(kGeneral, 3, protocol::EventKind::Edit, 2, u"still regret"_s)});
        QCOMPARE(seqs(search(u"kappa"_s)), (QList<qint64>{1}));
        store(kGeneral, {change(kGeneral, 4, protocol::EventKind::Delete, 2)});
        QCOMPARE(seqs(search(u"regret"_s)), QList<qint64>{});
        QCOMPARE(seqs(search(u"from:bob"_s)), (QList<qint64>{1}));
        QCOMPARE(count(u"SELECT count(*) FROM search_rows"_s), 1);
    }

    void changesArrivingBeforeTheirMessage()
    {
        // The newest page holds an edit of 3 and a delete of 2; the older page with
        // messages 1 to 4 comes later.
        store(kGeneral, {change(kGeneral, 5, protocol::EventKind::Edit, 3, u"newtext lambda"_s),
                         change(kGeneral, 6, protocol::EventKind::Delete, 2),
                         message(kGeneral, 7, u"carol"_s, u"lambda too"_s)});
        CacheSearchResult r = search(u"newtext"_s);
        QCOMPARE(seqs(r), (QList<qint64>{3}));
        QVERIFY(r.hits[0].edited);
        QCOMPARE(r.hits[0].ts, 1700000005000); // the message is not held: the edit's
        store(kGeneral,
              {message(kGeneral, 1, u"bob"_s, u"first"_s),
               message(kGeneral, 2, u"bob"_s, u"deleted oldtext"_s),
               message(kGeneral, 3, u"bob"_s, u"oldtext lambda"_s),
               message(kGeneral, 4, u"bob"_s, u"fourth"_s)},
              true);
        QCOMPARE(count(u"SELECT count(*) FROM events"_s), 7);
        QCOMPARE(seqs(search(u"oldtext"_s)), QList<qint64>{});
        r = search(u"lambda"_s);
        QCOMPARE(seqs(r), (QList<qint64>{7, 3}));
        QCOMPARE(r.hits[1].ts, 1700000003000); // now the message's own
        QVERIFY(r.hits[1].edited);
        QCOMPARE(seqs(search(u"from:bob"_s)), (QList<qint64>{4, 3, 1}));
    }

    void trimmedEventsAreGone()
    {
        // Ten events, five kept: 1-5 go. Message 4 was edited by 8, which stays.
        QList<protocol::Event> events;
        for (int seq = 1; seq <= 10; ++seq) {
            events.append(
                seq == 8 ? change(kGeneral, 8, protocol::EventKind::Edit, 4, u"trimword newver"_s)
                         : message(kGeneral, seq, u"bob"_s, u"trimword %1"_s.arg(seq)));
        }
        store(kGeneral, events, false, 5);
        QCOMPARE(count(u"SELECT count(*) FROM events"_s), 5);
        QCOMPARE(seqs(search(u"trimword"_s)), (QList<qint64>{10, 9, 7, 6, 4}));
        CacheSearchResult r = search(u"newver"_s);
        QCOMPARE(seqs(r), (QList<qint64>{4}));
        QCOMPARE(r.hits[0].ts, 1700000004000); // what the index knew of message 4 stays
        // A later edit of the trimmed message still replaces its text.
        store(kGeneral, {change(kGeneral, 11, protocol::EventKind::Edit, 4, u"newest omega"_s)},
              false, 5);
        QCOMPARE(seqs(search(u"newver"_s)), QList<qint64>{});
        r = search(u"omega"_s);
        QCOMPARE(seqs(r), (QList<qint64>{4}));
        QCOMPARE(r.hits[0].ts, 1700000004000);
        // Trimming the edits too takes the message out.
        store(kGeneral, run(12, 20), false, 5);
        QCOMPARE(seqs(search(u"omega"_s)), QList<qint64>{});
        QCOMPARE(seqs(search(u"trimword"_s)), (QList<qint64>{20, 19, 18, 17, 16}));
        QCOMPARE(count(u"SELECT count(*) FROM search_rows"_s), 5);
    }

    void resetAndRemovedRoomsClear()
    {
        storeCorpus();
        QVERIFY(m_store->call([](StoreWorker &w) { return w.removeRoom(kOps); }));
        QCOMPARE(found(search(u"deploy"_s)), (QStringList{u"general/12"_s, u"general/2"_s,
                                                          u"general/1"_s, u"dm:alice:bob/1"_s}));
        QCOMPARE(found(search(u"in:ops"_s)), QStringList{});
        QVERIFY(m_store->call([](StoreWorker &w) { return w.resetForEpoch(u"e2"_s, u"alice"_s); }));
        QCOMPARE(found(search(u"deploy"_s)), QStringList{});
        QCOMPARE(count(u"SELECT count(*) FROM search_rows"_s), 0);
        store(kGeneral, {message(kGeneral, 1, u"bob"_s, u"deploy anew"_s)});
        QCOMPARE(found(search(u"deploy"_s)), (QStringList{u"general/1"_s}));
    }

    void pagesNeitherRepeatNorSkip_data()
    {
        QTest::addColumn<QString>("query");
        QTest::addColumn<bool>("relevance");
        QTest::addRow("newest, indexed") << u"pageword"_s << false;
        QTest::addRow("newest, operators") << u"from:bob"_s << false;
        QTest::addRow("relevance") << u"pageword"_s << true;
    }

    void pagesNeitherRepeatNorSkip()
    {
        QFETCH(QString, query);
        QFETCH(bool, relevance);
        const protocol::SearchOrder order =
            relevance ? protocol::SearchOrder::Relevance : protocol::SearchOrder::Newest;
        // Three rooms with the same seqs and ts, three messages a second: every tie there is.
        QStringList all;
        for (const QString &room : {kGeneral, kOps, kDm}) {
            QList<protocol::Event> events;
            for (int seq = 1; seq <= 23; ++seq) {
                events.append(message(room, seq, u"bob"_s,
                                      u"pageword %1"_s.arg(QString(seq % 4 + 1, u'x')),
                                      1700000000000 + (seq / 3) * 1000));
                all.append(u"%1/%2"_s.arg(room).arg(seq));
            }
            store(room, events);
        }
        QStringList seen;
        QString cursor;
        int pages = 0;
        qint64 lastTs = std::numeric_limits<qint64>::max();
        do {
            const CacheSearchResult r = search(query, std::nullopt, order, 7, cursor);
            QVERIFY2(r.failure.isEmpty(), qPrintable(r.failure));
            QCOMPARE(r.hits.size(), ++pages < 10 ? 7 : 6);
            for (const protocol::SearchHit &h : r.hits) {
                if (order == protocol::SearchOrder::Newest) {
                    QVERIFY(h.ts <= lastTs);
                    lastTs = h.ts;
                }
            }
            seen += found(r);
            cursor = r.cursor.value_or(QString());
        } while (!cursor.isEmpty());
        QCOMPARE(pages, 10);
        QCOMPARE(seen.size(), all.size());
        QStringList sorted = seen;
        sorted.removeDuplicates();
        QCOMPARE(sorted.size(), all.size());
        std::sort(sorted.begin(), sorted.end());
        std::sort(all.begin(), all.end());
        QCOMPARE(sorted, all);
        if (order == protocol::SearchOrder::Newest) {
            // ts, then seq, then room, all descending.
            QCOMPARE(seen.mid(0, 4), (QStringList{u"ops/23"_s, u"general/23"_s,
                                                  u"dm:alice:bob/23"_s, u"ops/22"_s}));
            QCOMPARE(seen.last(), u"dm:alice:bob/1"_s);
        }
    }

    void limitIsAtMostFifty()
    {
        store(kGeneral, run(1, 60));
        const CacheSearchResult r =
            search(u"pageword"_s, std::nullopt, protocol::SearchOrder::Newest, 500);
        QCOMPARE(r.hits.size(), 50);
        QVERIFY(r.cursor);
        QCOMPARE(r.hits.first().seq, 60);
        QCOMPARE(r.hits.last().seq, 11);
        const CacheSearchResult rest =
            search(u"pageword"_s, std::nullopt, protocol::SearchOrder::Newest, 500, *r.cursor);
        QCOMPARE(rest.hits.size(), 10);
        QCOMPARE(rest.hits.first().seq, 10);
        QCOMPARE(rest.cursor, std::nullopt);
        // A cursor of the other order is refused, not misread.
        const CacheSearchResult wrong =
            search(u"pageword"_s, std::nullopt, protocol::SearchOrder::Relevance, 10, *r.cursor);
        QVERIFY(!wrong.failure.isEmpty());
        QVERIFY(wrong.hits.isEmpty());
    }

    void relevanceOrder()
    {
        store(kGeneral,
              {message(kGeneral, 1, u"bob"_s, u"kiwi kiwi kiwi"_s),
               message(kGeneral, 2, u"bob"_s,
                       u"a long message that names the kiwi only once among many other words"_s),
               message(kGeneral, 3, u"bob"_s, u"kiwi and mango"_s)});
        QCOMPARE(seqs(search(u"kiwi"_s)), (QList<qint64>{3, 2, 1}));
        QCOMPARE(seqs(search(u"kiwi"_s, std::nullopt, protocol::SearchOrder::Relevance)),
                 (QList<qint64>{1, 3, 2}));
        // Operators alone have no relevance: newest first.
        QCOMPARE(seqs(search(u"from:bob"_s, std::nullopt, protocol::SearchOrder::Relevance)),
                 (QList<qint64>{3, 2, 1}));
    }

    void oldCacheGetsIndexed()
    {
        m_store.reset();
        removeFiles();
        {
            QSqlDatabase db = QSqlDatabase::addDatabase(u"QSQLITE"_s, u"old"_s);
            db.setDatabaseName(m_dir.filePath(u"cache.db"_s));
            QVERIFY(db.open());
            QSqlQuery q(db);
            for (const char *statement : kOldSchema)
                QVERIFY2(q.exec(QLatin1String(statement)), qPrintable(q.lastError().text()));
            q.finish();
            db.close();
        }
        QSqlDatabase::removeDatabase(u"old"_s);
        for (int open = 0; open < 2; ++open) { // the second open finds the index there
            m_store = openStore();
            QCOMPARE(count(u"SELECT count(*) FROM search_rows"_s), 2);
            CacheSearchResult r = search(u"legacy"_s);
            QCOMPARE(seqs(r), (QList<qint64>{6, 1}));
            QVERIFY(r.hits[1].edited);
            QCOMPARE(r.hits[1].ts, 1000);
            QVERIFY(r.hits[0].file);
            QCOMPARE(r.hits[0].file->name, u"plan.pdf"_s);
            QCOMPARE(seqs(search(u"draft"_s)), (QList<qint64>{1}));
            QCOMPARE(seqs(search(u"first"_s)), QList<qint64>{});
            QCOMPARE(seqs(search(u"doomed"_s)), QList<qint64>{});
            QCOMPARE(seqs(search(u"plan"_s)), (QList<qint64>{6}));
            const CacheSnapshot snap =
                m_store->call([](StoreWorker &w) { return w.loadCache(u"alice"_s, {}); });
            QCOMPARE(snap.epoch, u"e1"_s);
            QCOMPARE(snap.user, u"alice"_s);
            m_store.reset();
        }
        // The triggers are in place too.
        m_store = openStore();
        store(kGeneral, {change(kGeneral, 7, protocol::EventKind::Edit, 1, u"third take"_s)});
        QCOMPARE(seqs(search(u"draft"_s)), QList<qint64>{});
        QCOMPARE(seqs(search(u"take"_s)), (QList<qint64>{1}));
    }

private:
    void removeFiles()
    {
        for (const QString &file : {u"outbox.db"_s, u"cache.db"_s}) {
            for (const QString &suffix : {QString(), u"-wal"_s, u"-shm"_s})
                QFile::remove(m_dir.filePath(file + suffix));
        }
    }

    static QList<protocol::Event> run(qint64 from, qint64 to)
    {
        QList<protocol::Event> out;
        for (qint64 seq = from; seq <= to; ++seq)
            out.append(message(kGeneral, seq, u"bob"_s, u"pageword trimword %1"_s.arg(seq)));
        return out;
    }
};

QTEST_GUILESS_MAIN(TestClientCacheSearch)
#include "tst_client_cache_search.moc"
