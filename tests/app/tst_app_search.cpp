// Search in the real confab app (offscreen) against the real confab-server: a room of
// 50,000 events, Ctrl+Shift+F, the results listed with their snippets, the keyboard
// picks the older one, Return opens it: the timeline shows the history around that
// message, the message in the middle of the view and marked, "Jump to newest" back. With
// the server gone, search runs over this computer's cache and says so. Saves the
// screenshots of docs/screenshots (search results, a jumped-to message).
#include "appdriver.h"
#include "fixtures.h"

#include <QJsonArray>
#include <QTemporaryDir>

using namespace confab;
using namespace confab::testing;
using namespace Qt::StringLiterals;

namespace {
const QString kView = u"timelineView"_s;
const QString kResults = u"searchResults"_s;
constexpr int kEvents = 50000;
constexpr int kOldHit = 1234;     // far back: only on the server
constexpr int kRecentHit = 49980; // in the newest page, which the app has cached
} // namespace

#define VERIFY_WAIT(expr, ms)                                                                      \
    QVERIFY2(AppDriver::waitFor([&] { return bool(expr); }, ms),                                   \
             qPrintable(u"timed out: "_s + QStringLiteral(#expr) + u" | "_s + m_app.lastError()))

class TestAppSearch : public QObject
{
    Q_OBJECT

    TestStore m_store;
    std::unique_ptr<ServerProcess> m_server;
    QTemporaryDir m_profile;
    AppDriver m_app;
    QHash<int, qint64> m_seqOf; // message number -> seq

    // Whether the timeline has a row of seq (any of its rows, not only the first 100).
    bool holds(qint64 seq)
    {
        const QJsonArray rows = m_app.rows(kView, 5000);
        return std::any_of(rows.begin(), rows.end(), [seq](const QJsonValue &r) {
            return r.toObject().value(u"seq"_s).toDouble() == double(seq);
        });
    }

    // The seqs of the message delegates inside the view's viewport, each as often as the
    // view draws it.
    QList<qint64> seqsOnScreen()
    {
        const double top = m_app.get(kView, u"contentY"_s).toDouble();
        const double bottom = top + m_app.get(kView, u"height"_s).toDouble();
        QList<qint64> seqs;
        const QJsonArray items = m_app.items(u"messageDelegate"_s, {u"seq"_s, u"y"_s, u"height"_s});
        for (const QJsonValue &v : items) {
            const QJsonObject o = v.toObject();
            const double y = o.value(u"y"_s).toDouble();
            if (y + o.value(u"height"_s).toDouble() > top && y < bottom)
                seqs.append(qint64(o.value(u"seq"_s).toDouble()));
        }
        std::sort(seqs.begin(), seqs.end());
        return seqs;
    }

    static QString bodyOf(int i)
    {
        if (i == kOldHit)
            return u"The quarterly **zebra** report is ready for review"_s;
        if (i == kRecentHit)
            return u"Watch out for the zebra crossing by the office"_s;
        return u"status %1: deploy of build %2 went fine"_s.arg(i).arg(i % 97);
    }

private slots:
    void initTestCase()
    {
        QVERIFY2(m_store.error().isEmpty(), qPrintable(m_store.error()));
        QCOMPARE(runAdmin(m_store.url(),
                          {u"user"_s, u"add"_s, u"bob"_s, u"--display-name"_s, u"Bob Stone"_s,
                           u"--password-stdin"_s},
                          "bob-password\n"),
                 0);
        m_server = std::make_unique<ServerProcess>(m_store.url(), QStringList{u"--rate"_s, u"0"_s});
        QVERIFY(m_server->start());
        TestClient bob;
        QVERIFY(bob.connectTo(m_server->url()) && bob.login(u"bob"_s, u"bob-password"_s));
        QVERIFY(createRoom(bob, u"archive"_s));
        qint64 id = 100;
        for (int done = 0; done < kEvents;) {
            const int window = std::min(500, kEvents - done);
            for (int i = done; i < done + window; ++i)
                bob.sendMessage(textMessage(u"archive"_s, bodyOf(i), u"m-%1"_s.arg(i), ++id));
            for (int i = 0; i < window; ++i) {
                const auto ack = bob.waitForType<protocol::Ack>(60000);
                QVERIFY(ack);
                m_seqOf.insert(ack->clientMsgId.mid(2).toInt(), ack->seq);
            }
            done += window;
        }
        QCOMPARE(m_seqOf.size(), kEvents);

        QVERIFY2(m_app.start(m_server->url(), m_profile.path()), qPrintable(m_app.lastError()));
        VERIFY_WAIT(m_app.focus(u"userField"_s), 10000);
        QVERIFY(m_app.click(u"registerTab"_s));
        QVERIFY(m_app.focus(u"userField"_s));
        QVERIFY(m_app.key(u"A"_s, {u"ctrl"_s}));
        QVERIFY(m_app.type(u"alice"_s));
        QVERIFY(m_app.focus(u"passwordField"_s));
        QVERIFY(m_app.key(u"A"_s, {u"ctrl"_s}));
        QVERIFY(m_app.type(u"alice-password"_s));
        QVERIFY(m_app.key(u"Return"_s));
        VERIFY_WAIT(m_app.get(u"App"_s, u"session.state"_s).toString() == u"Online"_s, 15000);
        QVERIFY(m_app.key(u"J"_s, {u"ctrl"_s}));
        VERIFY_WAIT(m_app.focus(u"joinRoomName"_s), 5000);
        QVERIFY(m_app.type(u"archive"_s));
        QVERIFY(m_app.key(u"Return"_s));
        VERIFY_WAIT(m_app.get(u"App"_s, u"session.currentRoom.roomId"_s).toString() == u"archive"_s,
                    10000);
        VERIFY_WAIT(holds(m_seqOf.value(kEvents - 1)), 15000);
    }

    void cleanupTestCase()
    {
        const int code = m_app.stop();
        if (code != 0)
            qInfo().noquote() << "app output:\n" << m_app.output().right(6000);
        QCOMPARE(code, 0);
    }

    void searchOpensAMessageFarBack()
    {
        QVERIFY(m_app.key(u"F"_s, {u"ctrl"_s, u"shift"_s}));
        VERIFY_WAIT(m_app.get(u"searchField"_s, u"activeFocus"_s).toBool(), 5000);
        QVERIFY(m_app.type(u"zebra"_s));
        VERIFY_WAIT(m_app.rows(kResults).size() == 2, 10000);
        const QJsonArray hits = m_app.rows(kResults);
        // Newest first, each with its room, sender and the word marked.
        QCOMPARE(hits[0].toObject().value(u"seq"_s).toDouble(), double(m_seqOf.value(kRecentHit)));
        QCOMPARE(hits[1].toObject().value(u"seq"_s).toDouble(), double(m_seqOf.value(kOldHit)));
        QCOMPARE(hits[1].toObject().value(u"roomName"_s).toString(), u"#archive"_s);
        QCOMPARE(hits[1].toObject().value(u"senderName"_s).toString(), u"Bob Stone"_s);
        QCOMPARE(hits[1].toObject().value(u"snippet"_s).toString(),
                 u"The quarterly zebra report is ready for review"_s);
        QVERIFY(hits[1].toObject().value(u"snippetHtml"_s).toString().contains(u">zebra</span>"_s));
        QVERIFY(!m_app.get(u"searchOffline"_s, u"visible"_s).toBool());
        QTest::qWait(300);
        QVERIFY(m_app.screenshot(screenshotDir() + u"/search-results.png"_s));

        // Down to the older one, Return: the room shows the history around it.
        const qint64 target = m_seqOf.value(kOldHit);
        QVERIFY(m_app.key(u"Down"_s));
        QCOMPARE(m_app.get(kResults, u"currentIndex"_s).toInt(), 1);
        QVERIFY(m_app.key(u"Return"_s));
        VERIFY_WAIT(m_app.get(u"timelinePane"_s, u"flashSeq"_s).toDouble() == double(target),
                    10000);
        QVERIFY(holds(target));
        QVERIFY(m_app.invoke(u"timelinePane"_s, u"shows"_s, {double(target)}).toBool());
        QVERIFY(m_app.get(u"timelinePane"_s, u"detached"_s).toBool());
        // Older and newer neighbours, no newest rows.
        QVERIFY(holds(target - 10));
        QVERIFY(holds(target + 10));
        QVERIFY(!holds(m_seqOf.value(kEvents - 1)));
        // Every row once, in the model and on screen.
        const QJsonArray rows = m_app.rows(kView, 5000);
        QSet<qint64> distinct;
        for (const QJsonValue &r : rows)
            distinct.insert(qint64(r.toObject().value(u"seq"_s).toDouble()));
        QCOMPARE(distinct.size(), rows.size());
        const QList<qint64> onScreen = seqsOnScreen();
        QVERIFY(onScreen.contains(target));
        QStringList drawn;
        for (qint64 seq : onScreen)
            drawn.append(QString::number(seq));
        QVERIFY2(std::adjacent_find(onScreen.begin(), onScreen.end()) == onScreen.end(),
                 qPrintable(u"drawn twice among "_s + drawn.join(u',')));
        bool shown = false;
        QVERIFY(m_app.exists(u"jumpToLatestButton"_s, &shown) && shown);
        QCOMPARE(m_app.get(u"jumpToLatestButton"_s, u"text"_s).toString(), u"↓ Jump to newest"_s);
        QVERIFY(m_app.screenshot(screenshotDir() + u"/search-jump.png"_s));

        // Back to the newest.
        QVERIFY(m_app.click(u"jumpToLatestButton"_s));
        VERIFY_WAIT(!m_app.get(u"timelinePane"_s, u"detached"_s).toBool(), 10000);
        VERIFY_WAIT(holds(m_seqOf.value(kEvents - 1)), 10000);
        QVERIFY(!holds(target));
    }

    void aBadQuerySaysWhy()
    {
        QVERIFY(m_app.focus(u"searchField"_s));
        QVERIFY(m_app.key(u"A"_s, {u"ctrl"_s}));
        QVERIFY(m_app.type(u"zebra before:yesterday"_s));
        VERIFY_WAIT(
            m_app.get(u"searchStatus"_s, u"text"_s).toString().contains(u"before:yesterday"_s),
            10000);
        QCOMPARE(m_app.rows(kResults).size(), 0);
    }

    // The server gone: the same search runs over this computer's cache, which holds the
    // room's newest messages, and says whose results these are.
    void offlineSearchesTheCache()
    {
        m_server->kill9();
        VERIFY_WAIT(m_app.get(u"App"_s, u"session.state"_s).toString() == u"Offline"_s, 15000);
        QVERIFY(m_app.focus(u"searchField"_s));
        QVERIFY(m_app.key(u"A"_s, {u"ctrl"_s}));
        QVERIFY(m_app.type(u"zebra crossing"_s));
        VERIFY_WAIT(m_app.rows(kResults).size() == 1, 10000);
        const QJsonObject hit = m_app.rows(kResults).first().toObject();
        QCOMPARE(hit.value(u"seq"_s).toDouble(), double(m_seqOf.value(kRecentHit)));
        QCOMPARE(hit.value(u"roomName"_s).toString(), u"#archive"_s);
        QVERIFY(hit.value(u"snippetHtml"_s).toString().contains(u">zebra</span>"_s));
        bool shown = false;
        QVERIFY(m_app.exists(u"searchOffline"_s, &shown) && shown);
        QVERIFY(m_app.get(u"searchOffline"_s, u"text"_s).toString().contains(u"this device"_s));
        // Opening it works from the cache too (Return in the field opens the first).
        QVERIFY(m_app.key(u"Return"_s));
        VERIFY_WAIT(m_app.get(u"timelinePane"_s, u"flashSeq"_s).toDouble() ==
                        double(m_seqOf.value(kRecentHit)),
                    10000);
        QVERIFY(m_app.invoke(u"timelinePane"_s, u"shows"_s, {double(m_seqOf.value(kRecentHit))})
                    .toBool());
    }
};

QTEST_MAIN(TestAppSearch)
#include "tst_app_search.moc"
