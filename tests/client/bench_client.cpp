// confab-client-bench: the client core's performance figures of docs/benchmarks.md,
// measured on a real cache file and the real models, offline (no server needed):
//   open      a cached room of N events: time to the first screen of rows
//   append    model work per live event, on a short and on a long timeline
//   startup   session start to a usable room list with R rooms cached
//   memory    RSS with R rooms x E events cached and loaded into their timelines
// Usage: confab-client-bench [--smoke] [--open-events N] [--rooms R] [--room-events E]
#include "session/clientsession.h"
#include "store/storethread.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <cstdio>

using namespace confab;
using namespace confab::client;
using namespace Qt::StringLiterals;

namespace {
constexpr int kFirstScreenRows = 30;

protocol::Event benchEvent(const QString &room, qint64 seq)
{
    static const QStringList users{u"alice"_s, u"bob"_s, u"carol"_s, u"dave"_s};
    protocol::Event e;
    e.room = room;
    e.seq = seq;
    e.ts = 1767225600000 + seq * 45000;
    e.from = users[seq % users.size()];
    e.body =
        u"message %1: the **build** on `main` is green again, see https://ci.lan/%1"_s.arg(seq);
    return e;
}

// Writes rooms x events into the cache of a session directory.
void fillCache(const QString &dir, const QStringList &rooms, int events)
{
    StoreThread store(QDir(dir).filePath(u"data/outbox.db"_s),
                      QDir(dir).filePath(u"cache/cache.db"_s), u"bench-fill"_s);
    QString error;
    if (!store.open(&error))
        qFatal("cache: %s", qPrintable(error));
    store.call([&](StoreWorker &w) {
        w.resetForEpoch(u"bench"_s, u"alice"_s);
        QList<protocol::RoomInfo> infos;
        for (const QString &r : rooms) {
            protocol::RoomInfo info;
            info.room = r;
            info.name = r;
            info.lastSeq = events;
            info.readSeq = events - 5;
            infos.append(info);
        }
        w.storeRooms(infos);
        for (const QString &r : rooms) {
            for (int from = 1; from <= events; from += 1000) {
                QList<protocol::Event> batch;
                for (int s = from; s < from + 1000 && s <= events; ++s)
                    batch.append(benchEvent(r, s));
                w.storeEvents(r, batch, false, events);
            }
        }
    });
}

std::unique_ptr<ClientSession> offlineSession(const QString &dir, int keep)
{
    SessionOptions o;
    o.url = QUrl(u"ws://127.0.0.1:9"_s);
    o.user = u"alice"_s;
    o.dataDir = QDir(dir).filePath(u"data"_s);
    o.cacheDir = QDir(dir).filePath(u"cache"_s);
    o.cacheKeep = keep;
    o.watchLink = false;
    return std::make_unique<ClientSession>(o, nullptr);
}

bool waitUntil(const std::function<bool()> &done, int timeoutMs = 60000)
{
    return QTest::qWaitFor(done, timeoutMs);
}

qint64 rssKb()
{
    QFile f(u"/proc/self/status"_s);
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &line : f.readAll().split('\n')) {
        if (line.startsWith("VmRSS:"))
            return line.mid(6).trimmed().split(' ').value(0).toLongLong();
    }
    return -1;
}

void report(const char *name, double value, const char *unit, const QString &detail)
{
    std::printf("%-28s %12.2f %-4s %s\n", name, value, unit, qPrintable(detail));
    std::fflush(stdout);
}

void benchOpen(int events)
{
    QTemporaryDir dir;
    fillCache(dir.path(), {u"big"_s}, events);
    auto session = offlineSession(dir.path(), events);
    session->start();
    if (!waitUntil([&] { return session->room(u"big"_s) != nullptr; }))
        qFatal("room not loaded");
    Room *room = session->room(u"big"_s);
    QElapsedTimer t;
    t.start();
    room->open();
    if (!waitUntil([&] { return room->timeline()->rowCount() >= kFirstScreenRows; }))
        qFatal("no rows");
    report("open: first screen", t.nsecsElapsed() / 1e6, "ms",
           u"%1 cached events, %2 rows shown"_s.arg(events).arg(room->timeline()->rowCount()));
}

