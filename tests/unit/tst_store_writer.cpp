#include "store/database.h"
#include "store/writer.h"
#include "tst_store_support.h"

#include <QCoreApplication>
#include <QHash>
#include <QProcess>
#include <QRegularExpression>
#include <QTest>
#include <QThread>
#include <QTimer>
#include <cstdio>
#include <functional>
#include <numeric>

using namespace Qt::StringLiterals;
using namespace confab::server;
using confab::protocol::Event;
using confab::protocol::EventKind;
using confab::testing::DoneLog;
using confab::testing::SideConnection;
using confab::testing::StoreFixture;
using confab::testing::StoreOutage;

namespace {

Event textEvent(const QString &room, qint64 seq, const QString &from = u"alice"_s,
                std::optional<QString> clientMsgId = std::nullopt)
{
    Event e;
    e.room = room;
    e.seq = seq;
    e.ts = 1700000000000 + seq;
    e.from = from;
    e.kind = EventKind::Text;
    e.body = u"message %1"_s.arg(seq);
    e.clientMsgId = std::move(clientMsgId);
    return e;
}

Event roomEvent(const QString &room, qint64 seq, const QString &from, EventKind kind,
                const QString &body = QString())
{
    Event e = textEvent(room, seq, from);
    e.kind = kind;
    e.body = body;
    return e;
}

StoredUser user(const QString &name, const QString &displayName = QString())
{
    return StoredUser{name, displayName.isEmpty() ? name : displayName, u"$argon2id$fake"_s, false,
                      1};
}

StoredRoom room(const QString &id, bool isPrivate = false, QStringList members = {},
                QStringList invited = {})
{
    StoredRoom r;
    r.id = id;
    r.name = id;
    r.isPrivate = isPrivate;
    r.createdAt = 1;
    r.members = std::move(members);
    r.invited = std::move(invited);
    return r;
}

// Writer options that gather everything enqueued within flushIntervalMs into one batch.
StoreWriter::Options gathering(int flushIntervalMs)
{
    StoreWriter::Options options;
    options.flushIntervalMs = flushIntervalMs;
    return options;
}

// Runs produce(p) for p = 0 .. n - 1, each on its own thread, all at once; false if one
// did not finish within 30 s.
bool runProducers(int n, const std::function<void(int)> &produce)
{
    QList<QThread *> threads;
    for (int p = 0; p < n; ++p) {
        threads.append(QThread::create(produce, p));
        threads.last()->start();
    }
    bool finished = true;
    for (QThread *t : threads) {
        finished = t->wait(30000) && finished;
        delete t;
    }
    return finished;
}

// Tags k * 1000 + i (k, i >= 0; negative tags are skipped) must come as i = 1, 2, 3, ...
// for each k: the first tag that does not, or -1.
int firstOutOfOrder(const QList<int> &tags)
{
    QHash<int, int> last;
    for (int tag : tags) {
        if (tag < 0)
            continue;
        if (tag % 1000 != last.value(tag / 1000) + 1)
            return tag;
        last[tag / 1000] = tag % 1000;
    }
    return -1;
}

// Child mode of this executable (see durabilityAcrossKill): writes events to room
// "general" of the store at CONFAB_WRITER_CHILD_URL without end, printing the seq of every
// event whose done(Committed) arrived, until it is killed.
int runWriterChild(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QString error;
    const auto config =
        StoreConfig::fromUrl(qEnvironmentVariable("CONFAB_WRITER_CHILD_URL"), &error);
    StoreWriter writer(config.value_or(StoreConfig()));
    if (!config || !writer.start(&error)) {
        std::fprintf(stderr, "child: %s\n", qPrintable(error));
        return 1;
    }
    qint64 next = 1;
    QTimer producer;
    QObject::connect(&producer, &QTimer::timeout, [&] {
        while (writer.pending() < 500) {
            const qint64 seq = next++;
            writer.enqueue(AppendEvent{textEvent(u"general"_s, seq)}, [seq](WriteStatus s) {
                if (s == WriteStatus::Committed) {
                    std::printf("%lld\n", static_cast<long long>(seq));
                    std::fflush(stdout);
                }
            });
        }
    });
    producer.start(1);
    return app.exec();
}

} // namespace

