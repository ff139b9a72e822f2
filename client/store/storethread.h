#pragma once

#include "store/storeworker.h"

#include <QMetaObject>
#include <QPointer>
#include <QThread>
#include <memory>

namespace confab::client {

// Owns the worker thread of one account's SQLite files and the StoreWorker on it.
// post() queues work there; reply() brings a result back to an object on the calling
// thread, and is dropped if that object is gone. Work runs in the order it was posted.
class StoreThread
{
public:
    StoreThread(const QString &outboxPath, const QString &cachePath, const QString &name);
    ~StoreThread();
    StoreThread(const StoreThread &) = delete;
    StoreThread &operator=(const StoreThread &) = delete;

    // Opens both files; blocks until done (start-up needs the outbox before anything).
    bool open(QString *error);

    template<class F> void post(F work)
    {
        QMetaObject::invokeMethod(m_worker,
                                  [w = m_worker, work = std::move(work)]() mutable { work(*w); });
    }

    // Runs work on the worker and waits for it (after everything posted before).
    template<class F> auto call(F work)
    {
        using R = decltype(work(*m_worker));
        if constexpr (std::is_void_v<R>) {
            QMetaObject::invokeMethod(
                m_worker, [w = m_worker, &work] { work(*w); }, Qt::BlockingQueuedConnection);
        } else {
            R result{};
            QMetaObject::invokeMethod(
                m_worker, [w = m_worker, &work, &result] { result = work(*w); },
                Qt::BlockingQueuedConnection);
            return result;
        }
    }

    // Runs work on the worker and hands its result to done() on receiver's thread.
    template<class F, class Done> void reply(QObject *receiver, F work, Done done)
    {
        QPointer<QObject> guard(receiver);
        post([guard, work = std::move(work), done = std::move(done)](StoreWorker &w) mutable {
            auto result = work(w);
            if (!guard)
                return;
            QMetaObject::invokeMethod(guard.data(), [guard, done = std::move(done),
                                                     result = std::move(result)]() mutable {
                if (guard)
                    done(result);
            });
        });
    }

    // Waits for all work posted so far.
    void drain();

private:
    QThread m_thread;
    StoreWorker *m_worker; // lives on m_thread; deleted there
};

} // namespace confab::client
