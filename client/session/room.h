#pragma once

#include "models/membersmodel.h"
#include "models/timelinemodel.h"
#include "models/typingmodel.h"
#include "session/composer.h"
#include "store/storetypes.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QImage>
#include <QMap>
#include <QObject>
#include <QtQml/qqmlregistration.h>

namespace confab::client {

class ClientSession;

// One room of one server as the UI sees it, and the bookkeeping that keeps its timeline
// a contiguous run of seqs: the newest seq held (the `since` of the next resume), live
// events that arrived past a gap (held back until `after` pages fill it), the unread
// and mention counts, the read marker. Owned by its ClientSession; UI thread only.
class Room : public QObject
{
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("Rooms come from ClientSession")
    Q_PROPERTY(QString roomId READ roomId CONSTANT)
    Q_PROPERTY(QString name READ displayName NOTIFY infoChanged)
    Q_PROPERTY(bool isDirect READ isDirect CONSTANT)
    Q_PROPERTY(QString directUser READ directUser CONSTANT)
    Q_PROPERTY(QString topic READ topic NOTIFY infoChanged)
    // False for a public channel the user can see but has not joined: it can be read and
    // joined, nothing else (no sending, no unread counts, not in the sidebar).
    Q_PROPERTY(bool member READ isMember NOTIFY infoChanged)
    Q_PROPERTY(bool isPrivate READ isPrivate NOTIFY infoChanged)
    Q_PROPERTY(int memberCount READ memberCount NOTIFY infoChanged)
    Q_PROPERTY(int unreadCount READ unreadCount NOTIFY countsChanged)
    Q_PROPERTY(int mentionCount READ mentionCount NOTIFY countsChanged)
    Q_PROPERTY(QDateTime lastActivity READ lastActivity NOTIFY countsChanged)
    Q_PROPERTY(bool muted READ muted WRITE setMuted NOTIFY settingsChanged)
    Q_PROPERTY(NotifyLevel notifyLevel READ notifyLevel WRITE setNotifyLevel NOTIFY settingsChanged)
    Q_PROPERTY(bool syncing READ syncing NOTIFY syncingChanged)
    Q_PROPERTY(confab::client::TimelineModel *timeline READ timeline CONSTANT)
    Q_PROPERTY(confab::client::MembersModel *members READ members CONSTANT)
    Q_PROPERTY(confab::client::TypingModel *typing READ typing CONSTANT)
    Q_PROPERTY(confab::client::Composer *composer READ composer CONSTANT)

public:
    // Default: DMs notify on every message, channels on mentions.
    enum class NotifyLevel { Default, All, Mentions, Never };
    Q_ENUM(NotifyLevel)
    // Newest, Fill: the held run of seqs. Older: the timeline's far end. AroundOlder,
    // AroundNewer: the two halves of a jump's window; Newer: the window's next page;
    // Latest: the newest page, back from a jump.
    enum class HistoryPurpose { Newest, Fill, Older, AroundOlder, AroundNewer, Newer, Latest };

    Room(ClientSession *session, const protocol::RoomInfo &info);

    QString roomId() const { return m_info.room; }
    QString displayName() const;
    bool isDirect() const { return m_info.kind == protocol::RoomKind::Dm; }
    QString directUser() const;
    QString topic() const { return m_info.topic; }
    bool isPrivate() const { return m_info.isPrivate; }
    int memberCount() const { return m_info.members; }
    int unreadCount() const;
    int mentionCount() const { return m_info.member ? int(m_mentions.size()) : 0; }
    bool isMember() const { return m_info.member; }
    QDateTime lastActivity() const;
    qint64 lastActivityMs() const { return m_lastTs; }
    bool muted() const { return m_muted; }
    void setMuted(bool muted);
    NotifyLevel notifyLevel() const { return m_notifyLevel; }
    void setNotifyLevel(NotifyLevel level);
    NotifyLevel effectiveNotifyLevel() const;
    bool syncing() const { return m_fillInFlight || m_newestInFlight || !m_held.isEmpty(); }
    TimelineModel *timeline() const { return m_timeline; }
    MembersModel *members() const { return m_members; }
    TypingModel *typing() const { return m_typing; }
    Composer *composer() const { return m_composer; }
    const protocol::RoomInfo &info() const { return m_info; }
    qint64 readSeq() const { return m_info.readSeq; }