class TestStoreWriter : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void cleanup();

    void groupCommit();
    void opsOfOneBatchApplyInQueueOrder();
    void eachProducerKeepsItsOrder();
    void conflictsAreReportedPerOp();
    void aConflictInALongRunOfEvents();
    void batchesAcrossRoomsKeepEachRoomContiguous();
    void commitHistograms();
    void readMarkersKeepTheMaximum();
    void joinAndLeaveChangeMembership();
    void topicEventUpdatesTheRoom();
    void tokensAndUsers();
    void retriesAfterFailureWithoutLoss();
    void badOpFailsAloneTheBatchCommits();
    void stopFlushesPending();
    void enqueueAfterStopFails();
    void opsEnqueuedBeforeStartWait();
    void stopGivesUpWhenTheStoreStaysDown();
    void durabilityAcrossKill();

private:
    std::unique_ptr<StoreWriter> startWriter(StoreWriter::Options options = {});
    qint64 count(const QString &sqlText);

    std::unique_ptr<StoreFixture> m_store;
};

void TestStoreWriter::init()
{
    QTest::failOnWarning(QRegularExpression(u"QSql"_s));
    m_store = std::make_unique<StoreFixture>();
    QVERIFY2(m_store->isValid(), qPrintable(m_store->error()));
    QString epoch, error;
    QVERIFY2(Database::initialize(m_store->config(), &epoch, &error), qPrintable(error));
}

void TestStoreWriter::cleanup()
{
    m_store.reset();
}

std::unique_ptr<StoreWriter> TestStoreWriter::startWriter(StoreWriter::Options options)
{
    options.retryMaxMs = qMin(options.retryMaxMs, 200); // tests wait for retries
    auto writer = std::make_unique<StoreWriter>(m_store->config(), options);
    QString error;
    if (!writer->start(&error))
        qWarning("writer did not start: %s", qPrintable(error));
    return writer;
}

qint64 TestStoreWriter::count(const QString &sqlText)
{
    SideConnection side(m_store->config());
    const QVariant v = side.scalar(sqlText);
    if (!v.isValid())
        qWarning("%s", qPrintable(side.error()));
    return v.isValid() ? v.toLongLong() : -1;
}

void TestStoreWriter::groupCommit()
{
    DoneLog log;
    auto writer = startWriter();
    writer->enqueue(CreateRoom{room(u"general"_s)}, log.callback(0));
    for (int i = 1; i <= 1000; ++i)
        writer->enqueue(AppendEvent{textEvent(u"general"_s, i)}, log.callback(i));
    QTRY_COMPARE_WITH_TIMEOUT(log.size(), 1001, 60000);
    QCOMPARE(log.count(WriteStatus::Committed), 1001);
    QList<int> expected(1001);
    std::iota(expected.begin(), expected.end(), 0);
    QCOMPARE(log.tags(), expected); // done in queue order
    QCOMPARE(writer->pending(), 0);
    QVERIFY(writer->healthy());

    const StoreWriter::Stats stats = writer->stats();
    QCOMPARE(stats.opsCommitted, 1001u);
    QVERIFY(stats.batchesCommitted >= 1);
    QVERIFY2(stats.batchesCommitted < stats.opsCommitted,
             qPrintable(u"%1 batches"_s.arg(stats.batchesCommitted)));
    QVERIFY(stats.lastBatchSize >= 1);
    QVERIFY(stats.commitMicros > 0);
    QCOMPARE(stats.failedAttempts, 0u);

    QCOMPARE(count(u"SELECT COUNT(*) FROM events"_s), 1000);
    QCOMPARE(count(u"SELECT COUNT(DISTINCT seq) FROM events"_s), 1000);
    QCOMPARE(count(u"SELECT MIN(seq) FROM events"_s), 1);
    QCOMPARE(count(u"SELECT MAX(seq) FROM events"_s), 1000);
}

