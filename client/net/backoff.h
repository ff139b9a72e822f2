#pragma once

#include <QRandomGenerator>

namespace confab::client {

// Reconnect delays: initialMs doubling up to maxMs, each scaled by a random factor in
// [0.5, 1.5) so that clients of a restarted server do not come back in lockstep. A fixed
// seed makes the sequence reproducible for tests.
class Backoff
{
public:
    explicit Backoff(quint32 seed = 0, int initialMs = 500, int maxMs = 30000);

    // The delay before the next attempt; counts the attempt.
    int nextDelayMs();
    void reset() { m_attempt = 0; }
    int attempts() const { return m_attempt; }
    // The un-jittered delay of attempt n (0-based).
    int baseDelayMs(int attempt) const;

private:
    QRandomGenerator m_random;
    int m_initialMs;
    int m_maxMs;
    int m_attempt = 0;
};

} // namespace confab::client
