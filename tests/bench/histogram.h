#pragma once

#include <QtGlobal>
#include <vector>

// A log-bucketed latency histogram in the spirit of HdrHistogram: values below 128 are
// exact, above that each power of two is split into 64 buckets, so any reported value
// is within 1.6 % of the true one while a histogram stays a few KB and merges by adding
// counts. Each worker thread records into its own; they are merged after the run.
namespace confab::bench {

class LatencyHistogram
{
public:
    void record(qint64 value);
    void merge(const LatencyHistogram &other);

    qint64 count() const { return m_count; }
    bool isEmpty() const { return m_count == 0; }
    qint64 min() const { return m_count ? m_min : 0; }
    qint64 max() const { return m_count ? m_max : 0; }
    double mean() const { return m_count ? m_sum / double(m_count) : 0.0; }
    // The value at or below which p percent of the recorded values lie (p in 0..100),
    // reported as the highest value of its bucket but never above max().
    qint64 percentile(double p) const;

    static int bucketOf(qint64 value);
    static qint64 highestInBucket(int bucket);

private:
    std::vector<qint64> m_counts; // grown on demand to the highest bucket used
    qint64 m_count = 0;
    qint64 m_min = 0;
    qint64 m_max = 0;
    double m_sum = 0;
};

} // namespace confab::bench
