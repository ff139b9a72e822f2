#pragma once

#include "core/context.h"

#include <QObject>
#include <QThread>
#include <memory>
#include <vector>

class QAbstractEventDispatcher;
class QTimer;
class QThreadPool;

namespace confab::server {

class Acceptor;
class Discovery;
class FileStore;
class Hub;
class IoWorker;
class SeqBook;
class StoreReader;
class StoreWriter;

// Wires a running server together: store, writer, hub, I/O workers, acceptor, thread
// pools; and takes it apart again in the order that loses nothing (stop accepting,
// refuse new sends, flush the writer so pending acks go out, close clients with 1001).
// Lives on the main thread.
class ServerApp : public QObject
{
public:
    explicit ServerApp(const ServerConfig &config);
    ~ServerApp() override;

    // Opens the store, loads state, starts every thread and listens. false + *error when
    // anything fails (the port is taken, the store cannot be opened, ...).
    bool start(QString *error);
    // Graceful stop; safe to call twice.
    void stop();
    quint16 port() const { return m_port; }

private:
    static void waitForPool(QThreadPool *pool, const char *name);
    void startThread(QObject *object, const QString &name,
                     QAbstractEventDispatcher *dispatcher = nullptr);
    void startIoWorkers(int count);
    // The transfer workers (config transferWorkers), indexes from firstIndex; also added
    // to m_workers.
    QList<IoWorker *> startTransferWorkers(int firstIndex);
    // `user passwd` and `user remove` run in another process; every few seconds the
    // server looks for their changes and closes the connections whose token is gone.
    void checkTokenChanges();
    // Removes unreferenced files every files.gc_interval_s, on the file pool.
    void collectFiles();
    // Indexes the events stored before the search index existed: one batch on the writer,
    // a pause, the next, until the store says it is complete; progress goes to the log.
    void indexNextBatch();

    ServerContext m_ctx;
    std::unique_ptr<StoreWriter> m_writer;
    std::unique_ptr<StoreReader> m_reader;
    std::unique_ptr<SeqBook> m_seqBook;
    std::unique_ptr<QThreadPool> m_authPool;
    std::unique_ptr<QThreadPool> m_readPool;
    std::unique_ptr<QThreadPool> m_ioPool;
    std::unique_ptr<QThreadPool> m_filePool;
    std::unique_ptr<QThreadPool> m_searchPool;
    qint64 m_backfillStartedMs = 0; // monotonic; 0: no backfill ran
    qint64 m_backfillIndexed = 0;
    qint64 m_backfillLoggedMs = 0;
    std::unique_ptr<FileStore> m_files;
    QTimer *m_filesGc = nullptr;
    std::atomic<bool> m_gcRunning{false};
    Hub *m_hub = nullptr;
    Acceptor *m_acceptor = nullptr;
    Discovery *m_discovery = nullptr;
    std::vector<QThread *> m_threads;
    QList<IoWorker *> m_workers; // the I/O workers, then the transfer workers
    quint16 m_port = 0;
    bool m_running = false;
    QTimer *m_tokenWatch = nullptr;
    qint64 m_startedAt = 0; // wall ms: older changes predate every session
    std::atomic<bool> m_tokenCheckRunning{false};
};

} // namespace confab::server
