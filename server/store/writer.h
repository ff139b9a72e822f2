#pragma once

#include "store/storetypes.h"

#include <QObject>
#include <array>
#include <memory>

class QThread;

namespace confab::server {

class WriterWorker;
struct WriterShared;

// The queued writer: every store write of a running server goes through here, in order,
// committed in batches (group commit) on one thread that owns its QSqlDatabase connection.
//
// Ownership: the StoreWriter object lives on the thread that created it (start(), stop()
// and the destructor are called there); enqueue(), healthy(), pending() and stats() are
// thread-safe. The worker it starts is touched only from its worker thread.
//
// Batching: when idle, a new op is committed at once (after flushIntervalMs, if set);
// ops enqueued while a commit runs wait for it and then go out together in the next
// transaction, up to maxBatch per transaction. Each op's done is called after its
// transaction committed, in queue order, on the writer thread.
//
// Failures: if BEGIN, a statement or COMMIT fails for a reason that may pass (database
// down or restarted, disk full, lock timeout) the batch is rolled back, the connection
// reopened and the same batch retried with backoff, so nothing is lost or reordered;
// healthy() is false meanwhile. An op that can never succeed (constraint or data error)
// is dropped from the batch and gets Failed.
class StoreWriter : public QObject
{
    Q_OBJECT
public:
    struct Options
    {
        int maxBatch = 1024;       // ops per transaction
        int flushIntervalMs = 0;   // delay before committing when idle (0: at once)
        int retryInitialMs = 50;   // backoff after a failed attempt, doubling ...
        int retryMaxMs = 2000;     // ... up to this
        int stopTimeoutMs = 30000; // stop() retries a failing store this long, then the
                                   // remaining ops get Failed
    };

    // Upper bounds of the histogram buckets behind /metrics: ops in a committed
    // transaction, and its time from BEGIN to the end of COMMIT (microseconds).
    static constexpr std::array<quint64, 11> kCommitSizeBounds = {1,  2,   4,   8,   16,  32,
                                                                  64, 128, 256, 512, 1024};
    static constexpr std::array<quint64, 14> kCommitMicrosBounds = {
        100,   250,   500,    1000,   2500,   5000,    10000,
        25000, 50000, 100000, 250000, 500000, 1000000, 2500000};

    // Snapshot of the counters behind /metrics.
    struct Stats
    {
        quint64 batchesCommitted = 0;
        quint64 opsCommitted = 0; // ops in committed batches (conflicts included)
        quint64 lastBatchSize = 0;
        quint64 commitMicros = 0;   // total time from BEGIN to the end of COMMIT
        quint64 failedAttempts = 0; // batch attempts that were rolled back
        quint64 opsFailed = 0;      // ops that got Failed
        // Committed batches per bucket (not cumulative): [i] counts those <= bound i and
        // above bound i - 1, the last entry those above every bound.
        std::array<quint64, kCommitSizeBounds.size() + 1> commitSizes{};
        std::array<quint64, kCommitMicrosBounds.size() + 1> commitTimes{};
    };

    explicit StoreWriter(const StoreConfig &config, QObject *parent = nullptr);
    StoreWriter(const StoreConfig &config, const Options &options, QObject *parent = nullptr);
    ~StoreWriter() override; // stop()s

    // Starts the writer thread and opens its connection there. False + *error if the
    // database cannot be opened. Ops enqueued before start() wait for it.
    bool start(QString *error);
    // Queues op; never blocks on the disk. After stop(), done(Failed) is called at once
    // on the calling thread.
    void enqueue(WriteOp op, WriteDone done);
    // Blocks until every queued op is committed (or, with the store down for longer than
    // stopTimeoutMs, failed), then stops the thread. Idempotent.
    void stop();

    bool healthy() const;      // the last commit attempt succeeded
    qsizetype pending() const; // queued or in flight, done not yet called
    Stats stats() const;
    const Options &options() const { return m_options; }

private:
    StoreConfig m_config;
    Options m_options;
    std::shared_ptr<WriterShared> m_shared;
    QThread *m_thread = nullptr;
    WriterWorker *m_worker = nullptr; // deleted on its own thread when that finishes
};

} // namespace confab::server
