// The small models under QAbstractItemModelTester: the room list (sorting, moves, DM
// names, unread counts), members with presence, typing expiry, and the composer.
#include "models/membersmodel.h"
#include "models/roomlistmodel.h"
#include "models/typingmodel.h"
#include "protocol/names.h"
#include "session/clientsession.h"
#include "session/composer.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QTest>

using namespace confab;
using namespace confab::client;
using namespace Qt::StringLiterals;
using Tester = QAbstractItemModelTester;

namespace {
protocol::RoomInfo info(const QString &room, qint64 lastSeq = 0, qint64 readSeq = 0)
{
    protocol::RoomInfo r;
    r.room = room;
    r.name = room;
    r.kind = protocol::isDmRoomId(room) ? protocol::RoomKind::Dm : protocol::RoomKind::Channel;
    r.lastSeq = lastSeq;
    r.readSeq = readSeq;
    return r;
}

protocol::Event text(const QString &room, qint64 seq, qint64 ts, const QString &body = u"hi"_s)
{
    protocol::Event e;
    e.room = room;
    e.seq = seq;
    e.ts = ts;
    e.from = u"bob"_s;
    e.body = body;
    return e;
}

SessionOptions offlineOptions()
{
    SessionOptions o;
    o.user = u"alice"_s;
    o.watchLink = false;
    return o;
}
} // namespace

class TestClientModels : public QObject
{
    Q_OBJECT

private:
    static Room *loadedRoom(ClientSession &s, const QString &id)
    {
        auto *room = new Room(&s, info(id));
        CachedRoom cached;
        cached.info = info(id);
        cached.highSeq = 0;
        room->restore(cached);
        return room;
    }

private slots:
    void roomListSortsByActivityAndMoves()
    {
        ClientSession session(offlineOptions(), nullptr);
        RoomListModel list;
        Tester tester(&list, Tester::FailureReportingMode::QtTest);
        Room *general = loadedRoom(session, u"general"_s);
        Room *ops = loadedRoom(session, u"ops"_s);
        Room *dm = loadedRoom(session, u"dm:alice:bob"_s);
        for (Room *r : {general, ops, dm})
            list.addRoom(r);
        QCOMPARE(list.rowCount(), 3);
        QSignalSpy moved(&list, &QAbstractItemModel::rowsMoved);
        ops->ingest(text(u"ops"_s, 1, 1000), true);
        general->ingest(text(u"general"_s, 1, 2000), true);
        QCOMPARE(list.roomAt(0), general);
        QCOMPARE(list.roomAt(1), ops);
        dm->ingest(text(u"dm:alice:bob"_s, 1, 3000, u"psst"_s), true);
        QCOMPARE(list.roomAt(0), dm);
        QVERIFY(moved.size() >= 2);
        // A DM is named after the other user; unread counts from others' messages.
        QCOMPARE(list.data(list.index(0), RoomListModel::NameRole).toString(), u"bob"_s);
        QCOMPARE(list.data(list.index(0), RoomListModel::UnreadRole).toInt(), 1);
        QCOMPARE(list.totalUnread(), 3);
        dm->markRead(1);
        QCOMPARE(list.data(list.index(0), RoomListModel::UnreadRole).toInt(), 0);
        // Muted rooms go last; by name on request.
        general->setMuted(true);
        QCOMPARE(list.roomAt(2), general);
        list.setSortOrder(RoomListModel::SortOrder::Name);
        QCOMPARE(list.roomAt(0)->roomId(), u"dm:alice:bob"_s); // "bob"
        QCOMPARE(list.roomAt(1), ops);
        list.removeRoom(ops);
        QCOMPARE(list.rowCount(), 2);
    }

    void mentionsAreCounted()
    {
        ClientSession session(offlineOptions(), nullptr);
        Room *general = loadedRoom(session, u"general"_s);
        general->ingest(text(u"general"_s, 1, 1000, u"@alice can you look"_s), true);
        general->ingest(text(u"general"_s, 2, 2000, u"lunch?"_s), true);
        QCOMPARE(general->unreadCount(), 2);
        QCOMPARE(general->mentionCount(), 1);
        general->markRead(1);
        QCOMPARE(general->mentionCount(), 0);
        QCOMPARE(general->unreadCount(), 1);
    }

    void gapsAreHeldBack()
    {
        ClientSession session(offlineOptions(), nullptr);
        Room *general = loadedRoom(session, u"general"_s);
        general->ingest(text(u"general"_s, 1, 1000), true);
        general->ingest(text(u"general"_s, 3, 3000), true); // 2 is missing
        QCOMPARE(general->highSeq(), 1);
        QCOMPARE(general->timeline()->eventCount(), 1);
        QVERIFY(general->syncing());
        general->ingest(text(u"general"_s, 2, 2000), true);
        QCOMPARE(general->highSeq(), 3);
        QCOMPARE(general->timeline()->seqs(), (QList<qint64>{1, 2, 3}));
    }

    void membersSortByPresence()
    {
        MembersModel members;
        Tester tester(&members, Tester::FailureReportingMode::QtTest);
        members.setMembers({{u"carol"_s, u"Carol"_s, protocol::Presence::Offline},
                            {u"bob"_s, u"Bob"_s, protocol::Presence::Online},
                            {u"dave"_s, u"Dave"_s, protocol::Presence::Away}});
        const auto userAt = [&](int row) {
            return members.data(members.index(row), MembersModel::UserRole).toString();
        };
        QCOMPARE(userAt(0), u"bob"_s);
        QCOMPARE(userAt(2), u"carol"_s);
        members.setPresence(u"carol"_s, protocol::Presence::Online);
        QCOMPARE(userAt(0), u"bob"_s);
        QCOMPARE(userAt(1), u"carol"_s);
        QCOMPARE(members.data(members.index(1), MembersModel::PresenceRole).toString(),
                 u"online"_s);
        members.setPresence(u"bob"_s, protocol::Presence::Offline);
        QCOMPARE(userAt(2), u"bob"_s);
    }

