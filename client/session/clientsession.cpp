#include "session/clientsession.h"

#include "account/tokenstore.h"
#include "logging.h"
#include "models/roomlistmodel.h"
#include "net/httplink.h"
#include "net/linkwatcher.h"
#include "net/uploader.h"
#include "protocol/names.h"
#include "store/filecache.h"
#include "store/outbox.h"
#include "store/storethread.h"

#include <QDir>
#include <QSettings>
#include <QUuid>

namespace confab::client {

using namespace Qt::StringLiterals;

ClientSession::ClientSession(SessionOptions options, TokenStore *tokens, QObject *parent)
    : QObject(parent)
    , m_options(std::move(options))
    , m_tokens(tokens)
    , m_connection(new Connection(m_options.connection, this))
    , m_http(new HttpLink(m_options.url, m_options.connection.pinsFile, this))
    , m_uploader(new Uploader(m_http, this))
    , m_files(new FileCache(QDir(m_options.cacheDir).filePath(u"files"_s), m_http, this))
    , m_uploadRetry(new QTimer(this))
    , m_roomList(new RoomListModel(this))
    , m_search(new SearchModel(
          [this](const protocol::SearchRequest &r, qint64 generation) { runSearch(r, generation); },
          [this](const QString &user) { return displayNameOf(user); },
          [this](const QString &room) { return roomLabel(room); }, this))
{
    m_options.user = protocol::foldUserName(m_options.user);
    m_connection->setUrl(m_options.url);
    m_connection->setSinceProvider([this] { return sinceMap(); });
    connect(m_connection, &Connection::stateChanged, this, &ClientSession::stateChanged);
    connect(m_connection, &Connection::errorTextChanged, this, &ClientSession::errorTextChanged);
    connect(m_connection, &Connection::welcomed, this, &ClientSession::onWelcome);
    connect(m_connection, &Connection::messageReceived, this, &ClientSession::onMessage);
    connect(m_connection, &Connection::linkLost, this, &ClientSession::onLinkLost);
    connect(m_connection, &Connection::trustChanged, this, &ClientSession::trustChanged);
    connect(m_connection, &Connection::authenticationRequired, this, [this] {
        setLoginRequired(true);
        if (m_tokens && !m_options.tokenKey.isEmpty())
            m_tokens->remove(m_options.tokenKey);
    });
    m_uploadRetry->setSingleShot(true);
    connect(m_uploadRetry, &QTimer::timeout, this, &ClientSession::startUploads);
    connect(m_uploader, &Uploader::created, this,
            [this](const QString &id, const QString &upload) { m_outbox->setUpload(id, upload); });
    connect(m_uploader, &Uploader::progress, this,
            [this](const QString &id, qint64 sent, qint64 total) {
                const OutboxEntry *e = m_outbox->find(id);
                if (Room *r = e ? m_rooms.value(e->room) : nullptr)
                    r->timeline()->setUploadProgress(id, sent, total);
            });
    connect(m_uploader, &Uploader::completed, this, [this](const QString &id) {
        m_uploadRetryMs = 0;
        m_outbox->markUploaded(id); // sent from here like text (written -> flushOutbox)
    });
    connect(m_uploader, &Uploader::failed, this, &ClientSession::onUploadFailed);
    if (m_options.watchLink) {
        m_linkWatcher = new LinkWatcher(this);
        connect(m_linkWatcher, &LinkWatcher::wokeUp, this,
                [this] { m_connection->reconnectNow(u"woke from sleep"_s); });
        connect(m_linkWatcher, &LinkWatcher::networkChanged, this,
                [this] { m_connection->reconnectNow(u"network changed"_s, true); });
    }
}

ClientSession::~ClientSession()
{
    // Drafts typed in the last moments, then everything queued, reach the disk.
    for (Room *room : std::as_const(m_rooms))
        room->composer()->flush();
    m_store.reset();
}

bool ClientSession::start()
{
    const QString prefix = u"confab-"_s + QUuid::createUuid().toString(QUuid::Id128).left(12);
    m_store =
        std::make_unique<StoreThread>(QDir(m_options.dataDir).filePath(u"outbox.db"_s),
                                      QDir(m_options.cacheDir).filePath(u"cache.db"_s), prefix);
    QString error;
    if (!m_store->open(&error)) {
        m_cacheError = error;
        qCWarning(lcStore) << "cannot open the account files:" << error;
        emit errorTextChanged();
        return false;
    }
    m_outbox = new Outbox(m_store.get(), this);
    if (!m_outbox->load(&error)) {
        m_cacheError = error;
        emit errorTextChanged();
        return false;
    }
    connect(m_outbox, &Outbox::written, this, &ClientSession::flushOutbox);
    connect(m_outbox, &Outbox::changed, this, [this](const OutboxEntry &e) {
        if (Room *r = m_rooms.value(e.room))
            r->timeline()->updatePending(e);
    });
    connect(m_outbox, &Outbox::added, this, &ClientSession::outboxCountChanged);
    connect(m_outbox, &Outbox::removed, this, &ClientSession::outboxCountChanged);
    m_store->reply(
        this, [user = m_options.user](StoreWorker &w) { return w.loadCache(user, QString()); },
        [this](const CacheSnapshot &snapshot) { applySnapshot(snapshot); });
    return true;
}

void ClientSession::applySnapshot(const CacheSnapshot &snapshot)
{
    if (!snapshot.error.isEmpty())
        qCWarning(lcStore) << "cache not loaded:" << snapshot.error;
    m_epoch = snapshot.epoch;
    for (const protocol::MemberInfo &m : snapshot.members)
        m_names.insert(m.user, m.displayName);
    for (const CachedRoom &cached : snapshot.rooms) {
        Room *room = ensureRoom(cached.info);
        room->restore(cached);
    }
    m_cacheReady = true;
    emit cacheLoaded();
    if (m_connectPending)
        connectWithToken();
}

QString ClientSession::outboxFilesDir() const
{
    return QDir(m_options.dataDir).filePath(u"outbox-files"_s);
}

QString ClientSession::errorText() const
{
    return !m_cacheError.isEmpty() ? m_cacheError : m_connection->errorText();
}

int ClientSession::outboxCount() const
{
    return m_outbox ? int(m_outbox->entries().size()) : 0;
}

void ClientSession::setLoginRequired(bool required)
{
    if (required == m_loginRequired)
        return;
    m_loginRequired = required;
    emit loginRequiredChanged();
}

void ClientSession::setActionError(const QString &text)
{
    m_actionErrorText = text;
    emit actionErrorTextChanged();
}

QMap<QString, qint64> ClientSession::sinceMap() const
{
    QMap<QString, qint64> since;
    for (const Room *room : m_rooms) {
        if (room->isLoaded() && room->isMember())
            since.insert(room->roomId(), room->highSeq());
    }
    return since;
}

void ClientSession::connectToServer()
{
    if (!m_cacheReady) {
        m_connectPending = true; // the resume needs the cached seqs
        return;
    }
    connectWithToken();
}

void ClientSession::connectWithToken()
{
    m_connectPending = false;
    if (!m_tokens) {
        setLoginRequired(true);
        return;
    }
    const int attempt = ++m_tokenRead;
    // A keychain waiting for its unlock prompt: the login form shows meanwhile, and the
    // token still counts when it comes, unless a password login started since.
    auto waiting = std::make_shared<QMetaObject::Connection>();
    *waiting = connect(m_tokens, &TokenStore::waitingChanged, this, [this, attempt] {
        if (m_tokens->isWaiting() && attempt == m_tokenRead)
            setLoginRequired(true);
    });
    m_tokens->read(m_options.tokenKey,
                   [this, attempt, waiting](std::optional<QString> token, const QString &error) {
                       disconnect(*waiting);
                       if (attempt != m_tokenRead)
                           return; // a password login (or a later read) took over
                       if (!token) {
                           if (!error.isEmpty())
                               qCWarning(lcAccount) << "token not readable:" << error;
                           setLoginRequired(true);
                           return;
                       }
                       protocol::Auth auth;
                       auth.method = protocol::AuthMethod::Token;
                       auth.token = *token;
                       m_connection->setAuth(auth);
                       m_connection->open();
                   });
}

void ClientSession::login(const QString &password)
{
    ++m_tokenRead; // a token read still pending no longer counts
    protocol::Auth auth;
    auth.method = protocol::AuthMethod::Password;
    auth.user = m_options.user;
    auth.password = password;
    m_connection->close();
    m_connection->setAuth(auth);
    m_connection->open();
}

void ClientSession::registerAccount(const QString &password, const QString &displayName)
{
    ++m_tokenRead;
    protocol::Auth auth;
    auth.method = protocol::AuthMethod::Register;
    auth.user = m_options.user;
    auth.password = password;
    if (!displayName.isEmpty())
        auth.displayName = displayName;
    m_connection->close();
    m_connection->setAuth(auth);
    m_connection->open();
}

void ClientSession::logout()
{
    if (m_tokens)
        m_tokens->remove(m_options.tokenKey);
    if (m_connection->isAuthenticated())
        sendRequest(protocol::LogoutRequest{}, {Request::Kind::Logout, {}, {}, {}});
    m_connection->close();
    setLoginRequired(true);
}

void ClientSession::disconnectFromServer()
{
    m_connection->close();
}

bool ClientSession::trustCertificate(const QString &fingerprint)
{
    return m_connection->trustPresentedCertificate(fingerprint);
}

void ClientSession::onWelcome(const protocol::Welcome &welcome)
{
    setLoginRequired(false);
    if (welcome.user.user != m_options.user)
        qCWarning(lcSession) << "welcome for" << logSafe(welcome.user.user);
    m_names.insert(welcome.user.user, welcome.user.displayName);
    emit displayNameChanged();
    if (m_tokens && !welcome.token.isEmpty()) {
        m_tokens->write(m_options.tokenKey, welcome.token);
        protocol::Auth auth;
        auth.method = protocol::AuthMethod::Token;
        auth.token = welcome.token;
        m_connection->setAuth(auth); // reconnects resume with the token
    }
    m_http->setToken(welcome.token.isEmpty() ? m_connection->auth().token : welcome.token);
    if (m_epoch != welcome.epoch) {
        const bool hadCache = !m_epoch.isEmpty();
        dropCache(welcome.epoch);
        if (hadCache) {
            // The since we sent named seqs of another store: start over with none.
            m_connection->reconnectNow(u"the server's store was reset"_s);
            return;
        }
    }
    QSet<QString> listed;
    for (const protocol::RoomInfo &info : welcome.rooms) {
        listed.insert(info.room);
        ensureRoom(info)->setInfo(info);
    }
    const QStringList known = m_rooms.keys();
    for (const QString &id : known) {
        if (!listed.contains(id))
            removeRoom(id);
    }
    m_store->post([rooms = welcome.rooms](StoreWorker &w) { w.storeRooms(rooms); });
    // A channel the user has not joined loads when it is opened, not on every login.
    for (Room *room : std::as_const(m_rooms)) {
        if (room->isMember())
            room->onWelcome();
    }
    if (m_away)
        m_connection->send(protocol::PresenceRequest{protocol::Presence::Away});
    flushOutbox();
}

void ClientSession::dropCache(const QString &epoch)
{
    qCInfo(lcSession) << "epoch" << epoch << "replaces" << m_epoch << ": dropping the cache";
    m_epoch = epoch;
    m_store->post([epoch, user = m_options.user](StoreWorker &w) { w.resetForEpoch(epoch, user); });
    const QStringList ids = m_rooms.keys();
    for (const QString &id : ids)
        removeRoom(id);
    // Seqs of the old store mean nothing in the new one: what targets them cannot go.
    const QList<OutboxEntry> entries = m_outbox->entries();
    for (const OutboxEntry &e : entries) {
        if (e.kind == protocol::EventKind::File && !e.replyTo) {
            // The new store has none of the old one's files: upload it again.
            m_uploader->cancel(e.clientMsgId, QString());
            m_outbox->setUpload(e.clientMsgId, QString());
        } else if (e.kind != protocol::EventKind::Text) {
            m_outbox->markFailed(e.clientMsgId, u"epoch"_s, tr("the server was reset"));
        }
    }
}

Room *ClientSession::ensureRoom(const protocol::RoomInfo &info)
{
    if (Room *existing = m_rooms.value(info.room))
        return existing;
    auto *room = new Room(this, info);
    loadRoomSettings(room);
    connect(room, &Room::settingsChanged, this, [this, room] { saveRoomSettings(room); });
    connect(room, &Room::newMessage, this,
            [this, room](const protocol::Event &e) { decideNotification(room, e); });
    m_rooms.insert(info.room, room);
    m_roomList->addRoom(room);
    for (const OutboxEntry &e : m_outbox->entries()) {
        if (e.room == info.room)
            room->timeline()->addPending(e);
    }
    return room;
}

void ClientSession::removeRoom(const QString &roomId)
{
    Room *room = m_rooms.take(roomId);
    if (!room)
        return;
    if (m_currentRoom == room)
        setCurrentRoom(nullptr);
    m_roomList->removeRoom(room);
    room->deleteLater();
}

Room *ClientSession::room(const QString &roomId) const
{
    return m_rooms.value(roomId);
}

QString ClientSession::displayNameOf(const QString &user) const
{
    const QString name = m_names.value(user);
    return name.isEmpty() ? user : name;
}

void ClientSession::setCurrentRoom(Room *room)
{
    if (m_currentRoom == room)
        return;
    m_currentRoom = room;
    emit currentRoomChanged();
    if (room)
        room->open();
}

void ClientSession::setWindowActive(bool active)
{
    if (active == m_windowActive)
        return;
    m_windowActive = active;
    emit windowActiveChanged();
    // Rows already on screen count as read once the window is active.
    if (active && m_currentRoom)
        m_currentRoom->viewed(0);
}

void ClientSession::setDoNotDisturb(bool on)
{
    if (on == m_doNotDisturb)
        return;
    m_doNotDisturb = on;
    emit doNotDisturbChanged();
}

void ClientSession::setAway(bool away)
{
    if (away == m_away)
        return;
    m_away = away;
    m_connection->send(
        protocol::PresenceRequest{away ? protocol::Presence::Away : protocol::Presence::Online});
    emit awayChanged();
}

void ClientSession::loadRoomSettings(Room *room)
{
    if (m_options.settingsFile.isEmpty())
        return;
    QSettings settings(m_options.settingsFile, QSettings::IniFormat);
    settings.beginGroup(u"rooms/"_s + QString::fromLatin1(room->roomId().toUtf8().toHex()));
    room->setMuted(settings.value(u"muted"_s, false).toBool());
    room->setNotifyLevel(Room::NotifyLevel(settings.value(u"notify"_s, 0).toInt()));
}

void ClientSession::saveRoomSettings(Room *room)
{
    if (m_options.settingsFile.isEmpty())
        return;
    QSettings settings(m_options.settingsFile, QSettings::IniFormat);
    settings.beginGroup(u"rooms/"_s + QString::fromLatin1(room->roomId().toUtf8().toHex()));
    settings.setValue(u"muted"_s, room->muted());
    settings.setValue(u"notify"_s, int(room->notifyLevel()));
}

} // namespace confab::client
