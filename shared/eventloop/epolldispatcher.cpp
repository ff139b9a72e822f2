#include "eventloop/epolldispatcher.h"

#include <QCoreApplication>
#include <QSocketNotifier>
#include <QTimerEvent>
#include <chrono>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <vector>

namespace confab {

namespace {
constexpr int kMaxEvents = 512;

// Microseconds, so a timer never fires before its interval has fully passed (epoll
// waits in whole milliseconds, rounded up).
qint64 nowUs()
{
    using namespace std::chrono;
    return duration_cast<microseconds>(steady_clock::now().time_since_epoch()).count();
}
} // namespace

EpollEventDispatcher::EpollEventDispatcher()
    : m_epoll(epoll_create1(EPOLL_CLOEXEC))
    , m_wakeFd(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC))
{
    if (m_epoll < 0 || m_wakeFd < 0)
        qFatal("cannot create epoll/eventfd descriptors");
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = m_wakeFd;
    epoll_ctl(m_epoll, EPOLL_CTL_ADD, m_wakeFd, &ev);
}

EpollEventDispatcher::~EpollEventDispatcher()
{
    close(m_wakeFd);
    close(m_epoll);
}

namespace {
quint32 interestOf(const QSocketNotifier *read, const QSocketNotifier *write,
                   const QSocketNotifier *exception)
{
    return (read ? EPOLLIN : 0u) | (write ? EPOLLOUT : 0u) | (exception ? EPOLLPRI : 0u);
}
} // namespace

void EpollEventDispatcher::notifiersChanged(int fd, Notifiers &n)
{
    if (!interestOf(n.read, n.write, n.exception)) {
        if (n.applied)
            epoll_ctl(m_epoll, EPOLL_CTL_DEL, fd, nullptr);
        m_notifiers.remove(fd); // a stale entry in m_dirty finds nothing and is skipped
        return;
    }
    if (!n.dirty) {
        n.dirty = true;
        m_dirty.push_back(fd);
    }
}

void EpollEventDispatcher::applyInterest()
{
    for (const int fd : m_dirty) {
        const auto it = m_notifiers.find(fd);
        if (it == m_notifiers.end() || !it->dirty)
            continue;
        it->dirty = false;
        epoll_event ev{};
        ev.data.fd = fd;
        ev.events = interestOf(it->read, it->write, it->exception);
        if (ev.events == it->applied)
            continue;
        // The kernel forgets a closed descriptor by itself, and a new socket may reuse the
        // number: fall back between ADD and MOD instead of trusting our bookkeeping.
        const bool known = it->applied != 0;
        if (epoll_ctl(m_epoll, known ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &ev) != 0)
            epoll_ctl(m_epoll, known ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd, &ev);
        it->applied = ev.events;
    }
    m_dirty.clear();
}

void EpollEventDispatcher::registerSocketNotifier(QSocketNotifier *notifier)
{
    const int fd = int(notifier->socket());
    Notifiers &n = m_notifiers[fd];
    switch (notifier->type()) {
    case QSocketNotifier::Read:
        n.read = notifier;
        break;
    case QSocketNotifier::Write:
        n.write = notifier;
        break;
    case QSocketNotifier::Exception:
        n.exception = notifier;
        break;
    }
    notifiersChanged(fd, n);
}

void EpollEventDispatcher::unregisterSocketNotifier(QSocketNotifier *notifier)
{
    const int fd = int(notifier->socket());
    const auto it = m_notifiers.find(fd);
    if (it == m_notifiers.end())
        return;
    Notifiers &n = *it;
    if (n.read == notifier)
        n.read = nullptr;
    if (n.write == notifier)
        n.write = nullptr;
    if (n.exception == notifier)
        n.exception = nullptr;
    notifiersChanged(fd, n);
}

void EpollEventDispatcher::registerTimer(int timerId, qint64 interval, Qt::TimerType timerType,
                                         QObject *object)
{
    const qint64 due = nowUs() + interval * 1000;
    m_timers.insert(timerId, Timer{interval, timerType, object, due});
    m_due.emplace(due, timerId);
}

bool EpollEventDispatcher::unregisterTimer(int timerId)
{
    const auto it = m_timers.find(timerId);
    if (it == m_timers.end())
        return false;
    m_due.erase({it->dueUs, timerId});
    m_timers.erase(it);
    return true;
}

bool EpollEventDispatcher::unregisterTimers(QObject *object)
{
    bool any = false;
    for (auto it = m_timers.begin(); it != m_timers.end();) {
        if (it->object == object) {
            m_due.erase({it->dueUs, it.key()});
            it = m_timers.erase(it);
            any = true;
        } else {
            ++it;
        }
    }
    return any;
}

