#pragma once

#include "protocol/messages.h"
#include "store/storetypes.h"

#include <QAbstractListModel>
#include <QHash>
#include <QtQml/qqmlregistration.h>
#include <functional>

namespace confab::client {

// The rows of one room, newest at row 0 (a BottomToTop ListView): first the messages
// still in the outbox (pending or failed), then the room's events in descending seq.
// Edits, deletes and reactions are not rows: they change their target. A pending row is
// turned into the real event in place when it comes back from the server, so one
// message is one row from typing to delivery. The user's own edits, deletes and
// reactions show on their target while they wait in the outbox. A live event is one row
// insert; older pages are one insert at the far end. Only a jump resets the model: it
// then holds a window of history around a message, detached from the newest end (no
// pending rows, no live rows) until newer pages reach the newest end again.
class TimelineModel : public QAbstractListModel
{
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("Timelines belong to rooms")
    Q_PROPERTY(qint64 readSeq READ readSeq NOTIFY readSeqChanged)
    Q_PROPERTY(bool loadingOlder READ loadingOlder NOTIFY loadingOlderChanged)
    Q_PROPERTY(bool atBeginning READ atBeginning NOTIFY atBeginningChanged)
    // False while a jump's window of older history is shown: newer pages come by loadNewer.
    Q_PROPERTY(bool atNewest READ atNewest NOTIFY atNewestChanged)
    Q_PROPERTY(bool loadingNewer READ loadingNewer NOTIFY loadingNewerChanged)

public:
    enum Role {
        SeqRole = Qt::UserRole + 1,
        ClientMsgIdRole,
        SenderRole,
        SenderNameRole,
        KindRole,
        BodyRole,
        HtmlRole,
        TimestampRole,
        ShowDayRole,
        GroupedRole,
        EditedRole,
        DeletedRole,
        ReplyToRole,
        ReplySenderRole,
        ReplyBodyRole,
        ReactionsRole,
        DeliveryRole,
        ErrorTextRole,
        MineRole,
        ReadMarkerRole,
        PendingChangeRole,  // an edit, delete or reaction of the user not acked yet
        FailedChangesRole,  // [{clientMsgId, kind, errorText}] refused changes of the user
        FileRole,           // kind file: {id, name, size, mime, width, height, thumb, image}
        LocalUrlRole,       // a file still uploading: the file on this computer
        UploadProgressRole, // a file still uploading: 0..1 (-1: not started or done)
        RowTypeRole,        // "message" (text, file: what a message delegate shows) or "state"
    };
    Q_ENUM(Role)
    enum class Delivery { Delivered, Pending, Failed };
    Q_ENUM(Delivery)

    using NameLookup = std::function<QString(const QString &user)>;
    explicit TimelineModel(QString me, NameLookup names, QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role) const override;
    QHash<int, QByteArray> roleNames() const override;
    bool canFetchMore(const QModelIndex &parent) const override;
    void fetchMore(const QModelIndex &parent) override;

    // ---- fed by Room ----
    void appendEvents(const QList<protocol::Event> &ascending);
    void prependEvents(const QList<protocol::Event> &ascending, bool reachedBeginning);
    void addPending(const OutboxEntry &entry);
    void updatePending(const OutboxEntry &entry);
    void removePending(const QString &clientMsgId);
    void setUploadProgress(const QString &clientMsgId, qint64 sent, qint64 total);
    void setReadSeq(qint64 seq);
    void setLoadingOlder(bool loading);
    void setLoadingNewer(bool loading);
    // Replaces the rows with a window of history (a jump, or back to the newest page).
    // Annotations already known (edits, reactions of rows in it) stay applied.
    void showWindow(const QList<protocol::Event> &ascending, bool reachedBeginning,
                    bool reachedNewest);
    // Detached: the window reached the newest end; pending rows show again.
    void attach();
    // Detached: a live event past the window changes only the rows it annotates.
    void annotateLive(const QList<protocol::Event> &ascending);
    void setOlderLoader(std::function<void()> loader) { m_loadOlder = std::move(loader); }

