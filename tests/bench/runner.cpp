#include "runner.h"

#include "eventloop/epolldispatcher.h"
#include "filebench.h"
#include "worker.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QHostInfo>
#include <QThread>
#include <QTimer>

namespace confab::bench {

using namespace Qt::StringLiterals;

namespace {
constexpr int kPollMs = 20;
constexpr qint64 kStartDelayUs = 100'000; // lets every worker get the start first
constexpr double kCloseTimeoutS = 10;
constexpr int kRssSampleMs = 100;        // files: how often the server's RSS is read
constexpr double kPostTimeoutS = 30;     // files: the shared file's post to be acked
constexpr qint64 kOpenEndUs = 1LL << 50; // files: the window ends when the transfers do
constexpr double kSeedTimeoutS = 4 * 3600;
constexpr qint64 kSeedStallMs = 60'000; // search: no ack for this long ends the seeding

const char *stageName(Stage s)
{
    switch (s) {
    case Stage::EnrollCreators:
        return "enrol (room creators)";
    case Stage::EnrollOthers:
        return "enrol (members)";
    case Stage::Attach:
        return "attach";
    }
    return "";
}
} // namespace

Runner::Runner(Options options)
    : m_options(std::move(options))
{
}

Runner::~Runner()
{
    stopWorkers();
}

void Runner::say(const QString &line) const
{
    if (m_progress)
        m_progress(line);
}

bool Runner::waitUntil(const std::function<bool()> &done, double seconds,
                       const std::function<void()> &tick)
{
    QElapsedTimer timer;
    timer.start();
    qint64 nextTick = 1000;
    while (!done()) {
        if (timer.elapsed() > qint64(seconds * 1000))
            return false;
        // The runner has nothing else to do: poll the workers' shared counters while
        // this thread's event loop keeps running (the fault server of the tests lives
        // here).
        QEventLoop loop;
        QTimer::singleShot(kPollMs, &loop, &QEventLoop::quit);
        loop.exec();
        if (tick && timer.elapsed() >= nextTick) {
            tick();
            nextTick += 1000;
        }
    }
    return true;
}

void Runner::forEachWorker(const std::function<void(Worker &)> &f)
{
    for (Worker *w : m_workers)
        QMetaObject::invokeMethod(
            w, [&f, w] { f(*w); }, Qt::BlockingQueuedConnection);
}

bool Runner::startTarget(QString *error)
{
    // A peer given with --url (started elsewhere, or a test's fake) is used as it is.
    if (m_options.target != Target::WsPeer || m_options.url.isValid())
        return true;
    m_peer = std::make_unique<PeerProcess>();
    if (!m_peer->start(error))
        return false;
    m_options.url = m_peer->url();
    m_options.serverPid = m_peer->pid();
    say(u"ws peer (node, ws) listening at %1, pid %2"_s.arg(m_options.url.toString())
            .arg(m_options.serverPid));
    return true;
}

ProcessSample Runner::sampleServer() const
{
    if (!m_options.serverStats)
        return {};
    if (m_options.serverPid > 0)
        return sampleProc(m_options.serverPid);
    return sampleMetrics(m_options.url, m_options.insecure);
}

void Runner::startWorkers()
{
    for (int i = 0; i < m_options.workers; ++i) {
        auto *thread = new QThread;
        thread->setObjectName(u"bench-worker-%1"_s.arg(i));
        if (!m_options.qtDispatcher)
            thread->setEventDispatcher(new EpollEventDispatcher);
        auto *worker = new Worker(m_plan.get(), m_shared.get(), i);
        worker->moveToThread(thread);
        // Deleted in its own thread once the loop ends: its sockets and timers belong there.
        QObject::connect(thread, &QThread::finished, worker, &QObject::deleteLater);
        thread->start();
        m_threads.push_back(thread);
        m_workers.push_back(worker);
    }
    forEachWorker([](Worker &w) { w.createClients(); });
}

void Runner::stopWorkers()
{
    for (QThread *t : m_threads) {
        t->quit();
        t->wait();
        delete t;
    }
    m_threads.clear();
    m_workers.clear();
}

bool Runner::runStages(Report &report, QString *error)
{
    QList<Stage> stages{Stage::EnrollCreators, Stage::EnrollOthers};
    if (m_options.scenario != Scenario::Connect)
        stages.append(Stage::Attach);
    QElapsedTimer timer;
    timer.start();
    for (const Stage stage : stages) {
        const int expected = m_plan->stageSize(stage);
        if (expected == 0)
            continue;
        m_shared->stageDone = 0;
        m_shared->stageFailed = 0;
        forEachWorker([stage](Worker &w) { w.runStage(stage); });
        const QString name = QLatin1StringView(stageName(stage));
        const bool finished = waitUntil(
            [&] { return m_shared->stageDone.load() >= expected; },
            m_options.setupTimeout - timer.elapsed() / 1000.0,
            [&] { say(u"%1: %2/%3"_s.arg(name).arg(m_shared->stageDone.load()).arg(expected)); });
        const int failed = m_shared->stageFailed.load();
        report.setupFailures += failed + (expected - m_shared->stageDone.load());
        if (!finished) {
            *error = u"%1 did not finish in time: %2 of %3 done"_s.arg(name)
                         .arg(m_shared->stageDone.load())
                         .arg(expected);
            return false;
        }
        say(u"%1: %2 done, %3 failed"_s.arg(name).arg(expected).arg(failed));
        if (failed == expected) {
            *error = u"%1: every connection failed"_s.arg(name);
            return false;
        }
    }
    report.clientsReady = std::max(0, m_options.clients - report.setupFailures);
    report.setupSeconds = timer.elapsed() / 1000.0;
    return true;
}

void Runner::runLoad(Report &report)
{
    LoadWindow window;
    window.t0Us = nowUs() + kStartDelayUs;
    window.measureStartUs = window.t0Us + qint64(m_options.warmup * 1e6);
    window.measureEndUs = window.measureStartUs + qint64(m_options.duration * 1e6);
    forEachWorker([window](Worker &w) { w.startLoad(window); });
    auto progress = [this] {
        qint64 sends = 0, acks = 0, deliveries = 0, connects = 0;
        forEachWorker([&](Worker &w) {
            sends += w.stats().sendsTotal;
            acks += w.stats().acksTotal;
            deliveries += w.stats().deliveriesTotal;
            connects += w.stats().connects;
        });
        say(u"load: sends %1, acks %2, deliveries %3, connects %4"_s.arg(sends)
                .arg(acks)
                .arg(deliveries)
                .arg(connects));
    };
    measure(report, window, progress);
}

void Runner::measure(Report &report, const LoadWindow &window,
                     const std::function<void()> &progress)
{
    waitUntil([&] { return nowUs() >= window.measureStartUs; }, m_options.warmup + 1);
    report.serverStart = sampleServer();
    report.harnessStart = sampleSelf();
    waitUntil([&] { return nowUs() >= window.measureEndUs; }, m_options.duration + 1, progress);
    report.serverEnd = sampleServer();
    report.harnessEnd = sampleSelf();
    report.measuredSeconds = m_options.duration;
}

bool Runner::seed(Report &report, const LoadWindow &window, QString *error)
{
    const qint64 expected = m_plan->corpus()->messages();
    forEachWorker([window](Worker &w) { w.startLoad(window); });
    QElapsedTimer timer;
    timer.start();
    qint64 acked = 0, answered = 0, lastAnswered = -1, lastChangeMs = 0;
    waitUntil(
        [&] {
            acked = answered = 0;
            forEachWorker([&](Worker &w) {
                acked += w.stats().acksTotal;
                answered += w.stats().acksTotal + w.stats().refused;
            });
            if (answered != lastAnswered) {
                lastAnswered = answered;
                lastChangeMs = timer.elapsed();
            }
            return answered >= expected || timer.elapsed() - lastChangeMs > kSeedStallMs;
        },
        kSeedTimeoutS,
        [&] {
            say(u"seed: %1 of %2 acked, %3/s"_s.arg(acked).arg(expected).arg(
                QString::number(double(acked) * 1000.0 / double(timer.elapsed()), 'f', 0)));
        });
    report.seedSeconds = double(timer.elapsed()) / 1000.0;
    report.seeded = acked;
    forEachWorker([](Worker &w) { w.stopLoad(); });
    if (answered < expected) {
        *error = u"seeding stalled: %1 of %2 messages answered"_s.arg(answered).arg(expected);
        return false;
    }
    say(u"seed: %1 messages in %2 s"_s.arg(acked).arg(report.seedSeconds, 0, 'f', 1));
    return true;
}

bool Runner::runSearch(Report &report, QString *error)
{
    LoadWindow window;
    window.t0Us = nowUs();
    window.measureStartUs = window.t0Us;
    window.measureEndUs = window.t0Us + kOpenEndUs;
    if (m_options.seed && !seed(report, window, error))
        return false;
    // The series goes on from the seeding's second 0.
    window.measureStartUs = nowUs() + kStartDelayUs + qint64(m_options.warmup * 1e6);
    window.measureEndUs = window.measureStartUs + qint64(m_options.duration * 1e6);
    forEachWorker([window](Worker &w) { w.startSearch(window); });
    measure(report, window, [this] {
        qint64 searches = 0;
        forEachWorker([&](Worker &w) { searches += w.stats().search.all.requests; });
        say(u"search: %1 answered in the window"_s.arg(searches));
    });
    return true;
}

bool Runner::runFiles(Report &report, QString *error)
{
    std::vector<QString> tokens(size_t(m_options.clients));
    forEachWorker([&tokens](Worker &w) {
        for (const auto &[client, token] : w.tokens())
            tokens[size_t(client)] = token;
    });
    HttpEndpoint endpoint;
    endpoint.host = m_options.url.host();
    endpoint.port = quint16(m_options.url.port(80));
    endpoint.address = QHostAddress(endpoint.host);
    if (endpoint.address.isNull()) {
        const QList<QHostAddress> found = QHostInfo::fromName(endpoint.host).addresses();
        if (found.isEmpty()) {
            *error = u"cannot resolve %1"_s.arg(endpoint.host);
            return false;
        }
        endpoint.address = found.first();
    }
    FileLoad load(m_options, endpoint, std::move(tokens));
    if (!load.prepareContent(error))
        return false;
    // The clients stay attached (and check what arrives in the room) while files move;
    // no text messages are sent (rate 0).
    LoadWindow window;
    window.t0Us = nowUs();
    window.measureStartUs = window.t0Us;
    window.measureEndUs = window.t0Us + kOpenEndUs;
    forEachWorker([window](Worker &w) { w.startLoad(window); });
    if (m_options.fileMode == FileMode::Download) {
        if (!load.prepareShared(error))
            return false;
        // Posted in the room of everyone, so that every member may read it.
        const QString id = load.sharedId();
        forEachWorker([&id](Worker &w) { w.postFile(0, 0, id); });
        qint64 acked = 0, refused = 0;
        waitUntil(
            [&] {
                acked = refused = 0;
                forEachWorker([&](Worker &w) {
                    acked += w.stats().acksTotal;
                    refused += w.stats().refused;
                });
                return acked + refused > 0;
            },
            kPostTimeoutS);
        if (acked == 0) {
            *error = refused ? u"the server refused the shared file's post"_s
                             : u"the shared file's post was not acked"_s;
            return false;
        }
        say(u"files: shared file %1 (%2 bytes) posted"_s.arg(id).arg(m_options.fileBytes));
    }
    report.serverStart = sampleServer();
    report.harnessStart = sampleSelf();
    qint64 rssMax = report.serverStart.rssBytes;
    int samples = 0;
    QElapsedTimer timer;
    timer.start();
    load.start();
    qint64 nextProgress = 1000;
    while (!load.finished()) {
        QEventLoop loop;
        QTimer::singleShot(kRssSampleMs, &loop, &QEventLoop::quit);
        loop.exec();
        if (const ProcessSample s = sampleServer(); s.ok) {
            rssMax = std::max(rssMax, s.rssBytes);
            ++samples;
        }
        if (m_options.transfers == 0 && timer.elapsed() >= qint64(m_options.duration * 1000))
            load.stop();
        if (timer.elapsed() >= nextProgress) {
            say(u"files: %1 transfers done, %2 MB moved"_s.arg(load.transfersDone())
                    .arg(QString::number(double(load.bytesMoved()) / 1e6, 'f', 1)));
            nextProgress += 1000;
        }
    }
    FileReport files = load.finish();
    report.measuredSeconds = double(timer.elapsed()) / 1000.0;
    report.serverEnd = sampleServer();
    report.harnessEnd = sampleSelf();
    files.serverRssMaxBytes = std::max(rssMax, report.serverEnd.rssBytes);
    files.rssSamples = samples;
    for (auto it = files.errors.cbegin(); it != files.errors.cend(); ++it)
        report.stats.errors[it.key()] += it.value();
    report.files = std::move(files);
    return true;
}

// After the load: wait (up to --grace) for the last acks, for every receiver to reach
// the highest seq anyone saw, for dropped clients to be back, and for storms to end.
void Runner::drain()
{
    DrainStatus total;
    const bool drained = waitUntil(
        [&] {
            total = DrainStatus{};
            forEachWorker([&](Worker &w) {
                const DrainStatus s = w.drainStatus();
                total.pendingAcks += s.pendingAcks;
                total.notReady += s.notReady;
                total.lagging += s.lagging;
            });
            return total.done() && m_shared->stormsRunning.load() == 0;
        },
        m_options.grace);
    if (!drained) {
        say(u"drain: gave up after %1 s: %2 acks pending, %3 clients not back, %4 streams "
            u"behind"_s.arg(m_options.grace)
                .arg(total.pendingAcks)
                .arg(total.notReady)
                .arg(total.lagging));
    }
    forEachWorker([](Worker &w) { w.stopLoad(); });
}

void Runner::collect(Report &report)
{
    forEachWorker([&report](Worker &w) { report.stats.merge(w.finish()); });
    forEachWorker([](Worker &w) { w.closeAll(); });
    int open = 0;
    waitUntil(
        [&] {
            open = 0;
            forEachWorker([&open](Worker &w) { open += w.openConnections(); });
            return open == 0;
        },
        kCloseTimeoutS);
}

std::optional<Report> Runner::run(QString *error)
{
    Report report;
    report.startedAt = QDateTime::currentDateTimeUtc().toString(Qt::ISODate);
    if (!startTarget(error))
        return std::nullopt;
    report.options = m_options;
    report.target = m_options.target == Target::WsPeer ? u"ws-peer"_s : u"confab"_s;
    report.url = m_options.url.toString();
    m_plan = std::make_unique<RunPlan>(m_options);
    m_shared = std::make_unique<SharedState>(m_plan->streamCount());
    report.serverBefore = sampleServer();
    report.serverSource =
        !report.serverBefore.ok ? u"none"_s : (m_options.serverPid > 0 ? u"proc"_s : u"metrics"_s);
    startWorkers();
    if (!runStages(report, error)) {
        collect(report);
        stopWorkers();
        // Say why: the errors the connections ran into ("socket:tls-handshake 100").
        QStringList reasons;
        for (auto it = report.stats.errors.cbegin(); it != report.stats.errors.cend(); ++it)
            reasons.append(u"%1 %2"_s.arg(it.key()).arg(it.value()));
        if (!reasons.isEmpty())
            *error += u" (errors: %1)"_s.arg(reasons.join(u", "_s));
        return std::nullopt;
    }
    say(u"setup done in %1 s; load starts"_s.arg(report.setupSeconds, 0, 'f', 1));
    if (m_options.scenario == Scenario::Files) {
        if (!runFiles(report, error)) {
            collect(report);
            stopWorkers();
            return std::nullopt;
        }
    } else if (m_options.scenario == Scenario::Search) {
        if (!runSearch(report, error)) {
            collect(report);
            stopWorkers();
            return std::nullopt;
        }
    } else {
        runLoad(report);
    }
    drain();
    collect(report);
    stopWorkers();
    if (m_peer)
        m_peer->stop();
    return report;
}

} // namespace confab::bench
