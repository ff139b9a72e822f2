#pragma once

#include "client.h"
#include "plan.h"
#include "stats.h"
#include "transport.h"

#include <QList>
#include <QObject>
#include <QRandomGenerator>
#include <QTimer>
#include <memory>
#include <vector>

// One harness thread: a shard of the connections (client i lives on worker
// i % workers), its own event loop, its own Stats. Setup stages are spread over time
// (a rate and a bound on handshakes in flight) so that only the `connect` scenario
// measures a storm. Touched only from its own thread: the runner reaches it with
// QMetaObject::invokeMethod and reads results with a blocking queued call.
namespace confab::bench {

struct DrainStatus
{
    qint64 pendingAcks = 0;
    int notReady = 0;
    int lagging = 0;
    bool done() const { return pendingAcks == 0 && notReady == 0 && lagging == 0; }
};

class Worker : public QObject
{
public:
    Worker(const RunPlan *plan, SharedState *shared, int index);
    ~Worker() override;

    // --- called by the runner, queued onto this worker's thread -----------------------
    void createClients();
    void runStage(Stage stage);
    void startLoad(const LoadWindow &window);
    void stopLoad();
    DrainStatus drainStatus() const;
    Stats finish();
    void closeAll();
    int openConnections() const;
    // files: the token of each of this worker's clients (by client index).
    std::vector<std::pair<int, QString>> tokens() const;
    // files: client posts an uploaded file in room (its ack is waited for like any send's).
    void postFile(int client, int room, const QString &fileId);
    // search: the searching clients start their closed loop of queries (one in flight
    // each) and keep it up until the window ends.
    void startSearch(const LoadWindow &window);

    // --- called by this worker's clients ------------------------------------------------
    const RunPlan &plan() const { return *m_plan; }
    SharedState &shared() { return *m_shared; }
    Stats &stats() { return m_stats; }
    const LoadWindow &window() const { return m_window; }
    bool loadActive() const { return m_loadActive; }
    Stage currentStage() const { return m_stage; }
    const protocol::Limits &limits() const { return m_limits; }
    QRandomGenerator &random() { return m_random; }
    // This thread's epoll set of raw client sockets.
    Poller &poller() { return *m_poller; }
    // The server's address (the URL's host, looked up once).
    const QHostAddress &serverAddress() const { return m_serverAddress; }
    // Counts an error by key, and in the second it happened once the load runs.
    void countError(const QString &key);
    void clientStageDone(BenchClient *client, bool ok);
    void scheduleReconnect(BenchClient *client, int delayMs);
    // Closed loop (--inflight): an ack or refusal frees a slot for the next send.
    void sendSlotFreed(BenchClient *client);
    // search: a query was answered (reply null: with an error); records it, checks a
    // phrase query found its message, sends the next.
    void searchAnswered(BenchClient *client, const SearchQuery &query, qint64 sentUs,
                        const protocol::SearchReply *reply);

private:
    void stageTick();
    void sendTick();
    void dropTick();
    void sweepTick();
    void startStorm();
    void dispatch(qint64 due, qint64 nowUs);
    void sendFrom(BenchClient *client);
    BenchClient *pickSender();
    void sendNextSearch(BenchClient *client);
    void checkPhrase(const SearchQuery &query, const protocol::SearchReply &reply);

    const RunPlan *m_plan;
    SharedState *m_shared;
    int m_index;
    protocol::Limits m_limits;
    QRandomGenerator m_random;
    Stats m_stats;
    LoadWindow m_window;
    std::unique_ptr<Poller> m_poller; // before the clients: their sockets are in it
    QHostAddress m_serverAddress;
    std::vector<std::unique_ptr<BenchClient>> m_clients;
    std::vector<BenchClient *> m_senders;

    // setup stage
    // Timers are children, so moveToThread() takes them along.
    QTimer m_stageTimer{this};
    QList<BenchClient *> m_stageQueue;
    Stage m_stage = Stage::EnrollCreators;
    bool m_closing = false; // the run is over: no more reconnects
    qint64 m_stageStartUs = 0;
    qint64 m_stageOpened = 0;
    int m_stageInFlight = 0;

    // load
    bool m_loadActive = false;
    QTimer m_sendTimer{this};
    QTimer m_dropTimer{this};
    QTimer m_sweepTimer{this};
    double m_rate = 0;            // this worker's share, per second
    qint64 m_issued = 0;          // sends (or pings) issued since the load started
    size_t m_nextSender = 0;      // round robin (fanout, durable)
    int m_stormPending = 0;       // connect: clients of the current storm not done yet
    QHash<int, qint64> m_queries; // search: queries sent so far, by client index
};

} // namespace confab::bench
