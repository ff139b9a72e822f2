#include "tracker.h"

#include <algorithm>

namespace confab::bench {

void StreamTracker::setBaseline(qint64 last)
{
    if (m_hasBaseline)
        return;
    m_hasBaseline = true;
    m_last = last;
    const QList<qint64> early = std::exchange(m_early, {});
    for (const qint64 n : early) {
        if (n > last)
            observe(n);
    }
}

StreamTracker::Verdict StreamTracker::observe(qint64 n)
{
    if (!m_hasBaseline) {
        m_early.append(n);
        return Verdict::Buffered;
    }
    if (n == m_last + 1) {
        m_last = n;
        return Verdict::InOrder;
    }
    if (n > m_last) {
        m_missing.emplace_back(m_last + 1, n - 1);
        m_lost += n - m_last - 1;
        m_last = n;
        return Verdict::Gap;
    }
    if (takeMissing(n)) {
        --m_lost;
        ++m_reordered;
        return Verdict::Reordered;
    }
    ++m_duplicates;
    return Verdict::Duplicate;
}

// Removes n from the missing ranges; false when it was not missing (so: seen before).
bool StreamTracker::takeMissing(qint64 n)
{
    auto it = std::upper_bound(m_missing.begin(), m_missing.end(), n,
                               [](qint64 v, const auto &range) { return v < range.first; });
    if (it == m_missing.begin())
        return false;
    --it;
    auto [lo, hi] = *it;
    if (n > hi)
        return false;
    if (lo == hi) {
        m_missing.erase(it);
    } else if (n == lo) {
        it->first = n + 1;
    } else if (n == hi) {
        it->second = n - 1;
    } else {
        it->second = n - 1;
        m_missing.insert(it + 1, {n + 1, hi});
    }
    return true;
}

void StreamTracker::finish(qint64 highest)
{
    if (!m_hasBaseline) {
        // Never got a baseline: the early arrivals are all it has.
        setBaseline(m_early.isEmpty() ? highest
                                      : *std::min_element(m_early.begin(), m_early.end()) - 1);
    }
    if (highest > m_last) {
        m_missing.emplace_back(m_last + 1, highest);
        m_lost += highest - m_last;
        m_last = highest;
    }
}

StreamTracker &StreamSet::operator[](int stream)
{
    auto it = std::lower_bound(m_items.begin(), m_items.end(), stream,
                               [](const auto &item, int s) { return item.first < s; });
    if (it == m_items.end() || it->first != stream)
        it = m_items.insert(it, {stream, StreamTracker()});
    return it->second;
}

bool StreamSet::contains(int stream) const
{
    const auto it = std::lower_bound(m_items.begin(), m_items.end(), stream,
                                     [](const auto &item, int s) { return item.first < s; });
    return it != m_items.end() && it->first == stream;
}

} // namespace confab::bench
