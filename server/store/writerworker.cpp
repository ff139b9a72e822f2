#include "store/writerworker.h"

#include "logging.h"
#include "store/database.h"
#include "store/sqlutil.h"

#include <QElapsedTimer>
#include <QMutexLocker>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QThread>
#include <QTimer>

namespace confab::server {

using namespace Qt::StringLiterals;

namespace {

// The writer's SQLite connection. Every event touches three b-trees (the table, its
// (room, seq) key and the (sender, client_msg_id) index), the two indexes at random
// places: with SQLite's 2 MB cache each insert soon re-reads its leaf pages from the file.
// And a commit that finds the WAL above wal_autocheckpoint pages checkpoints it at once,
// on this thread: at the default of 1,000 pages (4 MB) a large batch makes every commit
// copy its pages into the database file again and fsync that too. Neither changes what a
// commit promises: the WAL is still synced on every commit (synchronous=FULL).
StoreConfig writerConfig(StoreConfig config)
{
    if (config.cacheKiB <= 0)
        config.cacheKiB = 64 * 1024;
    if (config.walAutocheckpointPages <= 0)
        config.walAutocheckpointPages = 16000; // about 64 MB of WAL between checkpoints
    return config;
}

} // namespace

WriterWorker::WriterWorker(const StoreConfig &config, const StoreWriter::Options &options,
                           std::shared_ptr<WriterShared> shared)
    : m_config(writerConfig(config))
    , m_options(options)
    , m_shared(std::move(shared))
    , m_flushTimer(new QTimer(this))
    , m_retryTimer(new QTimer(this))
    , m_backoffMs(options.retryInitialMs)
{
    m_flushTimer->setSingleShot(true);
    m_flushTimer->setInterval(m_options.flushIntervalMs);
    m_retryTimer->setSingleShot(true);
    connect(m_flushTimer, &QTimer::timeout, this, &WriterWorker::drain);
    connect(m_retryTimer, &QTimer::timeout, this, &WriterWorker::drain);
}

WriterWorker::~WriterWorker() = default; // shutdown() released the connection

bool WriterWorker::openConnection(QString *error)
{
    m_connection = std::make_unique<Connection>(m_config, u"writer"_s);
    m_applier = std::make_unique<OpApplier>(*m_connection);
    return m_connection->open(error);
}

void WriterWorker::wake()
{
    if (m_retryTimer->isActive() || m_flushTimer->isActive())
        return; // a drain is scheduled already
    if (m_options.flushIntervalMs > 0 && !m_stopping)
        m_flushTimer->start();
    else
        drain();
}

void WriterWorker::beginStop()
{
    m_stopping = true;
    m_stopDeadline = QDeadlineTimer(m_options.stopTimeoutMs);
    m_flushTimer->stop();
    if (!m_retryTimer->isActive())
        drain(); // a pending retry keeps its backoff; drain() finishes the stop
}

void WriterWorker::drain()
{
    // A drain posted before the stop may still be delivered after shutdown().
    if (m_finished || m_retryTimer->isActive())
        return;
    if (m_batch.empty() && !takeBatch()) {
        afterBatch();
        return;
    }
    QString error;
    if (!commitBatch(&error)) {
        batchFailed(error);
        return;
    }
    afterBatch();
}

bool WriterWorker::takeBatch()
{
    QMutexLocker lock(&m_shared->mutex);
    const size_t n = qMin(m_shared->queue.size(), size_t(m_options.maxBatch));
    for (size_t i = 0; i < n; ++i) {
        m_batch.push_back(std::move(m_shared->queue.front()));
        m_shared->queue.pop_front();
    }
    return n > 0;
}

// Either goes idle (the next enqueue posts a wake-up), finishes a stop, or continues with
// what accumulated meanwhile. Continuing through the event loop rather than looping here
// lets stop requests and timers in between batches.
void WriterWorker::afterBatch()
{
    QMutexLocker lock(&m_shared->mutex);
    if (!m_shared->queue.empty()) {
        QMetaObject::invokeMethod(this, &WriterWorker::drain, Qt::QueuedConnection);
        return;
    }
    m_shared->wakePosted = false;
    if (!m_stopping)
        return;
    m_shared->accepting = false;
    m_shared->worker = nullptr;
    lock.unlock();
    shutdown();
}

bool WriterWorker::commitBatch(QString *error)
{
    for (;;) {
        switch (tryCommit(error)) {
        case Attempt::Committed:
            return true;
        case Attempt::Failed:
            return false;
        case Attempt::RetryNow:
            break; // an op was dropped; the rest goes again at once
        }
    }
}

WriterWorker::Attempt WriterWorker::tryCommit(QString *error)
{
    if (!m_connection->open(error))
        return Attempt::Failed;
    QElapsedTimer clock;
    clock.start();
    if (!begin(error))
        return Attempt::Failed;
    m_run.clear();
    Attempt attempt = Attempt::Committed;
    for (PendingWrite &p : m_batch) {
        if (p.dropped)
            continue;
        if (!m_batchOpByOp && OpApplier::groupable(p.op)) {
            p.status = WriteStatus::Committed;
            m_run.push_back(&std::get<AppendEvent>(p.op).event);
            continue;
        }
        if (!flushRun(&attempt, error))
            return attempt;
        const OpApplier::Result r = m_applier->apply(p.op);
        p.status = r.status;
        if (r.status != WriteStatus::Failed)
            continue;
        Database::rollback(m_connection->database());
        if (!r.permanent) {
            *error = r.error;
            return Attempt::Failed;
        }
        qCCritical(lcStore) << "dropping a write that can never succeed:" << r.error;
        p.dropped = true;
        m_shared->opsFailed.fetch_add(1, std::memory_order_relaxed);
        return Attempt::RetryNow;
    }
    if (!flushRun(&attempt, error))
        return attempt;
    if (!commit(error)) {
        Database::rollback(m_connection->database());
        return Attempt::Failed;
    }
    batchCommitted(clock.nsecsElapsed() / 1000);
    return Attempt::Committed;
}

bool WriterWorker::flushRun(Attempt *attempt, QString *error)
{
    if (m_run.empty())
        return true;
    const OpApplier::Result r = m_applier->insertEvents(m_run);
    m_run.clear();
    if (r.status == WriteStatus::Committed)
        return true;
    Database::rollback(m_connection->database());
    if (r.status == WriteStatus::Failed && !r.permanent) {
        *error = r.error;
        *attempt = Attempt::Failed;
        return false;
    }
    // A seq stored already, or a row that can never go in: the same batch again, op by op,
    // finds it (and drops only a bad op).
    qCDebug(lcStore).noquote() << "a multi-row insert did not go through, the batch goes op by op:"
                               << (r.error.isEmpty() ? u"a seq is stored already"_s : r.error);
    m_batchOpByOp = true;
    *attempt = Attempt::RetryNow;
    return false;
}

// SQLite: BEGIN IMMEDIATE and COMMIT as statements prepared once, not for every batch.
// PostgreSQL: through QSqlDatabase, which also notices a COMMIT that rolled back.
bool WriterWorker::begin(QString *error)
{
    const QSqlDatabase db = m_connection->database();
    if (m_connection->isPostgres())
        return Database::begin(db, error);
    static const QString kBegin = u"BEGIN IMMEDIATE"_s;
    QSqlQuery *q = m_connection->statement(kBegin, error);
    return q && sql::exec(*q, kBegin, error);
}

bool WriterWorker::commit(QString *error)
{
    if (m_connection->isPostgres())
        return Database::commit(m_connection->database(), error);
    static const QString kCommit = u"COMMIT"_s;
    QSqlQuery *q = m_connection->statement(kCommit, error);
    return q && sql::exec(*q, kCommit, error);
}

namespace {

template<size_t N>
void observe(std::array<std::atomic<quint64>, N + 1> &counts, const std::array<quint64, N> &bounds,
             quint64 value)
{
    size_t i = 0;
    while (i < N && value > bounds[i])
        ++i;
    counts[i].fetch_add(1, std::memory_order_relaxed);
}

} // namespace

void WriterWorker::batchCommitted(qint64 micros)
{
    std::deque<PendingWrite> batch;
    batch.swap(m_batch);
    m_batchOpByOp = false;
    quint64 committed = 0;
    for (const PendingWrite &p : batch)
        committed += p.dropped ? 0 : 1;
    WriterShared &s = *m_shared;
    s.batchesCommitted.fetch_add(1, std::memory_order_relaxed);
    s.opsCommitted.fetch_add(committed, std::memory_order_relaxed);
    s.lastBatchSize.store(committed, std::memory_order_relaxed);
    s.commitMicros.fetch_add(quint64(micros), std::memory_order_relaxed);
    observe(s.commitSizes, StoreWriter::kCommitSizeBounds, committed);
    observe(s.commitTimes, StoreWriter::kCommitMicrosBounds, quint64(micros));
    if (!s.healthy.exchange(true))
        qCInfo(lcStore) << "store writes succeed again";
    m_backoffMs = m_options.retryInitialMs;
    for (PendingWrite &p : batch) {
        s.pending.fetch_sub(1, std::memory_order_relaxed);
        if (p.done)
            p.done(p.dropped ? WriteStatus::Failed : p.status);
    }
}

void WriterWorker::batchFailed(const QString &error)
{
    m_shared->failedAttempts.fetch_add(1, std::memory_order_relaxed);
    if (m_shared->healthy.exchange(false))
        qCWarning(lcStore).noquote() << "store write failed, retrying:" << error;
    else
        qCDebug(lcStore).noquote() << "store write failed again:" << error;
    // The connection may be dead (PostgreSQL restarted) or wedged; a fresh one costs
    // little next to the backoff.
    m_connection->reset();
    if (m_stopping && m_stopDeadline.hasExpired()) {
        giveUp();
        return;
    }
    m_retryTimer->start(m_backoffMs);
    m_backoffMs = qMin(m_backoffMs * 2, m_options.retryMaxMs);
}

// Only while stopping, with the store down for longer than stopTimeoutMs: the owners of
// the remaining ops hear Failed instead of waiting forever.
void WriterWorker::giveUp()
{
    {
        QMutexLocker lock(&m_shared->mutex);
        while (!m_shared->queue.empty()) {
            m_batch.push_back(std::move(m_shared->queue.front()));
            m_shared->queue.pop_front();
        }
        m_shared->accepting = false;
        m_shared->worker = nullptr;
        m_shared->wakePosted = false;
    }
    qCCritical(lcStore) << "giving up on" << m_batch.size()
                        << "writes: the store stayed unavailable during shutdown";
    std::deque<PendingWrite> batch;
    batch.swap(m_batch);
    m_batchOpByOp = false;
    for (PendingWrite &p : batch) {
        m_shared->pending.fetch_sub(1, std::memory_order_relaxed);
        m_shared->opsFailed.fetch_add(p.dropped ? 0 : 1, std::memory_order_relaxed);
        if (p.done)
            p.done(WriteStatus::Failed);
    }
    shutdown();
}

void WriterWorker::shutdown()
{
    m_flushTimer->stop();
    m_retryTimer->stop();
    m_finished = true;
    m_applier.reset();
    m_connection.reset();
    thread()->quit();
}

} // namespace confab::server
