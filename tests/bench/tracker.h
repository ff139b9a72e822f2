#pragma once

#include <QList>
#include <QtGlobal>
#include <utility>
#include <vector>

// Continuity of one ordered stream at one receiver: a room's seqs (Confab), or one
// sender's counter (the ws peer, which has no seqs). Every number is expected exactly
// once and in order. A jump counts the skipped numbers as lost; when one of them shows
// up later it is moved from lost to out-of-order; a number seen before is a duplicate.
// So at the end `lost` is what never arrived, whatever the order of arrival.
namespace confab::bench {

class StreamTracker
{
public:
    enum class Verdict { InOrder, Gap, Duplicate, Reordered, Buffered };

    // Where the receiver starts: the last number that was there before it joined (a
    // room's last_seq in the join reply or welcome). Numbers that arrived earlier, while
    // no baseline was known, are checked against it now.
    void setBaseline(qint64 last);
    bool hasBaseline() const { return m_hasBaseline; }
    Verdict observe(qint64 n);
    // End of the run: everything up to `highest` (the highest number anyone saw in this
    // stream) should have arrived; the missing tail counts as lost.
    void finish(qint64 highest);

    qint64 last() const { return m_last; }
    qint64 lost() const { return m_lost; }
    qint64 duplicates() const { return m_duplicates; }
    qint64 reordered() const { return m_reordered; }

private:
    bool takeMissing(qint64 n);

    qint64 m_last = 0;
    bool m_hasBaseline = false;
    qint64 m_lost = 0;
    qint64 m_duplicates = 0;
    qint64 m_reordered = 0;
    std::vector<std::pair<qint64, qint64>> m_missing; // inclusive ranges, ascending
    QList<qint64> m_early;                            // arrived before the baseline was known
};

// The streams one receiver follows, by stream index: usually one or a few rooms (or, on
// the ws peer, the senders), kept in a sorted flat vector because a hash per receiver
// cost more than the rest of the delivery bookkeeping together.
class StreamSet
{
public:
    StreamTracker &operator[](int stream);
    bool contains(int stream) const;
    auto begin() { return m_items.begin(); }
    auto end() { return m_items.end(); }
    auto begin() const { return m_items.cbegin(); }
    auto end() const { return m_items.cend(); }

private:
    std::vector<std::pair<int, StreamTracker>> m_items;
};

} // namespace confab::bench
