// Outbox and cache on real SQLite files: what survives a restart, in which order, the
// bound on cached events, the epoch reset, drafts.
#include "store/outbox.h"
#include "store/storethread.h"

#include <QDir>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <memory>

using namespace confab;
using namespace confab::client;
using namespace Qt::StringLiterals;

namespace {
protocol::Event textEvent(const QString &room, qint64 seq, const QString &from = u"bob"_s,
                          const QString &body = {})
{
    protocol::Event e;
    e.room = room;
    e.seq = seq;
    e.ts = 1700000000000 + seq * 1000;
    e.from = from;
    e.body = body.isEmpty() ? u"message %1"_s.arg(seq) : body;
    return e;
}

QList<protocol::Event> run(const QString &room, qint64 from, qint64 to)
{
    QList<protocol::Event> out;
    for (qint64 s = from; s <= to; ++s)
        out.append(textEvent(room, s));
    return out;
}

protocol::RoomInfo roomInfo(const QString &room)
{
    protocol::RoomInfo r;
    r.room = room;
    r.name = room;
    return r;
}
} // namespace

class TestClientStore : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    int m_generation = 0;

    std::unique_ptr<StoreThread> openStore()
    {
        auto store = std::make_unique<StoreThread>(m_dir.filePath(u"outbox.db"_s),
                                                   m_dir.filePath(u"cache.db"_s),
                                                   u"t%1"_s.arg(++m_generation));
        QString error;
        if (!store->open(&error))
            qWarning() << error;
        return store;
    }

