#pragma once

#include <QHash>
#include <QString>
#include <condition_variable>
#include <mutex>

namespace confab::server {

// Per-room commit watermark: the highest seq whose event (and every earlier one) is
// committed. Readers that serve replay or history wait here for the events the hub has
// already broadcast, so a resume never skips an event that is still in the writer's
// queue. Thread-safe: the writer marks, pool threads wait.
class SeqBook
{
public:
    void markCommitted(const QString &room, qint64 seq);
    qint64 committed(const QString &room) const;
    // True once committed(room) >= seq, false after timeoutMs.
    bool waitCommitted(const QString &room, qint64 seq, int timeoutMs) const;

private:
    mutable std::mutex m_mutex;
    mutable std::condition_variable m_changed;
    QHash<QString, qint64> m_committed;
};

} // namespace confab::server