double appendCostUs(int existing, int appended)
{
    TimelineModel model(u"alice"_s, nullptr);
    QList<protocol::Event> old;
    for (int s = 1; s <= existing; ++s)
        old.append(benchEvent(u"r"_s, s));
    model.appendEvents(old);
    QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
    QElapsedTimer t;
    t.start();
    for (int i = 1; i <= appended; ++i)
        model.appendEvents({benchEvent(u"r"_s, existing + i)});
    const double us = t.nsecsElapsed() / 1e3 / appended;
    if (inserted.size() != appended)
        qFatal("expected one insert per event");
    return us;
}

void benchAppend(int longTimeline)
{
    const int appended = 2000;
    const double shortCost = appendCostUs(100, appended);
    const double longCost = appendCostUs(longTimeline, appended);
    report("append: 100-row timeline", shortCost, "us", u"per live event, one rowsInserted"_s);
    report("append: long timeline", longCost, "us",
           u"per live event on %1 rows (ratio %2)"_s.arg(longTimeline)
               .arg(longCost / shortCost, 0, 'f', 2));
}

void benchStartupAndMemory(int rooms, int events, bool loadAll)
{
    QTemporaryDir dir;
    QStringList ids;
    for (int i = 0; i < rooms; ++i)
        ids.append(u"room-%1"_s.arg(i, 2, 10, QLatin1Char('0')));
    fillCache(dir.path(), ids, events);
    const qint64 rssBefore = rssKb();
    QElapsedTimer t;
    t.start();
    auto session = offlineSession(dir.path(), events);
    session->start();
    if (!waitUntil([&] { return session->rooms()->rowCount() == rooms; }))
        qFatal("room list incomplete");
    report("startup: room list", t.nsecsElapsed() / 1e6, "ms",
           u"%1 rooms x %2 events cached"_s.arg(rooms).arg(events));
    if (!loadAll)
        return;
    for (Room *room : session->roomList())
        room->open();
    const auto loaded = [&] {
        bool all = true;
        for (Room *room : session->roomList()) {
            if (!room->timeline()->atBeginning()) {
                all = false;
                room->loadOlder();
            }
        }
        return all;
    };
    if (!waitUntil(loaded, 300000))
        qFatal("timelines not loaded");
    qint64 rows = 0;
    for (Room *room : session->roomList())
        rows += room->timeline()->rowCount();
    report("memory: RSS", rssKb() / 1024.0, "MB",
           u"%1 rows in %2 timelines (RSS before the session: %3 MB)"_s.arg(rows).arg(rooms).arg(
               rssBefore / 1024.0, 0, 'f', 1));
}
} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.addHelpOption();
    const QCommandLineOption smoke(u"smoke"_s, u"Tiny sizes: checks that it runs."_s);
    const QCommandLineOption openEvents(u"open-events"_s, u"Events of the opened room."_s, u"n"_s,
                                        u"50000"_s);
    const QCommandLineOption rooms(u"rooms"_s, u"Rooms cached."_s, u"n"_s, u"50"_s);
    const QCommandLineOption roomEvents(u"room-events"_s, u"Events per cached room."_s, u"n"_s,
                                        u"1000"_s);
    parser.addOptions({smoke, openEvents, rooms, roomEvents});
    parser.process(app);
    const bool tiny = parser.isSet(smoke);
    const int open = tiny ? 500 : parser.value(openEvents).toInt();
    const int nRooms = tiny ? 3 : parser.value(rooms).toInt();
    const int perRoom = tiny ? 100 : parser.value(roomEvents).toInt();
    benchStartupAndMemory(nRooms, perRoom, true);
    benchOpen(open);
    benchAppend(open);
    return 0;
}
