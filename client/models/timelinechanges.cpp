// TimelineModel: the user's own edits, deletes and reactions while they wait in the
// outbox. They show on their target at once (and revert if the server refuses them);
// the event that comes back with the same client_msg_id replaces them.
#include "models/timelinemodel.h"

#include <QVariantMap>

namespace confab::client {

using protocol::EventKind;

QList<const OutboxEntry *> TimelineModel::queuedChanges(qint64 seq) const
{
    QList<const OutboxEntry *> out;
    if (seq <= 0)
        return out;
    for (const OutboxEntry &c : m_changes) {
        if (c.target == seq && c.state == OutboxEntry::State::Queued)
            out.append(&c);
    }
    return out;
}

QString TimelineModel::effectiveBody(const Row &row) const
{
    if (effectiveDeleted(row))
        return QString();
    QString body = row.event.body;
    if (const Annotation *a = annotationOf(row.event.seq); a && a->editSeq)
        body = a->editBody;
    for (const OutboxEntry *c : queuedChanges(row.event.seq)) {
        if (c->kind == EventKind::Edit)
            body = c->body; // the newest queued edit wins
    }
    return body;
}

bool TimelineModel::effectiveDeleted(const Row &row) const
{
    if (const Annotation *a = annotationOf(row.event.seq); a && a->deleted)
        return true;
    const QList<const OutboxEntry *> changes = queuedChanges(row.event.seq);
    return std::any_of(changes.cbegin(), changes.cend(),
                       [](const OutboxEntry *c) { return c->kind == EventKind::Delete; });
}

bool TimelineModel::effectiveEdited(const Row &row) const
{
    if (const Annotation *a = annotationOf(row.event.seq); a && a->editSeq > 0)
        return true;
    const QList<const OutboxEntry *> changes = queuedChanges(row.event.seq);
    return std::any_of(changes.cbegin(), changes.cend(),
                       [](const OutboxEntry *c) { return c->kind == EventKind::Edit; });
}

QVariant TimelineModel::failedChanges(qint64 seq) const
{
    QVariantList out;
    for (const OutboxEntry &c : m_changes) {
        if (c.target != seq || c.state != OutboxEntry::State::Failed)
            continue;
        out.append(QVariantMap{{QStringLiteral("clientMsgId"), c.clientMsgId},
                               {QStringLiteral("kind"), protocol::eventKindName(c.kind)},
                               {QStringLiteral("errorText"), c.errorText}});
    }
    return out;
}

bool TimelineModel::isChange(const QString &clientMsgId) const
{
    return std::any_of(m_changes.cbegin(), m_changes.cend(),
                       [&](const OutboxEntry &c) { return c.clientMsgId == clientMsgId; });
}

void TimelineModel::changeTarget(qint64 seq)
{
    if (const qsizetype i = eventIndexOf(seq); i >= 0) {
        const QModelIndex idx = index(rowOfEventIndex(i));
        emit dataChanged(idx, idx);
    }
}

void TimelineModel::dropChange(const QString &clientMsgId)
{
    for (qsizetype i = 0; i < m_changes.size(); ++i) {
        if (m_changes[i].clientMsgId == clientMsgId) {
            const qint64 target = m_changes[i].target.value_or(0);
            m_changes.removeAt(i);
            changeTarget(target);
            return;
        }
    }
}

} // namespace confab::client
