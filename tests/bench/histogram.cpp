#include "histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace confab::bench {

namespace {
constexpr int kExactBits = 7; // 0..127 recorded exactly
constexpr qint64 kExact = qint64(1) << kExactBits;
constexpr int kSubBuckets = int(kExact / 2); // per power of two above that
} // namespace

int LatencyHistogram::bucketOf(qint64 value)
{
    if (value < kExact)
        return int(std::max<qint64>(value, 0));
    const int msb = 63 - std::countl_zero(quint64(value));
    const int shift = msb - (kExactBits - 1); // >= 1
    const int mantissa = int(value >> shift); // kSubBuckets .. 2*kSubBuckets-1
    return int(kExact) + (shift - 1) * kSubBuckets + (mantissa - kSubBuckets);
}

qint64 LatencyHistogram::highestInBucket(int bucket)
{
    if (bucket < kExact)
        return bucket;
    const int shift = (bucket - int(kExact)) / kSubBuckets + 1;
    const qint64 mantissa = (bucket - int(kExact)) % kSubBuckets + kSubBuckets;
    return ((mantissa + 1) << shift) - 1;
}

void LatencyHistogram::record(qint64 value)
{
    value = std::max<qint64>(value, 0);
    const int b = bucketOf(value);
    if (size_t(b) >= m_counts.size())
        m_counts.resize(size_t(b) + 1, 0);
    ++m_counts[size_t(b)];
    if (m_count == 0 || value < m_min)
        m_min = value;
    if (m_count == 0 || value > m_max)
        m_max = value;
    ++m_count;
    m_sum += double(value);
}

void LatencyHistogram::merge(const LatencyHistogram &other)
{
    if (other.m_count == 0)
        return;
    if (other.m_counts.size() > m_counts.size())
        m_counts.resize(other.m_counts.size(), 0);
    for (size_t i = 0; i < other.m_counts.size(); ++i)
        m_counts[i] += other.m_counts[i];
    m_min = m_count ? std::min(m_min, other.m_min) : other.m_min;
    m_max = m_count ? std::max(m_max, other.m_max) : other.m_max;
    m_count += other.m_count;
    m_sum += other.m_sum;
}

qint64 LatencyHistogram::percentile(double p) const
{
    if (m_count == 0)
        return 0;
    if (p >= 100)
        return m_max;
    // The rank of the value: at least one, so p=0 reports the smallest bucket.
    const qint64 rank = std::max<qint64>(1, qint64(std::ceil(p / 100.0 * double(m_count))));
    qint64 seen = 0;
    for (size_t i = 0; i < m_counts.size(); ++i) {
        seen += m_counts[i];
        if (seen >= rank)
            return std::clamp(highestInBucket(int(i)), m_min, m_max);
    }
    return m_max;
}

} // namespace confab::bench
