#pragma once

#include "protocol/errors.h"

#include <QByteArray>
#include <array>
#include <atomic>

namespace confab::server {

// Process-wide counters, bumped with relaxed atomics from any thread and rendered as
// Prometheus text on GET /metrics.
struct Metrics
{
    std::atomic<qint64> connectionsAccepted{0};
    std::atomic<qint64> acceptErrors{0}; // accept() failed (out of descriptors)
    std::atomic<qint64> connectionsOpen{0};
    std::atomic<qint64> sessionsActive{0};
    std::atomic<qint64> framesIn{0};
    std::atomic<qint64> framesOut{0};
    std::atomic<qint64> bytesOut{0};
    std::atomic<qint64> socketWrites{0}; // send()/sendmsg() calls carrying frames
    std::atomic<qint64> eventsAssigned{0};
    std::atomic<qint64> eventsDuplicate{0};
    std::atomic<qint64> eventsFailed{0}; // assigned a seq, then refused by the store
    std::atomic<qint64> acksSent{0};
    std::atomic<qint64> slowConsumerCloses{0};
    std::atomic<qint64> loginsOk{0};
    std::atomic<qint64> loginsFailed{0};
    std::atomic<qint64> tlsHandshakes{0};        // completed
    std::atomic<qint64> tlsHandshakeFailures{0}; // a bad ClientHello, no common cipher, ...
    std::atomic<qint64> tlsHandshakeTimeouts{0}; // no first byte, or no finished handshake
    std::atomic<qint64> plainRefused{0};         // plain upgrades answered 426 (tls = required)
    std::atomic<qint64> discoveryAnswers{0};
    std::atomic<qint64> discoveryIgnored{0}; // not a probe, smaller than the answer, a copy
    std::atomic<qint64> discoveryRateLimited{0};
    std::array<std::atomic<qint64>, protocol::kErrorCodeCount> errorsByCode{};

    static Metrics &instance();
};

inline void bump(std::atomic<qint64> &counter, qint64 by = 1)
{
    counter.fetch_add(by, std::memory_order_relaxed);
}

} // namespace confab::server
