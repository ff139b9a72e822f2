#pragma once

#include "protocol/errors.h"

#include <QList>
#include <QMap>
#include <QString>
#include <optional>
#include <variant>

// Typed messages of protocol v1. Client* types are what a client sends (the server
// decodes them), the rest is what the server sends. Optional wire fields are
// std::optional; a request id is optional everywhere.
namespace confab::protocol {

using RequestId = std::optional<qint64>;

// ---- shared value types ------------------------------------------------------------

enum class EventKind { Text, Edit, Delete, React, Join, Leave, Topic, File };
QString eventKindName(EventKind kind);
// The same name as a static ASCII string (for binding without a copy).
const char *eventKindCode(EventKind kind);
std::optional<EventKind> eventKindFromName(const QString &name);

enum class RoomKind { Channel, Dm };
enum class Presence { Online, Away, Offline };
QString presenceName(Presence p);
std::optional<Presence> presenceFromName(const QString &name);

struct UserInfo
{
    QString user;
    QString displayName;
    friend bool operator==(const UserInfo &, const UserInfo &) = default;
};

struct RoomInfo
{
    QString room;
    QString name;
    RoomKind kind = RoomKind::Channel;
    bool isPrivate = false;
    QString topic;
    qint64 lastSeq = 0;
    qint64 readSeq = 0;
    int members = 0;
    // The user asking is a member (false: a public channel it can see and join). A server
    // that does not send it lists only what the user can post in.
    bool member = true;
    friend bool operator==(const RoomInfo &, const RoomInfo &) = default;
};

struct MemberInfo
{
    QString user;
    QString displayName;
    Presence presence = Presence::Offline;
    friend bool operator==(const MemberInfo &, const MemberInfo &) = default;
};

// A stored file as events carry it. The server decides every field from the stored
// content; a client's send names only the id.
struct FileInfo
{
    QString id;   // 32 lowercase hex
    QString name; // as uploaded
    qint64 size = 0;
    QString mime;
    std::optional<qint64> width; // images the server decoded, as shown
    std::optional<qint64> height;
    std::optional<QString> thumb; // the thumbnail's file id
    friend bool operator==(const FileInfo &, const FileInfo &) = default;
};

// A stored room event.
struct Event
{
    QString room;
    qint64 seq = 0;
    qint64 ts = 0;
    QString from;
    EventKind kind = EventKind::Text;
    QString body;                       // text, edit, topic
    std::optional<QString> clientMsgId; // events sent by a client
    std::optional<qint64> replyTo;      // text
    std::optional<qint64> target;       // edit, delete, react
    std::optional<QString> emoji;       // react
    bool removed = false;               // react toggled off
    std::optional<FileInfo> file;       // file (body is its caption, may be empty)
    friend bool operator==(const Event &, const Event &) = default;
};

// ---- client -> server ----------------------------------------------------------------

enum class AuthMethod { Password, Register, Token };

struct Auth
{
    AuthMethod method = AuthMethod::Password;
    QString user;                       // password, register (folded)
    QString password;                   // password, register
    std::optional<QString> displayName; // register
    QString token;                      // token
    friend bool operator==(const Auth &, const Auth &) = default;
};

struct Hello
{
    RequestId id;
    int protocol = kProtocolVersion;
    QString client;
    Auth auth;
    QMap<QString, qint64> since;
    friend bool operator==(const Hello &, const Hello &) = default;
};

struct RoomsRequest
{
    RequestId id;
    friend bool operator==(const RoomsRequest &, const RoomsRequest &) = default;
};

struct CreateRequest
{
    RequestId id;
    QString room;
    bool isPrivate = false;
    QString topic;
    friend bool operator==(const CreateRequest &, const CreateRequest &) = default;
};

struct JoinRequest
{
    RequestId id;
    QString room;
    friend bool operator==(const JoinRequest &, const JoinRequest &) = default;
};

struct LeaveRequest
{
    RequestId id;
    QString room;
    friend bool operator==(const LeaveRequest &, const LeaveRequest &) = default;
};

struct InviteRequest
{
    RequestId id;
    QString room;
    QString user;
    friend bool operator==(const InviteRequest &, const InviteRequest &) = default;
};

struct DmRequest
{
    RequestId id;
    QString user;
    friend bool operator==(const DmRequest &, const DmRequest &) = default;
};

struct MembersRequest
{
    RequestId id;
    QString room;
    friend bool operator==(const MembersRequest &, const MembersRequest &) = default;
};

// send: kind text (body, reply_to), edit (target, body), delete (target),
// react (target, emoji), topic (body), file (file with its id, optional body, reply_to).
struct SendRequest
{
    RequestId id;
    QString room;
    QString clientMsgId;
    EventKind kind = EventKind::Text;
    QString body;
    std::optional<qint64> replyTo;
    std::optional<qint64> target;
    std::optional<QString> emoji;
    // file: the client names the id; the server fills in the rest before the hub sees it.
    std::optional<FileInfo> file;
    friend bool operator==(const SendRequest &, const SendRequest &) = default;
};

struct HistoryRequest
{
    RequestId id;
    QString room;
    std::optional<qint64> before;
    std::optional<qint64> after;
    int limit = 50;
    friend bool operator==(const HistoryRequest &, const HistoryRequest &) = default;
};

// search: the query language is in search/searchquery.h; room (optional) keeps the search
// to one room, as in:#room does.
enum class SearchOrder { Newest, Relevance };
struct SearchRequest
{
    RequestId id;
    QString query;
    std::optional<QString> room;
    SearchOrder order = SearchOrder::Newest;
    int limit = 20;
    std::optional<QString> cursor; // from the previous page's reply
    int tzOffsetMinutes = 0;       // the asker's offset from UTC, for after:/before:/on:
    friend bool operator==(const SearchRequest &, const SearchRequest &) = default;
};

// {"type":"read"} in both directions.
struct ReadMarker
{
    QString room;
    qint64 seq = 0;
    friend bool operator==(const ReadMarker &, const ReadMarker &) = default;
};

struct TypingRequest
{
    QString room;
    friend bool operator==(const TypingRequest &, const TypingRequest &) = default;
};

struct PresenceRequest
{
    Presence state = Presence::Online; // online or away
    friend bool operator==(const PresenceRequest &, const PresenceRequest &) = default;
};

struct PingRequest
{
    RequestId id;
    friend bool operator==(const PingRequest &, const PingRequest &) = default;
};

struct LogoutRequest
{
    RequestId id;
    friend bool operator==(const LogoutRequest &, const LogoutRequest &) = default;
};

using ClientMessage =
    std::variant<Hello, RoomsRequest, CreateRequest, JoinRequest, LeaveRequest, InviteRequest,
                 DmRequest, MembersRequest, SendRequest, HistoryRequest, SearchRequest, ReadMarker,
                 TypingRequest, PresenceRequest, PingRequest, LogoutRequest>;

// ---- server -> client ----------------------------------------------------------------

struct Welcome
{
    RequestId id;
    int protocol = kProtocolVersion;
    QString server;
    QString epoch;
    UserInfo user;
    QString token;
    Limits limits;
    QList<RoomInfo> rooms;
    friend bool operator==(const Welcome &, const Welcome &) = default;
};

struct Error
{
    RequestId id;
    ErrorCode code = ErrorCode::BadRequest;
    QString message;
    std::optional<qint64> retryAfterMs; // rate_limited
    std::optional<QString> field;       // offending field, when known
    friend bool operator==(const Error &, const Error &) = default;
};

struct Synced
{
    QString room;
    bool complete = true;
    friend bool operator==(const Synced &, const Synced &) = default;
};

struct RoomsReply
{
    RequestId id;
    QList<RoomInfo> rooms;
    friend bool operator==(const RoomsReply &, const RoomsReply &) = default;
};

struct RoomReply
{
    RequestId id;
    RoomInfo room;
    friend bool operator==(const RoomReply &, const RoomReply &) = default;
};

struct Ok
{
    RequestId id;
    friend bool operator==(const Ok &, const Ok &) = default;
};

struct MembersReply
{
    RequestId id;
    QString room;
    QList<MemberInfo> members;
    friend bool operator==(const MembersReply &, const MembersReply &) = default;
};

struct Ack
{
    RequestId id;
    QString room;
    QString clientMsgId;
    qint64 seq = 0;
    qint64 ts = 0;
    friend bool operator==(const Ack &, const Ack &) = default;
};

struct HistoryReply
{
    RequestId id;
    QString room;
    QList<Event> events;
    bool more = false;
    friend bool operator==(const HistoryReply &, const HistoryReply &) = default;
};

// One search result: a message (text or file) as it reads now. snippet is an excerpt of
// its text with each hit between U+E000 and U+E001.
struct SearchHit
{
    QString room;
    qint64 seq = 0;
    QString from;
    qint64 ts = 0; // when it was sent
    EventKind kind = EventKind::Text;
    QString snippet;
    bool edited = false;
    std::optional<FileInfo> file;
    friend bool operator==(const SearchHit &, const SearchHit &) = default;
};

inline constexpr QChar kHitStart = QChar(0xE000);
inline constexpr QChar kHitEnd = QChar(0xE001);

struct SearchReply
{
    RequestId id;
    QList<SearchHit> results;
    std::optional<QString> cursor; // more results: send it back for the next page
    bool indexing = false;         // older messages are still being indexed
    bool timedOut = false;         // the time budget ran out: results are what was found
    friend bool operator==(const SearchReply &, const SearchReply &) = default;
};

struct TypingNotice
{
    QString room;
    QString user;
    friend bool operator==(const TypingNotice &, const TypingNotice &) = default;
};

struct PresenceNotice
{
    QString user;
    Presence state = Presence::Online;
    friend bool operator==(const PresenceNotice &, const PresenceNotice &) = default;
};

struct Pong
{
    RequestId id;
    qint64 ts = 0;
    friend bool operator==(const Pong &, const Pong &) = default;
};

using ServerMessage =
    std::variant<Welcome, Error, Synced, RoomsReply, RoomReply, Ok, MembersReply, Event, Ack,
                 HistoryReply, SearchReply, ReadMarker, TypingNotice, PresenceNotice, Pong>;

} // namespace confab::protocol