    void typingExpires()
    {
        TypingModel typing([](const QString &u) { return u.toUpper(); }, 200);
        Tester tester(&typing, Tester::FailureReportingMode::QtTest);
        typing.typing(u"bob"_s);
        typing.typing(u"carol"_s);
        QCOMPARE(typing.rowCount(), 2);
        QCOMPARE(typing.displayNames(), (QStringList{u"BOB"_s, u"CAROL"_s}));
        typing.stopped(u"carol"_s); // carol's message arrived
        QCOMPARE(typing.rowCount(), 1);
        QTRY_COMPARE(typing.rowCount(), 0);
    }

    void composerKeepsDraftAndTargets()
    {
        Composer composer;
        QSignalSpy drafts(&composer, &Composer::draftChanged);
        composer.setText(u"half"_s);
        composer.startReply(12);
        QTRY_COMPARE(drafts.size(), 1);
        QCOMPARE(drafts.last()[0].toString(), u"half"_s);
        QCOMPARE(drafts.last()[1].toLongLong(), 12);
        // Editing borrows the text field and gives the draft back afterwards.
        composer.startEdit(7, u"old text"_s);
        QVERIFY(composer.editing());
        QCOMPARE(composer.replyTo(), 0);
        QCOMPARE(composer.text(), u"old text"_s);
        composer.cancel();
        QVERIFY(!composer.editing());
        QCOMPARE(composer.text(), u"half"_s);
        composer.clear();
        QTRY_COMPARE(drafts.size(), 2);
        QCOMPARE(drafts.last()[0].toString(), QString());
    }

    void notificationDecisions_data()
    {
        QTest::addColumn<QString>("room");
        QTest::addColumn<QString>("body");
        QTest::addColumn<int>("level");
        QTest::addColumn<bool>("muted");
        QTest::addColumn<bool>("dnd");
        QTest::addColumn<QString>("reason"); // empty: no notification
        const int def = int(Room::NotifyLevel::Default);
        QTest::addRow("channel, no mention")
            << u"general"_s << u"hi"_s << def << false << false << QString();
        QTest::addRow("channel, mention")
            << u"general"_s << u"@alice hi"_s << def << false << false << u"mention"_s;
        QTest::addRow("channel, @room")
            << u"general"_s << u"@room hi"_s << def << false << false << u"mention"_s;
        QTest::addRow("dm") << u"dm:alice:bob"_s << u"hi"_s << def << false << false << u"direct"_s;
        QTest::addRow("channel at all")
            << u"general"_s << u"hi"_s << int(Room::NotifyLevel::All) << false << false << u"all"_s;
        QTest::addRow("dm at never")
            << u"dm:alice:bob"_s << u"hi"_s << int(Room::NotifyLevel::Never) << false << false
            << QString();
        QTest::addRow("muted") << u"dm:alice:bob"_s << u"@alice"_s << def << true << false
                               << QString();
        QTest::addRow("do not disturb")
            << u"dm:alice:bob"_s << u"hi"_s << def << false << true << QString();
    }

    void notificationDecisions()
    {
        QFETCH(QString, room);
        QFETCH(QString, body);
        QFETCH(int, level);
        QFETCH(bool, muted);
        QFETCH(bool, dnd);
        QFETCH(QString, reason);
        ClientSession session(offlineOptions(), nullptr);
        QSignalSpy notified(&session, &ClientSession::notificationRequested);
        Room *r = loadedRoom(session, room);
        connect(r, &Room::newMessage, &session,
                [&](const protocol::Event &e) { session.decideNotification(r, e); });
        r->setNotifyLevel(Room::NotifyLevel(level));
        r->setMuted(muted);
        session.setDoNotDisturb(dnd);
        r->ingest(text(room, 1, 1000, body), true);
        QCOMPARE(notified.size(), reason.isEmpty() ? 0 : 1);
        if (!reason.isEmpty())
            QCOMPARE(notified[0][4].toString(), reason);
    }

    void noNotificationWhileViewingTheRoom()
    {
        ClientSession session(offlineOptions(), nullptr);
        QSignalSpy notified(&session, &ClientSession::notificationRequested);
        Room *r = loadedRoom(session, u"dm:alice:bob"_s);
        connect(r, &Room::newMessage, &session,
                [&](const protocol::Event &e) { session.decideNotification(r, e); });
        session.setCurrentRoom(r);
        session.setWindowActive(true);
        r->ingest(text(r->roomId(), 1, 1000), true);
        QCOMPARE(notified.size(), 0);
        session.setWindowActive(false);
        r->ingest(text(r->roomId(), 2, 2000), true);
        QCOMPARE(notified.size(), 1);
        // Rows seen while the window is active count as read.
        r->viewed(2);
        QCOMPARE(r->readSeq(), 0);
        session.setWindowActive(true);
        r->viewed(2);
        QCOMPARE(r->readSeq(), 2);
    }
};

QTEST_GUILESS_MAIN(TestClientModels)
#include "tst_client_models.moc"
