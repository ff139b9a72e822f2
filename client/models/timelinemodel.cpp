#include "models/timelinemodel.h"

#include "store/outbox.h"
#include "text/markdown.h"

#include <QDateTime>
#include <QUrl>
#include <QVariantMap>
#include <algorithm>
#include <cmath>

namespace confab::client {

using namespace Qt::StringLiterals;

using protocol::Event;
using protocol::EventKind;

namespace {
constexpr qint64 kGroupGapMs = 5 * 60 * 1000;
constexpr int kReplyPreviewChars = 140;

QDate dayOf(qint64 ts)
{
    return QDateTime::fromMSecsSinceEpoch(ts).date();
}
} // namespace

TimelineModel::TimelineModel(QString me, NameLookup names, QObject *parent)
    : QAbstractListModel(parent)
    , m_me(std::move(me))
    , m_names(std::move(names))
{
}

int TimelineModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(shownPending() + m_events.size());
}

const TimelineModel::Row *TimelineModel::rowAt(int row) const
{
    const int p = shownPending();
    if (row < 0 || row >= rowCount())
        return nullptr;
    if (row < p)
        return &m_pending[p - 1 - row];
    return &m_events[m_events.size() - 1 - (row - p)];
}

int TimelineModel::rowOfEventIndex(qsizetype i) const
{
    return int(shownPending() + (m_events.size() - 1 - i));
}

qsizetype TimelineModel::eventIndexOf(qint64 seq) const
{
    const auto it = std::lower_bound(m_events.cbegin(), m_events.cend(), seq,
                                     [](const Row &r, qint64 s) { return r.event.seq < s; });
    return it != m_events.cend() && it->event.seq == seq ? it - m_events.cbegin() : -1;
}

qsizetype TimelineModel::markerIndex(qint64 readSeq) const
{
    const auto it = std::upper_bound(m_events.cbegin(), m_events.cend(), readSeq,
                                     [](qint64 s, const Row &r) { return s < r.event.seq; });
    return (it - m_events.cbegin()) - 1;
}

const TimelineModel::Annotation *TimelineModel::annotationOf(qint64 seq) const
{
    if (seq <= 0)
        return nullptr;
    const auto it = m_annotations.constFind(seq);
    return it == m_annotations.constEnd() ? nullptr : &*it;
}

int TimelineModel::rowOfSeq(qint64 seq) const
{
    const qsizetype i = eventIndexOf(seq);
    return i < 0 ? -1 : rowOfEventIndex(i);
}

qsizetype TimelineModel::pendingIndexOf(const QString &clientMsgId) const
{
    for (qsizetype i = 0; i < m_pending.size(); ++i) {
        if (m_pending[i].event.clientMsgId == clientMsgId)
            return i;
    }
    return -1;
}

QList<qint64> TimelineModel::seqs() const
{
    QList<qint64> out;
    out.reserve(m_events.size());
    for (const Row &r : m_events)
        out.append(r.event.seq);
    return out;
}

bool TimelineModel::isAnnotation(EventKind kind)
{
    return kind == EventKind::Edit || kind == EventKind::Delete || kind == EventKind::React;
}

QHash<int, QByteArray> TimelineModel::roleNames() const
{
    return {{SeqRole, "seq"},
            {ClientMsgIdRole, "clientMsgId"},
            {SenderRole, "sender"},
            {SenderNameRole, "senderName"},
            {KindRole, "kind"},
            {BodyRole, "body"},
            {HtmlRole, "html"},
            {TimestampRole, "timestamp"},
            {ShowDayRole, "showDay"},
            {GroupedRole, "grouped"},
            {EditedRole, "edited"},
            {DeletedRole, "deleted"},
            {ReplyToRole, "replyTo"},
            {ReplySenderRole, "replySender"},
            {ReplyBodyRole, "replyBody"},
            {ReactionsRole, "reactions"},
            {DeliveryRole, "delivery"},
            {ErrorTextRole, "errorText"},
            {MineRole, "mine"},
            {ReadMarkerRole, "readMarker"},
            {PendingChangeRole, "pendingChange"},
            {FailedChangesRole, "failedChanges"},
            {FileRole, "file"},
            {LocalUrlRole, "localUrl"},
            {UploadProgressRole, "uploadProgress"},
            {RowTypeRole, "rowType"}};
}