// Everything below lands in one transaction (the flush delay gathers it), and only the
// queue order makes it valid: members need their user, events need their room. The plain
// messages go in with multi-row inserts; each join, leave or topic event is applied alone,
// between those of the messages before and after it.
void TestStoreWriter::opsOfOneBatchApplyInQueueOrder()
{
    DoneLog log;
    auto writer = startWriter(gathering(300));
    int tag = 0;
    writer->enqueue(CreateUser{user(u"bob"_s)}, log.callback(tag++));
    writer->enqueue(CreateUser{user(u"carol"_s)}, log.callback(tag++));
    writer->enqueue(CreateRoom{room(u"ops"_s, false, {u"bob"_s})}, log.callback(tag++));
    qint64 seq = 0;
    const auto event = [&](const QString &from, EventKind kind, const QString &body = {}) {
        writer->enqueue(AppendEvent{roomEvent(u"ops"_s, ++seq, from, kind, body)},
                        log.callback(tag++));
    };
    for (int i = 0; i < 5; ++i)
        event(u"bob"_s, EventKind::Text);
    event(u"carol"_s, EventKind::Join); // seq 6
    for (int i = 0; i < 3; ++i)
        event(u"carol"_s, EventKind::Text);
    event(u"bob"_s, EventKind::Leave);
    event(u"carol"_s, EventKind::Text);
    event(u"bob"_s, EventKind::Join);
    event(u"carol"_s, EventKind::Leave);
    for (int i = 0; i < 3; ++i)
        event(u"bob"_s, EventKind::Topic, u"topic %1"_s.arg(i));
    event(u"bob"_s, EventKind::Text);
    QTRY_COMPARE(log.size(), tag);
    QCOMPARE(log.count(WriteStatus::Committed), tag);
    QCOMPARE(writer->stats().batchesCommitted, 1u);
    SideConnection side(m_store->config());
    QCOMPARE(side.column(u"SELECT user_name FROM members WHERE room = 'ops' ORDER BY user_name"_s),
             QVariantList{u"bob"_s});
    QCOMPARE(side.scalar(u"SELECT topic FROM rooms WHERE id = 'ops'"_s).toString(), u"topic 2"_s);
    QCOMPARE(count(u"SELECT COUNT(*) FROM events"_s), seq);
    QCOMPARE(count(u"SELECT MAX(seq) FROM events"_s), seq);
    QCOMPARE(side.scalar(u"SELECT kind FROM events WHERE seq = 6"_s).toString(), u"join"_s);
    QCOMPARE(side.scalar(u"SELECT sender FROM events WHERE seq = 9"_s).toString(), u"carol"_s);
}

void TestStoreWriter::eachProducerKeepsItsOrder()
{
    constexpr int kProducers = 4;
    constexpr int kEach = 200;
    DoneLog log;
    auto writer = startWriter();
    for (int p = 0; p < kProducers; ++p)
        writer->enqueue(CreateRoom{room(u"r%1"_s.arg(p))}, log.callback(-1));
    QTRY_COMPARE(log.size(), kProducers);
    QVERIFY(runProducers(kProducers, [&writer, &log](int p) {
        for (int i = 1; i <= kEach; ++i)
            writer->enqueue(AppendEvent{textEvent(u"r%1"_s.arg(p), i)}, log.callback(p * 1000 + i));
    }));
    QTRY_COMPARE_WITH_TIMEOUT(log.size(), kProducers + kProducers * kEach, 60000);
    QCOMPARE(log.count(WriteStatus::Committed), kProducers + kProducers * kEach);
    QCOMPARE(firstOutOfOrder(log.tags()), -1); // each producer's ops done in its order
    QCOMPARE(count(u"SELECT COUNT(*) FROM events"_s), kProducers * kEach);
}