private slots:
    void init() { QVERIFY(m_dir.isValid()); }
    void cleanup()
    {
        QFile::remove(m_dir.filePath(u"outbox.db"_s));
        QFile::remove(m_dir.filePath(u"cache.db"_s));
    }

    void outboxSurvivesRestartInOrder()
    {
        QStringList ids;
        {
            auto store = openStore();
            Outbox outbox(store.get());
            QVERIFY(outbox.load(nullptr));
            QSignalSpy written(&outbox, &Outbox::written);
            for (int i = 0; i < 5; ++i) {
                OutboxEntry e;
                e.room = i % 2 ? u"ops"_s : u"general"_s;
                e.body = u"m%1"_s.arg(i);
                ids.append(outbox.add(e).clientMsgId);
            }
            // Nothing may be sent before it is on disk.
            QVERIFY(!outbox.isSendable(outbox.entries().first()));
            QTRY_COMPARE(written.size(), 5);
            QVERIFY(outbox.remove(ids[2]));
            outbox.markFailed(ids[1], u"forbidden"_s, u"not a member"_s);
        }
        auto store = openStore();
        Outbox outbox(store.get());
        QVERIFY(outbox.load(nullptr));
        QStringList loaded;
        for (const OutboxEntry &e : outbox.entries())
            loaded.append(e.clientMsgId);
        QCOMPARE(loaded, (QStringList{ids[0], ids[1], ids[3], ids[4]}));
        const OutboxEntry *failed = outbox.find(ids[1]);
        QVERIFY(failed);
        QCOMPARE(failed->state, OutboxEntry::State::Failed);
        QCOMPARE(failed->errorText, u"not a member"_s);
        // The oldest sendable of each room; the failed one holds nothing back.
        QList<OutboxEntry> next = outbox.nextPerRoom({});
        QCOMPARE(next.size(), 2);
        QCOMPARE(next[0].clientMsgId, ids[0]);
        QCOMPARE(next[1].clientMsgId, ids[3]);
        QCOMPARE(outbox.nextPerRoom({u"general"_s}).size(), 1);
        QVERIFY(outbox.retry(ids[1]));
        QCOMPARE(outbox.nextPerRoom({}).at(1).clientMsgId, ids[1]);
        // New entries go after the reloaded ones.
        OutboxEntry later;
        later.room = u"ops"_s;
        later.body = u"later"_s;
        QVERIFY(outbox.add(later).ordinal > outbox.entries().at(3).ordinal);
    }

    void bodilessChangesAreStored()
    {
        auto store = openStore();
        Outbox outbox(store.get());
        QVERIFY(outbox.load(nullptr));
        QSignalSpy written(&outbox, &Outbox::written);
        OutboxEntry react;
        react.room = u"general"_s;
        react.kind = protocol::EventKind::React;
        react.target = 4;
        react.emoji = u"👍"_s;
        OutboxEntry remove;
        remove.room = u"general"_s;
        remove.kind = protocol::EventKind::Delete;
        remove.target = 5;
        outbox.add(react);
        outbox.add(remove);
        QTRY_COMPARE(written.size(), 2);
        for (const OutboxEntry &e : outbox.entries())
            QCOMPARE(e.state, OutboxEntry::State::Queued);
        store.reset();
        auto again = openStore();
        Outbox reloaded(again.get());
        QVERIFY(reloaded.load(nullptr));
        QCOMPARE(reloaded.entries().size(), 2);
        QCOMPARE(reloaded.entries()[0].emoji, u"👍"_s);
        QCOMPARE(reloaded.entries()[1].target, 5);
    }

    void cacheKeepsTheNewestN_data()
    {
        QTest::addColumn<int>("stored");
        QTest::addColumn<int>("keep");
        QTest::addColumn<int>("expected");
        QTest::addRow("under the bound") << 30 << 100 << 30;
        QTest::addRow("at the bound") << 100 << 100 << 100;
        QTest::addRow("over the bound") << 250 << 100 << 100;
    }

    void cacheKeepsTheNewestN()
    {
        QFETCH(int, stored);
        QFETCH(int, keep);
        QFETCH(int, expected);
        auto store = openStore();
        store->call([&](StoreWorker &w) {
            w.resetForEpoch(u"e1"_s, u"alice"_s);
            w.storeRooms({roomInfo(u"general"_s)});
            for (int from = 1; from <= stored; from += 25)
                w.storeEvents(u"general"_s, run(u"general"_s, from, std::min(stored, from + 24)),
                              false, keep);
        });
        QCOMPARE(store->call([](StoreWorker &w) { return w.eventCount(u"general"_s); }), expected);
        const CacheSnapshot snap =
            store->call([](StoreWorker &w) { return w.loadCache(u"alice"_s, {}); });
        QCOMPARE(snap.rooms.size(), 1);
        QCOMPARE(snap.rooms[0].highSeq, stored);
        QCOMPARE(snap.rooms[0].lowSeq, stored - expected + 1);
        const EventPage page =
            store->call([&](StoreWorker &w) { return w.loadEvents(u"general"_s, stored + 1, 10); });
        QCOMPARE(page.events.size(), std::min(10, expected));
        QCOMPARE(page.events.last().seq, stored);
        QCOMPARE(page.events.first().seq, stored - page.events.size() + 1);
    }

    void olderPagesNeverLeaveAHole()
    {
        auto store = openStore();
        store->call([](StoreWorker &w) {
            w.storeRooms({roomInfo(u"general"_s)});
            w.storeEvents(u"general"_s, run(u"general"_s, 101, 150), false, 1000);
            w.storeEvents(u"general"_s, run(u"general"_s, 51, 100), true, 0); // joins
            w.storeEvents(u"general"_s, run(u"general"_s, 1, 20), true, 0);   // would not
        });
        QCOMPARE(store->call([](StoreWorker &w) { return w.eventCount(u"general"_s); }), 100);
        const CacheSnapshot snap =
            store->call([](StoreWorker &w) { return w.loadCache(u"alice"_s, {}); });
        QCOMPARE(snap.rooms[0].lowSeq, 51);
    }

    void epochResetDropsEventsKeepsDraftText()
    {
        auto store = openStore();
        store->call([](StoreWorker &w) {
            w.resetForEpoch(u"e1"_s, u"alice"_s);
            w.storeRooms({roomInfo(u"general"_s)});
            w.storeEvents(u"general"_s, run(u"general"_s, 1, 10), false, 100);
            w.storeDraft(u"general"_s, u"unsent thought"_s, 7);
        });
        CacheSnapshot snap =
            store->call([](StoreWorker &w) { return w.loadCache(u"alice"_s, {}); });
        QCOMPARE(snap.epoch, u"e1"_s);
        QCOMPARE(snap.rooms[0].draftText, u"unsent thought"_s);
        QCOMPARE(snap.rooms[0].draftReplyTo, 7);
        store->call([](StoreWorker &w) {
            w.resetForEpoch(u"e2"_s, u"alice"_s);
            w.storeRooms({roomInfo(u"general"_s)});
        });
        snap = store->call([](StoreWorker &w) { return w.loadCache(u"alice"_s, {}); });
        QCOMPARE(snap.epoch, u"e2"_s);
        QCOMPARE(store->call([](StoreWorker &w) { return w.eventCount(u"general"_s); }), 0);
        QCOMPARE(snap.rooms[0].highSeq, -1);
        QCOMPARE(snap.rooms[0].draftText, u"unsent thought"_s);
        QCOMPARE(snap.rooms[0].draftReplyTo, std::nullopt);
    }

    void unreadAndMentionsComeFromTheCache()
    {
        auto store = openStore();
        store->call([](StoreWorker &w) {
            protocol::RoomInfo info = roomInfo(u"general"_s);
            info.readSeq = 2;
            w.storeRooms({info});
            w.storeEvents(u"general"_s,
                          {textEvent(u"general"_s, 1), textEvent(u"general"_s, 2),
                           textEvent(u"general"_s, 3, u"bob"_s, u"@alice look"_s),
                           textEvent(u"general"_s, 4, u"alice"_s, u"mine"_s),
                           textEvent(u"general"_s, 5)},
                          false, 100);
        });
        const CacheSnapshot snap =
            store->call([](StoreWorker &w) { return w.loadCache(u"alice"_s, {}); });
        QCOMPARE(snap.rooms[0].unreadSeqs, (QList<qint64>{3, 5}));
        QCOMPARE(snap.rooms[0].mentionSeqs, (QList<qint64>{3}));
    }
};

QTEST_GUILESS_MAIN(TestClientStore)
#include "tst_client_store.moc"
