#pragma once

#include "models/roomlistmodel.h"
#include "models/searchmodel.h"
#include "net/connection.h"
#include "session/room.h"
#include "store/filecache.h"
#include "store/storetypes.h"

#include <QDeadlineTimer>
#include <QHash>
#include <QObject>
#include <QPointer>
#include <QTimer>
#include <QUrl>
#include <QtQml/qqmlregistration.h>
#include <memory>

namespace confab::client {

class HttpLink;
class Outbox;
class StoreThread;
class Uploader;
class TokenStore;
class LinkWatcher;

// Where one account's files go and how it behaves; Profile::sessionOptions() fills it.
struct SessionOptions
{
    QUrl url;
    QString user;
    QString dataDir;      // the outbox (must survive: it holds unsent messages)
    QString cacheDir;     // the cache (may be deleted at any time)
    QString tokenKey;     // the account's entry in the token store
    QString settingsFile; // per-room settings (mute, notification level); empty: none
    int cacheKeep = 1000; // newest events kept per room
    Connection::Options connection;
    bool watchLink = true; // react to network changes and wake from sleep
};

// One account on one server: the connection, its rooms, the outbox and the cache. It
// turns server messages into room state and user actions into outbox entries, and is
// what the UI binds to. UI thread only; its SQLite work runs on its StoreThread.
class ClientSession : public QObject
{
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("Sessions come from Accounts")
    Q_PROPERTY(confab::client::Connection::State state READ state NOTIFY stateChanged)
    Q_PROPERTY(QString errorText READ errorText NOTIFY errorTextChanged)
    Q_PROPERTY(QString actionErrorText READ actionErrorText NOTIFY actionErrorTextChanged)
    Q_PROPERTY(bool loginRequired READ loginRequired NOTIFY loginRequiredChanged)
    Q_PROPERTY(QUrl serverUrl READ serverUrl CONSTANT)
    Q_PROPERTY(QString userName READ userName CONSTANT)
    Q_PROPERTY(QString displayName READ displayName NOTIFY displayNameChanged)
    Q_PROPERTY(confab::client::RoomListModel *rooms READ rooms CONSTANT)
    Q_PROPERTY(confab::client::Room *currentRoom READ currentRoom WRITE setCurrentRoom NOTIFY
                   currentRoomChanged)
    Q_PROPERTY(bool windowActive READ windowActive WRITE setWindowActive NOTIFY windowActiveChanged)
    Q_PROPERTY(bool doNotDisturb READ doNotDisturb WRITE setDoNotDisturb NOTIFY doNotDisturbChanged)
    Q_PROPERTY(bool away READ away WRITE setAway NOTIFY awayChanged)
    Q_PROPERTY(int outboxCount READ outboxCount NOTIFY outboxCountChanged)
    Q_PROPERTY(confab::client::FileCache *files READ files CONSTANT)
    // Full-text search of the rooms this user can read: the server's index, or the cache on
    // this computer while the server cannot be reached.
    Q_PROPERTY(confab::client::SearchModel *search READ search CONSTANT)
    Q_PROPERTY(
        confab::client::Connection::TrustProblem trustProblem READ trustProblem NOTIFY trustChanged)
    Q_PROPERTY(QString presentedFingerprint READ presentedFingerprint NOTIFY trustChanged)
    Q_PROPERTY(QString pinnedFingerprint READ pinnedFingerprint NOTIFY trustChanged)

public:
    ClientSession(SessionOptions options, TokenStore *tokens, QObject *parent = nullptr);
    ~ClientSession() override;

    // Opens the files and the cache, then connects with the stored token (if any).
    bool start();

    Connection::State state() const { return m_connection->state(); }
    QString errorText() const;
    QString actionErrorText() const { return m_actionErrorText; }
    bool loginRequired() const { return m_loginRequired; }
    QUrl serverUrl() const { return m_options.url; }
    QString userName() const { return m_options.user; }
    QString displayName() const { return displayNameOf(m_options.user); }
    RoomListModel *rooms() const { return m_roomList; }
    Room *currentRoom() const { return m_currentRoom; }
    void setCurrentRoom(Room *room);
    bool windowActive() const { return m_windowActive; }
    void setWindowActive(bool active);
    bool doNotDisturb() const { return m_doNotDisturb; }
    void setDoNotDisturb(bool on);
    bool away() const { return m_away; }
    void setAway(bool away);
    int outboxCount() const;
    Connection *connection() const { return m_connection; }
    QString tokenKey() const { return m_options.tokenKey; }
    Outbox *outbox() const { return m_outbox; }
    FileCache *files() const { return m_files; }
    SearchModel *search() const { return m_search; }
    Uploader *uploader() const { return m_uploader; }
    // Where the outbox keeps its own copies of files (a pasted image): beside it.
    QString outboxFilesDir() const;
    Connection::TrustProblem trustProblem() const { return m_connection->trustProblem(); }
    QString presentedFingerprint() const { return m_connection->presentedFingerprint(); }
    QString pinnedFingerprint() const { return m_connection->pinnedFingerprint(); }

