#include "framestats.h"

#include <QDeadlineTimer>
#include <QOpenGLContext>
#include <QOpenGLFunctions>
#include <QThread>
#include <algorithm>

namespace confab::app {

using namespace Qt::StringLiterals;

namespace {
double percentileMs(QList<qint64> ns, double p)
{
    if (ns.isEmpty())
        return 0;
    std::sort(ns.begin(), ns.end());
    const qsizetype i = std::min(ns.size() - 1, qsizetype(p * double(ns.size())));
    return double(ns[i]) / 1e6;
}
} // namespace

FrameStats::FrameStats(QQuickWindow *window, QObject *parent)
    : QObject(parent)
    , m_window(window)
    , m_guiThread(QThread::currentThread())
{
    m_clock.start();
    m_originNs = QDeadlineTimer::current(Qt::PreciseTimer).deadlineNSecs() - m_clock.nsecsElapsed();
    connect(window, &QQuickWindow::afterAnimating, this, &FrameStats::onFrameStart,
            Qt::DirectConnection);
    connect(window, &QQuickWindow::afterSynchronizing, this, &FrameStats::onSynchronized,
            Qt::DirectConnection);
    connect(window, &QQuickWindow::frameSwapped, this, &FrameStats::onSwapped,
            Qt::DirectConnection);
    connect(window, &QQuickWindow::afterRendering, this, &FrameStats::onRendered,
            Qt::DirectConnection);
}

void FrameStats::onRendered()
{
    const QMutexLocker lock(&m_mutex);
    if (std::exchange(m_renderSeen, true))
        return;
    m_renderThread = QThread::currentThread() != m_guiThread;
    // The scene graph's context is current on this thread while it renders.
    if (QOpenGLContext *context = QOpenGLContext::currentContext()) {
        QOpenGLFunctions *gl = context->functions();
        m_glRenderer =
            QString::fromLatin1(reinterpret_cast<const char *>(gl->glGetString(GL_RENDERER)));
        m_glVersion =
            QString::fromLatin1(reinterpret_cast<const char *>(gl->glGetString(GL_VERSION)));
    }
}

QVariantMap FrameStats::renderInfo() const
{
    const QMutexLocker lock(&m_mutex);
    return {{u"renderThread"_s, m_renderThread},
            {u"glRenderer"_s, m_glRenderer},
            {u"glVersion"_s, m_glVersion}};
}

void FrameStats::start()
{
    const QMutexLocker lock(&m_mutex);
    m_running = true;
    m_workNs.clear();
    m_prepareNs.clear();
    m_renderNs.clear();
    m_intervalNs.clear();
    m_frameStartNs = -1;
    m_lastSwapNs = -1;
    m_startedNs = m_clock.nsecsElapsed();
}

QVariantMap FrameStats::stop()
{
    const QMutexLocker lock(&m_mutex);
    m_running = false;
    return {{u"frames"_s, m_workNs.size()},
            {u"workP50Ms"_s, percentileMs(m_workNs, 0.50)},
            {u"workP99Ms"_s, percentileMs(m_workNs, 0.99)},
            {u"workMaxMs"_s, percentileMs(m_workNs, 1.0)},
            {u"prepareP99Ms"_s, percentileMs(m_prepareNs, 0.99)},
            {u"renderP99Ms"_s, percentileMs(m_renderNs, 0.99)},
            {u"intervalP50Ms"_s, percentileMs(m_intervalNs, 0.50)},
            {u"intervalP99Ms"_s, percentileMs(m_intervalNs, 0.99)},
            {u"seconds"_s, double(m_clock.nsecsElapsed() - m_startedNs) / 1e9}};
}

void FrameStats::markArrival()
{
    const QMutexLocker lock(&m_mutex);
    m_arrivalsNs.append(m_clock.nsecsElapsed());
}

QList<double> FrameStats::takeLatencies()
{
    const QMutexLocker lock(&m_mutex);
    return std::exchange(m_latenciesMs, {});
}

QList<QPair<qint64, qint64>> FrameStats::takeLatencyTimes()
{
    const QMutexLocker lock(&m_mutex);
    return std::exchange(m_latencyTimes, {});
}

void FrameStats::onFrameStart()
{
    const QMutexLocker lock(&m_mutex);
    if (m_frameStartNs < 0)
        m_frameStartNs = m_clock.nsecsElapsed();
}

void FrameStats::onSynchronized()
{
    const QMutexLocker lock(&m_mutex);
    m_syncedNs = m_clock.nsecsElapsed();
    // The GUI thread marks arrivals after handling them; one marked before this sync was
    // polished into this frame. A frame already synchronized before it cannot show it.
    m_inFrameNs += std::exchange(m_arrivalsNs, {});
}

void FrameStats::onSwapped()
{
    const QMutexLocker lock(&m_mutex);
    const qint64 now = m_clock.nsecsElapsed();
    for (const qint64 at : std::as_const(m_inFrameNs)) {
        m_latenciesMs.append(double(now - at) / 1e6);
        m_latencyTimes.append({m_originNs + at, m_originNs + now});
    }
    m_inFrameNs.clear();
    if (m_running) {
        if (m_frameStartNs >= 0) {
            m_workNs.append(now - m_frameStartNs);
            if (m_syncedNs >= m_frameStartNs) {
                m_prepareNs.append(m_syncedNs - m_frameStartNs);
                m_renderNs.append(now - m_syncedNs);
            }
        }
        if (m_lastSwapNs >= 0)
            m_intervalNs.append(now - m_lastSwapNs);
    }
    m_frameStartNs = -1;
    m_lastSwapNs = now;
}

} // namespace confab::app