void TestStoreWriter::conflictsAreReportedPerOp()
{
    DoneLog log;
    StoreWriter::Options options;
    options.flushIntervalMs = 200; // conflicts and successes share one transaction
    auto writer = startWriter(options);
    writer->enqueue(CreateUser{user(u"alice"_s, u"Alice"_s)}, log.callback(0));
    writer->enqueue(CreateUser{user(u"alice"_s, u"Impostor"_s)}, log.callback(1));
    writer->enqueue(CreateRoom{room(u"general"_s)}, log.callback(2));
    writer->enqueue(CreateRoom{room(u"general"_s, true)}, log.callback(3));
    writer->enqueue(InsertToken{u"aa"_s, u"alice"_s, 1}, log.callback(4));
    writer->enqueue(InsertToken{u"aa"_s, u"alice"_s, 2}, log.callback(5));
    writer->enqueue(AppendEvent{textEvent(u"general"_s, 1, u"alice"_s, u"m1"_s)}, log.callback(6));
    writer->enqueue(AppendEvent{textEvent(u"general"_s, 1, u"alice"_s, u"m2"_s)},
                    log.callback(7)); // same seq
    writer->enqueue(AppendEvent{textEvent(u"general"_s, 2, u"alice"_s, u"m1"_s)},
                    log.callback(8)); // same client_msg_id, new seq: stored (the hub dedups)
    writer->enqueue(AppendEvent{textEvent(u"general"_s, 2, u"bob"_s, u"m1"_s)},
                    log.callback(9)); // seq 2 is taken
    writer->enqueue(AppendEvent{textEvent(u"general"_s, 3, u"alice"_s)}, log.callback(10));
    QTRY_COMPARE(log.size(), 11);
    const QList<WriteStatus> expected = {
        WriteStatus::Committed, WriteStatus::Conflict,  WriteStatus::Committed,
        WriteStatus::Conflict,  WriteStatus::Committed, WriteStatus::Conflict,
        WriteStatus::Committed, WriteStatus::Conflict,  WriteStatus::Committed,
        WriteStatus::Conflict,  WriteStatus::Committed};
    for (int i = 0; i < expected.size(); ++i)
        QVERIFY2(log.statusOf(i) == expected[i], qPrintable(u"op %1"_s.arg(i)));
    QVERIFY(writer->healthy());
    SideConnection side(m_store->config());
    QCOMPARE(side.scalar(u"SELECT display_name FROM users WHERE name = 'alice'"_s).toString(),
             u"Alice"_s);
    QCOMPARE(side.scalar(u"SELECT private FROM rooms WHERE id = 'general'"_s).toInt(), 0);
    QCOMPARE(side.scalar(u"SELECT client_msg_id FROM events WHERE seq = 1"_s).toString(), u"m1"_s);
    QCOMPARE(side.scalar(u"SELECT sender FROM events WHERE seq = 2"_s).toString(), u"alice"_s);
    QCOMPARE(count(u"SELECT COUNT(*) FROM events"_s), 3);
}

// Plain events go in with multi-row INSERTs; one seq stored already makes the batch go
// again op by op, so only that op is a conflict.
void TestStoreWriter::aConflictInALongRunOfEvents()
{
    DoneLog log;
    auto writer = startWriter(gathering(300));
    writer->enqueue(CreateRoom{room(u"general"_s)}, log.callback(0));
    Event early = textEvent(u"general"_s, 200);
    early.body = u"stored first"_s;
    writer->enqueue(AppendEvent{early}, log.callback(0));
    QTRY_COMPARE(log.size(), 2);
    for (int i = 1; i <= 300; ++i)
        writer->enqueue(AppendEvent{textEvent(u"general"_s, i)}, log.callback(i));
    QTRY_COMPARE_WITH_TIMEOUT(log.size(), 302, 30000);
    QCOMPARE(writer->stats().batchesCommitted, 2u);
    for (int i = 1; i <= 300; ++i) {
        QVERIFY2(log.statusOf(i) == (i == 200 ? WriteStatus::Conflict : WriteStatus::Committed),
                 qPrintable(u"op %1"_s.arg(i)));
    }
    QCOMPARE(count(u"SELECT COUNT(*) FROM events"_s), 300);
    SideConnection side(m_store->config());
    QCOMPARE(side.scalar(u"SELECT body FROM events WHERE seq = 200"_s).toString(),
             u"stored first"_s);
    QCOMPARE(side.scalar(u"SELECT body FROM events WHERE seq = 201"_s).toString(),
             u"message 201"_s);
}

