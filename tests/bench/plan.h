#pragma once

#include "options.h"
#include "searchbench.h"

#include <QHash>
#include <QString>
#include <atomic>
#include <memory>
#include <vector>

// The shape of a run, computed once before the workers start and read-only afterwards
// (so every worker thread may read it without locks), plus the few counters all
// workers share (atomics only).
namespace confab::bench {

// Setup steps, in order. Enrolment registers every user and creates/joins the rooms
// with short-lived connections (so a join event reaches only the few members connected
// at that moment, not N of them); attach then logs everyone in with their token.
enum class Stage { EnrollCreators, EnrollOthers, Attach };

class RunPlan
{
public:
    explicit RunPlan(const Options &options);

    const Options &options() const { return m_options; }
    bool peer() const { return m_options.target == Target::WsPeer; }
    int clients() const { return m_options.clients; }
    int rooms() const { return int(m_roomIds.size()); }

    QString userName(int client) const;
    const QString &roomId(int room) const { return m_roomIds[size_t(room)]; }
    int roomIndex(const QString &roomId) const { return m_roomIndex.value(roomId, -1); }
    // The same by the id's UTF-8 bytes (the receive fast path has no QString).
    int roomIndex(QByteArrayView roomId) const
    {
        return m_roomIndexUtf8.value(QByteArray::fromRawData(roomId.data(), roomId.size()), -1);
    }
    const std::vector<int> &roomsOf(int client) const { return m_roomsOfClient[size_t(client)]; }
    int creatorOf(int room) const { return m_creator[size_t(room)]; }
    bool isCreator(int client) const;
    bool inStage(Stage stage, int client) const;
    int stageSize(Stage stage) const;
    bool isSender(int client) const { return m_sender[size_t(client)]; }
    int workerOf(int client) const { return client % m_options.workers; }
    // The local address client connects from; null: let the kernel choose. One source
    // address gives about 28,000 ephemeral ports towards one server address and port
    // (net.ipv4.ip_local_port_range), so a loopback run with more clients spreads them
    // over 127.0.0.1, 127.0.0.2, ... unless --source-addresses says otherwise.
    QHostAddress sourceAddress(int client) const;
    // Ordered streams checked for continuity: rooms, or against the peer (no seqs)
    // every sender's own counter.
    int streamCount() const { return peer() ? clients() : rooms(); }
    // search: the seeded messages and the queries (null in other scenarios).
    const SearchCorpus *corpus() const { return m_corpus.get(); }

private:
    Options m_options;
    std::vector<QString> m_roomIds;
    QHash<QString, int> m_roomIndex;
    QHash<QByteArray, int> m_roomIndexUtf8;
    std::vector<std::vector<int>> m_roomsOfClient;
    std::vector<int> m_creator;
    std::vector<char> m_sender;
    QList<QHostAddress> m_sources;
    std::unique_ptr<const SearchCorpus> m_corpus; // reads this plan: not copyable
};

// Counters every worker updates and the runner polls.
struct SharedState
{
    explicit SharedState(int streams);

    // The highest seq (or counter) anyone has seen per stream: at the end every
    // receiver must have got up to it, or the missing tail is lost.
    void noteHighest(int stream, qint64 n);
    qint64 highest(int stream) const;

    std::unique_ptr<std::atomic<qint64>[]> streamHighest;
    int streams = 0;
    std::atomic<int> stageDone{0};   // clients through the current setup stage
    std::atomic<int> stageFailed{0}; // ... of which failed
    std::atomic<int> stormsRunning{0};
};

// When the load runs, on the wall clock of nowUs(); decided by the runner.
struct LoadWindow
{
    qint64 t0Us = 0;           // load starts (warm-up); second 0 of the time series
    qint64 measureStartUs = 0; // warm-up over
    qint64 measureEndUs = 0;   // load stops
    bool inWindow(qint64 tUs) const { return tUs >= measureStartUs && tUs < measureEndUs; }
    qint64 secondOf(qint64 tUs) const { return (tUs - t0Us) / 1000000; }
};

} // namespace confab::bench
