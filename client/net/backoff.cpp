#include "net/backoff.h"

#include <algorithm>

namespace confab::client {

Backoff::Backoff(quint32 seed, int initialMs, int maxMs)
    : m_random(seed != 0 ? seed : QRandomGenerator::global()->generate())
    , m_initialMs(initialMs)
    , m_maxMs(maxMs)
{
}

int Backoff::baseDelayMs(int attempt) const
{
    qint64 delay = m_initialMs;
    for (int i = 0; i < attempt && delay < m_maxMs; ++i)
        delay *= 2;
    return int(std::min<qint64>(delay, m_maxMs));
}

int Backoff::nextDelayMs()
{
    const int base = baseDelayMs(m_attempt);
    ++m_attempt;
    const double factor = 0.5 + m_random.generateDouble();
    return int(base * factor);
}

} // namespace confab::client