// What the hub does under load: many rooms, each with its own producer order, all in the
// same batches. Every room's seqs are stored 1..N, whatever batch they went in.
void TestStoreWriter::batchesAcrossRoomsKeepEachRoomContiguous()
{
    constexpr int kRooms = 40;
    constexpr int kEach = 150;
    constexpr int kProducers = 4; // producer p owns the rooms r with r % kProducers == p
    DoneLog log;
    auto writer = startWriter();
    for (int r = 0; r < kRooms; ++r)
        writer->enqueue(CreateRoom{room(u"r%1"_s.arg(r))}, log.callback(-1));
    QTRY_COMPARE(log.size(), kRooms);
    QVERIFY(runProducers(kProducers, [&writer, &log](int p) {
        for (int seq = 1; seq <= kEach; ++seq) {
            for (int r = p; r < kRooms; r += kProducers) {
                Event e =
                    textEvent(u"r%1"_s.arg(r), seq, u"u%1"_s.arg(r), u"c%1-%2"_s.arg(r).arg(seq));
                writer->enqueue(AppendEvent{std::move(e)}, log.callback(r * 1000 + seq));
            }
        }
    }));
    QTRY_COMPARE_WITH_TIMEOUT(log.size(), kRooms + kRooms * kEach, 60000);
    QCOMPARE(log.count(WriteStatus::Committed), kRooms + kRooms * kEach);
    QCOMPARE(firstOutOfOrder(log.tags()), -1); // each room's ops done in seq order
    const StoreWriter::Stats stats = writer->stats();
    QVERIFY2(stats.batchesCommitted < stats.opsCommitted / 4,
             qPrintable(u"%1 batches"_s.arg(stats.batchesCommitted)));
    SideConnection side(m_store->config());
    QCOMPARE(count(u"SELECT COUNT(DISTINCT room) FROM events"_s), kRooms);
    // Per room: as many events as the highest seq, the lowest 1, each seq once.
    QCOMPARE(count(u"SELECT COUNT(*) FROM (SELECT room FROM events GROUP BY room HAVING"
                   " COUNT(*) = %1 AND COUNT(DISTINCT seq) = %1 AND MIN(seq) = 1 AND"
                   " MAX(seq) = %1) full_rooms"_s.arg(kEach)),
             kRooms);
    QCOMPARE(side.scalar(u"SELECT client_msg_id FROM events WHERE room = 'r7' AND seq = 93"_s)
                 .toString(),
             u"c7-93"_s);
    QCOMPARE(side.scalar(u"SELECT sender FROM events WHERE room = 'r7' AND seq = 93"_s).toString(),
             u"u7"_s);
}

void TestStoreWriter::commitHistograms()
{
    DoneLog log;
    auto writer = startWriter(gathering(300));
    writer->enqueue(CreateRoom{room(u"general"_s)}, log.callback(0));
    QTRY_COMPARE(log.size(), 1); // a batch of 1
    for (int i = 1; i <= 100; ++i)
        writer->enqueue(AppendEvent{textEvent(u"general"_s, i)}, log.callback(i));
    QTRY_COMPARE(log.size(), 101); // a batch of 100
    const StoreWriter::Stats stats = writer->stats();
    QCOMPARE(stats.batchesCommitted, 2u);
    QCOMPARE(std::accumulate(stats.commitSizes.begin(), stats.commitSizes.end(), quint64(0)), 2u);
    QCOMPARE(std::accumulate(stats.commitTimes.begin(), stats.commitTimes.end(), quint64(0)), 2u);
    QCOMPARE(stats.commitSizes[0], 1u); // <= 1
    QCOMPARE(stats.commitSizes[7], 1u); // 65..128
    QCOMPARE(StoreWriter::kCommitSizeBounds[7], 128u);
}

void TestStoreWriter::readMarkersKeepTheMaximum()
{
    DoneLog log;
    auto writer = startWriter();
    writer->enqueue(CreateUser{user(u"alice"_s)}, log.callback(0));
    writer->enqueue(CreateUser{user(u"bob"_s)}, log.callback(0));
    writer->enqueue(CreateRoom{room(u"general"_s)}, log.callback(0));
    writer->enqueue(CreateRoom{room(u"random"_s)}, log.callback(0));
    for (qint64 seq : {5, 3, 9, 7})
        writer->enqueue(SetReadMarker{u"alice"_s, u"general"_s, seq}, log.callback(1));
    writer->enqueue(SetReadMarker{u"alice"_s, u"random"_s, 2}, log.callback(1));
    writer->enqueue(SetReadMarker{u"bob"_s, u"general"_s, 4}, log.callback(1));
    QTRY_COMPARE(log.size(), 10);
    QCOMPARE(log.count(WriteStatus::Committed), 10);
    SideConnection side(m_store->config());
    const auto marker = [&](const char *u, const char *r) {
        return side
            .scalar(u"SELECT seq FROM read_markers WHERE user_name = '%1' AND room = '%2'"_s.arg(
                QLatin1String(u), QLatin1String(r)))
            .toLongLong();
    };
    QCOMPARE(marker("alice", "general"), 9);
    QCOMPARE(marker("alice", "random"), 2);
    QCOMPARE(marker("bob", "general"), 4);
}

