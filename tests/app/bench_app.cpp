// confab-app-bench: the desktop app's figures of docs/benchmarks.md, measured on the real
// confab binary through its --automation socket (run it under xvfb-run for a real X
// window; it says which platform and scene graph backend the app used):
//   open      a room of N cached events (offline): ms to the first frame that shows its
//             newest screen, each run a fresh app
//   fling     flicking that room towards older messages: frame work (afterAnimating to
//             frameSwapped) and swap intervals, p50 / p99 / max
//   latency   the real server, another client sending: ms from the event reaching the app
//             to the next frame swapped
// Usage: confab-app-bench [--events N] [--runs R] [--fling-seconds S] [--messages M]
#include "account/profile.h"
#include "account/tokenstore.h"
#include "appdriver.h"
#include "fixtures.h"
#include "store/storethread.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QSettings>
#include <QTemporaryDir>
#include <cstdio>

using namespace confab;
using namespace confab::testing;
using namespace Qt::StringLiterals;

namespace {
const QUrl kOffline(u"ws://127.0.0.1:9"_s); // nothing listens: the app stays on its cache

protocol::Event benchEvent(const QString &room, qint64 seq)
{
    static const QStringList users{u"bob"_s, u"carol"_s, u"dave"_s, u"erin"_s};
    protocol::Event e;
    e.room = room;
    e.seq = seq;
    e.ts = 1767225600000 + seq * 40000;
    // Runs of two or three by one sender, some Markdown, a link, now and then code.
    e.from = users[(seq / 3) % users.size()];
    e.body =
        seq % 7 == 0
            ? u"build %1 is out:\n```\nmake release VERSION=%1\n```"_s.arg(seq)
            : u"message %1: the **build** on `main` is green again, see https://ci.lan/%1"_s.arg(
                  seq);
    return e;
}

// The app opens on #small (the last run left it on #big).
void startInSmallRoom(const QString &dir)
{
    const client::Profile profile(dir);
    QSettings app(QDir(profile.configDir()).filePath(u"app.ini"_s), QSettings::IniFormat);
    app.setValue(u"account/url"_s, kOffline);
    app.setValue(u"account/user"_s, u"alice"_s);
    app.setValue(u"lastRoom/"_s + client::Profile::accountKey(kOffline, u"alice"_s), u"small"_s);
}

// A profile whose one account (alice on an unreachable server) has `events` cached
// messages in #big and a few in #small, and a token, so the app opens straight onto it.
void makeProfile(const QString &dir, int events)
{
    const client::Profile profile(dir);
    const client::SessionOptions o = profile.sessionOptions(kOffline, u"alice"_s);
    {
        client::StoreThread store(QDir(o.dataDir).filePath(u"outbox.db"_s),
                                  QDir(o.cacheDir).filePath(u"cache.db"_s), u"bench-fill"_s);
        QString error;
        if (!store.open(&error))
            qFatal("cache: %s", qPrintable(error));
        store.call([&](client::StoreWorker &w) {
            w.resetForEpoch(u"bench"_s, u"alice"_s);
            QList<protocol::RoomInfo> infos;
            for (const auto &[room, n] : {std::pair{u"big"_s, events}, std::pair{u"small"_s, 20}}) {
                protocol::RoomInfo info;
                info.room = room;
                info.name = room;
                info.lastSeq = n;
                info.readSeq = n;
                info.members = 5;
                infos.append(info);
            }
            w.storeRooms(infos);
            for (const protocol::RoomInfo &info : std::as_const(infos)) {
                for (qint64 from = 1; from <= info.lastSeq; from += 1000) {
                    QList<protocol::Event> batch;
                    for (qint64 s = from; s < from + 1000 && s <= info.lastSeq; ++s)
                        batch.append(benchEvent(info.room, s));
                    w.storeEvents(info.room, batch, false, int(info.lastSeq));
                }
            }
        });
    }
    QDir().mkpath(profile.configDir());
    QSettings accounts(profile.settingsFile(), QSettings::IniFormat);
    accounts.beginWriteArray(u"accounts"_s, 1);
    accounts.setArrayIndex(0);
    accounts.setValue(u"url"_s, kOffline);
    accounts.setValue(u"user"_s, u"alice"_s);
    accounts.endArray();
    startInSmallRoom(dir);
    client::FileTokenStore tokens(profile.tokenFile());
    bool written = false;
    tokens.write(o.tokenKey, u"bench-token"_s, [&](bool ok, const QString &) { written = ok; });
    if (!AppDriver::waitFor([&] { return written; }, 5000))
        qFatal("token not written");
}

void report(const char *name, double value, const char *unit, const QString &detail = {})
{
    std::printf("%-30s %10.2f %-3s %s\n", name, value, unit, qPrintable(detail));
    std::fflush(stdout);
}

double median(QList<double> v)
{
    std::sort(v.begin(), v.end());
    return v.isEmpty() ? 0 : v[v.size() / 2];
}

bool startOnCache(AppDriver &app, const QString &profile)
{
    if (!app.start(kOffline, profile))
        return false;
    return AppDriver::waitFor(
        [&] {
            return app.get(u"App"_s, u"session.currentRoom.roomId"_s).toString() == u"small"_s &&
                   app.countRows(u"timelineView"_s, u"kind"_s, u"text"_s) > 0;
        },
        20000);
}

void benchOpenAndFling(int events, int runs, double flingSeconds)
{
    QTemporaryDir dir;
    makeProfile(dir.path(), events);
    QList<double> open;
    for (int run = 0; run < runs; ++run) {
        AppDriver app;
        startInSmallRoom(dir.path());
        if (!startOnCache(app, dir.path()))
            qFatal("the app did not open its cache: %s", app.output().right(2000).constData());
        QTest::qWait(500); // start-up settles
        const QJsonObject r = app.call({{u"cmd"_s, u"openRoom"_s}, {u"room"_s, u"big"_s}}, 15000);
        if (!r.value(u"ok"_s).toBool())
            qFatal("open: %s", qPrintable(r.value(u"error"_s).toString()));
        open.append(r.value(u"ms"_s).toDouble());
        if (run == runs - 1) {
            const QJsonObject f = app.call(
                {{u"cmd"_s, u"fling"_s}, {u"seconds"_s, flingSeconds}, {u"velocity"_s, 2500}},
                int(flingSeconds * 1000) + 15000);
            report("fling: frame work p50", f.value(u"workP50Ms"_s).toDouble(), "ms",
                   u"%1 frames in %2 s"_s.arg(f.value(u"frames"_s).toInt())
                       .arg(f.value(u"seconds"_s).toDouble(), 0, 'f', 1));
            report("fling: frame work p99", f.value(u"workP99Ms"_s).toDouble(), "ms");
            report("fling: frame work max", f.value(u"workMaxMs"_s).toDouble(), "ms");
            report("fling: prepare p99", f.value(u"prepareP99Ms"_s).toDouble(), "ms",
                   u"animations, polish (rows created), sync"_s);
            report("fling: render p99", f.value(u"renderP99Ms"_s).toDouble(), "ms",
                   u"render and swap"_s);
            report("fling: swap interval p50", f.value(u"intervalP50Ms"_s).toDouble(), "ms");
            report("fling: swap interval p99", f.value(u"intervalP99Ms"_s).toDouble(), "ms",
                   u"%1 rows loaded, %2 px scrolled"_s.arg(f.value(u"rows"_s).toInt())
                       .arg(f.value(u"scrolledPx"_s).toDouble(), 0, 'f', 0));
            const QJsonObject info = app.call({{u"cmd"_s, u"info"_s}});
            std::printf("app: platform %s, scene graph %s, render loop %s\n",
                        qPrintable(info.value(u"platform"_s).toString()),
                        qPrintable(info.value(u"graphicsApi"_s).toString()),
                        qPrintable(info.value(u"renderLoop"_s).toString()));
        }
        app.stop();
    }
    report("open: newest screen (median)", median(open), "ms",
           u"%1 cached events, %2 fresh app runs"_s.arg(events).arg(runs));
    report("open: newest screen (max)", *std::max_element(open.cbegin(), open.cend()), "ms");
}

void benchLatency(int messages)
{
    TestStore store;
    if (runAdmin(store.url(), {u"user"_s, u"add"_s, u"bob"_s, u"--password-stdin"_s},
                 "bob-password\n") != 0)
        qFatal("user bob");
    ServerProcess server(store.url());
    if (!server.start())
        qFatal("server did not start");
    QTemporaryDir dir;
    AppDriver app;
    if (!app.start(server.url(), dir.path()))
        qFatal("app did not start");
    AppDriver::waitFor([&] { return app.focus(u"userField"_s); }, 10000);
    app.click(u"registerTab"_s);
    app.focus(u"userField"_s);
    app.type(u"alice"_s);
    app.focus(u"passwordField"_s);
    app.type(u"alice-password"_s);
    app.key(u"Return"_s);
    AppDriver::waitFor(
        [&] { return app.get(u"App"_s, u"session.state"_s).toString() == u"Online"_s; }, 15000);
    app.key(u"N"_s, {u"ctrl"_s});
    AppDriver::waitFor([&] { return app.focus(u"createRoomName"_s); }, 5000);
    app.type(u"team"_s);
    app.key(u"Return"_s);
    if (!AppDriver::waitFor(
            [&] {
                return app.get(u"App"_s, u"session.currentRoom.roomId"_s).toString() == u"team"_s;
            },
            10000))
        qFatal("no room: %s", app.output().right(3000).constData());
    TestClient bob;
    if (!bob.connectTo(server.url()) || !bob.login(u"bob"_s, u"bob-password"_s))
        qFatal("bob");
    qint64 id = 0;
    bob.sendMessage(protocol::JoinRequest{++id, u"team"_s});
    replyAs<protocol::RoomReply>(bob, id);
    app.call({{u"cmd"_s, u"latencyStart"_s}});
    for (int i = 0; i < messages; ++i) {
        bob.sendMessage(textMessage(u"team"_s, u"message %1 from bob"_s.arg(i),
                                    QUuid::createUuid().toString(), ++id));
        replyAs<protocol::Ack>(bob, id);
        QTest::qWait(100); // a busy room, not a flood (the server limits bursts)
    }
    QTest::qWait(500);
    const QJsonObject r = app.call({{u"cmd"_s, u"latencyStop"_s}});
    report("latency: arrival to frame p50", r.value(u"p50Ms"_s).toDouble(), "ms",
           u"%1 messages"_s.arg(r.value(u"count"_s).toInt()));
    report("latency: arrival to frame p99", r.value(u"p99Ms"_s).toDouble(), "ms");
    report("latency: arrival to frame max", r.value(u"maxMs"_s).toDouble(), "ms");
    app.stop();
}
} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication qapp(argc, argv);
    QCommandLineParser p;
    p.addHelpOption();
    p.addOption({u"events"_s, u"Cached events in the big room."_s, u"n"_s, u"50000"_s});
    p.addOption({u"runs"_s, u"Fresh app runs for the open figure."_s, u"n"_s, u"5"_s});
    p.addOption({u"fling-seconds"_s, u"How long to fling."_s, u"s"_s, u"6"_s});
    p.addOption({u"messages"_s, u"Messages for the latency figure."_s, u"n"_s, u"100"_s});
    p.process(qapp);
    std::printf("platform: %s, scene graph backend: %s\n",
                qPrintable(qEnvironmentVariable("QT_QPA_PLATFORM", u"(default)"_s)),
                qPrintable(qEnvironmentVariable("QT_QUICK_BACKEND", u"(default)"_s)));
    benchOpenAndFling(p.value(u"events"_s).toInt(), p.value(u"runs"_s).toInt(),
                      p.value(u"fling-seconds"_s).toDouble());
    benchLatency(p.value(u"messages"_s).toInt());
    return 0;
}
