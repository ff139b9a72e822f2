#include "app/serverapp.h"

#include "app/config.h"

#include "core/clock.h"
#include "core/hub.h"
#include "core/metrics.h"
#include "core/seqbook.h"
#include "core/threadpriority.h"
#include "eventloop/epolldispatcher.h"
#include "eventloop/filelimit.h"
#include "files/filestore.h"
#include "logging.h"
#include "net/acceptor.h"
#include "net/discovery.h"
#include "net/ioworker.h"
#include "store/database.h"
#include "store/reader.h"
#include "store/writer.h"

#include <QDateTime>
#include <QDeadlineTimer>
#include <QDir>
#include <QEventLoop>
#include <QHostInfo>
#include <QSemaphore>
#include <QThreadPool>
#include <QTimer>

namespace confab::server {

using namespace Qt::StringLiterals;

namespace {
constexpr int kTokenCheckMs = 2000;
// Changes are applied again for this long: a session whose token login was looked up
// just before the change may attach only after the first check.
constexpr qint64 kTokenCheckOverlapMs = 10000;

} // namespace

ServerApp::ServerApp(const ServerConfig &config)
{
    m_ctx.config = config;
    m_ctx.metrics = &Metrics::instance();
}

ServerApp::~ServerApp()
{
    stop();
}

void ServerApp::startIoWorkers(int count)
{
    m_workers.resize(count);
    if (m_ctx.config.eventDispatcher == "epoll"_L1) {
        // Qt's dispatcher hands every socket to ppoll() on every wake-up; with thousands
        // of connections per thread that is most of the server's CPU. epoll costs only
        // what is ready. It must be installed before the thread starts.
        for (int i = 0; i < count; ++i) {
            auto *worker = new IoWorker(i, &m_ctx);
            m_workers[i] = worker;
            startThread(worker, u"io-%1"_s.arg(i), new EpollEventDispatcher);
            postTo(worker, [worker] { worker->start(); });
        }
        return;
    }
    // The same workers on the threads of a QThreadPool, with Qt's own dispatcher: each
    // runnable creates its worker on the pool thread (sockets have thread affinity) and
    // runs its event loop there until stop() quits it.
    m_ioPool = std::make_unique<QThreadPool>();
    m_ioPool->setMaxThreadCount(count);
    m_ioPool->setExpiryTimeout(-1);
    QSemaphore ready;
    for (int i = 0; i < count; ++i) {
        startOn(m_ioPool.get(), [this, i, &ready] {
            QThread::currentThread()->setObjectName(u"io-%1"_s.arg(i));
            IoWorker worker(i, &m_ctx);
            QEventLoop loop;
            worker.setQuit([&loop] { loop.quit(); });
            m_workers[i] = &worker;
            worker.start();
            handoffRelease(&ready);
            ready.release();
            loop.exec();
        });
    }
    ready.acquire(count);
    handoffAcquire(&ready);
}

QList<IoWorker *> ServerApp::startTransferWorkers(int firstIndex)
{
    QList<IoWorker *> transfers;
    // Only beside the epoll workers: the QThreadPool ones are for comparison runs.
    if (m_ctx.config.eventDispatcher != "epoll"_L1)
        return transfers;
    for (int i = 0; i < m_ctx.config.transferWorkers; ++i) {
        auto *worker = new IoWorker(firstIndex + i, &m_ctx);
        startThread(worker, u"io-transfer-%1"_s.arg(i), new EpollEventDispatcher);
        postTo(worker, [worker] {
            // Nice 19: the chat's threads (and everyone else's) go first whenever they
            // want a core; a transfer takes what is left, which on an idle box is all.
            lowestCpuPriority();
            worker->start();
        });
        transfers.append(worker);
        m_workers.append(worker); // stopped and drained with the others
    }
    return transfers;
}

void ServerApp::startThread(QObject *object, const QString &name,
                            QAbstractEventDispatcher *dispatcher)
{
    auto *thread = new QThread;
    if (dispatcher)
        thread->setEventDispatcher(dispatcher);
    thread->setObjectName(name);
    // What the thread did happens before whoever joins it reads (joined(thread)).
    connect(
        thread, &QThread::finished, thread, [thread] { handoffRelease(thread); },
        Qt::DirectConnection);
    object->setParent(nullptr);
    object->moveToThread(thread);
    thread->start();
    m_threads.push_back(thread);
}

bool ServerApp::start(QString *error)
{
    const ServerConfig &cfg = m_ctx.config;
    // One descriptor per connection: the default soft limit of 1024 would cap a server
    // at about a thousand clients although the hard limit (LimitNOFILE) allows more.
    const FileLimit files = raiseFileLimit();
    qCInfo(lcApp).nospace() << "file descriptor limit " << files.soft << " (hard " << files.hard
                            << ")";
    if (cfg.db.isEmpty() && !QDir().mkpath(cfg.stateDir)) {
        *error = u"cannot create the state directory %1"_s.arg(cfg.stateDir);
        return false;
    }
    const std::optional<StoreConfig> store = StoreConfig::fromUrl(effectiveDbUrl(cfg), error);
    if (!store)
        return false;
    if (!Database::initialize(*store, &m_ctx.epoch, error))
        return false;
    qCInfo(lcStore) << "store" << store->describe() << "epoch" << m_ctx.epoch;

    m_reader = std::make_unique<StoreReader>(*store);
    QString readError;
    const QList<StoredRoom> rooms = m_reader->loadRooms(&readError);
    const QList<StoredUser> users = m_reader->listUsers(&readError);
    const qint64 since =
        QDateTime::currentMSecsSinceEpoch() - qint64(cfg.idempotencyDays) * 86400000;
    const QList<EventFact> facts = m_reader->loadEventFacts(since, &readError);
    if (!readError.isEmpty()) {
        *error = u"cannot load the store: %1"_s.arg(readError);
        return false;
    }

    StoreWriter::Options writerOptions;
    writerOptions.maxBatch = cfg.writerBatchMax;
    m_writer = std::make_unique<StoreWriter>(*store, writerOptions);
    if (!m_writer->start(error))
        return false;

    m_seqBook = std::make_unique<SeqBook>();
    m_authPool = std::make_unique<QThreadPool>();
    m_authPool->setMaxThreadCount(std::max(2, QThread::idealThreadCount()));
    m_readPool = std::make_unique<QThreadPool>();
    m_readPool->setMaxThreadCount(std::max(4, 2 * QThread::idealThreadCount()));
    m_ctx.writer = m_writer.get();
    m_ctx.reader = m_reader.get();
    m_ctx.seqBook = m_seqBook.get();
    m_ctx.authPool = m_authPool.get();
    m_ctx.readPool = m_readPool.get();
    // File requests hash, decode images and read the store: their own threads, so a burst
    // of uploads never delays a history read or a login.
    m_filePool = std::make_unique<QThreadPool>();
    m_filePool->setMaxThreadCount(std::max(2, QThread::idealThreadCount()));
    m_files =
        std::make_unique<FileStore>(filesRoot(cfg), cfg.files, m_reader.get(), m_writer.get());
    if (!m_files->open(error))
        return false;
    qCInfo(lcStore).noquote() << "file store" << m_files->root();
    m_ctx.filePool = m_filePool.get();
    m_ctx.files = m_files.get();
    m_searchPool = std::make_unique<QThreadPool>();
    m_searchPool->setMaxThreadCount(cfg.searchWorkers);
    m_ctx.searchPool = m_searchPool.get();

    auto tls = std::make_shared<TlsSetup>();
    if (!loadTlsSetup(cfg, tls.get(), error))
        return false;
    if (tls->enabled) {
        qCInfo(lcApp).noquote() << "TLS" << (tls->required ? "required" : "on")
                                << "(TLS 1.2 or later)";
        // Users compare this with what their app shows the first time it connects.
        qCInfo(lcApp).noquote() << "TLS certificate fingerprint (SHA-256):" << tls->fingerprint;
    }

    const int workerCount =
        cfg.workers > 0 ? cfg.workers : std::max(1, QThread::idealThreadCount());
    startIoWorkers(workerCount);
    const QList<IoWorker *> ioWorkers = m_workers;
    const QList<IoWorker *> transfers = startTransferWorkers(workerCount);
    // Before any connection arrives: nothing reads these until the acceptor runs.
    for (IoWorker *w : ioWorkers) {
        w->setPeers(ioWorkers);
        w->setTls(tls);
        w->setTransferWorkers(transfers);
        m_ctx.sinks.append(w);
    }
    for (IoWorker *w : transfers) // no room's events go there: they hold no WebSocket
        w->setTls(tls);
    m_hub = new Hub(&m_ctx);
    m_ctx.hub = m_hub;
    m_hub->load(rooms, users, facts);
    startThread(m_hub, u"hub"_s);

    m_acceptor = new Acceptor(&m_ctx, ioWorkers);
    startThread(m_acceptor, u"acceptor"_s);
    bool listening = false;
    QString listenError;
    runOn(m_acceptor, [&] {
        // The kernel caps the backlog at net.core.somaxconn; 4096 lets a whole office
        // reconnect at once without SYNs dropped (Qt's default of 50 did not).
        listening = m_acceptor->listen(cfg.listenAddress, cfg.port, 4096, &listenError);
        m_port = m_acceptor->port();
    });
    m_running = true;
    if (!listening) {
        *error = u"cannot listen on %1:%2: %3"_s.arg(cfg.listenAddress.toString())
                     .arg(cfg.port)
                     .arg(listenError);
        stop();
        return false;
    }
    if (cfg.discovery) {
        protocol::DiscoveryAnswer answer;
        answer.host = QHostInfo::localHostName();
        answer.name = cfg.discoveryName.isEmpty() ? answer.host : cfg.discoveryName;
        answer.port = m_port;
        answer.protocol = protocol::kProtocolVersion;
        answer.tls = tls->enabled;
        answer.tlsRequired = tls->required;
        answer.fingerprint = tls->fingerprint;
        m_discovery = new Discovery(&m_ctx, answer, this);
        QString discoveryError;
        // A LAN without discovery still works by address: warn, do not refuse to start.
        if (m_discovery->start(cfg.discoveryPort, &discoveryError))
            qCInfo(lcApp) << "answering discovery probes on UDP port" << m_discovery->port();
        else
            qCWarning(lcApp).noquote() << discoveryError;
    }
    m_startedAt = QDateTime::currentMSecsSinceEpoch();
    m_tokenWatch = new QTimer(this);
    connect(m_tokenWatch, &QTimer::timeout, this, &ServerApp::checkTokenChanges);
    m_tokenWatch->start(kTokenCheckMs);
    m_filesGc = new QTimer(this);
    connect(m_filesGc, &QTimer::timeout, this, &ServerApp::collectFiles);
    m_filesGc->start(int(std::min<qint64>(cfg.files.gcIntervalSeconds * 1000, 1 << 30)));
    QString indexError;
    const std::optional<bool> indexed = m_reader->searchIndexComplete(&indexError);
    if (!indexed)
        qCWarning(lcStore).noquote() << "cannot read the search index's state:" << indexError;
    else if (!*indexed)
        indexNextBatch();
    qCInfo(lcApp).noquote() << "listening on"
                            << u"%1:%2"_s.arg(cfg.listenAddress.toString()).arg(m_port) << "with"
                            << workerCount << "I/O workers and" << transfers.size()
                            << "transfer workers";
    return true;
}

void ServerApp::checkTokenChanges()
{
    if (m_tokenCheckRunning.exchange(true))
        return; // the previous check is still reading
    const qint64 from =
        std::max(m_startedAt, QDateTime::currentMSecsSinceEpoch() - kTokenCheckOverlapMs);
    startOn(m_readPool.get(), [this, from] {
        QString error;
        const QHash<QString, QSet<QString>> changes = m_reader->tokenChanges(from, &error);
        if (!error.isEmpty())
            qCWarning(lcStore).noquote() << "cannot read token changes:" << error;
        for (auto it = changes.cbegin(); it != changes.cend(); ++it) {
            for (IoWorker *w : std::as_const(m_workers)) {
                postTo(w, [w, user = it.key(), live = it.value()] {
                    w->closeRevoked(user, {}, live, 0);
                });
            }
        }
        m_tokenCheckRunning = false;
    });
}

void ServerApp::collectFiles()
{
    if (m_gcRunning.exchange(true))
        return;
    startOn(m_filePool.get(), [this] {
        m_files->collect(QDateTime::currentMSecsSinceEpoch());
        m_gcRunning = false;
    });
}

void ServerApp::indexNextBatch()
{
    if (!m_running)
        return;
    if (m_backfillStartedMs == 0) {
        m_backfillStartedMs = monotonicMs();
        m_backfillLoggedMs = m_backfillStartedMs;
        qCInfo(lcStore) << "search index: indexing the stored messages, in batches of"
                        << m_ctx.config.searchBackfillRows << "events";
    }
    auto progress = std::make_shared<SearchBackfill>();
    m_writer->enqueue(
        IndexSearchBatch{m_ctx.config.searchBackfillRows, progress},
        [this, progress](WriteStatus status) {
            postTo(this, [this, progress, status] {
                if (status != WriteStatus::Committed) {
                    qCWarning(lcStore) << "search index: a batch failed; the "
                                          "next start goes on from there";
                    return;
                }
                m_backfillIndexed += progress->indexed;
                const qint64 now = monotonicMs();
                if (progress->complete) {
                    qCInfo(lcStore).noquote()
                        << u"search index: complete, %1 messages indexed in %2 s"_s
                               .arg(m_backfillIndexed)
                               .arg(double(now - m_backfillStartedMs) / 1000.0, 0, 'f', 1);
                    return;
                }
                if (now - m_backfillLoggedMs >= 5000) {
                    m_backfillLoggedMs = now;
                    const QString share =
                        progress->total > 0
                            ? u" (%1 %)"_s.arg(100 * progress->done / progress->total)
                            : QString();
                    qCInfo(lcStore).noquote()
                        << u"search index: %1 messages indexed so far%2"_s.arg(m_backfillIndexed)
                               .arg(share);
                }
                QTimer::singleShot(m_ctx.config.searchBackfillPauseMs, this,
                                   &ServerApp::indexNextBatch);
            });
        });
}

void ServerApp::waitForPool(QThreadPool *pool, const char *name)
{
    if (!pool->waitForDone(5000)) {
        qCWarning(lcApp) << "still waiting for the" << name << "pool's tasks to finish";
        pool->waitForDone();
    }
    joined(pool);
}

void ServerApp::stop()
{
    if (!m_running)
        return;
    m_running = false;
    qCInfo(lcApp) << "stopping: no new connections, flushing the writer";
    if (m_tokenWatch)
        m_tokenWatch->stop();
    if (m_filesGc)
        m_filesGc->stop();
    delete m_discovery; // a server on its way out is not offered to anyone
    m_discovery = nullptr;
    // Draining before the port closes: whoever sees the port closed sees writes refused.
    m_ctx.draining = true;
    runOn(m_acceptor, [this] { m_acceptor->close(); });
    // Everything accepted so far is committed, and its fan-out and ack are posted to the
    // hub behind it.
    m_writer->stop();
    // Pool tasks post to sessions and the hub: they must all be done before either goes.
    // Their own waits are bounded (replay and history give up after a few seconds).
    waitForPool(m_authPool.get(), "auth");
    waitForPool(m_readPool.get(), "read");
    waitForPool(m_filePool.get(), "file");
    waitForPool(m_searchPool.get(), "search");
    runOn(m_hub, [] {}); // the hub has posted every broadcast and ack to the workers
    for (IoWorker *w : std::as_const(m_workers))
        runOn(w, [w] { w->closeAll(); });
    // Give clients a moment to read their 1001 close frame.
    QDeadlineTimer deadline(2000);
    while (!deadline.hasExpired()) {
        qsizetype open = 0;
        for (IoWorker *w : std::as_const(m_workers))
            runOn(w, [&] { open += w->sessionCount(); });
        if (open == 0)
            break;
        QThread::msleep(20);
    }
    // The hub and the acceptor post to the workers, so they stop first; what the workers
    // still post to them while they wind down stays queued until they are deleted.
    QThread *hubThread = m_hub->thread();
    QThread *acceptorThread = m_acceptor->thread();
    m_acceptor->deleteLater(); // on its thread: its timers and notifier live there
    m_acceptor = nullptr;
    for (QThread *t : {acceptorThread, hubThread}) {
        t->quit();
        t->wait();
        joined(t);
    }
    for (IoWorker *w : std::as_const(m_workers)) {
        if (m_ioPool)
            postTo(w, [w] { w->quit(); }); // it lives on the runnable's stack
        else
            w->deleteLater(); // on its thread, when that finishes below
    }
    if (m_ioPool) {
        m_ioPool->waitForDone();
        joined(m_ioPool.get());
    }
    for (QThread *t : m_threads) {
        t->quit();
        t->wait();
        joined(t);
    }
    delete m_hub; // no timers; its thread is gone and nobody posts to it any more
    m_hub = nullptr;
    qDeleteAll(m_threads);
    m_threads.clear();
    m_workers.clear();
    m_ctx.sinks.clear();
    m_ctx.hub = nullptr;
    qCInfo(lcApp) << "stopped";
}

} // namespace confab::server
