#pragma once

#include <QMetaObject>
#include <QThreadPool>
#include <functional>
#include <type_traits>
#include <utility>

// Work handed from one thread to another through Qt: queued calls, blocking calls and
// thread-pool tasks.
//
// Why this exists: Qt's event queues, QThreadPool, QSemaphore and QThread::wait()
// synchronise with futexes inside libQt6Core. A ThreadSanitizer build of our code cannot
// see them when Qt itself is not instrumented (Debian's is not), and reports every
// hand-off as a data race. These helpers tell it what the queue guarantees: what the
// sending thread did before the hand-off happens before the work runs. In other builds
// they compile to the plain Qt calls.
#if defined(__SANITIZE_THREAD__)
extern "C" void __tsan_acquire(void *addr);
extern "C" void __tsan_release(void *addr);
#endif

namespace confab {

inline void handoffRelease(const void *tag)
{
#if defined(__SANITIZE_THREAD__)
    __tsan_release(const_cast<void *>(tag));
#else
    Q_UNUSED(tag);
#endif
}

inline void handoffAcquire(const void *tag)
{
#if defined(__SANITIZE_THREAD__)
    __tsan_acquire(const_cast<void *>(tag));
#else
    Q_UNUSED(tag);
#endif
}

// A task handed to another thread. Qt copies or moves it into its own event (or pool
// task) before it queues it; each copy and move releases on its own address, and the
// copy that runs acquires on its own address first, so everything the sending thread did
// up to the last copy happens before the task runs. After the task, doneTag is released
// for whoever waits for it (a blocking call, QThreadPool::waitForDone()).
template<class F> class Handoff
{
public:
    Handoff(F &&f, const void *doneTag)
        : m_f(std::move(f))
        , m_doneTag(doneTag)
    {
        handoffRelease(this);
    }
    Handoff(Handoff &&other) noexcept
        : m_f(std::move(other.m_f))
        , m_doneTag(other.m_doneTag)
    {
        handoffRelease(this);
    }
    Handoff(const Handoff &other)
        : m_f(other.m_f)
        , m_doneTag(other.m_doneTag)
    {
        handoffRelease(this);
    }
    Handoff &operator=(const Handoff &) = delete;
    Handoff &operator=(Handoff &&) = delete;
    // Qt counts references to its copy; whichever thread drops the last one destroys it,
    // the sender's included, after the receiver ran it.
    ~Handoff() { handoffAcquire(this); }

    void operator()()
    {
        handoffAcquire(this);
        m_f();
        handoffRelease(this);
        if (m_doneTag)
            handoffRelease(m_doneTag);
    }

private:
    F m_f;
    const void *m_doneTag;
};

template<class F> auto handoff(F &&f, const void *doneTag = nullptr)
{
    using Task = std::decay_t<F>;
    return Handoff<Task>(Task(std::forward<F>(f)), doneTag);
}

// Runs f on target's thread (queued).
template<class F> void postTo(QObject *target, F &&f)
{
    QMetaObject::invokeMethod(target, handoff(std::forward<F>(f)), Qt::QueuedConnection);
}

// Runs f on target's thread and waits for it (BlockingQueuedConnection): for start-up and
// shutdown only.
template<class F> void runOn(QObject *target, F &&f)
{
    const char done = 0;
    QMetaObject::invokeMethod(target, handoff([&f] { f(); }, &done), Qt::BlockingQueuedConnection);
    handoffAcquire(&done);
}

// QThreadPool::start with the same guarantee; waitForDone() is followed by joined(pool).
template<class F> void startOn(QThreadPool *pool, F &&f)
{
    pool->start(std::function<void()>(handoff(std::forward<F>(f), pool)));
}

// After QThreadPool::waitForDone() or QThread::wait() returned.
inline void joined(const void *poolOrThread)
{
    handoffAcquire(poolOrThread);
}

} // namespace confab
