#pragma once

#include <QAbstractEventDispatcher>
#include <QHash>
#include <atomic>
#include <set>
#include <utility>
#include <vector>

// An epoll-based event dispatcher for threads that own many sockets (the server's I/O
// workers, the harness's client threads). Qt's UNIX dispatcher hands every registered
// socket to ppoll() on every pass and then scans them all for activity: O(connections)
// per wake-up, which at 5,000 sockets per thread was half of the harness's CPU in the
// `team` scenario. epoll makes a pass cost O(ready sockets). Interest changes are
// applied just before the next epoll_wait() (after aboutToBlock), so a notifier that
// is armed and disarmed again within one pass (QTcpSocket's write notifier around a
// write it could hand on at once) costs no system call; only removing a descriptor's last
// notifier is applied at once, because the descriptor may be closed and its number
// reused right after. Timers are kept ordered by due time. Installed with
// QThread::setEventDispatcher() before the thread starts; touched only from that
// thread, except wakeUp() and interrupt(), which any thread may call (an eventfd).
namespace confab {

class EpollEventDispatcher : public QAbstractEventDispatcher
{
public:
    EpollEventDispatcher();
    ~EpollEventDispatcher() override;

    bool processEvents(QEventLoop::ProcessEventsFlags flags) override;
    void registerSocketNotifier(QSocketNotifier *notifier) override;
    void unregisterSocketNotifier(QSocketNotifier *notifier) override;
    void registerTimer(int timerId, qint64 interval, Qt::TimerType timerType,
                       QObject *object) override;
    bool unregisterTimer(int timerId) override;
    bool unregisterTimers(QObject *object) override;
    QList<TimerInfo> registeredTimers(QObject *object) const override;
    int remainingTime(int timerId) override;
    void wakeUp() override;
    void interrupt() override;

private:
    struct Notifiers
    {
        QSocketNotifier *read = nullptr;
        QSocketNotifier *write = nullptr;
        QSocketNotifier *exception = nullptr;
        quint32 applied = 0; // the interest mask the kernel has (0: not registered)
        bool dirty = false;  // listed in m_dirty
    };
    struct Timer
    {
        qint64 intervalMs = 0;
        Qt::TimerType type = Qt::CoarseTimer;
        QObject *object = nullptr;
        qint64 dueUs = 0;
    };

    void notifiersChanged(int fd, Notifiers &n);
    void applyInterest();
    int waitTimeoutMs() const;
    bool activateSocket(int fd, quint32 events);
    bool fireTimers();
    void drainWakeUps();

    int m_epoll = -1;
    int m_wakeFd = -1;
    // Set by the first wakeUp() after the loop last read m_wakeFd: later ones skip the
    // write (every post wakes the dispatcher, a burst of posts needs one syscall).
    std::atomic<bool> m_wakePending{false};
    std::atomic<bool> m_interrupted{false};
    QHash<int, Notifiers> m_notifiers;      // by file descriptor
    std::vector<int> m_dirty;               // descriptors whose interest changed
    QHash<int, Timer> m_timers;             // by timer id
    std::set<std::pair<qint64, int>> m_due; // (due us, timer id), soonest first
};

} // namespace confab
