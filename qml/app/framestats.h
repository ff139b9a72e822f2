#pragma once

#include <QElapsedTimer>
#include <QList>
#include <QMutex>
#include <QObject>
#include <QPointer>
#include <QQuickWindow>
#include <QVariantMap>

namespace confab::app {

// Frame timings of one window for the benchmarks: per frame, the work from the start of
// its preparation (afterAnimating, GUI thread) to its swap (frameSwapped, render
// thread), and the interval between swaps. Also the delay from a marked moment (a
// message's arrival) to the first frame swapped after it. Signals come from two
// threads: the lists are guarded by one mutex.
class FrameStats : public QObject
{
    Q_OBJECT

public:
    explicit FrameStats(QQuickWindow *window, QObject *parent = nullptr);

    void start();
    // {frames, workP50Ms, workP99Ms, workMaxMs, prepareP99Ms, renderP99Ms, intervalP50Ms,
    //  intervalP99Ms, seconds}
    QVariantMap stop();
    // The next swapped frame ends a latency measurement that starts now.
    void markArrival();
    // The latencies measured so far, in ms, and clears them.
    QList<double> takeLatencies();
    qint64 nowNs() const { return m_clock.nsecsElapsed(); }

private:
    void onFrameStart();
    void onSynchronized();
    void onSwapped();

    QPointer<QQuickWindow> m_window;
    QElapsedTimer m_clock;
    mutable QMutex m_mutex;
    bool m_running = false;
    qint64 m_frameStartNs = -1;
    qint64 m_syncedNs = -1;
    qint64 m_lastSwapNs = -1;
    qint64 m_startedNs = 0;
    QList<qint64> m_workNs;
    QList<qint64> m_prepareNs; // start to the end of the sync (animations, polish, sync)
    QList<qint64> m_renderNs;  // end of the sync to the swap (render and swap)
    QList<qint64> m_intervalNs;
    QList<qint64> m_arrivalsNs; // waiting for their frame
    QList<double> m_latenciesMs;
};

} // namespace confab::app
