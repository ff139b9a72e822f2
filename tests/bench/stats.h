#pragma once

#include "histogram.h"
#include "searchbench.h"

#include <QMap>
#include <QString>
#include <vector>

// What a worker thread counts during a run. Each worker owns one Stats and is the only
// one to touch it until the run is over; the runner then merges them all.
namespace confab::bench {

// One second of the run (second 0 starts with the warm-up), for the plot.
struct SecondStats
{
    qint64 sends = 0;
    qint64 acks = 0;
    qint64 deliveries = 0;
    qint64 connects = 0;
    qint64 errors = 0;
    LatencyHistogram latency; // delivery latency, or ping / handshake where nothing is sent
    void merge(const SecondStats &o);
};

struct Stats
{
    // Latency, microseconds. Only samples whose send happened inside the measured window.
    LatencyHistogram delivery; // send timestamp in the body -> event at a receiver
    LatencyHistogram ack;      // send -> ack (durable commit)
    LatencyHistogram connect;  // TCP connect start -> welcome
    LatencyHistogram resume;   // dropped -> welcome and every room synced again
    LatencyHistogram ping;     // app-level ping -> pong
    LatencyHistogram sendLag;  // how late the harness sent against its schedule

    // Inside the measured window.
    qint64 sends = 0;
    qint64 acks = 0;
    qint64 deliveries = 0;
    qint64 connects = 0;
    qint64 pings = 0;

    // Whole run (correctness is checked for everything, warm-up included).
    qint64 sendsTotal = 0;
    qint64 acksTotal = 0;
    qint64 deliveriesTotal = 0;
    qint64 lost = 0;
    qint64 duplicated = 0;
    qint64 outOfOrder = 0;
    qint64 missingAcks = 0;      // sends never acked nor refused after the grace period
    qint64 refused = 0;          // sends answered with an error (counted by code too)
    qint64 ackMismatch = 0;      // acks that do not match a pending send
    qint64 resent = 0;           // sends repeated after a reconnect (same client_msg_id)
    qint64 replayed = 0;         // events received while resuming (before synced)
    qint64 incompleteResync = 0; // synced with complete:false
    qint64 drops = 0;            // connections the harness dropped on purpose
    qint64 reconnects = 0;
    qint64 unexpectedCloses = 0;
    qint64 connectFailures = 0; // handshakes that never reached welcome
    qint64 presenceNotices = 0;
    qint64 serverPings = 0; // WebSocket pings from the server (liveness), each answered
    qint64 otherMessages = 0;

    SearchStats search; // search: the queries' latency and checks

    QMap<QString, qint64> errors; // error code or "close:NNNN" / "socket:..." -> count
    std::vector<SecondStats> series;

    SecondStats &second(qint64 index);
    void countError(const QString &key);
    void merge(const Stats &o);
};

} // namespace confab::bench
