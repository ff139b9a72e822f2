#include "core/seqbook.h"

#include <chrono>

namespace confab::server {

void SeqBook::markCommitted(const QString &room, qint64 seq)
{
    {
        std::lock_guard lock(m_mutex);
        qint64 &current = m_committed[room];
        if (seq <= current)
            return;
        current = seq;
    }
    m_changed.notify_all();
}

qint64 SeqBook::committed(const QString &room) const
{
    std::lock_guard lock(m_mutex);
    return m_committed.value(room, 0);
}

bool SeqBook::waitCommitted(const QString &room, qint64 seq, int timeoutMs) const
{
    std::unique_lock lock(m_mutex);
    return m_changed.wait_for(lock, std::chrono::milliseconds(timeoutMs),
                              [&] { return m_committed.value(room, 0) >= seq; });
}

} // namespace confab::server
