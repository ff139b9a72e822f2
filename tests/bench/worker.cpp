#include "worker.h"

#include <QAbstractEventDispatcher>
#include <QHostInfo>
#include <QThread>
#include <algorithm>
#include <cmath>

namespace confab::bench {

using namespace Qt::StringLiterals;

namespace {
constexpr int kStageTickMs = 5;
constexpr qint64 kHandshakeTimeoutUs = 30'000'000;
constexpr qint64 kCloseTimeoutUs = 5'000'000;
} // namespace

Worker::Worker(const RunPlan *plan, SharedState *shared, int index)
    : m_plan(plan)
    , m_shared(shared)
    , m_index(index)
    , m_random(quint32(index * 7919 + 17))
{
    // Frames from a server may be larger than the protocol's defaults (big replays);
    // the harness checks content, not limits.
    m_limits.maxFrameBytes = 16 * 1024 * 1024;
    m_limits.maxBodyBytes = 1024 * 1024;
    m_stageTimer.setInterval(kStageTickMs);
    m_sendTimer.setTimerType(Qt::PreciseTimer);
    m_sendTimer.setSingleShot(true);
    m_sweepTimer.setInterval(1000);
    QObject::connect(&m_stageTimer, &QTimer::timeout, this, [this] { stageTick(); });
    QObject::connect(&m_sendTimer, &QTimer::timeout, this, [this] { sendTick(); });
    QObject::connect(&m_dropTimer, &QTimer::timeout, this, [this] { dropTick(); });
    QObject::connect(&m_sweepTimer, &QTimer::timeout, this, [this] { sweepTick(); });
}

Worker::~Worker() = default;

void Worker::createClients()
{
    // In this thread: the poller's notifier belongs to its dispatcher. Everything the
    // clients queued in a loop pass is written when the pass ends.
    m_poller = std::make_unique<Poller>();
    QObject::connect(QThread::currentThread()->eventDispatcher(),
                     &QAbstractEventDispatcher::aboutToBlock, this,
                     [this] { m_poller->flushWrites(); });
    const QString host = m_plan->options().url.host();
    m_serverAddress = QHostAddress(host);
    if (m_serverAddress.isNull()) {
        const QList<QHostAddress> found = QHostInfo::fromName(host).addresses();
        const auto v4 = std::find_if(found.cbegin(), found.cend(), [](const QHostAddress &a) {
            return a.protocol() == QAbstractSocket::IPv4Protocol;
        });
        if (v4 != found.cend())
            m_serverAddress = *v4;
        else if (!found.isEmpty())
            m_serverAddress = found.first();
    }
    for (int c = m_index; c < m_plan->clients(); c += m_plan->options().workers) {
        m_clients.push_back(std::make_unique<BenchClient>(this, c));
        if (m_plan->isSender(c))
            m_senders.push_back(m_clients.back().get());
    }
    m_sweepTimer.start();
}

void Worker::runStage(Stage stage)
{
    m_stage = stage;
    m_stageQueue.clear();
    for (const auto &c : m_clients) {
        if (m_plan->inStage(stage, c->index()))
            m_stageQueue.append(c.get());
    }
    m_stageStartUs = nowUs();
    m_stageOpened = 0;
    m_stageInFlight = 0;
    if (!m_stageQueue.isEmpty())
        m_stageTimer.start();
}

// Opens the next stage connections: at most connectRate/workers per second, at most
// setupConcurrency handshakes at a time, so setup never turns into a storm.
void Worker::stageTick()
{
    const Options &o = m_plan->options();
    const double perSecond = o.connectRate / o.workers;
    const double elapsed = double(nowUs() - m_stageStartUs) / 1e6;
    const qint64 allowed = perSecond > 0 ? qint64(elapsed * perSecond) + 1 : m_stageQueue.size();
    const BenchClient::Purpose purpose =
        m_stage == Stage::Attach ? BenchClient::Purpose::Attach : BenchClient::Purpose::Enroll;
    while (!m_stageQueue.isEmpty() && m_stageOpened < allowed &&
           m_stageInFlight < o.setupConcurrency) {
        BenchClient *c = m_stageQueue.takeFirst();
        ++m_stageOpened;
        ++m_stageInFlight;
        c->start(purpose);
    }
    if (m_stageQueue.isEmpty())
        m_stageTimer.stop();
}

void Worker::countError(const QString &key)
{
    m_stats.countError(key);
    const qint64 now = nowUs();
    if (m_window.t0Us > 0 && now >= m_window.t0Us) // setup has no second in the series
        ++m_stats.second(m_window.secondOf(now)).errors;
}

void Worker::clientStageDone(BenchClient *client, bool ok)
{
    Q_UNUSED(client);
    if (m_stormPending > 0) {
        // Not from inside the last client's disconnected(): start over on a clean stack.
        if (--m_stormPending == 0)
            QMetaObject::invokeMethod(
                this, [this] { startStorm(); }, Qt::QueuedConnection);
        return;
    }
    --m_stageInFlight;
    m_shared->stageFailed.fetch_add(ok ? 0 : 1);
    m_shared->stageDone.fetch_add(1);
    if (!m_stageQueue.isEmpty() && !m_stageTimer.isActive())
        m_stageTimer.start();
}

void Worker::startLoad(const LoadWindow &window)
{
    m_window = window;
    m_loadActive = true;
    m_issued = 0;
    const Options &o = m_plan->options();
    switch (o.scenario) {
    case Scenario::Connect:
        m_shared->stormsRunning.fetch_add(1);
        startStorm();
        return;
    case Scenario::Idle:
        m_rate = o.rate * double(m_clients.size()) / m_plan->clients();
        break;
    default:
        m_rate = o.rate * double(m_senders.size()) / std::max(1, o.senders);
        break;
    }
    if (o.inflight > 0 && o.scenario != Scenario::Idle) {
        for (BenchClient *c : m_senders) {
            for (int i = 0; i < o.inflight; ++i)
                sendFrom(c);
        }
    } else if (m_rate > 0) {
        m_sendTimer.start(0);
    }
    if (o.scenario == Scenario::Resume && o.dropFraction > 0)
        m_dropTimer.start(int(o.dropInterval * 1000));
}

void Worker::stopLoad()
{
    m_loadActive = false;
    m_sendTimer.stop();
    m_dropTimer.stop();
}

void Worker::sendTick()
{
    const qint64 now = nowUs();
    if (now >= m_window.measureEndUs) {
        m_sendTimer.stop();
        return;
    }
    if (now >= m_window.t0Us) {
        const qint64 target = qint64(double(now - m_window.t0Us) * m_rate / 1e6);
        dispatch(target - m_issued, now);
    }
    // Wake up for the next send on time (the timer has millisecond resolution; when
    // behind, the next pass sends everything that is due at once).
    const qint64 nextUs = m_window.t0Us + qint64(double(m_issued + 1) * 1e6 / m_rate);
    m_sendTimer.start(int(std::max<qint64>(0, (nextUs - nowUs() + 999) / 1000)));
}

// Issues the sends that are due. Their lag behind the schedule is recorded: when the
// harness itself falls behind, this histogram says so.
void Worker::dispatch(qint64 due, qint64 nowUs)
{
    const bool idle = m_plan->options().scenario == Scenario::Idle;
    for (qint64 k = 0; k < due; ++k) {
        ++m_issued;
        const qint64 intended = m_window.t0Us + qint64(double(m_issued) * 1e6 / m_rate);
        if (m_window.inWindow(nowUs))
            m_stats.sendLag.record(std::max<qint64>(0, nowUs - intended));
        if (idle) {
            if (!m_clients.empty())
                m_clients[m_random.bounded(quint32(m_clients.size()))]->sendPing();
        } else if (BenchClient *c = pickSender()) {
            sendFrom(c);
        }
    }
}

// Fanout and durable take turns, so every sender sends at the same pace; team and
// resume pick at random, like people do.
BenchClient *Worker::pickSender()
{
    if (m_senders.empty())
        return nullptr;
    const Scenario s = m_plan->options().scenario;
    if (s == Scenario::Team || s == Scenario::Resume)
        return m_senders[m_random.bounded(quint32(m_senders.size()))];
    m_nextSender = (m_nextSender + 1) % m_senders.size();
    return m_senders[m_nextSender];
}

void Worker::sendFrom(BenchClient *client)
{
    if (const SearchCorpus *corpus = m_plan->corpus()) {
        // search: the client's next seeded message, until it has sent its share.
        const qint64 k = corpus->messageOf(client->index(), client->sentCount());
        if (k >= 0) {
            const SeedMessage m = corpus->message(k);
            client->sendText(m.room, m.text);
        }
        return;
    }
    if (m_plan->peer()) {
        client->sendBench(-1);
        return;
    }
    const std::vector<int> &rooms = m_plan->roomsOf(client->index());
    if (rooms.empty())
        return;
    client->sendBench(rooms[rooms.size() == 1 ? 0 : m_random.bounded(quint32(rooms.size()))]);
}

void Worker::sendSlotFreed(BenchClient *client)
{
    const Options &o = m_plan->options();
    if (o.inflight <= 0 || !m_loadActive || nowUs() >= m_window.measureEndUs ||
        !m_plan->isSender(client->index()))
        return;
    sendFrom(client);
}

void Worker::startSearch(const LoadWindow &window)
{
    m_window = window;
    m_loadActive = true;
    for (const auto &c : m_clients) {
        if (c->index() < m_plan->options().searchClients)
            sendNextSearch(c.get());
    }
}

void Worker::sendNextSearch(BenchClient *client)
{
    const qint64 i = m_queries[client->index()]++;
    client->sendSearch(makeQuery(*m_plan->corpus(), *m_plan, client->index(), i));
}

void Worker::checkPhrase(const SearchQuery &query, const protocol::SearchReply &reply)
{
    const SeedMessage m = m_plan->corpus()->message(query.expect);
    const bool found =
        std::any_of(reply.results.cbegin(), reply.results.cend(),
                    [&](const protocol::SearchHit &hit) { return hitIsMessage(hit, m, *m_plan); });
    SearchStats &s = m_stats.search;
    if (found)
        ++s.phraseFound;
    else if (reply.cursor || reply.timedOut)
        ++s.phraseUnverified; // a full page (or a partial one) without it proves nothing
    else
        ++s.phraseMissed;
}

void Worker::searchAnswered(BenchClient *client, const SearchQuery &query, qint64 sentUs,
                            const protocol::SearchReply *reply)
{
    const qint64 now = nowUs();
    SearchStats &s = m_stats.search;
    if (!reply)
        ++s.errorsTotal;
    else if (query.kind == SearchKind::Phrase)
        checkPhrase(query, *reply);
    if (m_window.inWindow(sentUs)) {
        for (SearchKindStats *k : {&s.all, &s.kinds[query.label()]}) {
            k->latency.record(now - sentUs);
            ++k->requests;
            if (!reply) {
                ++k->errors;
                continue;
            }
            k->empty += reply->results.isEmpty() ? 1 : 0;
            k->timedOut += reply->timedOut ? 1 : 0;
        }
        s.indexing += reply && reply->indexing ? 1 : 0;
        m_stats.second(m_window.secondOf(now)).latency.record(now - sentUs);
    }
    if (m_loadActive && now < m_window.measureEndUs)
        sendNextSearch(client);
}

void Worker::dropTick()
{
    if (nowUs() >= m_window.measureEndUs) {
        m_dropTimer.stop();
        return;
    }
    std::vector<BenchClient *> ready;
    for (const auto &c : m_clients) {
        if (c->isReady())
            ready.push_back(c.get());
    }
    const auto count = size_t(std::lround(m_plan->options().dropFraction * double(ready.size())));
    // A partial Fisher-Yates shuffle picks `count` distinct victims.
    for (size_t i = 0; i < count && i < ready.size(); ++i) {
        const size_t j = i + m_random.bounded(quint32(ready.size() - i));
        std::swap(ready[i], ready[j]);
        ready[i]->drop();
    }
}

void Worker::scheduleReconnect(BenchClient *client, int delayMs)
{
    if (m_closing)
        return;
    QTimer::singleShot(delayMs, this, [this, client] {
        if (!m_closing)
            client->reconnect();
    });
}

// connect: every client of this worker connects at once (token login), closes as
// soon as it is welcomed; when all are through, the next storm starts.
void Worker::startStorm()
{
    if (!m_loadActive || nowUs() >= m_window.measureEndUs || m_clients.empty()) {
        m_shared->stormsRunning.fetch_sub(1);
        return;
    }
    m_stormPending = int(m_clients.size());
    for (const auto &c : m_clients)
        c->start(BenchClient::Purpose::Storm);
}

void Worker::sweepTick()
{
    const qint64 now = nowUs();
    for (const auto &c : m_clients) {
        const qint64 since = c->busySinceUs();
        if (since == 0)
            continue;
        const qint64 limit =
            c->state() == BenchClient::State::Closing ? kCloseTimeoutUs : kHandshakeTimeoutUs;
        if (now - since > limit)
            c->timeOut();
    }
}

DrainStatus Worker::drainStatus() const
{
    DrainStatus s;
    for (const auto &c : m_clients) {
        s.pendingAcks += c->outboxSize() + c->pendingSearches();
        if (!c->attached())
            continue;
        if (!c->isReady())
            ++s.notReady;
        s.lagging += c->laggingStreams();
    }
    return s;
}

Stats Worker::finish()
{
    for (const auto &c : m_clients)
        c->finish();
    return m_stats;
}

void Worker::closeAll()
{
    m_closing = true;
    stopLoad();
    m_stageTimer.stop();
    for (const auto &c : m_clients)
        c->closeGracefully();
}

std::vector<std::pair<int, QString>> Worker::tokens() const
{
    std::vector<std::pair<int, QString>> out;
    for (const auto &c : m_clients)
        out.emplace_back(c->index(), c->token());
    return out;
}

void Worker::postFile(int client, int room, const QString &fileId)
{
    for (const auto &c : m_clients) {
        if (c->index() == client)
            c->sendFile(room, fileId);
    }
}

int Worker::openConnections() const
{
    int open = 0;
    for (const auto &c : m_clients)
        open += c->state() != BenchClient::State::Offline ? 1 : 0;
    return open;
}

} // namespace confab::bench
