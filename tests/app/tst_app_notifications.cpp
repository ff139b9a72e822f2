// Desktop notifications on a private session bus (dbus-run-session) where the test owns
// org.freedesktop.Notifications and checks every call: first the app's Notifier on its
// own (one notification per room, replaced in place; markup escaped only for a server
// that renders it; clicks and closes), then the real confab against the real server
// (mentions and direct messages notify, the open room of an active window and
// do-not-disturb do not, clicking one opens its room).
#include "app/notifier.h"
#include "appdriver.h"
#include "fakenotifications.h"
#include "fixtures.h"

#include <QSignalSpy>
#include <QTemporaryDir>

using namespace confab;
using namespace confab::testing;
using namespace Qt::StringLiterals;

#define VERIFY_WAIT(expr, ms)                                                                      \
    QVERIFY2(AppDriver::waitFor([&] { return bool(expr); }, ms),                                   \
             qPrintable(u"timed out: "_s + QStringLiteral(#expr)))

class TestAppNotifications : public QObject
{
    Q_OBJECT

    std::unique_ptr<FakeNotifications> m_server;

    // The Notifier on a connection of its own, as the app has.
    static QDBusConnection clientBus(const QString &name)
    {
        return QDBusConnection::connectToBus(QDBusConnection::SessionBus, name);
    }

    void startServer(const QStringList &capabilities)
    {
        if (m_server)
            QDBusConnection::sessionBus().unregisterService(u"org.freedesktop.Notifications"_s);
        QDBusConnection::sessionBus().unregisterObject(u"/org/freedesktop/Notifications"_s);
        m_server = std::make_unique<FakeNotifications>(capabilities);
        QVERIFY(m_server->registerOn(QDBusConnection::sessionBus()));
    }

private slots:
    void initTestCase()
    {
        // Owning the notification service of a real desktop session would steal it.
        if (qEnvironmentVariable("CONFAB_PRIVATE_BUS") != u"1"_s)
            QSKIP("runs only on a private session bus (ctest runs it under dbus-run-session)");
        QVERIFY2(QDBusConnection::sessionBus().isConnected(), "no session bus");
    }

    void cleanup() { m_server.reset(); }

    void onePerRoomReplacedInPlace()
    {
        startServer({u"actions"_s, u"body"_s});
        app::Notifier notifier(clientBus(u"n1"_s));
        notifier.show(u"team"_s, u"Bob in team"_s, u"first"_s, 5, u"mention"_s);
        QTRY_COMPARE(m_server->calls.size(), 1);
        const NotifyCall first = m_server->calls.first();
        QCOMPARE(first.appName, u"Confab"_s);
        QCOMPARE(first.replacesId, 0u);
        QCOMPARE(first.summary, u"Bob in team"_s);
        QCOMPARE(first.body, u"first"_s);
        QVERIFY(first.actions.contains(u"default"_s));
        QCOMPARE(first.hints.value(u"category"_s).toString(), u"im.received"_s);
        QTRY_COMPARE(notifier.idOf(u"team"_s), first.id);

        notifier.show(u"team"_s, u"Bob in team"_s, u"second"_s, 6, u"mention"_s);
        QTRY_COMPARE(m_server->calls.size(), 2);
        QCOMPARE(m_server->calls[1].replacesId, first.id);
        QCOMPARE(m_server->calls[1].body, u"second"_s);

        notifier.show(u"dm:alice:bob"_s, u"Bob"_s, u"lunch?"_s, 2, u"direct"_s);
        QTRY_COMPARE(m_server->calls.size(), 3);
        QCOMPARE(m_server->calls[2].replacesId, 0u);
        QVERIFY(m_server->calls[2].id != first.id);
    }

    void burstWhileUnansweredIsOneReplacement()
    {
        startServer({u"actions"_s, u"body"_s});
        app::Notifier notifier(clientBus(u"n2"_s));
        // Three messages before the server's first answer: the first is shown, the last
        // replaces it, the middle one is never sent.
        notifier.show(u"team"_s, u"t"_s, u"one"_s, 1, u"mention"_s);
        notifier.show(u"team"_s, u"t"_s, u"two"_s, 2, u"mention"_s);
        notifier.show(u"team"_s, u"t"_s, u"three"_s, 3, u"mention"_s);
        QTRY_COMPARE(m_server->calls.size(), 2);
        QCOMPARE(m_server->calls[0].body, u"one"_s);
        QCOMPARE(m_server->calls[1].body, u"three"_s);
        QCOMPARE(m_server->calls[1].replacesId, m_server->calls[0].id);
        QTest::qWait(200);
        QCOMPARE(m_server->calls.size(), 2);
    }

    void markupEscapedOnlyWhereRendered_data()
    {
        QTest::addColumn<QStringList>("capabilities");
        QTest::addColumn<QString>("expected");
        QTest::addRow("plain server") << QStringList{u"body"_s} << u"a <b> & c"_s;
        QTest::addRow("markup server")
            << QStringList{u"body"_s, u"body-markup"_s} << u"a &lt;b&gt; &amp; c"_s;
    }

    void markupEscapedOnlyWhereRendered()
    {
        QFETCH(QStringList, capabilities);
        QFETCH(QString, expected);
        startServer(capabilities);
        app::Notifier notifier(clientBus(u"n3"_s + QString::number(capabilities.size())));
        QTest::qWait(100); // the capabilities are asked for once, at the start
        notifier.show(u"team"_s, u"t"_s, u"a <b> & c"_s, 1, u"all"_s);
        QTRY_COMPARE(m_server->calls.size(), 1);
        QCOMPARE(m_server->calls[0].body, expected);
    }

    void clickOpensAndCloseForgets()
    {
        startServer({u"actions"_s, u"body"_s});
        app::Notifier notifier(clientBus(u"n4"_s));
        QSignalSpy activated(&notifier, &app::Notifier::activated);
        notifier.show(u"team"_s, u"t"_s, u"x"_s, 9, u"mention"_s);
        QTRY_VERIFY(notifier.idOf(u"team"_s) != 0);
        const uint id = notifier.idOf(u"team"_s);
        m_server->invokeAction(id + 100, u"default"_s); // someone else's notification
        m_server->invokeAction(id, u"default"_s);
        QTRY_COMPARE(activated.size(), 1);
        QCOMPARE(activated[0][0].toString(), u"team"_s);
        QCOMPARE(activated[0][1].toLongLong(), 9);

        notifier.withdraw(u"team"_s);
        QTRY_COMPARE(m_server->closed, QList<uint>{id});
        QCOMPARE(notifier.idOf(u"team"_s), 0u);

        // Closed by the user: the next message is a new notification, not a replacement.
        notifier.show(u"team"_s, u"t"_s, u"y"_s, 10, u"mention"_s);
        QTRY_VERIFY(notifier.idOf(u"team"_s) != 0);
        m_server->closeByUser(notifier.idOf(u"team"_s));
        QTRY_COMPARE(notifier.idOf(u"team"_s), 0u);
        notifier.show(u"team"_s, u"t"_s, u"z"_s, 11, u"mention"_s);
        QTRY_COMPARE(m_server->calls.size(), 3);
        QCOMPARE(m_server->calls[2].replacesId, 0u);
    }

    void theAppNotifiesMentionsAndDirectMessages()
    {
        startServer({u"actions"_s, u"body"_s});
        TestStore store;
        QCOMPARE(runAdmin(store.url(),
                          {u"user"_s, u"add"_s, u"bob"_s, u"--display-name"_s, u"Bob Stone"_s,
                           u"--password-stdin"_s},
                          "bob-password\n"),
                 0);
        ServerProcess server(store.url());
        QVERIFY(server.start());
        QTemporaryDir profile;
        AppDriver app;
        QVERIFY2(app.start(server.url(), profile.path()), qPrintable(app.lastError()));
        VERIFY_WAIT(app.focus(u"userField"_s), 10000);
        QVERIFY(app.click(u"registerTab"_s));
        QVERIFY(app.focus(u"userField"_s));
        QVERIFY(app.type(u"alice"_s));
        QVERIFY(app.focus(u"passwordField"_s));
        QVERIFY(app.type(u"alice-password"_s));
        QVERIFY(app.key(u"Return"_s));
        VERIFY_WAIT(app.get(u"App"_s, u"session.state"_s).toString() == u"Online"_s, 15000);
        QVERIFY(app.key(u"N"_s, {u"ctrl"_s}));
        VERIFY_WAIT(app.focus(u"createRoomName"_s), 5000);
        QVERIFY(app.type(u"team"_s));
        QVERIFY(app.key(u"Return"_s));
        VERIFY_WAIT(app.get(u"App"_s, u"session.currentRoom.roomId"_s).toString() == u"team"_s,
                    10000);

        TestClient bob;
        QVERIFY(bob.connectTo(server.url()) && bob.login(u"bob"_s, u"bob-password"_s));
        qint64 id = 0;
        bob.sendMessage(protocol::JoinRequest{++id, u"team"_s});
        QVERIFY(replyAs<protocol::RoomReply>(bob, id));
        const auto say = [&](const QString &room, const QString &body) {
            bob.sendMessage(textMessage(room, body, QUuid::createUuid().toString(), ++id));
            return replyAs<protocol::Ack>(bob, id).has_value();
        };

        // The room is open in an active window: nothing, even for a mention.
        QVERIFY(app.get(u"App"_s, u"session.windowActive"_s).toBool());
        QVERIFY(say(u"team"_s, u"@alice are you there?"_s));
        VERIFY_WAIT(app.countRows(u"timelineView"_s, u"body"_s, u"@alice are you there?"_s) == 1,
                    5000);
        QTest::qWait(300);
        QCOMPARE(m_server->calls.size(), 0);

        // The window goes to the tray: mentions notify, one notification for the room.
        QVERIFY(app.set(u"window"_s, u"visible"_s, false));
        VERIFY_WAIT(!app.get(u"App"_s, u"session.windowActive"_s).toBool(), 5000);
        QVERIFY(say(u"team"_s, u"just chatting"_s)); // no mention: channels stay quiet
        QVERIFY(say(u"team"_s, u"@alice the build broke"_s));
        QTRY_COMPARE_WITH_TIMEOUT(m_server->calls.size(), 1, 5000);
        const NotifyCall mention = m_server->calls[0];
        QCOMPARE(mention.summary, u"Bob Stone in team"_s);
        QCOMPARE(mention.body, u"@alice the build broke"_s);
        QCOMPARE(mention.replacesId, 0u);
        QVERIFY(say(u"team"_s, u"@alice fixed now"_s));
        QTRY_COMPARE_WITH_TIMEOUT(m_server->calls.size(), 2, 5000);
        QCOMPARE(m_server->calls[1].replacesId, mention.id);
        QCOMPARE(m_server->calls[1].body, u"@alice fixed now"_s);

        // A direct message notifies without a mention, as its own notification.
        bob.sendMessage(protocol::DmRequest{++id, u"alice"_s});
        const auto dm = replyAs<protocol::RoomReply>(bob, id);
        QVERIFY(dm);
        QVERIFY(say(dm->room.room, u"lunch at 12?"_s));
        QTRY_COMPARE_WITH_TIMEOUT(m_server->calls.size(), 3, 5000);
        const NotifyCall direct = m_server->calls[2];
        QCOMPARE(direct.summary, u"Bob Stone"_s);
        QCOMPARE(direct.replacesId, 0u);
        QVERIFY(direct.id != mention.id);

        // Do not disturb: nothing at all.
        QVERIFY(app.set(u"App"_s, u"doNotDisturb"_s, true));
        QVERIFY(say(dm->room.room, u"are you there?"_s));
        QVERIFY(say(u"team"_s, u"@alice ping"_s));
        QTest::qWait(500);
        QCOMPARE(m_server->calls.size(), 3);
        QVERIFY(app.set(u"App"_s, u"doNotDisturb"_s, false));

        // Clicking the direct message's notification shows the window on that room, and
        // the room's notification is withdrawn.
        m_server->invokeAction(direct.id, u"default"_s);
        VERIFY_WAIT(app.get(u"App"_s, u"session.currentRoom.roomId"_s).toString() == dm->room.room,
                    5000);
        VERIFY_WAIT(app.get(u"window"_s, u"visible"_s).toBool(), 5000);
        VERIFY_WAIT(m_server->closed.contains(direct.id), 5000);
        QCOMPARE(app.stop(), 0);
    }
};

QTEST_GUILESS_MAIN(TestAppNotifications)
#include "tst_app_notifications.moc"
