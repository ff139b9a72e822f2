// The real confab app (offscreen) against the real confab-server: register through the
// connect page, create a room, send, see a second client's reply appear, edit and react,
// go offline (server killed with -9) and come back with nothing lost or doubled. It
// saves the screenshots docs/screenshots/ shows: the connect page, the main window in
// light and dark (the fingerprint prompts come from tst_app_tls, against a real wss://
// server).
#include "appdriver.h"
#include "fixtures.h"
#include "httpclient.h"

#include <QDir>
#include <QImage>
#include <QJsonArray>
#include <QTemporaryDir>
#include <cmath>

using namespace confab;
using namespace confab::testing;
using namespace Qt::StringLiterals;

namespace {
const QString kView = u"timelineView"_s;
const QString kPassword = u"alice-password"_s;

// A landscape of plain pixels (no fonts needed): sky, sun, two ridges.
QImage landscape(int w, int h)
{
    QImage img(w, h, QImage::Format_RGB32);
    for (int y = 0; y < h; ++y) {
        const double t = double(y) / h;
        for (int x = 0; x < w; ++x) {
            const double sun = std::hypot(x - w * 0.7, y - h * 0.35) / (h * 0.12);
            int r = int(250 - 120 * t), g = int(170 - 60 * t), b = int(110 + 90 * t);
            if (sun < 1) {
                r = 255, g = 236, b = 170;
            }
            const double ridge1 =
                h * (0.62 + 0.06 * std::sin(x * 0.006) + 0.03 * std::sin(x * 0.021));
            const double ridge2 = h * (0.75 + 0.05 * std::sin(x * 0.004 + 1.3));
            if (y > ridge1) {
                r = 70, g = 80, b = 120;
            }
            if (y > ridge2) {
                r = 35, g = 45, b = 70;
            }
            img.setPixel(x, y, qRgb(r, g, b));
        }
    }
    return img;
}

} // namespace

