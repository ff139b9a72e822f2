#include "automationbench.h"

#include "appcontroller.h"
#include "framestats.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QQuickItem>
#include <QQuickWindow>
#include <QTimer>
#include <algorithm>
#include <memory>

namespace confab::app {

using namespace Qt::StringLiterals;

namespace {
QJsonObject summary(QList<double> ms)
{
    std::sort(ms.begin(), ms.end());
    const auto at = [&](double p) {
        return ms.isEmpty() ? 0.0 : ms[std::min(ms.size() - 1, qsizetype(p * double(ms.size())))];
    };
    return {{u"ok"_s, true},
            {u"count"_s, ms.size()},
            {u"p50Ms"_s, at(0.5)},
            {u"p99Ms"_s, at(0.99)},
            {u"maxMs"_s, at(1.0)}};
}
} // namespace

AutomationBench::AutomationBench(QQuickWindow *window, std::function<QQuickItem *()> timeline,
                                 QObject *parent)
    : QObject(parent)
    , m_window(window)
    , m_timeline(std::move(timeline))
    , m_stats(new FrameStats(window, this))
{
}

AutomationBench::~AutomationBench() = default;

bool AutomationBench::handles(const QString &command)
{
    return command == u"openRoom"_s || command == u"jump"_s || command == u"fling"_s ||
           command == u"latencyStart"_s || command == u"latencyStop"_s ||
           command == u"renderInfo"_s;
}

void AutomationBench::run(const QJsonObject &command, Reply reply)
{
    const QString what = command.value(u"cmd"_s).toString();
    if (what == u"openRoom"_s)
        return openRoom(command.value(u"room"_s).toString(), std::move(reply));
    if (what == u"jump"_s)
        return jump(qint64(command.value(u"seq"_s).toDouble()), std::move(reply));
    if (what == u"fling"_s)
        return fling(command.value(u"seconds"_s).toDouble(3),
                     command.value(u"velocity"_s).toDouble(4000),
                     command.value(u"screenshot"_s).toString(), std::move(reply));
    if (what == u"renderInfo"_s) {
        QJsonObject info = QJsonObject::fromVariantMap(m_stats->renderInfo());
        info.insert(u"ok"_s, true);
        info.insert(u"width"_s, m_window ? m_window->width() : 0);
        info.insert(u"height"_s, m_window ? m_window->height() : 0);
        info.insert(u"devicePixelRatio"_s, m_window ? m_window->devicePixelRatio() : 0);
        return reply(info);
    }
    reply(what == u"latencyStart"_s ? latencyStart() : latencyStop());
}

void AutomationBench::openRoom(const QString &roomId, Reply reply)
{
    AppController *app = AppController::instance();
    if (!app || !app->session() || !app->session()->room(roomId))
        return reply({{u"ok"_s, false}, {u"error"_s, u"no such room"_s}});
    // The view is filled (or shows everything there is).
    const auto ready = [this] {
        QQuickItem *view = m_timeline();
        if (!view || !view->isVisible())
            return false;
        const int count = view->property("count").toInt();
        const bool filled = view->property("contentHeight").toReal() >= view->height();
        const bool complete =
            count > 0 && view->property("model").value<QObject *>() &&
            view->property("model").value<QObject *>()->property("atBeginning").toBool();
        return count > 0 && (filled || complete);
    };
    timeToFrame(
        ready, [app, roomId] { app->openRoom(roomId); }, u"no full screen in 10 s"_s,
        std::move(reply));
}

void AutomationBench::jump(qint64 seq, Reply reply)
{
    QQuickItem *view = m_timeline();
    QQuickItem *pane = view;
    while (pane && pane->objectName() != u"timelinePane"_s)
        pane = pane->parentItem(); // the view sits inside its pane
    if (!pane || seq <= 0)
        return reply({{u"ok"_s, false}, {u"error"_s, u"no timeline, or no seq"_s}});
    // The pane marks the message once it has put it on screen.
    const auto ready = [pane, seq] {
        return qint64(pane->property("flashSeq").toDouble()) == seq;
    };
    const auto start = [pane, seq] {
        QMetaObject::invokeMethod(pane, "jumpToSeq", Q_ARG(QVariant, QVariant(double(seq))));
    };
    timeToFrame(ready, start, u"the message was not shown in 10 s"_s, std::move(reply));
}

void AutomationBench::timeToFrame(const std::function<bool()> &ready,
                                  const std::function<void()> &start, const QString &timeoutError,
                                  Reply reply)
{
    struct State
    {
        QElapsedTimer clock;
        bool readyBeforeFrame = false;
        bool done = false; // queued swaps may still arrive after the disconnect
        QMetaObject::Connection before, swapped;
        QTimer timeout;
    };
    auto state = std::make_shared<State>();
    const auto finish = [this, state, reply](QJsonObject result) {
        if (std::exchange(state->done, true))
            return;
        disconnect(state->before);
        disconnect(state->swapped);
        state->timeout.stop();
        reply(result);
    };
    state->before = connect(m_window, &QQuickWindow::afterAnimating, this,
                            [state, ready] { state->readyBeforeFrame = ready(); });
    // frameSwapped comes from the render thread; the check runs back on this one.
    state->swapped = connect(
        m_window, &QQuickWindow::frameSwapped, this,
        [state, finish] {
            if (state->readyBeforeFrame)
                finish({{u"ok"_s, true}, {u"ms"_s, double(state->clock.nsecsElapsed()) / 1e6}});
        },
        Qt::QueuedConnection);
    state->timeout.setSingleShot(true);
    connect(&state->timeout, &QTimer::timeout, this, [finish, timeoutError] {
        finish({{u"ok"_s, false}, {u"error"_s, timeoutError}});
    });
    state->timeout.start(10000);
    state->clock.start();
    start();
    m_window->update();
}

void AutomationBench::fling(double seconds, double velocity, const QString &screenshot, Reply reply)
{
    QQuickItem *view = m_timeline();
    if (!view)
        return reply({{u"ok"_s, false}, {u"error"_s, u"no timeline"_s}});
    // A fresh flick towards older messages every 250 ms keeps it moving the whole time;
    // older pages load from the cache as it nears the far end.
    auto *timer = new QTimer(this);
    auto clock = std::make_shared<QElapsedTimer>();
    const qreal startY = view->property("contentY").toReal();
    auto shot = std::make_shared<QString>(screenshot);
    // How many re-flicks found the view at rest (stopped at the older end of its rows
    // and then given a page, or still at that end): the time it stood still would show
    // up as long swap intervals.
    auto flicks = std::make_shared<int>(0);
    auto atRest = std::make_shared<int>(0);
    timer->setInterval(250);
    connect(timer, &QTimer::timeout, this, [=, this] {
        QQuickItem *v = m_timeline();
        if (v && clock->elapsed() < seconds * 1000) {
            ++*flicks;
            if (!v->property("moving").toBool())
                ++*atRest;
            // Halfway through, what the window shows (the grab costs a frame or two).
            if (!shot->isEmpty() && clock->elapsed() >= seconds * 500 && m_window)
                m_window->grabWindow().save(std::exchange(*shot, QString()));
            QMetaObject::invokeMethod(v, "flick", Q_ARG(qreal, 0), Q_ARG(qreal, velocity));
            return;
        }
        timer->deleteLater();
        QJsonObject result = QJsonObject::fromVariantMap(m_stats->stop());
        result.insert(u"ok"_s, true);
        result.insert(u"rows"_s, v ? v->property("count").toInt() : 0);
        result.insert(u"flicks"_s, *flicks);
        result.insert(u"atRest"_s, *atRest);
        result.insert(u"scrolledPx"_s, v ? startY - v->property("contentY").toReal() : 0);
        reply(result);
    });
    m_stats->start();
    clock->start();
    QMetaObject::invokeMethod(view, "flick", Q_ARG(qreal, 0), Q_ARG(qreal, velocity));
    timer->start();
}

QJsonObject AutomationBench::latencyStart()
{
    AppController *app = AppController::instance();
    if (!app || !app->session())
        return {{u"ok"_s, false}, {u"error"_s, u"no session"_s}};
    client::ClientSession *session = app->session();
    m_stats->takeLatencies();
    m_stats->takeLatencyTimes();
    disconnect(m_arrivals);
    // Connected after the session's own handler: the row is in the model when this runs.
    m_arrivals = connect(session->connection(), &client::Connection::messageReceived, this,
                         [this, session](const protocol::ServerMessage &m) {
                             const auto *e = std::get_if<protocol::Event>(&m);
                             if (e && e->kind == protocol::EventKind::Text &&
                                 e->from != session->userName() && session->currentRoom() &&
                                 e->room == session->currentRoom()->roomId())
                                 m_stats->markArrival();
                         });
    return {{u"ok"_s, true}};
}

QJsonObject AutomationBench::latencyStop()
{
    disconnect(m_arrivals);
    QJsonObject result = summary(m_stats->takeLatencies());
    // Monotonic-clock times, for a benchmark that knows when each message was sent.
    QJsonArray arrivals, swaps;
    for (const auto &[arrival, swap] : m_stats->takeLatencyTimes()) {
        arrivals.append(double(arrival));
        swaps.append(double(swap));
    }
    result.insert(u"arrivalsNs"_s, arrivals);
    result.insert(u"swapsNs"_s, swaps);
    return result;
}

} // namespace confab::app