QVariant TimelineModel::data(const QModelIndex &index, int role) const
{
    const Row *r = rowAt(index.row());
    if (!r || !checkIndex(index, CheckIndexOption::IndexIsValid))
        return {};
    const Event &e = r->event;
    const Annotation *a = annotationOf(e.seq);
    switch (role) {
    case SeqRole:
        return e.seq;
    case ClientMsgIdRole:
        return e.clientMsgId.value_or(QString());
    case SenderRole:
        return e.from;
    case SenderNameRole:
        return m_names ? m_names(e.from) : e.from;
    case KindRole:
        return protocol::eventKindName(e.kind);
    case BodyRole:
        return effectiveBody(*r);
    case HtmlRole:
        // A queued edit is rendered here: there are few, and they are short-lived.
        return effectiveBody(*r) == (a && a->editSeq ? a->editBody : e.body)
                   ? r->html
                   : markdownToHtml(effectiveBody(*r));
    case TimestampRole:
        return QDateTime::fromMSecsSinceEpoch(e.ts);
    case ShowDayRole:
        return showDay(index.row());
    case GroupedRole:
        return groupedWithOlder(index.row());
    case EditedRole:
        return effectiveEdited(*r);
    case DeletedRole:
        return effectiveDeleted(*r);
    case ReplyToRole:
        return e.replyTo.value_or(0);
    case ReplySenderRole:
    case ReplyBodyRole:
        return replyField(*r, role);
    case ReactionsRole:
        return reactionsOf(*r);
    case DeliveryRole:
        return QVariant::fromValue(r->delivery);
    case ErrorTextRole:
        return r->errorText;
    case MineRole:
        return e.from == m_me;
    case PendingChangeRole:
        return !queuedChanges(e.seq).isEmpty();
    case FailedChangesRole:
        return failedChanges(e.seq);
    case FileRole:
        return fileOf(*r);
    case LocalUrlRole:
        return r->localPath.isEmpty() ? QUrl() : QUrl::fromLocalFile(r->localPath);
    case UploadProgressRole:
        return r->uploadProgress;
    case RowTypeRole:
        return e.kind == EventKind::Text || e.kind == EventKind::File ? u"message"_s : u"state"_s;
    case ReadMarkerRole: {
        const qsizetype i = markerIndex(m_readSeq);
        return e.seq > 0 && i >= 0 && i + 1 < m_events.size() && m_events[i].event.seq == e.seq;
    }
    }
    return {};
}

QVariant TimelineModel::fileOf(const Row &row)
{
    if (!row.event.file)
        return {};
    const protocol::FileInfo &f = *row.event.file;
    QVariantMap m{{u"id"_s, f.id},
                  {u"name"_s, f.name},
                  {u"size"_s, f.size},
                  {u"mime"_s, f.mime},
                  {u"thumb"_s, f.thumb.value_or(QString())},
                  {u"width"_s, f.width.value_or(0)},
                  {u"height"_s, f.height.value_or(0)}};
    // Shown inline: an image the server (or, uploading, this computer) could measure.
    m.insert(u"image"_s, f.mime.startsWith(u"image/"_s) && f.width && f.height &&
                             (f.thumb || !row.localPath.isEmpty()));
    return m;
}

QVariant TimelineModel::replyField(const Row &row, int role) const
{
    if (!row.event.replyTo)
        return QString();
    const qsizetype i = eventIndexOf(*row.event.replyTo);
    if (i < 0)
        return QString(); // not loaded: the UI says "in reply to an older message"
    const Event &target = m_events[i].event;
    if (role == ReplySenderRole)
        return m_names ? m_names(target.from) : target.from;
    const Annotation *a = annotationOf(target.seq);
    if (a && a->deleted)
        return QString();
    const QString body = a && a->editSeq ? a->editBody : target.body;
    if (body.isEmpty() && target.file)
        return target.file->name;
    return markdownToPlain(body).left(kReplyPreviewChars);
}

