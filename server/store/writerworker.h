#pragma once

#include "store/connection.h"
#include "store/writeops.h"
#include "store/writer.h"

#include <QDeadlineTimer>
#include <QMutexLocker>
#include <QObject>
#include <array>
#include <atomic>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

class QTimer;

namespace confab::server {

struct PendingWrite
{
    WriteOp op;
    WriteDone done;
    WriteStatus status = WriteStatus::Committed; // outcome of the current attempt
    bool dropped = false; // failed for good in an earlier attempt; skipped on retries
};

// State shared between StoreWriter (any thread) and its worker. The queue and the flags
// are guarded by mutex; the counters are atomics read lock-free by /metrics.
struct WriterShared
{
    std::mutex mutex; // not QMutex: its futex wait is invisible to ThreadSanitizer
    std::deque<PendingWrite> queue;
    QObject *worker = nullptr; // where wake-ups go; null before start and after stop
    bool wakePosted = false;   // a drain is posted or running: enqueue need not post one
    bool accepting = true;     // false once stopped

    std::atomic<qsizetype> pending{0};
    std::atomic<bool> healthy{true};
    std::atomic<quint64> batchesCommitted{0};
    std::atomic<quint64> opsCommitted{0};
    std::atomic<quint64> lastBatchSize{0};
    std::atomic<quint64> commitMicros{0};
    std::atomic<quint64> failedAttempts{0};
    std::atomic<quint64> opsFailed{0};
    std::array<std::atomic<quint64>, StoreWriter::kCommitSizeBounds.size() + 1> commitSizes{};
    std::array<std::atomic<quint64>, StoreWriter::kCommitMicrosBounds.size() + 1> commitTimes{};
};

// The writer's worker object. Touched only from its worker thread (it is moved there by
// StoreWriter::start() and deleted there when the thread finishes).
class WriterWorker : public QObject
{
    Q_OBJECT
public:
    WriterWorker(const StoreConfig &config, const StoreWriter::Options &options,
                 std::shared_ptr<WriterShared> shared);
    ~WriterWorker() override;

    bool openConnection(QString *error);
    void wake();      // posted by enqueue when the worker was idle
    void beginStop(); // flush everything, then quit the thread
    void shutdown();  // close the connection and quit the thread now

private:
    enum class Attempt { Committed, RetryNow, Failed };

    void drain();
    bool takeBatch();
    bool commitBatch(QString *error);
    Attempt tryCommit(QString *error);
    // Inserts the run of plain events gathered in m_run; false and *attempt when the
    // transaction cannot go on.
    bool flushRun(Attempt *attempt, QString *error);
    bool begin(QString *error);
    bool commit(QString *error);
    void batchCommitted(qint64 micros);
    void batchFailed(const QString &error);
    void giveUp();
    void afterBatch();

    StoreConfig m_config;
    StoreWriter::Options m_options;
    std::shared_ptr<WriterShared> m_shared;
    std::unique_ptr<Connection> m_connection; // created, used and destroyed on the thread
    std::unique_ptr<OpApplier> m_applier;
    std::deque<PendingWrite> m_batch; // in flight; kept across failed attempts
    // The plain events of m_batch waiting for their multi-row INSERT.
    std::vector<const protocol::Event *> m_run;
    // The batch goes op by op: a multi-row INSERT of it met a stored seq or a bad row, and
    // only apply() tells which op it was. Until the batch commits or is given up.
    bool m_batchOpByOp = false;
    QTimer *m_flushTimer = nullptr;
    QTimer *m_retryTimer = nullptr;
    int m_backoffMs = 0;
    bool m_stopping = false;
    bool m_finished = false; // shutdown() ran
    QDeadlineTimer m_stopDeadline;
};

} // namespace confab::server
