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
// message's arrival) to the swap of the first frame prepared after it (the first that
// can show it). Signals come from two
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
    // For each latency taken so far (and cleared with them): when the arrival was marked
    // and when its frame was swapped, in ns of the system's monotonic clock
    // (QDeadlineTimer::current()), comparable with another process's on this machine.
    QList<QPair<qint64, qint64>> takeLatencyTimes();
    qint64 nowNs() const { return m_clock.nsecsElapsed(); }
    // What rendered the frames so far: {renderThread (a render thread apart from the GUI
    // thread: the threaded loop), glRenderer, glVersion (empty unless OpenGL)}.
    QVariantMap renderInfo() const;

private:
    void onFrameStart();
    void onSynchronized();
    void onSwapped();
    void onRendered();

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
    qint64 m_originNs = 0;      // m_clock's start on the monotonic clock
    QList<qint64> m_arrivalsNs; // waiting for the next frame to be prepared
    QList<qint64> m_inFrameNs;  // their frame is synchronized, waiting for its swap
    QList<QPair<qint64, qint64>> m_latencyTimes;
    QList<double> m_latenciesMs;
    QThread *m_guiThread;
    bool m_renderThread = false;
    bool m_renderSeen = false;
    QString m_glRenderer;
    QString m_glVersion;
};

} // namespace confab::app