void TestStoreWriter::joinAndLeaveChangeMembership()
{
    DoneLog log;
    auto writer = startWriter();
    writer->enqueue(CreateUser{user(u"bob"_s)}, log.callback(0));
    writer->enqueue(CreateUser{user(u"carol"_s)}, log.callback(0));
    writer->enqueue(CreateUser{user(u"dave"_s)}, log.callback(0));
    writer->enqueue(CreateRoom{room(u"ops"_s, true, {u"bob"_s}, {u"carol"_s})}, log.callback(0));
    QTRY_COMPARE(log.size(), 4);
    QCOMPARE(count(u"SELECT COUNT(*) FROM invites WHERE room = 'ops' AND user_name = 'carol'"_s),
             1);
    writer->enqueue(AddInvite{u"ops"_s, u"dave"_s}, log.callback(1));
    writer->enqueue(AddInvite{u"ops"_s, u"dave"_s}, log.callback(1)); // inviting twice is fine
    writer->enqueue(AppendEvent{roomEvent(u"ops"_s, 1, u"carol"_s, EventKind::Join)},
                    log.callback(2));
    writer->enqueue(AppendEvent{roomEvent(u"ops"_s, 2, u"bob"_s, EventKind::Leave)},
                    log.callback(3));
    QTRY_COMPARE(log.size(), 8);
    QCOMPARE(log.count(WriteStatus::Committed), 8);
    SideConnection side(m_store->config());
    QCOMPARE(side.column(u"SELECT user_name FROM members WHERE room = 'ops' ORDER BY user_name"_s),
             QVariantList{u"carol"_s});
    QCOMPARE(side.column(u"SELECT user_name FROM invites WHERE room = 'ops' ORDER BY user_name"_s),
             QVariantList{u"dave"_s});
}

void TestStoreWriter::topicEventUpdatesTheRoom()
{
    DoneLog log;
    auto writer = startWriter();
    writer->enqueue(CreateRoom{room(u"general"_s)}, log.callback(0));
    writer->enqueue(AppendEvent{roomEvent(u"general"_s, 1, u"alice"_s, EventKind::Topic,
                                          u"Release day — ship it"_s)},
                    log.callback(1));
    QTRY_COMPARE(log.size(), 2);
    QCOMPARE(log.count(WriteStatus::Committed), 2);
    SideConnection side(m_store->config());
    QCOMPARE(side.scalar(u"SELECT topic FROM rooms WHERE id = 'general'"_s).toString(),
             u"Release day — ship it"_s);
    QCOMPARE(side.scalar(u"SELECT kind FROM events WHERE seq = 1"_s).toString(), u"topic"_s);
}

void TestStoreWriter::tokensAndUsers()
{
    DoneLog log;
    auto writer = startWriter();
    writer->enqueue(CreateUser{user(u"alice"_s)}, log.callback(0));
    writer->enqueue(InsertToken{u"h1"_s, u"alice"_s, 10}, log.callback(1));
    writer->enqueue(InsertToken{u"h2"_s, u"alice"_s, 11}, log.callback(2));
    writer->enqueue(RevokeToken{u"h1"_s}, log.callback(3));
    writer->enqueue(RevokeToken{u"unknown"_s}, log.callback(4));
    QTRY_COMPARE(log.size(), 5);
    QCOMPARE(log.count(WriteStatus::Committed), 5);
    SideConnection side(m_store->config());
    QCOMPARE(side.column(u"SELECT hash FROM tokens ORDER BY hash"_s), QVariantList{u"h2"_s});
    QCOMPARE(side.scalar(u"SELECT password_hash FROM users WHERE name = 'alice'"_s).toString(),
             u"$argon2id$fake"_s);
}