QVariant TimelineModel::reactionsOf(const Row &row) const
{
    const Annotation *a = annotationOf(row.event.seq);
    QMap<QString, QStringList> byEmoji; // sorted by emoji: a stable order for the UI
    if (a) {
        for (auto it = a->reactions.cbegin(); it != a->reactions.cend(); ++it) {
            if (it->second)
                byEmoji[it.key().emoji].append(it.key().user);
        }
    }
    // A queued reaction toggles the user's own, as the server will.
    for (const OutboxEntry *c : queuedChanges(row.event.seq)) {
        if (c->kind != EventKind::React || !c->emoji)
            continue;
        QStringList &users = byEmoji[*c->emoji];
        if (!users.removeOne(m_me))
            users.append(m_me);
        if (users.isEmpty())
            byEmoji.remove(*c->emoji);
    }
    QVariantList out;
    for (auto it = byEmoji.cbegin(); it != byEmoji.cend(); ++it) {
        QStringList users = it.value();
        users.sort();
        out.append(QVariantMap{{QStringLiteral("emoji"), it.key()},
                               {QStringLiteral("count"), users.size()},
                               {QStringLiteral("you"), users.contains(m_me)},
                               {QStringLiteral("users"), users}});
    }
    return out;
}

bool TimelineModel::groupedWithOlder(int row) const
{
    const Row *r = rowAt(row);
    const Row *older = rowAt(row + 1);
    if (!r || !older || r->event.kind != EventKind::Text || older->event.kind != EventKind::Text)
        return false;
    return r->event.from == older->event.from && dayOf(r->event.ts) == dayOf(older->event.ts) &&
           r->event.ts - older->event.ts < kGroupGapMs;
}

bool TimelineModel::showDay(int row) const
{
    const Row *r = rowAt(row);
    const Row *older = rowAt(row + 1);
    return r && (!older || dayOf(r->event.ts) != dayOf(older->event.ts));
}

TimelineModel::Row TimelineModel::makeRow(const Event &e) const
{
    Row row;
    row.event = e;
    const Annotation *a = annotationOf(e.seq);
    if (a && a->deleted)
        return row;
    if (e.kind == EventKind::Text || e.kind == EventKind::File)
        row.html = markdownToHtml(a && a->editSeq ? a->editBody : e.body);
    return row;
}

void TimelineModel::changedRow(qsizetype eventIndex)
{
    Row &row = m_events[eventIndex];
    row.html = makeRow(row.event).html;
    const QModelIndex idx = index(rowOfEventIndex(eventIndex));
    emit dataChanged(idx, idx);
}

void TimelineModel::annotate(const Event &e, bool notify)
{
    if (!e.target)
        return;
    Annotation &a = m_annotations[*e.target];
    if (e.kind == EventKind::Edit && e.seq > a.editSeq) {
        a.editSeq = e.seq;
        a.editBody = e.body;
    } else if (e.kind == EventKind::Delete) {
        a.deleted = true;
    } else if (e.kind == EventKind::React && e.emoji) {
        auto &slot = a.reactions[ReactionKey{*e.emoji, e.from}];
        if (slot.first < e.seq)
            slot = {e.seq, !e.removed};
    }
    if (!notify)
        return;
    if (const qsizetype i = eventIndexOf(*e.target); i >= 0)
        changedRow(i);
}

void TimelineModel::appendEvents(const QList<Event> &ascending)
{
    for (const Event &e : ascending)
        appendOne(e);
}

void TimelineModel::appendOne(const Event &e)
{
    if (!m_events.isEmpty() && e.seq <= m_events.last().event.seq)
        return;
    if (isAnnotation(e.kind)) {
        if (e.clientMsgId && e.from == m_me)
            m_changes.removeIf(
                [&](const OutboxEntry &c) { return c.clientMsgId == *e.clientMsgId; });
        annotate(e, true); // the server's version replaces the queued one
        return;
    }
    const int p = shownPending();
    const qsizetype pi = e.clientMsgId && e.from == m_me ? pendingIndexOf(*e.clientMsgId) : -1;
    if (pi >= 0 && !m_atNewest) {
        m_pending.removeAt(pi); // hidden while detached: the event row replaces it
    } else if (pi >= 0) {
        // The pending row becomes the event: the newest delivered row, below any pending.
        const int from = p - 1 - int(pi);
        const bool move = from != p - 1;
        if (move)
            beginMoveRows({}, from, from, {}, p);
        m_pending.removeAt(pi);
        m_events.append(makeRow(e));
        if (move)
            endMoveRows();
        emit dataChanged(index(std::max(0, p - 2)), index(std::min(rowCount() - 1, p)));
        return;
    }
    beginInsertRows({}, p, p);
    m_events.append(makeRow(e));
    endInsertRows();
    // Neighbours whose grouping or read marker depend on the new row.
    emit dataChanged(index(std::max(0, p - 1)), index(std::min(rowCount() - 1, p + 1)));
}

