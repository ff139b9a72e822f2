// confab-app-bench: the desktop app's figures of docs/benchmarks.md, measured on the real
// confab binary through its --automation socket (run it under xvfb-run for a real X
// window; it says which platform and scene graph backend the app used):
//   open      a room of N cached events (offline): ms to the first frame that shows its
//             newest screen, each run a fresh app
//   fling     flicking that room towards older messages: frame work (afterAnimating to
//             frameSwapped) and swap intervals, p50 / p99 / max
//   latency   the real server, another client sending: ms from the event reaching the app
//             to the swap of the first frame that can show it; also from the send
//   jump      the real server, a room of N events (the app caches the newest 1,000): ms
//             from opening a search result far back to the swap of the first frame that
//             shows the message there
// Every figure is the median over fresh runs; each run's figures and the load average are
// printed as they come. --help lists the options.
#include "account/profile.h"
#include "account/tokenstore.h"
#include "appdriver.h"
#include "fixtures.h"
#include "store/storethread.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
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
    std::printf("%-34s %9.2f %-3s %s\n", name, value, unit, qPrintable(detail));
    std::fflush(stdout);
}

double median(QList<double> v)
{
    std::sort(v.begin(), v.end());
    if (v.isEmpty())
        return 0;
    const qsizetype n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// One figure over several runs: its median, and the range as the detail.
void reportRuns(const char *name, const QList<double> &runs, const char *unit,
                const QString &detail = {})
{
    const auto [lo, hi] = std::minmax_element(runs.cbegin(), runs.cend());
    QString range =
        runs.size() > 1 ? u"runs %1-%2"_s.arg(*lo, 0, 'f', 2).arg(*hi, 0, 'f', 2) : QString();
    if (!detail.isEmpty())
        range += (range.isEmpty() ? u""_s : u"; "_s) + detail;
    report(name, median(runs), unit, range);
}

double percentile(QList<double> v, double p)
{
    std::sort(v.begin(), v.end());
    return v.isEmpty() ? 0 : v[std::min(v.size() - 1, qsizetype(p * double(v.size())))];
}

qint64 monotonicNs()
{
    return QDeadlineTimer::current(Qt::PreciseTimer).deadlineNSecs();
}

double loadAverage()
{
    QFile f(u"/proc/loadavg"_s);
    return f.open(QIODevice::ReadOnly) ? f.readAll().split(' ').value(0).toDouble() : -1;
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

void printRenderInfo(AppDriver &app)
{
    const QJsonObject info = app.call({{u"cmd"_s, u"info"_s}});
    const QJsonObject render = app.call({{u"cmd"_s, u"renderInfo"_s}});
    std::printf("app: platform %s, scene graph %s, %s render loop, OpenGL renderer \"%s\" (%s), "
                "window %dx%d at %.0fx\n",
                qPrintable(info.value(u"platform"_s).toString()),
                qPrintable(info.value(u"graphicsApi"_s).toString()),
                render.value(u"renderThread"_s).toBool() ? "threaded" : "basic (GUI thread)",
                qPrintable(render.value(u"glRenderer"_s).toString()),
                qPrintable(render.value(u"glVersion"_s).toString()),
                render.value(u"width"_s).toInt(), render.value(u"height"_s).toInt(),
                render.value(u"devicePixelRatio"_s).toDouble());
    std::fflush(stdout);
}

void benchOpenAndFling(int events, int runs, double flingSeconds, double velocity,
                       const QString &screenshot)
{
    QTemporaryDir dir;
    makeProfile(dir.path(), events);
    QList<double> open, work50, work99, workMax, prepare99, render99, interval50, interval99,
        frames, rows, scrolled, resting;
    // Each run a fresh app: it opens the big room, then flings through it. A last run
    // only for the screenshot (the grab disturbs its frames) when one is asked for.
    const int total = runs + (screenshot.isEmpty() ? 0 : 1);
    for (int run = 0; run < total; ++run) {
        const bool shotRun = run == runs;
        AppDriver app;
        startInSmallRoom(dir.path());
        if (!startOnCache(app, dir.path()))
            qFatal("the app did not open its cache: %s", app.output().right(2000).constData());
        QTest::qWait(500); // start-up settles
        const QJsonObject r = app.call({{u"cmd"_s, u"openRoom"_s}, {u"room"_s, u"big"_s}}, 15000);
        if (!r.value(u"ok"_s).toBool())
            qFatal("open: %s", qPrintable(r.value(u"error"_s).toString()));
        if (run == 0)
            printRenderInfo(app);
        QTest::qWait(300); // the opened room's first pages settle
        QJsonObject fling{
            {u"cmd"_s, u"fling"_s}, {u"seconds"_s, flingSeconds}, {u"velocity"_s, velocity}};
        if (shotRun)
            fling.insert(u"screenshot"_s, QFileInfo(screenshot).absoluteFilePath());
        const QJsonObject f = app.call(fling, int(flingSeconds * 1000) + 15000);
        if (!f.value(u"ok"_s).toBool())
            qFatal("fling: %s", qPrintable(app.lastError()));
        app.stop();
        if (shotRun) {
            std::printf("screenshot halfway through a fling: %s\n", qPrintable(screenshot));
            continue;
        }
        open.append(r.value(u"ms"_s).toDouble());
        work50.append(f.value(u"workP50Ms"_s).toDouble());
        work99.append(f.value(u"workP99Ms"_s).toDouble());
        workMax.append(f.value(u"workMaxMs"_s).toDouble());
        prepare99.append(f.value(u"prepareP99Ms"_s).toDouble());
        render99.append(f.value(u"renderP99Ms"_s).toDouble());
        interval50.append(f.value(u"intervalP50Ms"_s).toDouble());
        interval99.append(f.value(u"intervalP99Ms"_s).toDouble());
        frames.append(f.value(u"frames"_s).toDouble() / f.value(u"seconds"_s).toDouble());
        rows.append(f.value(u"rows"_s).toDouble());
        scrolled.append(f.value(u"scrolledPx"_s).toDouble());
        resting.append(f.value(u"atRest"_s).toDouble());
        std::printf("run %d: open %.1f ms, fling work p50 %.2f p99 %.2f ms, interval p50 %.2f "
                    "p99 %.2f ms, %d of %d flicks found it at rest, load "
                    "average %.2f\n",
                    run + 1, open.last(), work50.last(), work99.last(), interval50.last(),
                    interval99.last(), f.value(u"atRest"_s).toInt(), f.value(u"flicks"_s).toInt(),
                    loadAverage());
        std::fflush(stdout);
    }
    std::printf("medians of %d fresh app runs, %d cached events:\n", runs, events);
    reportRuns("open: newest screen", open, "ms");
    reportRuns("fling: frame work p50", work50, "ms", u"afterAnimating to frameSwapped"_s);
    reportRuns("fling: frame work p99", work99, "ms");
    reportRuns("fling: frame work max", workMax, "ms");
    reportRuns("fling: prepare p99", prepare99, "ms", u"animations, polish, sync"_s);
    reportRuns("fling: render p99", render99, "ms", u"render and swap"_s);
    reportRuns("fling: swap interval p50", interval50, "ms", u"frameSwapped to frameSwapped"_s);
    reportRuns("fling: swap interval p99", interval99, "ms");
    reportRuns("fling: frames per second", frames, "fps");
    reportRuns("fling: rows loaded at the end", rows, "");
    reportRuns("fling: scrolled", scrolled, "px");
    reportRuns("fling: flicks finding it at rest", resting, "",
               u"stopped at the older end of the loaded rows"_s);
}

struct LatencyRun
{
    QList<double> toScreen;     // arrival at the app to its frame swapped
    QList<double> sendToScreen; // the other client's send to the frame swapped
    QList<double> sendToArrival;
};

// Alice signs up through the app's form on the server; she is online after it.
void signUpAlice(AppDriver &app)
{
    AppDriver::waitFor([&] { return app.focus(u"userField"_s); }, 10000);
    app.click(u"registerTab"_s);
    app.focus(u"userField"_s);
    app.type(u"alice"_s);
    app.focus(u"passwordField"_s);
    app.type(u"alice-password"_s);
    app.key(u"Return"_s);
    if (!AppDriver::waitFor(
            [&] { return app.get(u"App"_s, u"session.state"_s).toString() == u"Online"_s; }, 15000))
        qFatal("not online: %s", app.output().right(3000).constData());
}

// A fresh app on the server, alice signed up in it, in the room (made or joined through
// its dialog: "N" create, "J" join) with its rows shown.
void startInRoom(AppDriver &app, const QUrl &server, const QString &profile, const QString &key,
                 const QString &room)
{
    if (!app.start(server, profile))
        qFatal("app did not start");
    signUpAlice(app);
    app.key(key, {u"ctrl"_s});
    AppDriver::waitFor(
        [&] { return app.focus(key == u"N"_s ? u"createRoomName"_s : u"joinRoomName"_s); }, 5000);
    app.type(room);
    app.key(u"Return"_s);
    if (!AppDriver::waitFor(
            [&] {
                return app.get(u"App"_s, u"session.currentRoom.roomId"_s).toString() == room &&
                       app.countRows(u"timelineView"_s, u"kind"_s, u"join"_s) +
                               app.countRows(u"timelineView"_s, u"kind"_s, u"text"_s) >
                           0;
            },
            15000))
        qFatal("room %s not open: %s", qPrintable(room), app.output().right(3000).constData());
}

// A server on a fresh store, with bob.
std::unique_ptr<ServerProcess> startServerWithBob(const TestStore &store,
                                                  const QStringList &args = {})
{
    if (runAdmin(store.url(), {u"user"_s, u"add"_s, u"bob"_s, u"--password-stdin"_s},
                 "bob-password\n") != 0)
        qFatal("user bob");
    auto server = std::make_unique<ServerProcess>(store.url(), args);
    if (!server->start())
        qFatal("server did not start");
    return server;
}

LatencyRun latencyRun(int messages)
{
    TestStore store;
    const auto server = startServerWithBob(store);
    QTemporaryDir dir;
    AppDriver app;
    startInRoom(app, server->url(), dir.path(), u"N"_s, u"team"_s);
    TestClient bob;
    if (!bob.connectTo(server->url()) || !bob.login(u"bob"_s, u"bob-password"_s))
        qFatal("bob");
    qint64 id = 0;
    bob.sendMessage(protocol::JoinRequest{++id, u"team"_s});
    replyAs<protocol::RoomReply>(bob, id);
    QTest::qWait(300);
    app.call({{u"cmd"_s, u"latencyStart"_s}});
    QList<qint64> sent;
    for (int i = 0; i < messages; ++i) {
        sent.append(monotonicNs());
        bob.sendMessage(textMessage(u"team"_s, u"message %1 from bob"_s.arg(i),
                                    QUuid::createUuid().toString(), ++id));
        replyAs<protocol::Ack>(bob, id);
        QTest::qWait(100); // a busy room, not a flood (the server limits bursts)
    }
    QTest::qWait(500);
    const QJsonObject r = app.call({{u"cmd"_s, u"latencyStop"_s}});
    app.stop();
    const QJsonArray arrivals = r.value(u"arrivalsNs"_s).toArray();
    const QJsonArray swaps = r.value(u"swapsNs"_s).toArray();
    if (arrivals.size() != messages)
        qFatal("%d messages sent, %d seen by the app", messages, int(arrivals.size()));
    LatencyRun out;
    for (int i = 0; i < messages; ++i) {
        const double arrival = arrivals[i].toDouble(), swap = swaps[i].toDouble();
        out.toScreen.append((swap - arrival) / 1e6);
        out.sendToScreen.append((swap - double(sent[i])) / 1e6);
        out.sendToArrival.append((arrival - double(sent[i])) / 1e6);
    }
    return out;
}

void benchLatency(int messages, int runs)
{
    QList<double> p50, p99, max, sendP50, sendP99, netP50;
    for (int run = 0; run < runs; ++run) {
        const LatencyRun r = latencyRun(messages);
        p50.append(percentile(r.toScreen, 0.5));
        p99.append(percentile(r.toScreen, 0.99));
        max.append(percentile(r.toScreen, 1.0));
        sendP50.append(percentile(r.sendToScreen, 0.5));
        sendP99.append(percentile(r.sendToScreen, 0.99));
        netP50.append(percentile(r.sendToArrival, 0.5));
        std::printf("latency run %d: arrival to screen p50 %.2f p99 %.2f max %.2f ms, send to "
                    "screen p50 %.2f p99 %.2f ms, load average %.2f\n",
                    run + 1, p50.last(), p99.last(), max.last(), sendP50.last(), sendP99.last(),
                    loadAverage());
        std::fflush(stdout);
    }
    std::printf("medians of %d runs, %d messages each:\n", runs, messages);
    reportRuns("latency: arrival to screen p50", p50, "ms");
    reportRuns("latency: arrival to screen p99", p99, "ms");
    reportRuns("latency: arrival to screen max", max, "ms");
    reportRuns("latency: send to arrival p50", netP50, "ms", u"server stores, then fans out"_s);
    reportRuns("latency: send to screen p50", sendP50, "ms");
    reportRuns("latency: send to screen p99", sendP99, "ms");
}
void benchJump(int events, int jumps)
{
    TestStore store;
    const auto server = startServerWithBob(store, {u"--rate"_s, u"0"_s});
    TestClient bob;
    if (!bob.connectTo(server->url()) || !bob.login(u"bob"_s, u"bob-password"_s))
        qFatal("bob");
    qint64 id = 0;
    bob.sendMessage(protocol::CreateRequest{++id, u"big"_s, false, {}});
    if (!replyAs<protocol::RoomReply>(bob, id))
        qFatal("room big");
    QElapsedTimer seeding;
    seeding.start();
    QHash<QString, qint64> seqOf;
    for (int done = 0; done < events;) {
        // In windows of 500 sends, so the acks are read as they come.
        const int window = std::min(500, events - done);
        for (int i = done; i < done + window; ++i)
            bob.sendMessage(
                textMessage(u"big"_s, benchEvent(u"big"_s, i + 2).body, u"m-%1"_s.arg(i), ++id));
        for (int i = 0; i < window; ++i) {
            const auto ack = bob.waitForType<protocol::Ack>(30000);
            if (!ack)
                qFatal("no ack after %d sends", done + i);
            seqOf.insert(ack->clientMsgId, ack->seq);
        }
        done += window;
    }
    std::printf("jump: %d events written in %.1f s\n", events, double(seeding.elapsed()) / 1000);
    QTemporaryDir dir;
    AppDriver app;
    startInRoom(app, server->url(), dir.path(), u"J"_s, u"big"_s);
    QTest::qWait(500);
    QList<double> ms;
    for (int i = 0; i < jumps; ++i) {
        // Spread over the room, none in the newest page (nor the cache's 1,000).
        const int message = int(qint64(events - 1100) * (i + 1) / (jumps + 1));
        const qint64 seq = seqOf.value(u"m-%1"_s.arg(message));
        const QJsonObject r = app.call({{u"cmd"_s, u"jump"_s}, {u"seq"_s, double(seq)}}, 15000);
        if (!r.value(u"ok"_s).toBool())
            qFatal("jump to %lld: %s", seq, qPrintable(r.value(u"error"_s).toString()));
        if (app.findRow(u"timelineView"_s, u"seq"_s, double(seq)).isEmpty())
            qFatal("jump to %lld: not in the timeline", seq);
        ms.append(r.value(u"ms"_s).toDouble());
        std::printf("jump %d: seq %lld of %d, %.1f ms, load average %.2f\n", i + 1, seq, events,
                    ms.last(), loadAverage());
        std::fflush(stdout);
        QTest::qWait(1500); // the mark fades; the next jump starts from a resting window
    }
    app.stop();
    std::printf("%d jumps in a room of %d events:\n", jumps, events);
    reportRuns("jump: message on screen", ms, "ms", u"search result to frame swapped"_s);
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
    p.addOption({u"velocity"_s, u"Fling velocity, px/s."_s, u"v"_s, u"2500"_s});
    p.addOption({u"messages"_s, u"Messages for the latency figure."_s, u"n"_s, u"100"_s});
    p.addOption({u"latency-runs"_s, u"Runs of the latency figure."_s, u"n"_s, u"3"_s});
    p.addOption({u"screenshot"_s, u"Save the window halfway through one more fling."_s, u"png"_s});
    p.addOption({u"skip-latency"_s, u"Only the open and fling figures."_s});
    p.addOption({u"skip-open"_s, u"No open and fling figures."_s});
    p.addOption(
        {u"jump-events"_s, u"Events in the room of the jump figure."_s, u"n"_s, u"50000"_s});
    p.addOption({u"jumps"_s, u"Jumps for the jump figure (0: none)."_s, u"n"_s, u"5"_s});
    p.process(qapp);
    std::printf("platform: %s, scene graph backend: %s\n",
                qPrintable(qEnvironmentVariable("QT_QPA_PLATFORM", u"(default)"_s)),
                qPrintable(qEnvironmentVariable("QT_QUICK_BACKEND", u"(default)"_s)));
    if (!p.isSet(u"skip-open"_s))
        benchOpenAndFling(p.value(u"events"_s).toInt(), p.value(u"runs"_s).toInt(),
                          p.value(u"fling-seconds"_s).toDouble(), p.value(u"velocity"_s).toDouble(),
                          p.value(u"screenshot"_s));
    if (!p.isSet(u"skip-latency"_s))
        benchLatency(p.value(u"messages"_s).toInt(), p.value(u"latency-runs"_s).toInt());
    if (p.value(u"jumps"_s).toInt() > 0)
        benchJump(p.value(u"jump-events"_s).toInt(), p.value(u"jumps"_s).toInt());
    return 0;
}