QList<QAbstractEventDispatcher::TimerInfo>
EpollEventDispatcher::registeredTimers(QObject *object) const
{
    QList<TimerInfo> out;
    for (auto it = m_timers.cbegin(); it != m_timers.cend(); ++it) {
        if (it->object == object)
            out.append(TimerInfo(it.key(), it->intervalMs, it->type));
    }
    return out;
}

int EpollEventDispatcher::remainingTime(int timerId)
{
    const auto it = m_timers.constFind(timerId);
    if (it == m_timers.cend())
        return -1;
    return int(std::max<qint64>(0, (it->dueUs - nowUs() + 999) / 1000));
}

void EpollEventDispatcher::wakeUp()
{
    // The loop clears the flag after reading the descriptor and sends posted events
    // before it blocks again, so an event posted while the flag is set is not missed.
    if (m_wakePending.exchange(true, std::memory_order_acq_rel))
        return;
    const quint64 one = 1;
    // A full counter (it never is) would only mean a wake-up is already pending.
    [[maybe_unused]] const auto written = write(m_wakeFd, &one, sizeof one);
}

void EpollEventDispatcher::interrupt()
{
    m_interrupted = true;
    wakeUp();
}

void EpollEventDispatcher::drainWakeUps()
{
    quint64 count = 0;
    [[maybe_unused]] const auto read = ::read(m_wakeFd, &count, sizeof count);
    m_wakePending.store(false, std::memory_order_release);
}

int EpollEventDispatcher::waitTimeoutMs() const
{
    if (m_due.empty())
        return -1;
    const qint64 us = m_due.begin()->first - nowUs();
    return int(std::clamp<qint64>((us + 999) / 1000, 0, 24 * 3600 * 1000));
}

bool EpollEventDispatcher::activateSocket(int fd, quint32 events)
{
    bool handled = false;
    // Look the notifiers up again before each delivery: a handler may have disabled or
    // deleted the next one.
    auto deliver = [&](QSocketNotifier *Notifiers::*which, quint32 mask) {
        const auto it = m_notifiers.constFind(fd);
        if (it == m_notifiers.cend() || !((*it).*which) || !(events & mask))
            return;
        QEvent event(QEvent::SockAct);
        QCoreApplication::sendEvent((*it).*which, &event);
        handled = true;
    };
    deliver(&Notifiers::read, EPOLLIN | EPOLLHUP | EPOLLERR | EPOLLRDHUP);
    deliver(&Notifiers::write, EPOLLOUT | EPOLLHUP | EPOLLERR);
    deliver(&Notifiers::exception, EPOLLPRI);
    return handled;
}

// Fires the timers due now, once each: a zero-interval timer re-armed by its own event
// waits for the next pass instead of spinning here.
bool EpollEventDispatcher::fireTimers()
{
    const qint64 now = nowUs();
    std::vector<int> due;
    for (auto it = m_due.begin(); it != m_due.end() && it->first <= now; ++it)
        due.push_back(it->second);
    for (const int id : due) {
        const auto it = m_timers.find(id);
        if (it == m_timers.end() || it->dueUs > now)
            continue; // unregistered (or its id reused) by an earlier timer's handler
        m_due.erase({it->dueUs, id});
        // Re-arm before delivery, so the handler may stop or restart it freely.
        it->dueUs = std::max(it->dueUs + it->intervalMs * 1000, now);
        m_due.emplace(it->dueUs, id);
        QTimerEvent event(id);
        QCoreApplication::sendEvent(it->object, &event);
    }
    return !due.empty();
}

bool EpollEventDispatcher::processEvents(QEventLoop::ProcessEventsFlags flags)
{
    m_interrupted = false;
    emit awake();
    QCoreApplication::sendPostedEvents();
    const bool wait = (flags & QEventLoop::WaitForMoreEvents) && !m_interrupted;
    if (wait)
        emit aboutToBlock();
    applyInterest();
    epoll_event events[kMaxEvents];
    const int n = epoll_wait(m_epoll, events, kMaxEvents, wait ? waitTimeoutMs() : 0);
    if (wait)
        emit awake();
    bool handled = false;
    for (int i = 0; i < n; ++i) {
        if (events[i].data.fd == m_wakeFd) {
            drainWakeUps();
            handled = true;
        } else if (!(flags & QEventLoop::ExcludeSocketNotifiers)) {
            handled |= activateSocket(events[i].data.fd, events[i].events);
        }
    }
    handled |= fireTimers();
    return handled;
}

} // namespace confab
