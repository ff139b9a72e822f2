#include "auth/credentials.h"
#include "store/database.h"
#include "store/reader.h"
#include "store/writer.h"
#include "tst_store_support.h"

#include <QRegularExpression>
#include <QTest>
#include <QThreadPool>
#include <atomic>

using namespace Qt::StringLiterals;
using namespace confab::server;
using confab::protocol::Event;
using confab::protocol::EventKind;
using confab::protocol::RoomKind;
using confab::testing::SideConnection;
using confab::testing::StoreFixture;

namespace {

Event makeEvent(const QString &room, qint64 seq, EventKind kind = EventKind::Text,
                const QString &from = u"alice"_s)
{
    Event e;
    e.room = room;
    e.seq = seq;
    e.ts = 1000 * seq;
    e.from = from;
    e.kind = kind;
    if (kind == EventKind::Text)
        e.body = u"message %1 · ünïcode"_s.arg(seq);
    return e;
}

StoredRoom room(const QString &id, RoomKind kind = RoomKind::Channel)
{
    StoredRoom r;
    r.id = id;
    r.name = id;
    r.kind = kind;
    return r;
}

StoredUser user(const QString &name)
{
    return StoredUser{name, name.toUpper(), u"$argon2id$fake-"_s + name, name == "root"_L1, 7};
}

} // namespace

class TestStoreReader : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void cleanup();

    void eventsPaging_data();
    void eventsPaging();
    void eventsRoundTripEveryField();
    void loadRooms();
    void usersAndTokens();
    void loadEventFacts();
    void readMarkersAndRoomExists();
    void readsFromPoolThreads();
    void errorsAreReportedNotThrown();

private:
    // Writes ops through the real writer and waits until all are committed.
    void write(const QList<WriteOp> &ops);

    std::unique_ptr<StoreFixture> m_store;
};

void TestStoreReader::init()
{
    QTest::failOnWarning(QRegularExpression(u"QSql"_s));
    m_store = std::make_unique<StoreFixture>();
    QVERIFY2(m_store->isValid(), qPrintable(m_store->error()));
    QString epoch, error;
    QVERIFY2(Database::initialize(m_store->config(), &epoch, &error), qPrintable(error));
}

void TestStoreReader::cleanup()
{
    m_store.reset();
}

void TestStoreReader::write(const QList<WriteOp> &ops)
{
    std::atomic<int> committed{0};
    {
        StoreWriter writer(m_store->config());
        QString error;
        QVERIFY2(writer.start(&error), qPrintable(error));
        for (const WriteOp &op : ops) {
            writer.enqueue(op, [&committed](WriteStatus s) {
                committed += s == WriteStatus::Committed ? 1 : 0;
            });
        }
        writer.stop();
    }
    QCOMPARE(committed.load(), int(ops.size()));
}

void TestStoreReader::eventsPaging_data()
{
    QTest::addColumn<qint64>("after");
    QTest::addColumn<qint64>("before");
    QTest::addColumn<int>("limit");
    QTest::addColumn<bool>("newestFirst");
    QTest::addColumn<qint64>("first");
    QTest::addColumn<qint64>("last");
    // 25 events in "general"; an empty range is first = 0.
    QTest::addRow("oldest page") << 0LL << 0LL << 10 << false << 1LL << 10LL;
    QTest::addRow("next page") << 10LL << 0LL << 10 << false << 11LL << 20LL;
    QTest::addRow("last short page") << 20LL << 0LL << 10 << false << 21LL << 25LL;
    QTest::addRow("past the end") << 25LL << 0LL << 10 << false << 0LL << 0LL;
    QTest::addRow("newest page") << 0LL << 0LL << 10 << true << 16LL << 25LL;
    QTest::addRow("page before 16") << 0LL << 16LL << 10 << true << 6LL << 15LL;
    QTest::addRow("page before 6") << 0LL << 6LL << 10 << true << 1LL << 5LL;
    QTest::addRow("before 1") << 0LL << 1LL << 10 << true << 0LL << 0LL;
    QTest::addRow("window, exclusive") << 5LL << 9LL << 50 << false << 6LL << 8LL;
    QTest::addRow("window, newest") << 5LL << 9LL << 2 << true << 7LL << 8LL;
    QTest::addRow("replay to") << 20LL << 26LL << 500 << false << 21LL << 25LL;
    QTest::addRow("limit 0") << 0LL << 0LL << 0 << false << 0LL << 0LL;
}

