#include "store/writer.h"

#include "logging.h"
#include "store/writerworker.h"

#include "eventloop/handoff.h"

#include <QMutexLocker>
#include <QThread>

namespace confab::server {

using namespace Qt::StringLiterals;

StoreWriter::StoreWriter(const StoreConfig &config, QObject *parent)
    : StoreWriter(config, Options(), parent)
{
}

StoreWriter::StoreWriter(const StoreConfig &config, const Options &options, QObject *parent)
    : QObject(parent)
    , m_config(config)
    , m_options(options)
    , m_shared(std::make_shared<WriterShared>())
{
    m_options.maxBatch = qMax(1, m_options.maxBatch);
    m_options.flushIntervalMs = qMax(0, m_options.flushIntervalMs);
    m_options.retryInitialMs = qMax(1, m_options.retryInitialMs);
    m_options.retryMaxMs = qMax(m_options.retryInitialMs, m_options.retryMaxMs);
}

StoreWriter::~StoreWriter()
{
    stop();
}

bool StoreWriter::start(QString *error)
{
    if (m_thread) {
        if (error)
            *error = u"the store writer is already running"_s;
        return false;
    }
    m_thread = new QThread;
    m_thread->setObjectName(u"store-writer"_s);
    m_worker = new WriterWorker(m_config, m_options, m_shared);
    m_worker->setParent(nullptr); // an object with a parent cannot change threads
    m_worker->moveToThread(m_thread);
    connect(m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
    QThread *thread = m_thread;
    connect(
        m_thread, &QThread::finished, m_thread, [thread] { confab::handoffRelease(thread); },
        Qt::DirectConnection);
    m_thread->start();

    bool ok = false;
    QString openError;
    WriterWorker *worker = m_worker;
    confab::runOn(worker, [worker, &ok, &openError] { ok = worker->openConnection(&openError); });
    if (!ok) {
        confab::runOn(worker, [worker] { worker->shutdown(); });
        m_thread->wait();
        confab::joined(m_thread);
        delete m_thread;
        m_thread = nullptr;
        m_worker = nullptr;
        if (error)
            *error = openError;
        return false;
    }
    QMutexLocker lock(&m_shared->mutex);
    m_shared->worker = worker;
    m_shared->accepting = true;
    if (!m_shared->queue.empty() && !m_shared->wakePosted) {
        m_shared->wakePosted = true;
        confab::postTo(worker, [worker] { worker->wake(); });
    }
    return true;
}

void StoreWriter::enqueue(WriteOp op, WriteDone done)
{
    {
        QMutexLocker lock(&m_shared->mutex);
        if (m_shared->accepting) {
            m_shared->queue.push_back(PendingWrite{std::move(op), std::move(done)});
            m_shared->pending.fetch_add(1, std::memory_order_relaxed);
            if (m_shared->worker && !m_shared->wakePosted) {
                // Posted under the lock: the worker cannot be deleted before the event is
                // queued, because it only shuts down with an empty queue.
                m_shared->wakePosted = true;
                WriterWorker *worker = static_cast<WriterWorker *>(m_shared->worker);
                confab::postTo(worker, [worker] { worker->wake(); });
            }
            return;
        }
    }
    qCWarning(lcStore) << "write enqueued after the writer stopped; it is not stored";
    m_shared->opsFailed.fetch_add(1, std::memory_order_relaxed);
    if (done)
        done(WriteStatus::Failed);
}

void StoreWriter::stop()
{
    if (m_thread) {
        if (m_thread->isRunning()) {
            WriterWorker *worker = m_worker;
            confab::postTo(worker, [worker] { worker->beginStop(); });
            m_thread->wait();
            confab::joined(m_thread);
        }
        delete m_thread;
        m_thread = nullptr;
        m_worker = nullptr;
    }
    // Only ops enqueued into a writer that never started can be left here; their owners
    // must still hear about them.
    std::deque<PendingWrite> left;
    {
        QMutexLocker lock(&m_shared->mutex);
        m_shared->accepting = false;
        m_shared->worker = nullptr;
        left.swap(m_shared->queue);
    }
    for (PendingWrite &p : left) {
        m_shared->pending.fetch_sub(1, std::memory_order_relaxed);
        m_shared->opsFailed.fetch_add(1, std::memory_order_relaxed);
        if (p.done)
            p.done(WriteStatus::Failed);
    }
}

bool StoreWriter::healthy() const
{
    return m_shared->healthy.load(std::memory_order_relaxed);
}

qsizetype StoreWriter::pending() const
{
    return m_shared->pending.load(std::memory_order_relaxed);
}

StoreWriter::Stats StoreWriter::stats() const
{
    const WriterShared &s = *m_shared;
    Stats out;
    out.batchesCommitted = s.batchesCommitted.load(std::memory_order_relaxed);
    out.opsCommitted = s.opsCommitted.load(std::memory_order_relaxed);
    out.lastBatchSize = s.lastBatchSize.load(std::memory_order_relaxed);
    out.commitMicros = s.commitMicros.load(std::memory_order_relaxed);
    out.failedAttempts = s.failedAttempts.load(std::memory_order_relaxed);
    out.opsFailed = s.opsFailed.load(std::memory_order_relaxed);
    for (size_t i = 0; i < out.commitSizes.size(); ++i)
        out.commitSizes[i] = s.commitSizes[i].load(std::memory_order_relaxed);
    for (size_t i = 0; i < out.commitTimes.size(); ++i)
        out.commitTimes[i] = s.commitTimes[i].load(std::memory_order_relaxed);
    return out;
}

} // namespace confab::server