    // Sends what the composer holds: a new message (maybe a reply) or an edit.
    Q_INVOKABLE bool send();
    Q_INVOKABLE bool sendText(const QString &text, qint64 replyTo = 0);
    Q_INVOKABLE bool edit(qint64 seq, const QString &text);
    Q_INVOKABLE bool remove(qint64 seq);
    Q_INVOKABLE bool react(qint64 seq, const QString &emoji);
    // Attaches a file of this computer (a path or file URL): it uploads from the outbox
    // and is posted when complete, with caption as its text. False (and the session's
    // action error says why) when it cannot be read.
    Q_INVOKABLE bool sendFile(const QString &pathOrUrl, const QString &caption = QString());
    // Attaches an image held in memory (a paste): the outbox keeps it as a PNG file.
    bool sendImage(const QImage &image, const QString &name = QString());
    // Stops a file that is still uploading and removes it from the outbox.
    Q_INVOKABLE bool cancelUpload(const QString &clientMsgId);
    // A topic event (channels only; an empty topic clears it).
    Q_INVOKABLE bool setTopic(const QString &topic);
    Q_INVOKABLE bool retry(const QString &clientMsgId);
    Q_INVOKABLE bool discard(const QString &clientMsgId);
    // Loads the newest page if nothing is shown yet; the first thing a room view calls.
    Q_INVOKABLE void open();
    Q_INVOKABLE void loadOlder();
    // Shows the message at seq: when the timeline does not hold it, the timeline becomes
    // the history around it (from the cache when it holds it, else from the server) and
    // jumped(seq) says when its row is there. Reply quotes, notifications and search
    // results all come here.
    Q_INVOKABLE void jumpTo(qint64 seq);
    // Back from a jump to the newest page; jumped(0) when it is shown.
    Q_INVOKABLE void jumpToNewest();
    // After a jump: the next page of newer history, until it meets the newest end.
    Q_INVOKABLE void loadNewer();
    // The view shows rows up to newestVisibleSeq; counts as read while the window is
    // active. markRead() sets the marker unconditionally.
    Q_INVOKABLE void viewed(qint64 newestVisibleSeq);
    Q_INVOKABLE void markRead(qint64 seq);
    Q_INVOKABLE void refreshMembers();

    // ---- fed by ClientSession ----
    // Held contiguously up to this seq; -1 when the room was never loaded.
    qint64 highSeq() const { return m_highSeq; }
    bool isLoaded() const { return m_highSeq >= 0; }
    void restore(const CachedRoom &cached);
    void setInfo(const protocol::RoomInfo &info);
    void onWelcome();
    void onLinkLost();
    void ingest(const protocol::Event &event, bool live);
    void onSynced(bool complete);
    // tag: the jump the request was made for (stale pages of an earlier one are dropped).
    void onHistory(HistoryPurpose purpose, const protocol::HistoryReply &reply, qint64 tag);
    void onHistoryFailed(HistoryPurpose purpose, qint64 tag);
    void onTyping(const QString &user);
    void onRead(qint64 seq);
    // Moves the read marker to seq (never back) and sends it, held events or not
    // (markRead() stops at what is held). On a join: what was written before the user
    // joined is history, not unread.
    void advanceRead(qint64 seq);
    void onMembers(const QList<protocol::MemberInfo> &members);
    void namesChanged();

signals:
    void infoChanged();
    void countsChanged();
    void settingsChanged();
    void syncingChanged();
    // A text event by someone else arrived at the newest end (for notifications).
    void newMessage(const protocol::Event &event);
    // The row of seq is in the timeline (seq 0: the newest page is): scroll to it.
    void jumped(qint64 seq);

private:
    void apply(const protocol::Event &event, bool notify);
    void applyRun(const QList<protocol::Event> &events, bool notify);
    void drainHeld();
    void requestFill();
    void requestNewest();
    void countUnread(const protocol::Event &event);
    void setSyncFlags(bool newest, bool fill);
    void loadOlderFromServer(qint64 tag);
    void jumpFromServer(qint64 tag);
    void onAround(HistoryPurpose purpose, const protocol::HistoryReply &reply);
    void showJump(const QList<protocol::Event> &events, bool reachedBeginning, bool reachedNewest,
                  qint64 seq);
    void appendNewer(const QList<protocol::Event> &events, bool more);
    bool enqueue(OutboxEntry entry);

    ClientSession *m_session;
    protocol::RoomInfo m_info;
    TimelineModel *m_timeline;
    MembersModel *m_members;
    TypingModel *m_typing;
    Composer *m_composer;
    QMap<qint64, protocol::Event> m_held; // arrived past a gap
    QList<qint64> m_unread;
    QList<qint64> m_mentions;
    qint64 m_highSeq = -1;
    qint64 m_lastTs = 0;
    qint64 m_visibleNewest = 0;
    qint64 m_oldestLoaded = 0; // lowest seq the timeline has seen (of any kind)
    // A jump: its generation, its target, the newest seq of its window (of any kind), the
    // halves of its window as they come, and a jump asked for before the first page.
    qint64 m_jumpTag = 0;
    qint64 m_jumpSeq = 0;
    qint64 m_newestLoaded = 0;
    std::optional<protocol::HistoryReply> m_aroundOlder;
    std::optional<protocol::HistoryReply> m_aroundNewer;
    qint64 m_deferredJump = 0;
    QElapsedTimer m_lastTypingSent;
    NotifyLevel m_notifyLevel = NotifyLevel::Default;
    bool m_muted = false;
    bool m_newestInFlight = false;
    bool m_fillInFlight = false;
    bool m_opened = false;
};

} // namespace confab::client
