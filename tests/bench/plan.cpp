#include "plan.h"

namespace confab::bench {

using namespace Qt::StringLiterals;

namespace {
// Below the ~28,000 ephemeral ports of one source address, leaving room for the
// TIME_WAIT sockets of reconnects.
constexpr int kConnectionsPerSource = 25000;
} // namespace

RunPlan::RunPlan(const Options &options)
    : m_options(options)
    , m_roomsOfClient(size_t(options.clients))
    , m_sender(size_t(options.clients), 0)
{
    const int n = options.clients;
    const int rooms = peer() ? 0 : options.rooms;
    const int members = std::min(options.members, n);
    // Room r holds the `members` clients starting at r*members (wrapping), so with
    // rooms*members == clients every client is in exactly one room, and with more the
    // memberships overlap evenly.
    for (int r = 0; r < rooms; ++r) {
        const QString id = options.scenario == Scenario::Fanout
                               ? u"b%1-fan"_s.arg(options.runId)
                               : u"b%1-r%2"_s.arg(options.runId).arg(r);
        m_roomIndex.insert(id, r);
        m_roomIndexUtf8.insert(id.toUtf8(), r);
        m_roomIds.push_back(id);
        const int first = int((qint64(r) * members) % n);
        m_creator.push_back(first);
        for (int j = 0; j < members; ++j)
            m_roomsOfClient[size_t((first + j) % n)].push_back(r);
    }
    // Senders are spread over the whole range so they land on every worker.
    const int senders = std::max(1, options.senders);
    for (int s = 0; s < senders; ++s)
        m_sender[size_t((qint64(s) * n) / senders)] = 1;
    m_sources = options.sourceAddresses;
    const QHostAddress server(options.url.host());
    if (m_sources.isEmpty() && server.isLoopback() &&
        server.protocol() == QAbstractSocket::IPv4Protocol && n > kConnectionsPerSource) {
        const int count = (n + kConnectionsPerSource - 1) / kConnectionsPerSource;
        for (int i = 0; i < count; ++i)
            m_sources.append(QHostAddress(quint32(0x7f000001 + i))); // 127.0.0.1 + i
    }
    if (options.scenario == Scenario::Search)
        m_corpus = std::make_unique<const SearchCorpus>(this);
}

QHostAddress RunPlan::sourceAddress(int client) const
{
    if (m_sources.isEmpty())
        return {};
    return m_sources[client % m_sources.size()];
}

QString RunPlan::userName(int client) const
{
    return u"b%1-%2"_s.arg(m_options.runId).arg(client);
}

bool RunPlan::isCreator(int client) const
{
    for (const int r : roomsOf(client)) {
        if (m_creator[size_t(r)] == client)
            return true;
    }
    return false;
}

bool RunPlan::inStage(Stage stage, int client) const
{
    switch (stage) {
    case Stage::EnrollCreators:
        return !peer() && isCreator(client);
    case Stage::EnrollOthers:
        if (peer())
            return false;
        for (const int r : roomsOf(client)) {
            if (m_creator[size_t(r)] != client)
                return true;
        }
        return !isCreator(client); // no rooms to join, but the user must exist
    case Stage::Attach:
        return true;
    }
    return false;
}

int RunPlan::stageSize(Stage stage) const
{
    int n = 0;
    for (int c = 0; c < clients(); ++c)
        n += inStage(stage, c) ? 1 : 0;
    return n;
}

SharedState::SharedState(int streamCount)
    : streamHighest(new std::atomic<qint64>[size_t(std::max(1, streamCount))])
    , streams(streamCount)
{
    for (int i = 0; i < std::max(1, streamCount); ++i)
        streamHighest[size_t(i)].store(0);
}

void SharedState::noteHighest(int stream, qint64 n)
{
    if (stream < 0 || stream >= streams)
        return;
    std::atomic<qint64> &slot = streamHighest[size_t(stream)];
    qint64 seen = slot.load(std::memory_order_relaxed);
    while (n > seen && !slot.compare_exchange_weak(seen, n, std::memory_order_relaxed)) {
    }
}

qint64 SharedState::highest(int stream) const
{
    if (stream < 0 || stream >= streams)
        return 0;
    return streamHighest[size_t(stream)].load(std::memory_order_relaxed);
}

} // namespace confab::bench