void TestStoreWriter::retriesAfterFailureWithoutLoss()
{
    DoneLog log;
    auto writer = startWriter();
    writer->enqueue(CreateRoom{room(u"general"_s)}, log.callback(0));
    QTRY_COMPARE(log.size(), 1);

    StoreOutage outage(*m_store);
    QVERIFY2(outage.begin(), qPrintable(outage.error()));
    for (int i = 1; i <= 50; ++i)
        writer->enqueue(AppendEvent{textEvent(u"general"_s, i)}, log.callback(i));
    QTRY_VERIFY_WITH_TIMEOUT(!writer->healthy(), 20000);
    QTRY_VERIFY(writer->stats().failedAttempts >= 2); // retried, still failing
    QCOMPARE(log.size(), 1); // nothing acknowledged while the store is down
    QCOMPARE(writer->pending(), 50);

    QVERIFY2(outage.end(), qPrintable(outage.error()));
    QTRY_COMPARE_WITH_TIMEOUT(log.size(), 51, 30000);
    QCOMPARE(log.count(WriteStatus::Committed), 51);
    QList<int> expected(51);
    std::iota(expected.begin(), expected.end(), 0);
    QCOMPARE(log.tags(), expected);
    QVERIFY(writer->healthy());
    QCOMPARE(writer->pending(), 0);
    QCOMPARE(count(u"SELECT COUNT(*) FROM events"_s), 50);
    QCOMPARE(count(u"SELECT MAX(seq) FROM events"_s), 50);

    // And the writer keeps working on its new connection.
    writer->enqueue(AppendEvent{textEvent(u"general"_s, 51)}, log.callback(51));
    QTRY_COMPARE(log.size(), 52);
    QCOMPARE(log.statusOf(51), WriteStatus::Committed);
}

void TestStoreWriter::badOpFailsAloneTheBatchCommits()
{
    DoneLog log;
    StoreWriter::Options options;
    options.flushIntervalMs = 200;
    auto writer = startWriter(options);
    writer->enqueue(CreateRoom{room(u"general"_s)}, log.callback(0));
    writer->enqueue(AppendEvent{textEvent(u"general"_s, 1)}, log.callback(1));
    writer->enqueue(AppendEvent{textEvent(u"no-such-room"_s, 1)}, log.callback(2));
    writer->enqueue(AppendEvent{textEvent(u"general"_s, 2)}, log.callback(3));
    QTest::ignoreMessage(QtCriticalMsg, QRegularExpression(u"can never succeed"_s));
    QTRY_COMPARE(log.size(), 4);
    QCOMPARE(log.statusOf(0), WriteStatus::Committed);
    QCOMPARE(log.statusOf(1), WriteStatus::Committed);
    QCOMPARE(log.statusOf(2), WriteStatus::Failed);
    QCOMPARE(log.statusOf(3), WriteStatus::Committed);
    QCOMPARE(log.tags(), (QList<int>{0, 1, 2, 3}));
    QCOMPARE(writer->stats().opsFailed, 1u);
    QVERIFY(writer->healthy());
    QCOMPARE(count(u"SELECT COUNT(*) FROM events"_s), 2);
}

void TestStoreWriter::stopFlushesPending()
{
    DoneLog log;
    StoreWriter::Options options;
    options.flushIntervalMs = 600000; // nothing would be written before stop() without it
    auto writer = startWriter(options);
    writer->enqueue(CreateRoom{room(u"general"_s)}, log.callback(0));
    for (int i = 1; i <= 100; ++i)
        writer->enqueue(AppendEvent{textEvent(u"general"_s, i)}, log.callback(i));
    QCOMPARE(log.size(), 0);
    QCOMPARE(writer->pending(), 101);
    writer->stop(); // blocking: everything is committed and acknowledged when it returns
    QCOMPARE(log.size(), 101);
    QCOMPARE(log.count(WriteStatus::Committed), 101);
    QCOMPARE(writer->pending(), 0);
    QCOMPARE(count(u"SELECT COUNT(*) FROM events"_s), 100);
    writer->stop(); // idempotent
}

void TestStoreWriter::enqueueAfterStopFails()
{
    DoneLog log;
    auto writer = startWriter();
    writer->stop();
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"after the writer stopped"_s));
    writer->enqueue(CreateRoom{room(u"general"_s)}, log.callback(7));
    QCOMPARE(log.size(), 1); // at once, on this thread
    QCOMPARE(log.statusOf(7), WriteStatus::Failed);
    QCOMPARE(writer->pending(), 0);
}