    qint64 readSeq() const { return m_readSeq; }
    bool loadingOlder() const { return m_loadingOlder; }
    bool atBeginning() const { return m_atBeginning; }
    bool atNewest() const { return m_atNewest; }
    bool loadingNewer() const { return m_loadingNewer; }
    int pendingCount() const { return int(m_pending.size()); }
    int eventCount() const { return int(m_events.size()); }
    qint64 oldestSeq() const { return m_events.isEmpty() ? 0 : m_events.first().event.seq; }
    qint64 newestSeq() const { return m_events.isEmpty() ? 0 : m_events.last().event.seq; }
    // The seqs of the delivered rows, ascending (tests compare timelines with it).
    QList<qint64> seqs() const;
    Q_INVOKABLE int rowOfSeq(qint64 seq) const;

signals:
    void readSeqChanged();
    void loadingOlderChanged();
    void atBeginningChanged();
    void atNewestChanged();
    void loadingNewerChanged();

private:
    struct ReactionKey
    {
        QString emoji;
        QString user;
        friend bool operator==(const ReactionKey &, const ReactionKey &) = default;
        friend size_t qHash(const ReactionKey &k, size_t seed = 0)
        {
            return qHashMulti(seed, k.emoji, k.user);
        }
    };
    struct Annotation
    {
        qint64 editSeq = 0;
        QString editBody;
        bool deleted = false;
        QHash<ReactionKey, std::pair<qint64, bool>> reactions; // -> (seq, present)
    };
    struct Row
    {
        protocol::Event event; // pending rows: seq 0, clientMsgId set
        QString html;
        Delivery delivery = Delivery::Delivered;
        QString errorText;
        qint64 ordinal = 0;
        QString localPath;          // pending file rows
        double uploadProgress = -1; // pending file rows
    };

    const Row *rowAt(int row) const;
    // Pending rows on screen: none while detached.
    int shownPending() const { return m_atNewest ? int(m_pending.size()) : 0; }
    // A page of history as rows (annotations applied, not rows), those below `below`;
    // heldPending gets the user's pending rows whose events are in it.
    QList<Row> historyRows(const QList<protocol::Event> &ascending, qint64 below,
                           QStringList *heldPending);
    int rowOfEventIndex(qsizetype i) const;
    qsizetype eventIndexOf(qint64 seq) const;
    qsizetype markerIndex(qint64 readSeq) const;
    const Annotation *annotationOf(qint64 seq) const;
    qsizetype pendingIndexOf(const QString &clientMsgId) const;
    static bool isAnnotation(protocol::EventKind kind);
    void annotate(const protocol::Event &e, bool notify);
    Row makeRow(const protocol::Event &e) const;
    static void updatePendingState(Row &row, const OutboxEntry &entry);
    void appendOne(const protocol::Event &e);
    QVariant reactionsOf(const Row &row) const;
    // The user's queued (not failed) changes of the row at seq, oldest first.
    QList<const OutboxEntry *> queuedChanges(qint64 seq) const;
    QString effectiveBody(const Row &row) const;
    bool effectiveDeleted(const Row &row) const;
    bool effectiveEdited(const Row &row) const;
    QVariant failedChanges(qint64 seq) const;
    bool isChange(const QString &clientMsgId) const;
    void changeTarget(qint64 seq);
    void dropChange(const QString &clientMsgId);
    QVariant replyField(const Row &row, int role) const;
    static QVariant fileOf(const Row &row);
    bool groupedWithOlder(int row) const;
    bool showDay(int row) const;
    void changedRow(qsizetype eventIndex);

    QString m_me;
    NameLookup m_names;
    QList<Row> m_events;          // ascending seq, visible kinds only
    QList<Row> m_pending;         // ascending ordinal
    QList<OutboxEntry> m_changes; // the user's edits/deletes/reactions in the outbox
    QHash<qint64, Annotation> m_annotations;
    std::function<void()> m_loadOlder;
    qint64 m_readSeq = 0;
    bool m_loadingOlder = false;
    bool m_atBeginning = false;
    bool m_atNewest = true;
    bool m_loadingNewer = false;
};

} // namespace confab::client