void TimelineModel::prependEvents(const QList<Event> &ascending, bool reachedBeginning)
{
    const qint64 oldest = m_events.isEmpty() ? std::numeric_limits<qint64>::max() : oldestSeq();
    QStringList held;
    QList<Row> rows = historyRows(ascending, oldest, &held);
    for (const QString &id : std::as_const(held))
        removePending(id);
    if (!rows.isEmpty()) {
        const int first = rowCount();
        beginInsertRows({}, first, first + int(rows.size()) - 1);
        rows.append(std::move(m_events));
        m_events = std::move(rows);
        endInsertRows();
        if (first > 0)
            emit dataChanged(index(first - 1), index(first - 1));
    }
    if (reachedBeginning != m_atBeginning) {
        m_atBeginning = reachedBeginning;
        emit atBeginningChanged();
    }
}

QList<TimelineModel::Row> TimelineModel::historyRows(const QList<Event> &ascending, qint64 below,
                                                     QStringList *heldPending)
{
    QList<Row> rows;
    for (const Event &e : ascending) {
        if (e.seq >= below)
            continue;
        if (isAnnotation(e.kind)) {
            if (e.clientMsgId && e.from == m_me)
                dropChange(*e.clientMsgId);
            annotate(e, false);
            continue;
        }
        if (e.clientMsgId && e.from == m_me && pendingIndexOf(*e.clientMsgId) >= 0)
            heldPending->append(*e.clientMsgId); // its event is held: not pending any more
        rows.append(Row{e, {}, Delivery::Delivered, {}, 0, {}, -1});
    }
    // The annotations of the page are in: the text shown is the latest edit's.
    for (Row &r : rows)
        r.html = makeRow(r.event).html;
    return rows;
}

void TimelineModel::showWindow(const QList<Event> &ascending, bool reachedBeginning,
                               bool reachedNewest)
{
    beginResetModel();
    const bool wasNewest = m_atNewest;
    m_atNewest = reachedNewest;
    QStringList held;
    m_events = historyRows(ascending, std::numeric_limits<qint64>::max(), &held);
    for (const QString &id : std::as_const(held))
        m_pending.removeAt(pendingIndexOf(id));
    const bool wasBeginning = m_atBeginning;
    m_atBeginning = reachedBeginning;
    endResetModel();
    if (wasNewest != m_atNewest)
        emit atNewestChanged();
    if (wasBeginning != m_atBeginning)
        emit atBeginningChanged();
}

void TimelineModel::attach()
{
    if (m_atNewest)
        return;
    if (!m_pending.isEmpty())
        beginInsertRows({}, 0, int(m_pending.size()) - 1);
    m_atNewest = true;
    if (!m_pending.isEmpty())
        endInsertRows();
    emit atNewestChanged();
}

void TimelineModel::annotateLive(const QList<Event> &ascending)
{
    for (const Event &e : ascending) {
        if (!isAnnotation(e.kind))
            continue;
        if (e.clientMsgId && e.from == m_me)
            m_changes.removeIf(
                [&](const OutboxEntry &c) { return c.clientMsgId == *e.clientMsgId; });
        annotate(e, true);
    }
}