#define VERIFY_WAIT(expr, ms)                                                                      \
    QVERIFY2(AppDriver::waitFor([&] { return bool(expr); }, ms),                                   \
             qPrintable(u"timed out: "_s + QStringLiteral(#expr) + u" | "_s + m_app.lastError()))

class TestAppEndToEnd : public QObject
{
    Q_OBJECT

    TestStore m_store;
    std::unique_ptr<ServerProcess> m_server;
    QTemporaryDir m_profile;
    AppDriver m_app;
    std::unique_ptr<TestClient> m_bob;
    qint64 m_aliceSeq = 0;
    qint64 m_bobSeq = 0;
    qint64 m_nextId = 100;

    QJsonArray timeline() { return m_app.rows(kView); }
    QJsonObject rowWithSeq(qint64 seq) { return m_app.findRow(kView, u"seq"_s, double(seq)); }

    std::unique_ptr<TestClient> loginAs(const QString &user)
    {
        auto c = std::make_unique<TestClient>();
        if (!c->connectTo(m_server->url()) || !c->login(user, user + u"-password"_s))
            return nullptr;
        return c;
    }

    std::optional<protocol::Event> waitForEvent(TestClient &c, const QString &room,
                                                protocol::EventKind kind)
    {
        return c.waitForType<protocol::Event>(
            15000, [&](const protocol::Event &e) { return e.room == room && e.kind == kind; });
    }

    qint64 send(TestClient &c, const QString &room, const QString &body,
                std::optional<qint64> replyTo = std::nullopt)
    {
        auto s = textMessage(room, body, QUuid::createUuid().toString(QUuid::Id128), ++m_nextId);
        s.replyTo = replyTo;
        c.sendMessage(s);
        const auto ack = replyAs<protocol::Ack>(c, *s.id);
        return ack ? ack->seq : 0;
    }

private slots:
    void initTestCase()
    {
        QVERIFY2(m_store.error().isEmpty(), qPrintable(m_store.error()));
        for (const auto &[user, name] :
             {std::pair{u"bob"_s, u"Bob Stone"_s}, std::pair{u"carol"_s, u"Carol Diaz"_s}}) {
            QCOMPARE(runAdmin(m_store.url(),
                              {u"user"_s, u"add"_s, user, u"--display-name"_s, name,
                               u"--password-stdin"_s},
                              (user + u"-password\n"_s).toUtf8()),
                     0);
        }
        m_server = std::make_unique<ServerProcess>(m_store.url());
        QVERIFY(m_server->start());
        QVERIFY2(m_app.start(m_server->url(), m_profile.path()), qPrintable(m_app.lastError()));
    }

    void cleanupTestCase()
    {
        const int code = m_app.stop();
        if (code != 0)
            qInfo().noquote() << "app output:\n" << m_app.output().right(6000);
        QCOMPARE(code, 0);
    }

    void connectPageShowsInlineErrors()
    {
        bool shown = false;
        VERIFY_WAIT(m_app.exists(u"connectPage"_s, &shown) && shown, 10000);
        QCOMPARE(m_app.get(u"serverField"_s, u"text"_s).toString(), m_server->url().toString());
        QVERIFY(m_app.screenshot(screenshotDir() + u"/connect.png"_s));

        // A name that exists: the error is under the user name.
        QVERIFY(m_app.click(u"registerTab"_s));
        QVERIFY(m_app.focus(u"userField"_s));
        QVERIFY(m_app.type(u"bob"_s));
        QVERIFY(m_app.focus(u"passwordField"_s));
        QVERIFY(m_app.type(kPassword));
        QVERIFY(m_app.key(u"Return"_s));
        VERIFY_WAIT(m_app.get(u"userError"_s, u"text"_s).toString().contains(u"taken"_s), 10000);
        QCOMPARE(m_app.get(u"App"_s, u"signedIn"_s).toBool(), false);

        // A wrong password for an existing account: under the password.
        QVERIFY(m_app.click(u"loginTab"_s));
        QVERIFY(m_app.focus(u"passwordField"_s));
        QVERIFY(m_app.type(u"x"_s));
        QVERIFY(m_app.key(u"Return"_s));
        VERIFY_WAIT(m_app.get(u"passwordError"_s, u"text"_s).toString().contains(u"Wrong"_s),
                    10000);
    }

    void registerThroughTheForm()
    {
        QVERIFY(m_app.click(u"registerTab"_s));
        QVERIFY(m_app.focus(u"userField"_s));
        QVERIFY(m_app.key(u"A"_s, {u"ctrl"_s}));
        QVERIFY(m_app.type(u"alice"_s));
        QVERIFY(m_app.focus(u"displayNameField"_s));
        QVERIFY(m_app.type(u"Alice Martin"_s));
        QVERIFY(m_app.focus(u"passwordField"_s));
        QVERIFY(m_app.key(u"A"_s, {u"ctrl"_s}));
        QVERIFY(m_app.type(kPassword));
        QVERIFY(m_app.key(u"Return"_s));
        VERIFY_WAIT(m_app.get(u"App"_s, u"signedIn"_s).toBool(), 15000);
        VERIFY_WAIT(m_app.get(u"App"_s, u"session.state"_s).toString() == u"Online"_s, 15000);
        QCOMPARE(m_app.get(u"accountName"_s, u"text"_s).toString(), u"Alice Martin"_s);
    }

    void createRoomAndSend()
    {
        QVERIFY(m_app.key(u"N"_s, {u"ctrl"_s}));
        VERIFY_WAIT(m_app.focus(u"createRoomName"_s), 5000);
        QVERIFY(m_app.type(u"team"_s));
        QVERIFY(m_app.focus(u"createRoomTopic"_s));
        QVERIFY(m_app.type(u"Release 0.3 on Friday"_s));
        QVERIFY(m_app.key(u"Return"_s));
        VERIFY_WAIT(m_app.get(u"App"_s, u"session.currentRoom.roomId"_s).toString() == u"team"_s,
                    10000);
        QCOMPARE(m_app.get(u"roomTopic"_s, u"text"_s).toString(), u"Release 0.3 on Friday"_s);

        // The new room opens ready to type in: the composer has the focus.
        VERIFY_WAIT(m_app.get(u"composerInput"_s, u"activeFocus"_s).toBool(), 5000);
        QVERIFY(m_app.type(u"Hello **team**, the build is green"_s));
        QVERIFY(m_app.key(u"Return"_s));
        VERIFY_WAIT(m_app.findRow(kView, u"body"_s, u"Hello **team**, the build is green"_s)
                            .value(u"delivery"_s)
                            .toString() == u"Delivered"_s,
                    10000);
        QCOMPARE(m_app.get(u"composerInput"_s, u"text"_s).toString(), QString());
    }

    void secondClientsReplyAppears()
    {
        m_bob = loginAs(u"bob"_s);
        QVERIFY(m_bob);
        const qint64 id = ++m_nextId;
        m_bob->sendMessage(protocol::JoinRequest{id, u"team"_s});
        QVERIFY(replyAs<protocol::RoomReply>(*m_bob, id));
        const QJsonObject mine =
            m_app.findRow(kView, u"body"_s, u"Hello **team**, the build is green"_s);
        m_aliceSeq = qint64(mine.value(u"seq"_s).toDouble());
        QVERIFY(m_aliceSeq > 0);
        m_bobSeq = send(*m_bob, u"team"_s, u"Great, shipping it :)"_s, m_aliceSeq);
        QVERIFY(m_bobSeq > m_aliceSeq);
        VERIFY_WAIT(!rowWithSeq(m_bobSeq).isEmpty(), 5000);
        const QJsonObject reply = rowWithSeq(m_bobSeq);
        QCOMPARE(reply.value(u"senderName"_s).toString(), u"Bob Stone"_s);
        QCOMPARE(qint64(reply.value(u"replyTo"_s).toDouble()), m_aliceSeq);
        QVERIFY(reply.value(u"replyBody"_s).toString().contains(u"the build is green"_s));
    }

    void editAndReact()
    {
        // Up in the empty composer takes the last message for editing.
        QVERIFY(m_app.focus(u"composerInput"_s));
        QVERIFY(m_app.key(u"Up"_s));
        QCOMPARE(m_app.get(u"composerInput"_s, u"text"_s).toString(),
                 u"Hello **team**, the build is green"_s);
        QVERIFY(m_app.key(u"End"_s));
        QVERIFY(m_app.type(u" again"_s));
        QVERIFY(m_app.key(u"Return"_s));
        VERIFY_WAIT(rowWithSeq(m_aliceSeq).value(u"edited"_s).toBool(), 10000);
        QCOMPARE(rowWithSeq(m_aliceSeq).value(u"body"_s).toString(),
                 u"Hello **team**, the build is green again"_s);
        QVERIFY(waitForEvent(*m_bob, u"team"_s, protocol::EventKind::Edit));

        // A reaction on Bob's message from the keyboard: select it, +, the first emoji.
        int row = -1;
        const QJsonArray rows = timeline();
        for (int i = 0; i < rows.size(); ++i) {
            if (qint64(rows[i].toObject().value(u"seq"_s).toDouble()) == m_bobSeq)
                row = i;
        }
        QVERIFY(row >= 0);
        QVERIFY(m_app.focus(kView));
        QVERIFY(m_app.set(kView, u"currentIndex"_s, row));
        QVERIFY(m_app.key(u"+"_s));
        VERIFY_WAIT(m_app.exists(u"pick_0"_s), 5000);
        QVERIFY(m_app.click(u"pick_0"_s));
        VERIFY_WAIT(rowWithSeq(m_bobSeq).value(u"reactions"_s).toArray().size() == 1, 10000);
        const QJsonObject reaction =
            rowWithSeq(m_bobSeq).value(u"reactions"_s).toArray().first().toObject();
        QCOMPARE(reaction.value(u"count"_s).toInt(), 1);
        QCOMPARE(reaction.value(u"you"_s).toBool(), true);
        const auto react = waitForEvent(*m_bob, u"team"_s, protocol::EventKind::React);
        QVERIFY(react);
        QCOMPARE(react->target.value_or(0), m_bobSeq);
        QVERIFY(m_app.key(u"Escape"_s)); // back to the composer
    }

    void offlineAndBackWithoutDuplicates()
    {
        m_bob.reset();
        m_server->kill9();
        VERIFY_WAIT(m_app.get(u"App"_s, u"session.state"_s).toString() == u"Offline"_s, 15000);
        bool shown = false;
        VERIFY_WAIT(m_app.exists(u"connectionBanner"_s, &shown) && shown, 5000);
        QVERIFY(m_app.get(u"bannerText"_s, u"text"_s).toString().startsWith(u"Offline"_s));
        // The account line agrees with the banner: not "Online" beside "Offline".
        QVERIFY(m_app.get(u"accountPresence"_s, u"text"_s).toString().startsWith(u"Offline"_s));
        // The banner has its own row: the timeline is still all there.
        QVERIFY(!timeline().isEmpty());

        const QString offline = u"Typed while the server was down"_s;
        QVERIFY(m_app.focus(u"composerInput"_s));
        QVERIFY(m_app.type(offline));
        QVERIFY(m_app.key(u"Return"_s));
        VERIFY_WAIT(m_app.findRow(kView, u"body"_s, offline).value(u"delivery"_s).toString() ==
                        u"Pending"_s,
                    5000);
        // Everything here is read: no "new messages" divider, not even on the pending row
        // (it has no seq yet, and "no divider" must not match it).
        QVERIFY(!m_app.exists(u"unreadDivider"_s));

        QVERIFY(m_server->start());
        VERIFY_WAIT(m_app.get(u"App"_s, u"session.state"_s).toString() == u"Online"_s, 30000);
        VERIFY_WAIT(m_app.findRow(kView, u"body"_s, offline).value(u"delivery"_s).toString() ==
                        u"Delivered"_s,
                    15000);
        VERIFY_WAIT(!m_app.exists(u"connectionBanner"_s, &shown) || !shown, 10000);
        QVERIFY(m_app.get(u"accountPresence"_s, u"text"_s).toString().startsWith(u"Online"_s));

        // One row per message, the seqs strictly descending: no duplicate, no gap.
        const QJsonArray rows = timeline();
        QSet<QString> ids;
        qint64 previous = std::numeric_limits<qint64>::max();
        for (const QJsonValue &v : rows) {
            const QJsonObject r = v.toObject();
            const qint64 seq = qint64(r.value(u"seq"_s).toDouble());
            QVERIFY2(seq > 0 && seq < previous, "rows are not unique, delivered seqs");
            previous = seq;
            const QString id = r.value(u"clientMsgId"_s).toString();
            QVERIFY2(id.isEmpty() || !ids.contains(id), qPrintable(u"twice: "_s + id));
            ids.insert(id);
        }
        QCOMPARE(m_app.countRows(kView, u"body"_s, offline), 1);

        // The other client, resuming from before the outage, gets it exactly once.
        m_bob = loginAs(u"bob"_s);
        QVERIFY(m_bob);
        m_bob->sendMessage(
            protocol::HistoryRequest{++m_nextId, u"team"_s, std::nullopt, m_bobSeq, 100});
        const auto history = replyAs<protocol::HistoryReply>(*m_bob, m_nextId);
        QVERIFY(history);
        int copies = 0;
        for (const protocol::Event &e : history->events)
            copies += e.kind == protocol::EventKind::Text && e.body == offline ? 1 : 0;
        QCOMPARE(copies, 1);
    }

    void screenshotsOfTheMainWindow()
    {
        // A livelier scene: a second channel with a mention, a direct message, code.
        auto carol = loginAs(u"carol"_s);
        QVERIFY(carol);
        carol->sendMessage(protocol::CreateRequest{++m_nextId, u"random"_s, false,
                                                   u"Lunch, links and cat pictures"_s});
        QVERIFY(replyAs<protocol::RoomReply>(*carol, m_nextId));
        QVERIFY(m_app.key(u"J"_s, {u"ctrl"_s}));
        VERIFY_WAIT(m_app.focus(u"joinRoomName"_s), 5000);
        QVERIFY(m_app.type(u"random"_s));
        QVERIFY(m_app.key(u"Return"_s));
        VERIFY_WAIT(m_app.get(u"App"_s, u"session.currentRoom.roomId"_s).toString() == u"random"_s,
                    10000);
        // Back to #team with the switcher.
        QVERIFY(m_app.key(u"K"_s, {u"ctrl"_s}));
        VERIFY_WAIT(m_app.focus(u"switcherField"_s), 5000);
        QVERIFY(m_app.type(u"tea"_s));
        QVERIFY(m_app.key(u"Return"_s));
        VERIFY_WAIT(m_app.get(u"App"_s, u"session.currentRoom.roomId"_s).toString() == u"team"_s,
                    10000);

        QVERIFY(send(*carol, u"random"_s, u"@alice could you look at the release notes?"_s));
        carol->sendMessage(protocol::JoinRequest{++m_nextId, u"team"_s});
        QVERIFY(replyAs<protocol::RoomReply>(*carol, m_nextId));
        QVERIFY(send(*carol, u"team"_s,
                     u"Release checklist:\n```\nmake release VERSION=0.3\n```\nthen tag it"_s));
        QVERIFY(send(*m_bob, u"team"_s, u"Tagged. Notes are at https://example.org/notes"_s));
        m_bob->sendMessage(protocol::DmRequest{++m_nextId, u"alice"_s});
        const auto dm = replyAs<protocol::RoomReply>(*m_bob, m_nextId);
        QVERIFY(dm);
        QVERIFY(send(*m_bob, dm->room.room, u"Lunch at 12?"_s));

        VERIFY_WAIT(m_app.findRow(u"channelList"_s, u"roomId"_s, u"random"_s)
                            .value(u"mentionCount"_s)
                            .toInt() == 1,
                    10000);
        VERIFY_WAIT(m_app.findRow(u"directList"_s, u"roomId"_s, dm->room.room)
                            .value(u"unreadCount"_s)
                            .toInt() == 1,
                    10000);
        VERIFY_WAIT(m_app.countRows(kView, u"sender"_s, u"carol"_s) == 2, 10000); // joined, wrote
        // @ completion: the list, then Tab takes the name.
        QVERIFY(m_app.focus(u"composerInput"_s));
        QVERIFY(m_app.type(u"Thanks @bo"_s));
        VERIFY_WAIT(m_app.get(u"completionPopup"_s, u"visible"_s).toBool(), 5000);
        QTest::qWait(300); // let the last frames settle
        QVERIFY(m_app.screenshot(screenshotDir() + u"/completion.png"_s));
        QVERIFY(m_app.key(u"Tab"_s));
        QCOMPARE(m_app.get(u"composerInput"_s, u"text"_s).toString(), u"Thanks @bob "_s);
        QVERIFY(!m_app.get(u"completionPopup"_s, u"visible"_s).toBool());
        QTest::qWait(300);
        QVERIFY(m_app.screenshot(screenshotDir() + u"/main-light.png"_s));
        QVERIFY(m_app.set(u"App"_s, u"theme"_s, u"dark"_s));
        QTest::qWait(300);
        QVERIFY(m_app.screenshot(screenshotDir() + u"/main-dark.png"_s));
        QVERIFY(m_app.key(u"Escape"_s));
        QVERIFY(m_app.set(u"App"_s, u"theme"_s, u"light"_s));
    }

    void draftsDividerAndTyping()
    {
        // Someone typing in the open room shows under the timeline.
        m_bob->sendMessage(protocol::TypingRequest{u"team"_s});
        VERIFY_WAIT(m_app.get(u"typingIndicator"_s, u"names"_s).toArray().contains(u"Bob Stone"_s),
                    5000);

        // The draft stays with its room; #random opens on the new-messages divider.
        QCOMPARE(m_app.get(u"composerInput"_s, u"text"_s).toString(), u"Thanks @bob "_s);
        QVERIFY(m_app.key(u"K"_s, {u"ctrl"_s}));
        VERIFY_WAIT(m_app.focus(u"switcherField"_s), 5000);
        QVERIFY(m_app.type(u"rand"_s));
        QVERIFY(m_app.key(u"Return"_s));
        VERIFY_WAIT(m_app.get(u"App"_s, u"session.currentRoom.roomId"_s).toString() == u"random"_s,
                    10000);
        QCOMPARE(m_app.get(u"composerInput"_s, u"text"_s).toString(), QString());
        bool shown = false;
        if (!AppDriver::waitFor([&] { return m_app.exists(u"unreadDivider"_s, &shown) && shown; },
                                5000))
            qWarning() << "divider at" << m_app.get(u"timelinePane"_s, u"dividerSeq"_s)
                       << m_app.rows(kView);
        QVERIFY(shown);
        // Read once seen: the badge goes, the divider stays while the room is open.
        VERIFY_WAIT(m_app.findRow(u"channelList"_s, u"roomId"_s, u"random"_s)
                            .value(u"mentionCount"_s)
                            .toInt() == 0,
                    5000);
        QVERIFY(m_app.exists(u"unreadDivider"_s, &shown) && shown);
        QVERIFY(m_app.key(u"Down"_s, {u"alt"_s, u"shift"_s})); // the next unread room: the DM
        VERIFY_WAIT(m_app.get(u"App"_s, u"session.currentRoom.isDirect"_s).toBool(), 5000);
        QVERIFY(m_app.key(u"K"_s, {u"ctrl"_s}));
        VERIFY_WAIT(m_app.focus(u"switcherField"_s), 5000);
        QVERIFY(m_app.type(u"team"_s));
        QVERIFY(m_app.key(u"Return"_s));
        VERIFY_WAIT(m_app.get(u"App"_s, u"session.currentRoom.roomId"_s).toString() == u"team"_s,
                    10000);
        QCOMPARE(m_app.get(u"composerInput"_s, u"text"_s).toString(), u"Thanks @bob "_s);
    }

    void filesAttachedAndShown()
    {
        // Alice attaches a picture the way a drop or the attach button does.
        QTemporaryDir dir;
        const QString photo = dir.filePath(u"mountains.png"_s);
        QVERIFY(landscape(1280, 800).save(photo));
        const QJsonValue attached = m_app.invoke(u"timelinePane"_s, u"attachFiles"_s,
                                                 {QUrl::fromLocalFile(photo).toString()});
        QVERIFY2(attached.toInt() == 1,
                 qPrintable(m_app.lastError() + u" | "_s +
                            m_app.get(u"App"_s, u"session.actionErrorText"_s).toString()));
        VERIFY_WAIT(m_app.findRow(kView, u"kind"_s, u"file"_s).value(u"delivery"_s).toString() ==
                        u"Delivered"_s,
                    15000);
        const QJsonObject row = m_app.findRow(kView, u"kind"_s, u"file"_s);
        const QJsonObject file = row.value(u"file"_s).toObject();
        QCOMPARE(file.value(u"name"_s).toString(), u"mountains.png"_s);
        QCOMPARE(file.value(u"width"_s).toInt(), 1280);
        QVERIFY(file.value(u"image"_s).toBool());
        // The thumbnail shows: loaded from the server into the cache, sized 360 x 225.
        VERIFY_WAIT(m_app.get(u"fileImage"_s, u"status"_s).toString() == u"Ready"_s &&
                        m_app.get(u"fileImage"_s, u"source"_s)
                            .toString()
                            .contains(file.value(u"thumb"_s).toString()),
                    10000);
        QCOMPARE(m_app.get(u"fileImage"_s, u"width"_s).toInt(), 360);
        QCOMPARE(m_app.get(u"fileImage"_s, u"height"_s).toInt(), 225);

        // Bob posts a PDF: a card with its name, Open and Save.
        TestClient bob;
        QVERIFY(bob.connectTo(m_server->url()));
        const auto welcome = bob.login(u"bob"_s, u"bob-password"_s);
        QVERIFY(welcome);
        QByteArray pdf = "%PDF-1.4\n% release notes\n";
        pdf += QByteArray(180000, ' ');
        const HttpReply up =
            uploadFile(m_server->port(), welcome->token, u"release-notes-0.3.pdf"_s, pdf);
        QCOMPARE(up.status, 201);
        auto post = fileMessage(u"team"_s, up.json().value(u"id"_s).toString(),
                                QUuid::createUuid().toString(QUuid::Id128), ++m_nextId);
        post.body = u"Notes for 0.3, please read before Friday"_s;
        bob.sendMessage(post);
        QVERIFY(replyAs<protocol::Ack>(bob, *post.id));
        VERIFY_WAIT(m_app.get(u"fileName"_s, u"text"_s).toString() == u"release-notes-0.3.pdf"_s,
                    10000);
        QTest::qWait(300);
        QVERIFY(m_app.screenshot(screenshotDir() + u"/files.png"_s));

        // A click opens the viewer at full size; Esc closes it.
        QVERIFY(m_app.click(u"fileImage"_s));
        VERIFY_WAIT(m_app.get(u"imageViewer"_s, u"opened"_s).toBool(), 5000);
        VERIFY_WAIT(m_app.get(u"viewerImage"_s, u"status"_s).toString() == u"Ready"_s, 10000);
        QCOMPARE(m_app.get(u"viewerName"_s, u"text"_s).toString(), u"mountains.png"_s);
        QTest::qWait(300);
        QVERIFY(m_app.screenshot(screenshotDir() + u"/image-viewer.png"_s));
        QVERIFY(m_app.key(u"Escape"_s));
        VERIFY_WAIT(!m_app.get(u"imageViewer"_s, u"opened"_s).toBool(), 5000);

        // An upload in progress: the server freezes while the bytes flow, the row shows
        // how far it got, then it completes once the server runs again.
        const QString big = dir.filePath(u"build-artifacts.tar"_s);
        {
            QFile f(big);
            QVERIFY(f.open(QIODevice::WriteOnly));
            const QByteArray chunk(1 << 20, 'x');
            for (int i = 0; i < 90; ++i)
                f.write(chunk);
        }
        QCOMPARE(
            m_app.invoke(u"timelinePane"_s, u"attachFiles"_s, {QUrl::fromLocalFile(big).toString()})
                .toInt(),
            1);
        double progress = -1;
        const bool caught = AppDriver::waitFor(
            [&] {
                progress =
                    m_app
                        .findRow(kView, u"clientMsgId"_s,
                                 m_app.rows(kView, 1).at(0).toObject().value(u"clientMsgId"_s))
                        .value(u"uploadProgress"_s)
                        .toDouble(-1);
                if (progress > 0)
                    m_server->pause();
                return progress > 0;
            },
            15000);
        QVERIFY(caught);
        if (progress < 1) {
            QTest::qWait(300);
            QVERIFY(m_app.screenshot(screenshotDir() + u"/upload-progress.png"_s));
        } else {
            qWarning() << "the upload finished before the server was frozen: no screenshot";
        }
        m_server->resume();
        VERIFY_WAIT(m_app.countRows(kView, u"kind"_s, u"file"_s) == 3 &&
                        m_app.get(u"App"_s, u"session.outboxCount"_s).toInt() == 0,
                    30000);
    }
};

QTEST_GUILESS_MAIN(TestAppEndToEnd)
#include "tst_app_e2e.moc"