    Q_INVOKABLE void login(const QString &password);
    Q_INVOKABLE void registerAccount(const QString &password, const QString &displayName);
    Q_INVOKABLE void logout();
    Q_INVOKABLE void connectToServer();
    Q_INVOKABLE void disconnectFromServer();
    // The user trusts the certificate just refused (first use, or a changed one): it is
    // pinned for the server's host:port and the connection is tried again.
    Q_INVOKABLE bool trustCertificate(const QString &fingerprint);
    Q_INVOKABLE confab::client::Room *room(const QString &roomId) const;
    Q_INVOKABLE void createRoom(const QString &name, bool isPrivate, const QString &topic);
    Q_INVOKABLE void joinRoom(const QString &name);
    // Asks the server for the rooms this user can see (the public channels to join).
    Q_INVOKABLE void refreshRooms();
    Q_INVOKABLE void leaveRoom(const QString &roomId);
    Q_INVOKABLE void openDirect(const QString &user);
    Q_INVOKABLE void invite(const QString &roomId, const QString &user);

    // ---- for Room ----
    // Something the user asked for could not be done: shown until the next one.
    void setActionError(const QString &text);
    QString displayNameOf(const QString &user) const;
    StoreThread *store() const { return m_store.get(); }
    int cacheKeep() const { return m_options.cacheKeep; }
    bool requestHistory(Room *room, Room::HistoryPurpose purpose, std::optional<qint64> before,
                        std::optional<qint64> after, int limit, qint64 tag = 0);
    void requestMembers(const QString &room);
    bool enqueue(const OutboxEntry &entry);
    bool retry(const QString &clientMsgId);
    bool discard(const QString &clientMsgId);
    void sendRead(const QString &room, qint64 seq);
    bool sendTyping(const QString &room);
    QList<Room *> roomList() const { return m_rooms.values(); }
    QString epoch() const { return m_epoch; }
    // Whether a new message deserves a desktop notification; emits notificationRequested.
    void decideNotification(Room *room, const protocol::Event &event);

signals:
    void stateChanged();
    void errorTextChanged();
    void actionErrorTextChanged();
    void loginRequiredChanged();
    void displayNameChanged();
    void currentRoomChanged();
    void windowActiveChanged();
    void doNotDisturbChanged();
    void awayChanged();
    void outboxCountChanged();
    void trustChanged();
    // The UI turns this into a desktop notification. reason: "mention", "direct", "all".
    void notificationRequested(const QString &roomId, const QString &title, const QString &body,
                               qint64 seq, const QString &reason);
    // A room the user created, joined or opened as a DM is ready (to switch to it).
    void roomReady(confab::client::Room *room);
    // The cache (rooms, members) is loaded and shown.
    void cacheLoaded();

private:
    struct Request
    {
        enum class Kind {
            Send,
            History,
            Members,
            RoomReply,
            Join,
            Leave,
            Invite,
            Logout,
            Rooms,
            Search
        };
        Kind kind = Kind::Send;
        QString room;
        QString clientMsgId;
        Room::HistoryPurpose purpose = Room::HistoryPurpose::Newest;
        qint64 tag = 0; // history: the room's jump it was asked for; search: its generation
        std::optional<protocol::SearchRequest> search = {};
    };

    void applySnapshot(const CacheSnapshot &snapshot);
    void connectWithToken();
    void setLoginRequired(bool required);
    void onWelcome(const protocol::Welcome &welcome);
    void onMessage(const protocol::ServerMessage &message);
    void onEvent(const protocol::Event &event);
    void onMembersReply(const protocol::MembersReply &reply);
    void runSearch(const protocol::SearchRequest &request, qint64 generation);
    void runSearchOffline(const protocol::SearchRequest &request, qint64 generation);
    void onSearchReply(const protocol::SearchReply &reply);
    QString roomLabel(const QString &roomId) const;
    void onAck(const protocol::Ack &ack);
    void onError(const protocol::Error &error);
    void onSendError(const Request &request, const protocol::Error &error);
    void onLinkLost();
    void onRoomReply(const protocol::RoomInfo &info, bool announce, bool joined = false);
    void dropCache(const QString &epoch);
    Room *ensureRoom(const protocol::RoomInfo &info);
    void removeRoom(const QString &roomId);
    void flushOutbox();
    void startUploads();
    void onUploadFailed(const QString &clientMsgId, const QString &code, const QString &text,
                        bool retryLater);
    void holdSends(int ms);
    void loadRoomSettings(Room *room);
    void saveRoomSettings(Room *room);
    qint64 sendRequest(const protocol::ClientMessage &message, Request request);
    QMap<QString, qint64> sinceMap() const;

    SessionOptions m_options;
    TokenStore *m_tokens;
    std::unique_ptr<StoreThread> m_store;
    Connection *m_connection;
    Outbox *m_outbox = nullptr;
    HttpLink *m_http;
    Uploader *m_uploader;
    FileCache *m_files;
    QTimer *m_uploadRetry;
    int m_uploadRetryMs = 0; // the next wait after an interrupted upload
    RoomListModel *m_roomList;
    SearchModel *m_search;
    LinkWatcher *m_linkWatcher = nullptr;
    QHash<QString, Room *> m_rooms;
    QHash<QString, QString> m_names; // user -> display name
    QHash<qint64, Request> m_requests;
    QSet<QString> m_inFlightRooms; // rooms with a send awaiting its ack
    QDeadlineTimer m_sendHold;     // rate_limited / unavailable: wait before sending
    QPointer<Room> m_currentRoom;
    QString m_epoch;
    QString m_actionErrorText;
    QString m_cacheError;
    bool m_loginRequired = false;
    int m_tokenRead = 0; // which token read counts: password logins end the pending one
    bool m_windowActive = false;
    bool m_doNotDisturb = false;
    bool m_away = false;
    bool m_cacheReady = false;
    bool m_connectPending = false;
};

} // namespace confab::client