void TimelineModel::addPending(const OutboxEntry &entry)
{
    if (entry.kind != EventKind::Text && entry.target) {
        if (!isChange(entry.clientMsgId)) {
            m_changes.append(entry);
            changeTarget(*entry.target);
        }
        return;
    }
    const bool file = entry.kind == EventKind::File;
    if ((entry.kind != EventKind::Text && !file) || pendingIndexOf(entry.clientMsgId) >= 0)
        return;
    Row row;
    if (file) {
        row.event.kind = EventKind::File;
        row.event.file = describeLocalFile(entry);
        row.localPath = entry.filePath;
    }
    row.event.room = entry.room;
    row.event.from = m_me;
    row.event.ts = entry.createdMs;
    row.event.body = entry.body;
    row.event.clientMsgId = entry.clientMsgId;
    row.event.replyTo = entry.replyTo;
    row.html = markdownToHtml(entry.body);
    row.ordinal = entry.ordinal;
    updatePendingState(row, entry);
    // Rows 0..p-1 are pending, newest (highest ordinal) first.
    qsizetype at = m_pending.size();
    while (at > 0 && m_pending[at - 1].ordinal > entry.ordinal)
        --at;
    const int modelRow = int(m_pending.size() - at);
    if (!m_atNewest) {
        m_pending.insert(at, row); // shown when the timeline is back at the newest end
        return;
    }
    beginInsertRows({}, modelRow, modelRow);
    m_pending.insert(at, row);
    endInsertRows();
}

void TimelineModel::updatePendingState(Row &row, const OutboxEntry &entry)
{
    row.delivery = entry.state == OutboxEntry::State::Failed ? Delivery::Failed : Delivery::Pending;
    row.errorText = entry.errorText;
    if (entry.kind == EventKind::File && (entry.uploaded || row.delivery == Delivery::Failed))
        row.uploadProgress = entry.uploaded ? 1.0 : -1;
}

void TimelineModel::updatePending(const OutboxEntry &entry)
{
    for (OutboxEntry &c : m_changes) {
        if (c.clientMsgId == entry.clientMsgId) {
            c = entry;
            return changeTarget(entry.target.value_or(0));
        }
    }
    const qsizetype i = pendingIndexOf(entry.clientMsgId);
    if (i < 0)
        return;
    updatePendingState(m_pending[i], entry);
    if (!m_atNewest)
        return;
    const QModelIndex idx = index(int(m_pending.size() - 1 - i));
    emit dataChanged(idx, idx, {DeliveryRole, ErrorTextRole, UploadProgressRole});
}

void TimelineModel::setUploadProgress(const QString &clientMsgId, qint64 sent, qint64 total)
{
    const qsizetype i = pendingIndexOf(clientMsgId);
    if (i < 0)
        return;
    const double progress = total > 0 ? double(sent) / double(total) : 1.0;
    // Whole per mille only: a fast upload reports progress far more often than it shows.
    if (std::abs(progress - m_pending[i].uploadProgress) < 0.001)
        return;
    m_pending[i].uploadProgress = progress;
    if (!m_atNewest)
        return;
    const QModelIndex idx = index(int(m_pending.size() - 1 - i));
    emit dataChanged(idx, idx, {UploadProgressRole});
}

void TimelineModel::removePending(const QString &clientMsgId)
{
    if (isChange(clientMsgId))
        return dropChange(clientMsgId);
    const qsizetype i = pendingIndexOf(clientMsgId);
    if (i < 0)
        return;
    if (!m_atNewest) {
        m_pending.removeAt(i);
        return;
    }
    const int row = int(m_pending.size() - 1 - i);
    beginRemoveRows({}, row, row);
    m_pending.removeAt(i);
    endRemoveRows();
}

void TimelineModel::setReadSeq(qint64 seq)
{
    if (seq <= m_readSeq)
        return;
    const qsizetype oldIndex = markerIndex(m_readSeq);
    m_readSeq = seq;
    emit readSeqChanged();
    // Only the old and the new marker rows change.
    for (const qsizetype i : {oldIndex, markerIndex(seq)}) {
        if (i >= 0) {
            const QModelIndex idx = index(rowOfEventIndex(i));
            emit dataChanged(idx, idx, {ReadMarkerRole});
        }
    }
}

void TimelineModel::setLoadingNewer(bool loading)
{
    if (loading == m_loadingNewer)
        return;
    m_loadingNewer = loading;
    emit loadingNewerChanged();
}

void TimelineModel::setLoadingOlder(bool loading)
{
    if (loading == m_loadingOlder)
        return;
    m_loadingOlder = loading;
    emit loadingOlderChanged();
}

bool TimelineModel::canFetchMore(const QModelIndex &parent) const
{
    return !parent.isValid() && !m_atBeginning && !m_loadingOlder && m_loadOlder;
}

void TimelineModel::fetchMore(const QModelIndex &parent)
{
    if (canFetchMore(parent))
        m_loadOlder();
}

} // namespace confab::client
