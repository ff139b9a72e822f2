#include "session/room.h"

#include "logging.h"
#include "protocol/names.h"
#include "session/clientsession.h"
#include "session/mentions.h"
#include "store/storethread.h"

#include <QDir>
#include <QFileInfo>
#include <QTimer>
#include <QUuid>

namespace confab::client {

using namespace Qt::StringLiterals;
using protocol::Event;
using protocol::EventKind;

namespace {
// Cache writes; a session that was never started (tests of the models) has no store.
template<class F> void toCache(ClientSession *session, F work)
{
    if (StoreThread *store = session->store())
        store->post(std::move(work));
}

constexpr int kPageSize = 50;
constexpr int kAroundPage = 25; // each side of a jump's target
constexpr int kFillPageSize = protocol::kMaxHistoryLimit;
constexpr int kTypingResendMs = 3000;
constexpr int kFillRetryMs = 1000;
} // namespace

Room::Room(ClientSession *session, const protocol::RoomInfo &info)
    : QObject(session)
    , m_session(session)
    , m_info(info)
{
    const auto names = [session](const QString &user) {
        return session->displayNameOf(user);
    };
    m_timeline = new TimelineModel(session->userName(), names, this);
    m_timeline->setReadSeq(info.readSeq);
    m_timeline->setOlderLoader([this] { loadOlder(); });
    m_members = new MembersModel(this);
    m_typing = new TypingModel(names, 5000, this);
    m_composer = new Composer(this);
    connect(m_composer, &Composer::draftChanged, this, [this](const QString &text, qint64 reply) {
        const std::optional<qint64> replyTo = reply > 0 ? std::optional(reply) : std::nullopt;
        toCache(m_session, [room = m_info.room, text, replyTo](StoreWorker &w) {
            w.storeDraft(room, text, replyTo);
        });
    });
    connect(m_composer, &Composer::edited, this, [this] {
        if (m_composer->text().isEmpty() || m_composer->editing())
            return;
        if (m_lastTypingSent.isValid() && m_lastTypingSent.elapsed() < kTypingResendMs)
            return;
        if (m_session->sendTyping(m_info.room))
            m_lastTypingSent.start();
    });
}

QString Room::directUser() const
{
    const auto pair = protocol::parseDmRoomId(m_info.room);
    if (!pair)
        return {};
    return pair->first == m_session->userName() ? pair->second : pair->first;
}

QString Room::displayName() const
{
    if (isDirect())
        return m_session->displayNameOf(directUser());
    return m_info.name.isEmpty() ? m_info.room : m_info.name;
}

int Room::unreadCount() const
{
    if (!m_info.member)
        return 0;
    const qint64 seen = std::max(m_highSeq, m_info.readSeq);
    return int(m_unread.size() + std::max<qint64>(0, m_info.lastSeq - seen));
}

QDateTime Room::lastActivity() const
{
    return m_lastTs > 0 ? QDateTime::fromMSecsSinceEpoch(m_lastTs) : QDateTime();
}

void Room::setMuted(bool muted)
{
    if (muted == m_muted)
        return;
    m_muted = muted;
    emit settingsChanged();
}

void Room::setNotifyLevel(NotifyLevel level)
{
    if (level == m_notifyLevel)
        return;
    m_notifyLevel = level;
    emit settingsChanged();
}

Room::NotifyLevel Room::effectiveNotifyLevel() const
{
    if (m_notifyLevel != NotifyLevel::Default)
        return m_notifyLevel;
    return isDirect() ? NotifyLevel::All : NotifyLevel::Mentions;
}

void Room::restore(const CachedRoom &cached)
{
    m_highSeq = cached.highSeq;
    m_lastTs = cached.lastTs;
    m_unread = cached.unreadSeqs;
    m_mentions = cached.mentionSeqs;
    m_timeline->setReadSeq(m_info.readSeq);
    m_composer->restore(cached.draftText, cached.draftReplyTo.value_or(0));
    m_oldestLoaded = m_highSeq + 1;
    emit countsChanged();
}

void Room::setInfo(const protocol::RoomInfo &info)
{
    const qint64 heldRead = m_info.readSeq;
    const qint64 lastSeq = std::max(m_info.lastSeq, info.lastSeq);
    m_info = info;
    m_info.lastSeq = lastSeq;
    m_info.readSeq = heldRead; // onRead() moves it forward, never back
    emit infoChanged();
    onRead(info.readSeq);
    emit countsChanged();
}

void Room::namesChanged()
{
    if (isDirect())
        emit infoChanged();
}

void Room::onWelcome()
{
    if (!isLoaded())
        requestNewest();
}

void Room::onLinkLost()
{
    setSyncFlags(false, false);
    m_members->setPresenceKnown(false); // until the next list, after the welcome
    m_timeline->setLoadingOlder(false);
    m_timeline->setLoadingNewer(false);
}

void Room::setSyncFlags(bool newest, bool fill)
{
    const bool was = syncing();
    m_newestInFlight = newest;
    m_fillInFlight = fill;
    if (was != syncing())
        emit syncingChanged();
}

void Room::requestNewest()
{
    if (m_newestInFlight)
        return;
    if (m_session->requestHistory(this, HistoryPurpose::Newest, std::nullopt, std::nullopt,
                                  kPageSize))
        setSyncFlags(true, m_fillInFlight);
}

void Room::requestFill()
{
    if (m_fillInFlight || !isLoaded())
        return;
    if (m_session->requestHistory(this, HistoryPurpose::Fill, std::nullopt, m_highSeq,
                                  kFillPageSize))
        setSyncFlags(m_newestInFlight, true);
}

void Room::ingest(const Event &event, bool live)
{
    if (!isLoaded()) {
        m_held.insert(event.seq, event);
        requestNewest();
        return;
    }
    if (event.seq <= m_highSeq)
        return; // already held: a replay overlapping what we have
    if (event.seq == m_highSeq + 1 && !m_fillInFlight) {
        applyRun({event}, live);
        drainHeld();
        return;
    }
    m_held.insert(event.seq, event);
    requestFill();
}

void Room::onSynced(bool complete)
{
    qCDebug(lcSession) << "synced" << m_info.room << "complete" << complete << "held to"
                       << m_highSeq;
    if (!complete)
        requestFill();
}

void Room::applyRun(const QList<Event> &events, bool notify)
{
    if (events.isEmpty())
        return;
    for (const Event &e : events)
        apply(e, notify);
    if (m_timeline->atNewest())
        m_timeline->appendEvents(events);
    else
        m_timeline->annotateLive(events); // a jump's window: newer pages bring the rows
    toCache(m_session, [room = m_info.room, events, keep = m_session->cacheKeep()](StoreWorker &w) {
        w.storeEvents(room, events, false, keep);
    });
    emit countsChanged();
}

void Room::apply(const Event &e, bool notify)
{
    m_highSeq = e.seq;
    m_info.lastSeq = std::max(m_info.lastSeq, e.seq);
    m_lastTs = std::max(m_lastTs, e.ts);
    if (e.kind == EventKind::Topic) {
        m_info.topic = e.body;
        emit infoChanged();
    }
    if (e.kind != EventKind::Text && e.kind != EventKind::File)
        return;
    m_typing->stopped(e.from);
    countUnread(e);
    if (notify && e.from != m_session->userName() && e.seq > m_info.readSeq)
        emit newMessage(e);
}

void Room::countUnread(const Event &e)
{
    if (e.from == m_session->userName() || e.seq <= m_info.readSeq)
        return;
    m_unread.append(e.seq);
    if (mentionsUser(e.body, m_session->userName(),
                     m_session->displayNameOf(m_session->userName())))
        m_mentions.append(e.seq);
}

void Room::drainHeld()
{
    QList<Event> run;
    qint64 next = m_highSeq + 1;
    while (!m_held.isEmpty()) {
        const auto first = m_held.begin();
        if (first.key() < next) {
            m_held.erase(first);
        } else if (first.key() == next) {
            run.append(first.value());
            m_held.erase(first);
            ++next;
        } else {
            break;
        }
    }
    applyRun(run, true);
    if (!m_held.isEmpty())
        requestFill();
    emit syncingChanged();
}

void Room::onHistory(HistoryPurpose purpose, const protocol::HistoryReply &reply, qint64 tag)
{
    QList<Event> events = reply.events;
    qCDebug(lcSession) << "history" << int(purpose) << m_info.room << events.size() << "events"
                       << (events.isEmpty() ? 0 : events.first().seq) << "more" << reply.more
                       << "held to" << m_highSeq;
    switch (purpose) {
    case HistoryPurpose::Newest:
        setSyncFlags(false, m_fillInFlight);
        if (isLoaded())
            return drainHeld();
        m_highSeq = events.isEmpty() ? m_info.lastSeq : events.first().seq - 1;
        m_oldestLoaded = events.isEmpty() ? m_highSeq + 1 : events.first().seq;
        {
            // What arrived live while this first page was asked for (a new DM's first
            // message) is news and notifies; the older rows of the page do not.
            const qint64 liveFrom =
                m_held.isEmpty() ? std::numeric_limits<qint64>::max() : m_held.firstKey();
            const qsizetype split =
                std::find_if(events.cbegin(), events.cend(),
                             [liveFrom](const Event &e) { return e.seq >= liveFrom; }) -
                events.cbegin();
            applyRun(events.mid(0, split), false);
            applyRun(events.mid(split), true);
        }
        m_timeline->prependEvents({}, m_oldestLoaded <= 1);
        drainHeld();
        if (const qint64 seq = std::exchange(m_deferredJump, 0))
            jumpTo(seq);
        return;
    case HistoryPurpose::Fill: {
        setSyncFlags(m_newestInFlight, false);
        events.removeIf([this](const Event &e) { return e.seq <= m_highSeq; });
        if (!events.isEmpty() && events.first().seq != m_highSeq + 1) {
            qCWarning(lcSession) << "history after" << m_highSeq << "starts at"
                                 << events.first().seq;
            return;
        }
        applyRun(events, true);
        if (reply.more && !events.isEmpty())
            return requestFill();
        if (events.isEmpty() && !m_held.isEmpty()) {
            // Nothing new although events past the gap exist: ask again, but not in a loop.
            QTimer::singleShot(kFillRetryMs, this, &Room::requestFill);
            return;
        }
        return drainHeld();
    }
    case HistoryPurpose::Older:
        if (tag != m_jumpTag)
            return; // asked for before a jump replaced the timeline
        m_timeline->setLoadingOlder(false);
        events.removeIf([this](const Event &e) { return e.seq >= m_oldestLoaded; });
        if (!events.isEmpty()) {
            m_oldestLoaded = events.first().seq;
            toCache(m_session, [room = m_info.room, events](StoreWorker &w) {
                w.storeEvents(room, events, true, 0);
            });
        }
        m_timeline->prependEvents(events, !reply.more || m_oldestLoaded <= 1);
        return;
    case HistoryPurpose::AroundOlder:
    case HistoryPurpose::AroundNewer:
        if (tag == m_jumpTag)
            onAround(purpose, reply);
        return;
    case HistoryPurpose::Newer:
        if (tag == m_jumpTag)
            appendNewer(events, reply.more);
        return;
    case HistoryPurpose::Latest:
        if (tag == m_jumpTag)
            showJump(events, !reply.more, !events.isEmpty() && events.last().seq >= m_highSeq, 0);
        return;
    }
}

void Room::onHistoryFailed(HistoryPurpose purpose, qint64 tag)
{
    if (purpose == HistoryPurpose::Older || purpose == HistoryPurpose::Newer) {
        m_timeline->setLoadingOlder(false);
        m_timeline->setLoadingNewer(false);
    } else if (purpose >= HistoryPurpose::AroundOlder) {
        if (tag == m_jumpTag)
            m_session->setActionError(tr("That message could not be loaded"));
    } else
        setSyncFlags(purpose == HistoryPurpose::Newest ? false : m_newestInFlight,
                     purpose == HistoryPurpose::Fill ? false : m_fillInFlight);
}

void Room::open()
{
    // Live events may have arrived before the view opened; the first page still comes.
    if (m_opened)
        return;
    m_opened = true;
    loadOlder();
}

void Room::loadOlder()
{
    if (m_timeline->loadingOlder() || m_timeline->atBeginning())
        return;
    if (!isLoaded()) {
        requestNewest();
        return;
    }
    if (m_oldestLoaded <= 1) {
        m_timeline->prependEvents({}, true);
        return;
    }
    m_timeline->setLoadingOlder(true);
    m_session->store()->reply(
        this,
        [room = m_info.room, before = m_oldestLoaded](StoreWorker &w) {
            return w.loadEvents(room, before, kPageSize);
        },
        [this, tag = m_jumpTag](const EventPage &page) {
            if (tag != m_jumpTag)
                return;
            QList<Event> events = page.events;
            events.removeIf([this](const Event &e) { return e.seq >= m_oldestLoaded; });
            if (events.isEmpty())
                return loadOlderFromServer(tag);
            m_oldestLoaded = events.first().seq;
            m_timeline->setLoadingOlder(false);
            m_timeline->prependEvents(events, m_oldestLoaded <= 1);
        });
}

void Room::loadOlderFromServer(qint64 tag)
{
    if (!m_session->requestHistory(this, HistoryPurpose::Older, m_oldestLoaded, std::nullopt,
                                   kPageSize, tag))
        m_timeline->setLoadingOlder(false);
}

void Room::jumpTo(qint64 seq)
{
    if (seq <= 0)
        return;
    if (m_timeline->rowOfSeq(seq) >= 0) {
        emit jumped(seq);
        return;
    }
    if (!isLoaded()) {
        m_deferredJump = seq; // after the first page, whose bookkeeping a window would upset
        requestNewest();
        return;
    }
    const qint64 tag = ++m_jumpTag;
    m_jumpSeq = seq;
    StoreThread *store = m_session->store();
    if (!store)
        return jumpFromServer(tag);
    // The cache holds one contiguous run of the room up to the newest seq held: when the
    // target is in it, so is everything around it.
    store->reply(
        this,
        [room = m_info.room, seq](StoreWorker &w) {
            return w.loadEvents(room, seq + kAroundPage + 1, 2 * kAroundPage + 1);
        },
        [this, tag, seq](const EventPage &page) {
            if (tag != m_jumpTag)
                return;
            const QList<Event> &events = page.events;
            if (std::none_of(events.cbegin(), events.cend(),
                             [seq](const Event &e) { return e.seq == seq; }))
                return jumpFromServer(tag);
            showJump(events, events.first().seq <= 1, events.last().seq >= m_highSeq, seq);
        });
}

void Room::jumpFromServer(qint64 tag)
{
    m_aroundOlder.reset();
    m_aroundNewer.reset();
    if (!m_session->requestHistory(this, HistoryPurpose::AroundOlder, m_jumpSeq + 1, std::nullopt,
                                   kAroundPage, tag) ||
        !m_session->requestHistory(this, HistoryPurpose::AroundNewer, std::nullopt, m_jumpSeq,
                                   kAroundPage, tag))
        m_session->setActionError(
            tr("That message is not on this computer; it shows once the server is back"));
}

void Room::onAround(HistoryPurpose purpose, const protocol::HistoryReply &reply)
{
    (purpose == HistoryPurpose::AroundOlder ? m_aroundOlder : m_aroundNewer) = reply;
    if (!m_aroundOlder || !m_aroundNewer)
        return;
    QList<Event> events = m_aroundOlder->events;
    const bool begin = !m_aroundOlder->more || (!events.isEmpty() && events.first().seq <= 1);
    const qint64 olderEnd = events.isEmpty() ? m_jumpSeq : events.last().seq;
    for (const Event &e : std::as_const(m_aroundNewer->events)) {
        if (e.seq > olderEnd)
            events.append(e);
    }
    m_aroundOlder.reset();
    m_aroundNewer.reset();
    showJump(events, begin, !events.isEmpty() && events.last().seq >= m_highSeq, m_jumpSeq);
}

void Room::showJump(const QList<Event> &events, bool reachedBeginning, bool reachedNewest,
                    qint64 seq)
{
    if (!events.isEmpty()) {
        m_oldestLoaded = events.first().seq;
        m_newestLoaded = events.last().seq;
    } else {
        m_oldestLoaded = m_newestLoaded = m_highSeq + 1;
    }
    m_timeline->setLoadingOlder(false);
    m_timeline->setLoadingNewer(false);
    m_timeline->showWindow(events, reachedBeginning || m_oldestLoaded <= 1, reachedNewest);
    emit jumped(seq);
}

void Room::jumpToNewest()
{
    if (m_timeline->atNewest()) {
        emit jumped(0);
        return;
    }
    const qint64 tag = ++m_jumpTag;
    const auto fromServer = [this, tag] {
        if (!m_session->requestHistory(this, HistoryPurpose::Latest, std::nullopt, std::nullopt,
                                       kPageSize, tag))
            m_session->setActionError(tr("Not connected"));
    };
    StoreThread *store = m_session->store();
    if (!store)
        return fromServer();
    store->reply(
        this,
        [room = m_info.room, before = m_highSeq + 1](StoreWorker &w) {
            return w.loadEvents(room, before, kPageSize);
        },
        [this, tag, fromServer](const EventPage &page) {
            if (tag != m_jumpTag)
                return;
            if (page.events.isEmpty() || page.events.last().seq < m_highSeq)
                return fromServer();
            showJump(page.events, page.events.first().seq <= 1, true, 0);
        });
}

void Room::loadNewer()
{
    if (m_timeline->atNewest() || m_timeline->loadingNewer())
        return;
    m_timeline->setLoadingNewer(true);
    const qint64 after = m_newestLoaded;
    const qint64 tag = m_jumpTag;
    const auto fromServer = [this, after, tag] {
        if (!m_session->requestHistory(this, HistoryPurpose::Newer, std::nullopt, after, kPageSize,
                                       tag))
            m_timeline->setLoadingNewer(false);
    };
    StoreThread *store = m_session->store();
    if (!store)
        return fromServer();
    store->reply(
        this,
        [room = m_info.room, before = after + kPageSize + 1](StoreWorker &w) {
            return w.loadEvents(room, before, kPageSize);
        },
        [this, after, tag, fromServer](const EventPage &page) {
            if (tag != m_jumpTag)
                return;
            QList<Event> events = page.events;
            events.removeIf([after](const Event &e) { return e.seq <= after; });
            if (events.isEmpty() || events.first().seq != after + 1)
                return fromServer(); // the cache does not reach this far back
            appendNewer(events, events.last().seq < m_highSeq);
        });
}

void Room::appendNewer(const QList<Event> &events, bool more)
{
    m_timeline->setLoadingNewer(false);
    QList<Event> run = events;
    run.removeIf([this](const Event &e) { return e.seq <= m_newestLoaded; });
    if (!run.isEmpty()) {
        m_newestLoaded = run.last().seq;
        m_timeline->appendEvents(run);
    }
    // Attached only with every seq held: a live event can come before the page that was
    // made without it.
    if (m_newestLoaded >= m_highSeq)
        m_timeline->attach();
    else if (run.isEmpty() && !more)
        jumpToNewest(); // what is held past the server's page is in the cache
}

bool Room::enqueue(OutboxEntry entry)
{
    entry.room = m_info.room;
    return m_session->enqueue(entry);
}

bool Room::sendText(const QString &text, qint64 replyTo)
{
    if (text.trimmed().isEmpty())
        return false;
    OutboxEntry e;
    e.kind = EventKind::Text;
    e.body = text;
    if (replyTo > 0)
        e.replyTo = replyTo;
    return enqueue(e);
}

bool Room::send()
{
    const QString text = m_composer->text();
    const bool ok = m_composer->editing() ? edit(m_composer->editTarget(), text)
                                          : sendText(text, m_composer->replyTo());
    if (ok)
        m_composer->clear();
    return ok;
}

bool Room::sendFile(const QString &pathOrUrl, const QString &caption)
{
    const QUrl url(pathOrUrl);
    const QString path = url.isLocalFile() ? url.toLocalFile() : pathOrUrl;
    const QFileInfo info(path);
    if (!info.isFile() || !info.isReadable()) {
        m_session->setActionError(
            tr("Cannot read %1").arg(info.fileName().isEmpty() ? path : info.fileName()));
        return false;
    }
    const QString name = info.fileName();
    if (!protocol::fileNameProblem(name).isEmpty()) {
        m_session->setActionError(tr("The name %1 cannot be used for a file").arg(name));
        return false;
    }
    OutboxEntry e;
    e.kind = EventKind::File;
    e.body = caption;
    e.filePath = info.absoluteFilePath();
    e.fileName = name;
    e.fileSize = info.size();
    e.fileMtimeMs = info.lastModified().toMSecsSinceEpoch();
    return enqueue(e);
}

bool Room::sendImage(const QImage &image, const QString &name)
{
    if (image.isNull())
        return false;
    const QDir dir(m_session->outboxFilesDir());
    dir.mkpath(u"."_s);
    const QString stamp = QDateTime::currentDateTime().toString(u"yyyy-MM-dd hh.mm.ss"_s);
    const QString fileName = name.isEmpty() ? tr("Pasted image %1.png").arg(stamp) : name;
    const QString path = dir.filePath(QUuid::createUuid().toString(QUuid::Id128) + u".png"_s);
    if (!image.save(path, "PNG")) {
        m_session->setActionError(tr("Cannot keep the image on this computer"));
        QFile::remove(path);
        return false;
    }
    const QFileInfo info(path);
    OutboxEntry e;
    e.kind = EventKind::File;
    e.filePath = path;
    e.fileName = fileName;
    e.fileSize = info.size();
    e.fileMtimeMs = info.lastModified().toMSecsSinceEpoch();
    e.fileOwned = true;
    if (enqueue(e))
        return true;
    QFile::remove(path);
    return false;
}

bool Room::cancelUpload(const QString &clientMsgId)
{
    return m_session->discard(clientMsgId);
}

bool Room::edit(qint64 seq, const QString &text)
{
    if (seq <= 0 || text.trimmed().isEmpty())
        return false;
    OutboxEntry e;
    e.kind = EventKind::Edit;
    e.target = seq;
    e.body = text;
    return enqueue(e);
}

bool Room::remove(qint64 seq)
{
    if (seq <= 0)
        return false;
    OutboxEntry e;
    e.kind = EventKind::Delete;
    e.target = seq;
    return enqueue(e);
}

bool Room::react(qint64 seq, const QString &emoji)
{
    if (seq <= 0 || emoji.isEmpty() || emoji.toUtf8().size() > protocol::kMaxEmojiBytes)
        return false;
    OutboxEntry e;
    e.kind = EventKind::React;
    e.target = seq;
    e.emoji = emoji;
    return enqueue(e);
}

bool Room::setTopic(const QString &topic)
{
    if (isDirect())
        return false;
    OutboxEntry e;
    e.kind = EventKind::Topic;
    e.body = topic;
    return enqueue(e);
}

bool Room::retry(const QString &clientMsgId)
{
    return m_session->retry(clientMsgId);
}

bool Room::discard(const QString &clientMsgId)
{
    return m_session->discard(clientMsgId);
}

void Room::viewed(qint64 newestVisibleSeq)
{
    m_visibleNewest = std::max(m_visibleNewest, newestVisibleSeq);
    if (m_session->windowActive())
        markRead(m_visibleNewest);
}

void Room::markRead(qint64 seq)
{
    advanceRead(std::min(seq, m_highSeq));
}

void Room::advanceRead(qint64 seq)
{
    if (seq <= m_info.readSeq)
        return;
    onRead(seq);
    m_session->sendRead(m_info.room, seq);
}

void Room::onRead(qint64 seq)
{
    if (seq <= m_info.readSeq)
        return;
    m_info.readSeq = seq;
    m_unread.removeIf([seq](qint64 s) { return s <= seq; });
    m_mentions.removeIf([seq](qint64 s) { return s <= seq; });
    m_timeline->setReadSeq(seq);
    toCache(m_session, [room = m_info.room, seq](StoreWorker &w) { w.storeReadSeq(room, seq); });
    emit countsChanged();
}

void Room::onTyping(const QString &user)
{
    if (user != m_session->userName())
        m_typing->typing(user);
}

void Room::onMembers(const QList<protocol::MemberInfo> &members)
{
    m_members->setMembers(members);
    toCache(m_session,
            [room = m_info.room, members](StoreWorker &w) { w.storeMembers(room, members); });
}

void Room::refreshMembers()
{
    m_session->requestMembers(m_info.room);
}

} // namespace confab::client