void TestStoreWriter::opsEnqueuedBeforeStartWait()
{
    DoneLog log;
    StoreWriter writer(m_store->config());
    writer.enqueue(CreateRoom{room(u"general"_s)}, log.callback(0));
    writer.enqueue(AppendEvent{textEvent(u"general"_s, 1)}, log.callback(1));
    QCOMPARE(writer.pending(), 2);
    QString error;
    QVERIFY2(writer.start(&error), qPrintable(error));
    QTRY_COMPARE(log.size(), 2);
    QCOMPARE(log.count(WriteStatus::Committed), 2);
    QVERIFY(!writer.start(&error)); // already running
}

void TestStoreWriter::stopGivesUpWhenTheStoreStaysDown()
{
    DoneLog log;
    StoreWriter::Options options;
    options.stopTimeoutMs = 300;
    auto writer = startWriter(options);
    writer->enqueue(CreateRoom{room(u"general"_s)}, log.callback(0));
    QTRY_COMPARE(log.size(), 1);
    StoreOutage outage(*m_store);
    QVERIFY2(outage.begin(), qPrintable(outage.error()));
    for (int i = 1; i <= 5; ++i)
        writer->enqueue(AppendEvent{textEvent(u"general"_s, i)}, log.callback(i));
    QTRY_VERIFY_WITH_TIMEOUT(!writer->healthy(), 20000);
    QTest::ignoreMessage(QtCriticalMsg, QRegularExpression(u"giving up on 5 writes"_s));
    writer->stop();
    QCOMPARE(log.size(), 6);
    QCOMPARE(log.count(WriteStatus::Failed), 5);
    QCOMPARE(writer->pending(), 0);
    QVERIFY(outage.end());
    QCOMPARE(count(u"SELECT COUNT(*) FROM events"_s), 0);
}

// The promise behind an ack: a writer process killed with SIGKILL mid-stream loses no
// event whose done(Committed) it reported, and what it stored is a gap-free prefix.
void TestStoreWriter::durabilityAcrossKill()
{
    {
        DoneLog log;
        auto writer = startWriter();
        writer->enqueue(CreateRoom{room(u"general"_s)}, log.callback(0));
        writer->stop();
        QCOMPARE(log.statusOf(0), WriteStatus::Committed);
    }
    QProcess child;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(u"CONFAB_WRITER_CHILD"_s, u"1"_s);
    env.insert(u"CONFAB_WRITER_CHILD_URL"_s, m_store->url());
    child.setProcessEnvironment(env);
    QByteArray out;
    connect(&child, &QProcess::readyReadStandardOutput, this,
            [&] { out += child.readAllStandardOutput(); });
    child.start(QCoreApplication::applicationFilePath(), {});
    QVERIFY(child.waitForStarted());
    QTRY_VERIFY2_WITH_TIMEOUT(out.count('\n') >= 2000, child.readAllStandardError().constData(),
                              60000);
    child.kill();
    QVERIFY(child.waitForFinished());
    out += child.readAllStandardOutput();

    qint64 maxAcked = 0;
    const QList<QByteArray> lines = out.split('\n');
    for (qsizetype i = 0; i + 1 < lines.size(); ++i) // the last piece may be cut short
        maxAcked = qMax(maxAcked, lines[i].toLongLong());
    QVERIFY(maxAcked >= 2000);
    const qint64 stored = count(u"SELECT COUNT(*) FROM events"_s);
    QVERIFY2(stored >= maxAcked, qPrintable(u"acked %1, stored %2"_s.arg(maxAcked).arg(stored)));
    QCOMPARE(count(u"SELECT MAX(seq) FROM events"_s), stored); // 1..stored, no gaps
    QCOMPARE(count(u"SELECT MIN(seq) FROM events"_s), 1);
}

int main(int argc, char **argv)
{
    if (qEnvironmentVariableIsSet("CONFAB_WRITER_CHILD"))
        return runWriterChild(argc, argv);
    QCoreApplication app(argc, argv);
    TestStoreWriter test;
    QTEST_SET_MAIN_SOURCE_PATH
    return QTest::qExec(&test, argc, argv);
}

#include "tst_store_writer.moc"