void TestStoreReader::eventsPaging()
{
    QList<WriteOp> ops;
    ops.append(CreateRoom{room(u"general"_s)});
    ops.append(CreateRoom{room(u"other"_s)});
    for (int i = 1; i <= 25; ++i)
        ops.append(AppendEvent{makeEvent(u"general"_s, i)});
    for (int i = 1; i <= 3; ++i)
        ops.append(AppendEvent{makeEvent(u"other"_s, i)});
    write(ops);

    QFETCH(qint64, after);
    QFETCH(qint64, before);
    QFETCH(int, limit);
    QFETCH(bool, newestFirst);
    QFETCH(qint64, first);
    QFETCH(qint64, last);
    StoreReader reader(m_store->config());
    QString error;
    const QList<Event> events =
        reader.events(u"general"_s, after, before, limit, newestFirst, &error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    if (first == 0) {
        QVERIFY(events.isEmpty());
        return;
    }
    QCOMPARE(events.size(), last - first + 1);
    for (qsizetype i = 0; i < events.size(); ++i) {
        QCOMPARE(events[i].seq, first + i); // ascending, whatever the direction of the page
        QCOMPARE(events[i].room, u"general"_s);
    }
    QVERIFY(reader.events(u"nowhere"_s, 0, 0, 10, false, &error).isEmpty());
    QVERIFY(error.isEmpty());
}

void TestStoreReader::eventsRoundTripEveryField()
{
    QList<Event> written;
    Event text = makeEvent(u"general"_s, 1);
    text.clientMsgId = u"c-1"_s;
    text.replyTo = 1;
    written.append(text);
    Event edit = makeEvent(u"general"_s, 2, EventKind::Edit);
    edit.body = u"fixed **typo**\nsecond line"_s;
    edit.target = 1;
    edit.clientMsgId = u"c-2"_s;
    written.append(edit);
    Event react = makeEvent(u"general"_s, 3, EventKind::React, u"bob"_s);
    react.target = 1;
    react.emoji = u"👍"_s;
    written.append(react);
    Event unreact = react;
    unreact.seq = 4;
    unreact.removed = true;
    written.append(unreact);
    Event del = makeEvent(u"general"_s, 5, EventKind::Delete);
    del.target = 1;
    written.append(del);
    written.append(makeEvent(u"general"_s, 6, EventKind::Join, u"carol"_s));
    Event topic = makeEvent(u"general"_s, 7, EventKind::Topic);
    topic.body = u"new topic"_s;
    written.append(topic);
    written.append(makeEvent(u"general"_s, 8, EventKind::Leave, u"carol"_s));

    QList<WriteOp> ops;
    ops.append(CreateUser{user(u"carol"_s)});
    ops.append(CreateRoom{room(u"general"_s)});
    for (const Event &e : written)
        ops.append(AppendEvent{e});
    write(ops);

    StoreReader reader(m_store->config());
    QString error;
    const QList<Event> read = reader.events(u"general"_s, 0, 0, 100, false, &error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QCOMPARE(read, written);
}

void TestStoreReader::loadRooms()
{
    StoredRoom general = room(u"general"_s);
    general.topic = u"chatter"_s;
    general.createdBy = u"alice"_s;
    general.createdAt = 42;
    general.members = {u"bob"_s, u"alice"_s};
    StoredRoom ops = room(u"ops"_s);
    ops.isPrivate = true;
    ops.members = {u"alice"_s};
    ops.invited = {u"carol"_s, u"bob"_s};
    StoredRoom dm = room(u"dm:alice:bob"_s, RoomKind::Dm);
    dm.members = {u"alice"_s, u"bob"_s};
    QList<WriteOp> writes = {CreateUser{user(u"alice"_s)},
                             CreateUser{user(u"bob"_s)},
                             CreateUser{user(u"carol"_s)},
                             CreateRoom{general},
                             CreateRoom{ops},
                             CreateRoom{dm}};
    for (int i = 1; i <= 7; ++i)
        writes.append(AppendEvent{makeEvent(u"general"_s, i)});
    writes.append(AppendEvent{makeEvent(u"dm:alice:bob"_s, 1)});
    write(writes);

    StoreReader reader(m_store->config());
    QString error;
    const QList<StoredRoom> rooms = reader.loadRooms(&error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QCOMPARE(rooms.size(), 3);
    QCOMPARE(rooms[0].id, u"dm:alice:bob"_s); // ordered by id
    QCOMPARE(rooms[0].kind, RoomKind::Dm);
    QCOMPARE(rooms[0].lastSeq, 1);
    QCOMPARE(rooms[0].members, (QStringList{u"alice"_s, u"bob"_s}));
    QCOMPARE(rooms[1].id, u"general"_s);
    QCOMPARE(rooms[1].kind, RoomKind::Channel);
    QCOMPARE(rooms[1].topic, u"chatter"_s);
    QCOMPARE(rooms[1].createdBy, u"alice"_s);
    QCOMPARE(rooms[1].createdAt, 42);
    QCOMPARE(rooms[1].lastSeq, 7);
    QCOMPARE(rooms[1].members, (QStringList{u"alice"_s, u"bob"_s}));
    QVERIFY(!rooms[1].isPrivate);
    QCOMPARE(rooms[2].id, u"ops"_s);
    QVERIFY(rooms[2].isPrivate);
    QCOMPARE(rooms[2].lastSeq, 0); // no events yet
    QCOMPARE(rooms[2].invited, (QStringList{u"bob"_s, u"carol"_s}));
}

void TestStoreReader::usersAndTokens()
{
    write({CreateUser{user(u"alice"_s)}, CreateUser{user(u"root"_s)},
           InsertToken{hashToken(u"t1"_s), u"alice"_s, 1},
           InsertToken{hashToken(u"t2"_s), u"alice"_s, 2}, RevokeToken{hashToken(u"t2"_s)}});
    StoreReader reader(m_store->config());
    QString error;
    const std::optional<StoredUser> alice = reader.findUser(u"alice"_s, &error);
    QVERIFY(alice);
    QCOMPARE(alice->displayName, u"ALICE"_s);
    QCOMPARE(alice->passwordHash, u"$argon2id$fake-alice"_s);
    QCOMPARE(alice->createdAt, 7);
    QVERIFY(!alice->isAdmin);
    QVERIFY(!reader.findUser(u"nobody"_s, &error));
    const QList<StoredUser> users = reader.listUsers(&error);
    QCOMPARE(users.size(), 2);
    QCOMPARE(users[1].name, u"root"_s);
    QVERIFY(users[1].isAdmin);

    const std::optional<StoredUser> byToken = reader.userForToken(hashToken(u"t1"_s), &error);
    QVERIFY(byToken);
    QCOMPARE(byToken->name, u"alice"_s);
    QCOMPARE(byToken->displayName, u"ALICE"_s);
    QCOMPARE(byToken->passwordHash, u"$argon2id$fake-alice"_s);
    QVERIFY(!reader.userForToken(hashToken(u"t2"_s), &error)); // revoked
    QVERIFY(!reader.userForToken(hashToken(u"never"_s), &error));
    QVERIFY2(error.isEmpty(), qPrintable(error));
}

void TestStoreReader::loadEventFacts()
{
    const qint64 since = 5000; // event ts = 1000 * seq
    Event oldJoin = makeEvent(u"a"_s, 1, EventKind::Join);
    Event text = makeEvent(u"a"_s, 2);
    Event react = makeEvent(u"a"_s, 3, EventKind::React, u"bob"_s);
    react.target = 2;
    react.emoji = u"🎉"_s;
    react.removed = true;
    Event oldTopic = makeEvent(u"a"_s, 4, EventKind::Topic);
    oldTopic.clientMsgId = u"old"_s;
    Event newTopic = makeEvent(u"a"_s, 5, EventKind::Topic);
    newTopic.clientMsgId = u"new"_s;
    Event edit = makeEvent(u"a"_s, 6, EventKind::Edit);
    edit.target = 2;
    Event del = makeEvent(u"a"_s, 7, EventKind::Delete);
    del.target = 2;
    Event leave = makeEvent(u"a"_s, 8, EventKind::Leave);
    Event otherText = makeEvent(u"b"_s, 1);
    otherText.clientMsgId = u"x"_s;
    write({CreateUser{user(u"alice"_s)}, CreateRoom{room(u"b"_s)}, CreateRoom{room(u"a"_s)},
           AppendEvent{otherText}, AppendEvent{oldJoin}, AppendEvent{text}, AppendEvent{react},
           AppendEvent{oldTopic}, AppendEvent{newTopic}, AppendEvent{edit}, AppendEvent{del},
           AppendEvent{leave}});

    StoreReader reader(m_store->config());
    QString error;
    const QList<EventFact> facts = reader.loadEventFacts(since, &error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QList<std::pair<QString, qint64>> keys;
    for (const EventFact &f : facts)
        keys.append({f.room, f.seq});
    const QList<std::pair<QString, qint64>> expected = {{u"a"_s, 2}, {u"a"_s, 3}, {u"a"_s, 5},
                                                        {u"a"_s, 6}, {u"a"_s, 7}, {u"b"_s, 1}};
    QCOMPARE(keys, expected);
    const EventFact &r = facts[1];
    QCOMPARE(r.sender, u"bob"_s);
    QCOMPARE(r.kind, EventKind::React);
    QCOMPARE(r.target, std::optional<qint64>(2));
    QCOMPARE(r.emoji, std::optional<QString>(u"🎉"_s));
    QVERIFY(r.removed);
    QCOMPARE(r.ts, 3000);
    QCOMPARE(facts[2].kind, EventKind::Topic);
    QCOMPARE(facts[2].clientMsgId, std::optional<QString>(u"new"_s));
    QCOMPARE(facts[4].kind, EventKind::Delete);
    QCOMPARE(facts[5].clientMsgId, std::optional<QString>(u"x"_s));
    QVERIFY(!facts[0].clientMsgId);
}

void TestStoreReader::readMarkersAndRoomExists()
{
    write({CreateUser{user(u"alice"_s)}, CreateRoom{room(u"a"_s)}, CreateRoom{room(u"b"_s)},
           SetReadMarker{u"alice"_s, u"a"_s, 12}, SetReadMarker{u"alice"_s, u"b"_s, 3}});
    StoreReader reader(m_store->config());
    QString error;
    const QHash<QString, qint64> markers = reader.readMarkers(u"alice"_s, &error);
    QCOMPARE(markers, (QHash<QString, qint64>{{u"a"_s, 12}, {u"b"_s, 3}}));
    QVERIFY(reader.readMarkers(u"bob"_s, &error).isEmpty());
    QVERIFY(reader.roomExists(u"a"_s, &error));
    QVERIFY(!reader.roomExists(u"c"_s, &error));
    QVERIFY2(error.isEmpty(), qPrintable(error));
}

// Pool threads each get their own connection; expiring threads and the reader's
// destruction close them without warnings (failOnWarning in init()).
void TestStoreReader::readsFromPoolThreads()
{
    QList<WriteOp> ops = {CreateRoom{room(u"general"_s)}};
    for (int i = 1; i <= 100; ++i)
        ops.append(AppendEvent{makeEvent(u"general"_s, i)});
    write(ops);

    std::atomic<int> good{0};
    {
        StoreReader reader(m_store->config());
        QThreadPool pool;
        pool.setMaxThreadCount(4);
        pool.setExpiryTimeout(1); // threads come and go while the reader lives
        for (int i = 0; i < 200; ++i) {
            pool.start([&reader, &good, i] {
                QString error;
                const QList<Event> page = reader.events(u"general"_s, i % 90, 0, 10, false, &error);
                if (error.isEmpty() && page.size() == 10 && page.first().seq == i % 90 + 1)
                    ++good;
            });
        }
        QVERIFY(pool.waitForDone(60000));
        // Some pool threads may still be alive here: the reader closes their connections.
    }
    QCOMPARE(good.load(), 200);
}

void TestStoreReader::errorsAreReportedNotThrown()
{
    StoreConfig broken = m_store->config();
    if (broken.isPostgres())
        broken.database = u"no_such_database_here"_s;
    else
        broken.path = u"/proc/confab-cannot-be-here/x.db"_s;
    StoreReader reader(broken);
    QString error;
    QVERIFY(reader.loadRooms(&error).isEmpty());
    QVERIFY(!error.isEmpty());
    error.clear();
    QVERIFY(!reader.findUser(u"alice"_s, &error));
    QVERIFY(!error.isEmpty());
    QVERIFY(reader.events(u"general"_s, 0, 0, 10, false).isEmpty()); // error pointer optional

    // Success leaves an earlier error alone, so a sequence of reads can share one string.
    StoreReader good(m_store->config());
    QString sticky = u"earlier"_s;
    good.loadRooms(&sticky);
    good.listUsers(&sticky);
    QCOMPARE(sticky, u"earlier"_s);
}

QTEST_GUILESS_MAIN(TestStoreReader)
#include "tst_store_reader.moc"
