#include "protocol/codec.h"

#include "protocol/jsonwriter.h"
#include "protocol/names.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <limits>

namespace confab::protocol {

namespace {

using namespace Qt::StringLiterals;

constexpr qint64 kMaxSeq = kMaxSafeInteger;
constexpr int kMaxClientNameChars = 128;
constexpr int kMaxSinceRooms = 10000;
constexpr int kMaxTokenChars = 256;
constexpr int kMaxMessageChars = 1024;

// ---- event kind / presence names -------------------------------------------------------

constexpr std::pair<EventKind, const char *> kEventKinds[] = {
    {EventKind::Text, "text"},   {EventKind::Edit, "edit"}, {EventKind::Delete, "delete"},
    {EventKind::React, "react"}, {EventKind::Join, "join"}, {EventKind::Leave, "leave"},
    {EventKind::Topic, "topic"}, {EventKind::File, "file"},
};

const char *kindName(EventKind kind)
{
    for (const auto &[k, name] : kEventKinds) {
        if (k == kind)
            return name;
    }
    return "text";
}

constexpr std::pair<Presence, const char *> kPresence[] = {
    {Presence::Online, "online"},
    {Presence::Away, "away"},
    {Presence::Offline, "offline"},
};

void putId(QJsonObject &o, const RequestId &id)
{
    if (id)
        o.insert("id"_L1, *id);
}

QJsonObject typed(const char *type, const RequestId &id = std::nullopt)
{
    QJsonObject o;
    o.insert("type"_L1, QLatin1String(type));
    putId(o, id);
    return o;
}

QJsonArray roomsToJson(const QList<RoomInfo> &rooms)
{
    QJsonArray a;
    for (const RoomInfo &r : rooms)
        a.append(toJson(r));
    return a;
}

// ---- field rules shared by several decoders ---------------------------------------------

QString readRoom(JsonReader &r, const char *key = "room")
{
    const QString room = r.requiredString(key, 1, 3 + 2 * kMaxUserNameChars + 1);
    if (!r.failed() && !isValidRoomId(room))
        r.failField(key, u"not a valid room id"_s);
    return room;
}

QString readUser(JsonReader &r, const char *key = "user")
{
    const QString user = foldUserName(r.requiredString(key, 1, kMaxUserNameChars));
    if (!r.failed() && !isValidUserName(user))
        r.failField(key, u"user names are 1-32 chars of [a-z0-9._-]"_s);
    return user;
}

// A byte limit that is a validation rule rather than a size limit: exceeding it is
// bad_request. too_large is reserved for frames and message bodies (docs/protocol.md).
std::optional<QString> readLimitedText(JsonReader &r, const char *key, int minBytes, int maxBytes,
                                       bool required)
{
    constexpr int kUnbounded = std::numeric_limits<int>::max();
    std::optional<QString> text = required
                                      ? std::optional(r.requiredText(key, minBytes, kUnbounded))
                                      : r.optionalText(key, minBytes, kUnbounded);
    if (r.failed())
        return std::nullopt;
    if (text && text->toUtf8().size() > maxBytes) {
        r.failField(key, u"longer than %1 bytes"_s.arg(maxBytes));
        return std::nullopt;
    }
    return text;
}

std::optional<QString> readFreeText(JsonReader &r, const char *key, int maxBytes)
{
    auto text = r.optionalText(key, 0, maxBytes);
    if (text && hasForbiddenControlChars(*text))
        r.failField(key, u"contains control characters"_s);
    return text;
}

// ---- client message decoders -----------------------------------------------------------

Auth readAuth(JsonReader &parent)
{
    Auth auth;
    const auto obj = parent.object("auth", true);
    if (!obj)
        return auth;
    JsonReader r(*obj, parent.path("auth"));
    const QString method = r.requiredString("method", 1, 16);
    if (r.failed()) {
        parent.merge(r);
        return auth;
    }
    if (method == "password"_L1 || method == "register"_L1) {
        auth.method = method == "password"_L1 ? AuthMethod::Password : AuthMethod::Register;
        auth.user = readUser(r);
        // A login with a short password simply fails authentication; only
        // registration enforces the minimum length.
        const int minBytes = auth.method == AuthMethod::Register ? kMinPasswordBytes : 1;
        auth.password =
            readLimitedText(r, "password", minBytes, kMaxPasswordBytes, true).value_or(QString());
        if (auth.method == AuthMethod::Register) {
            auth.displayName =
                readLimitedText(r, "display_name", 0, kMaxDisplayNameChars * 4, false);
            if (auth.displayName && hasForbiddenControlChars(*auth.displayName))
                r.failField("display_name", u"contains control characters"_s);
            else if (auth.displayName && auth.displayName->size() > kMaxDisplayNameChars)
                r.failField("display_name", u"longer than 64 chars"_s);
        }
    } else if (method == "token"_L1) {
        auth.method = AuthMethod::Token;
        auth.token = r.requiredString("token", 1, kMaxTokenChars);
    } else {
        r.failField("method", u"must be password, register or token"_s);
    }
    parent.merge(r);
    return auth;
}

QMap<QString, qint64> readSince(JsonReader &parent)
{
    QMap<QString, qint64> since;
    const auto obj = parent.object("since", false);
    if (!obj)
        return since;
    if (obj->size() > kMaxSinceRooms) {
        parent.failField("since", u"too many rooms"_s, ErrorCode::TooLarge);
        return since;
    }
    for (auto it = obj->constBegin(); it != obj->constEnd(); ++it) {
        if (!isValidRoomId(it.key())) {
            // The key is not echoed: it is arbitrary client text of any length, and the
            // error must stay small enough for a client to decode.
            parent.failField("since", u"keys must be room ids"_s);
            break;
        }
        const QString field = parent.path("since") + QLatin1Char('.') + it.key();
        const auto seq = safeInteger(it.value());
        if (!seq || *seq < 0) {
            parent.fail(ErrorCode::BadRequest, field, field + u": must be an integer >= 0"_s);
            break;
        }
        since.insert(it.key(), *seq);
    }
    return since;
}

ClientMessage decodeHello(JsonReader &r, const Limits &)
{
    Hello m;
    m.protocol = int(r.optionalInt("protocol", 0, 1 << 30).value_or(kProtocolVersion));
    m.client = r.optionalString("client", 0, kMaxClientNameChars).value_or(QString());
    m.auth = readAuth(r);
    m.since = readSince(r);
    return m;
}

template<class T> ClientMessage decodeIdOnly(JsonReader &, const Limits &)
{
    return T{};
}

template<class T> ClientMessage decodeRoomOnly(JsonReader &r, const Limits &)
{
    T m;
    m.room = readRoom(r);
    return m;
}

ClientMessage decodeCreate(JsonReader &r, const Limits &)
{
    CreateRequest m;
    m.room = r.requiredString("room", 1, kMaxChannelNameChars + 1);
    if (!r.failed() && !isValidChannelName(m.room))
        r.failField("room", u"channel names are 1-40 chars of [a-z0-9_-]"_s);
    m.isPrivate = r.optionalBool("private", false);
    m.topic = readFreeText(r, "topic", kMaxTopicBytes).value_or(QString());
    return m;
}

ClientMessage decodeInvite(JsonReader &r, const Limits &)
{
    InviteRequest m;
    m.room = readRoom(r);
    m.user = readUser(r);
    return m;
}

ClientMessage decodeDm(JsonReader &r, const Limits &)
{
    DmRequest m;
    m.user = readUser(r);
    return m;
}

ClientMessage decodeSend(JsonReader &r, const Limits &limits)
{
    SendRequest m;
    m.room = readRoom(r);
    m.clientMsgId = r.requiredString("client_msg_id", 1, kMaxClientMsgIdChars);
    if (!r.failed() && !isValidClientMsgId(m.clientMsgId))
        r.failField("client_msg_id", u"must not contain spaces or control characters"_s);
    const QString kind = r.optionalString("kind", 1, 16).value_or(u"text"_s);
    const auto parsed = eventKindFromName(kind);
    if (!r.failed() && (!parsed || *parsed == EventKind::Join || *parsed == EventKind::Leave)) {
        r.failField("kind", u"must be text, edit, delete, react, topic or file"_s);
        return m;
    }
    m.kind = parsed.value_or(EventKind::Text);
    switch (m.kind) {
    case EventKind::Text:
        m.body = r.requiredText("body", 1, limits.maxBodyBytes);
        m.replyTo = r.optionalInt("reply_to", 1, kMaxSeq);
        break;
    case EventKind::Edit:
        m.target = r.requiredInt("target", 1, kMaxSeq);
        m.body = r.requiredText("body", 1, limits.maxBodyBytes);
        break;
    case EventKind::Delete:
        m.target = r.requiredInt("target", 1, kMaxSeq);
        break;
    case EventKind::React:
        m.target = r.requiredInt("target", 1, kMaxSeq);
        m.emoji = readLimitedText(r, "emoji", 1, kMaxEmojiBytes, true);
        break;
    case EventKind::Topic:
        m.body = readFreeText(r, "body", kMaxTopicBytes).value_or(QString());
        break;
    case EventKind::File:
        if (const auto file = r.object("file", true)) {
            JsonReader fr(*file, r.path("file"));
            FileInfo info;
            info.id = fr.requiredString("id", kFileIdChars, kFileIdChars);
            if (!fr.failed() && !isValidFileId(info.id))
                fr.failField("id", u"must be 32 lowercase hex characters"_s);
            r.merge(fr);
            m.file = info;
        }
        m.body = r.optionalText("body", 0, limits.maxBodyBytes).value_or(QString());
        m.replyTo = r.optionalInt("reply_to", 1, kMaxSeq);
        break;
    case EventKind::Join:
    case EventKind::Leave:
        break;
    }
    return m;
}

ClientMessage decodeHistory(JsonReader &r, const Limits &)
{
    HistoryRequest m;
    m.room = readRoom(r);
    m.before = r.optionalInt("before", 1, kMaxSeq);
    m.after = r.optionalInt("after", 0, kMaxSeq);
    if (!r.failed() && m.before && m.after)
        r.failField("after", u"give before or after, not both"_s);
    m.limit = int(r.optionalInt("limit", 1, kMaxHistoryLimit).value_or(50));
    return m;
}

ClientMessage decodeSearch(JsonReader &r, const Limits &)
{
    SearchRequest m;
    // The query's own rules (operators, length) are the search layer's: a query it cannot
    // run is answered `invalid` with the offending token, not bad_request.
    m.query = r.requiredText("query", 0, 4 * 1024);
    if (const auto room = r.optionalString("room", 1, 128)) {
        if (!isValidRoomId(*room))
            r.failField("room", u"not a room id"_s);
        m.room = room;
    }
    const QString order = r.optionalString("order", 1, 16).value_or(u"newest"_s);
    if (order == "relevance"_L1)
        m.order = SearchOrder::Relevance;
    else if (order != "newest"_L1 && !r.failed())
        r.failField("order", u"must be newest or relevance"_s);
    m.limit = int(r.optionalInt("limit", 1, kMaxSearchLimit).value_or(20));
    m.cursor = r.optionalString("cursor", 1, kMaxSearchCursorChars);
    m.tzOffsetMinutes = int(r.optionalInt("tz", -14 * 60, 14 * 60).value_or(0));
    return m;
}

ClientMessage decodeRead(JsonReader &r, const Limits &)
{
    ReadMarker m;
    m.room = readRoom(r);
    m.seq = r.requiredInt("seq", 0, kMaxSeq);
    return m;
}

ClientMessage decodePresence(JsonReader &r, const Limits &)
{
    PresenceRequest m;
    const QString state = r.requiredString("state", 1, 16);
    if (r.failed())
        return m;
    if (state == "online"_L1)
        m.state = Presence::Online;
    else if (state == "away"_L1)
        m.state = Presence::Away;
    else
        r.failField("state", u"must be online or away"_s);
    return m;
}

using ClientDecoder = ClientMessage (*)(JsonReader &, const Limits &);
struct ClientType
{
    const char *name;
    ClientDecoder decode;
};
constexpr ClientType kClientTypes[] = {
    {"hello", decodeHello},
    {"rooms", decodeIdOnly<RoomsRequest>},
    {"create", decodeCreate},
    {"join", decodeRoomOnly<JoinRequest>},
    {"leave", decodeRoomOnly<LeaveRequest>},
    {"invite", decodeInvite},
    {"dm", decodeDm},
    {"members", decodeRoomOnly<MembersRequest>},
    {"send", decodeSend},
    {"history", decodeHistory},
    {"search", decodeSearch},
    {"read", decodeRead},
    {"typing", decodeRoomOnly<TypingRequest>},
    {"presence", decodePresence},
    {"ping", decodeIdOnly<PingRequest>},
    {"logout", decodeIdOnly<LogoutRequest>},
};

// ---- server message decoders (client side) ---------------------------------------------

RoomInfo readRoomInfo(const QJsonObject &o, JsonReader &parent, const QString &path)
{
    JsonReader r(o, path);
    RoomInfo room;
    room.room = readRoom(r);
    room.name = r.optionalString("name", 0, 256).value_or(room.room);
    const QString kind = r.optionalString("kind", 1, 16).value_or(u"channel"_s);
    if (kind == "channel"_L1)
        room.kind = RoomKind::Channel;
    else if (kind == "dm"_L1)
        room.kind = RoomKind::Dm;
    else
        r.failField("kind", u"must be channel or dm"_s);
    room.isPrivate = r.optionalBool("private", false);
    room.topic = r.optionalString("topic", 0, kMaxTopicBytes).value_or(QString());
    room.lastSeq = r.optionalInt("last_seq", 0, kMaxSeq).value_or(0);
    room.readSeq = r.optionalInt("read_seq", 0, kMaxSeq).value_or(0);
    room.members = int(r.optionalInt("members", 0, 1 << 30).value_or(0));
    room.member = r.optionalBool("member", true);
    parent.merge(r);
    return room;
}

QList<RoomInfo> readRoomList(JsonReader &r, const char *key)
{
    QList<RoomInfo> rooms;
    const auto arr = r.array(key, true);
    if (!arr)
        return rooms;
    for (qsizetype i = 0; i < arr->size() && !r.failed(); ++i) {
        const QString path = r.path(key) + u"[%1]"_s.arg(i);
        if (!arr->at(i).isObject()) {
            r.fail(ErrorCode::BadRequest, path, path + u": must be an object"_s);
            break;
        }
        rooms.append(readRoomInfo(arr->at(i).toObject(), r, path));
    }
    return rooms;
}

FileInfo readFileInfo(const QJsonObject &object, JsonReader &parent)
{
    JsonReader r(object, parent.path("file"));
    FileInfo f;
    f.id = r.requiredString("id", kFileIdChars, kFileIdChars);
    f.name = r.requiredText("name", 1, kMaxFileNameBytes);
    f.size = r.requiredInt("size", 0, kMaxSafeInteger);
    f.mime = r.requiredString("mime", 1, kMaxMimeChars);
    f.width = r.optionalInt("width", 1, kMaxSafeInteger);
    f.height = r.optionalInt("height", 1, kMaxSafeInteger);
    f.thumb = r.optionalString("thumb", kFileIdChars, kFileIdChars);
    if (!r.failed() && (!isValidFileId(f.id) || (f.thumb && !isValidFileId(*f.thumb))))
        r.failField(f.thumb && !isValidFileId(*f.thumb) ? "thumb" : "id",
                    u"must be 32 lowercase hex characters"_s);
    parent.merge(r);
    return f;
}

Event readEvent(JsonReader &r, const Limits &limits)
{
    Event e;
    e.room = readRoom(r);
    e.seq = r.requiredInt("seq", 1, kMaxSeq);
    e.ts = r.requiredInt("ts", 0, kMaxSafeInteger);
    e.from = readUser(r, "from");
    const QString kind = r.requiredString("kind", 1, 16);
    const auto parsed = eventKindFromName(kind);
    if (!r.failed() && !parsed)
        r.failField("kind", u"unknown event kind"_s);
    e.kind = parsed.value_or(EventKind::Text);
    e.body = r.optionalText("body", 0, std::max(limits.maxBodyBytes, kMaxTopicBytes))
                 .value_or(QString());
    e.clientMsgId = r.optionalString("client_msg_id", 1, kMaxClientMsgIdChars);
    e.replyTo = r.optionalInt("reply_to", 1, kMaxSeq);
    e.target = r.optionalInt("target", 1, kMaxSeq);
    e.emoji = r.optionalText("emoji", 1, kMaxEmojiBytes);
    e.removed = r.optionalBool("removed", false);
    if (const auto file = r.object("file", e.kind == EventKind::File))
        e.file = readFileInfo(*file, r);
    return e;
}

ServerMessage decodeWelcome(JsonReader &r, const Limits &)
{
    Welcome m;
    m.protocol = int(r.requiredInt("protocol", 0, 1 << 30));
    m.server = r.optionalString("server", 0, kMaxClientNameChars).value_or(QString());
    m.epoch = r.requiredString("epoch", 1, 128);
    if (const auto user = r.object("user", true)) {
        JsonReader u(*user, r.path("user"));
        m.user.user = readUser(u);
        m.user.displayName = u.optionalString("display_name", 0, 256).value_or(QString());
        r.merge(u);
    }
    m.token = r.requiredString("token", 1, kMaxTokenChars);
    if (const auto limits = r.object("limits", false)) {
        JsonReader l(*limits, r.path("limits"));
        m.limits.maxBodyBytes = int(l.requiredInt("max_body_bytes", 1, 1 << 30));
        m.limits.maxFrameBytes = int(l.requiredInt("max_frame_bytes", 1, 1 << 30));
        m.limits.ratePerSecond = int(l.requiredInt("rate_per_s", 0, 1 << 30));
        m.limits.burst = int(l.requiredInt("burst", 0, 1 << 30));
        r.merge(l);
    }
    m.rooms = readRoomList(r, "rooms");
    return m;
}

ServerMessage decodeError(JsonReader &r, const Limits &)
{
    Error m;
    const QString code = r.requiredString("code", 1, 32);
    const auto parsed = errorCodeFromName(code);
    if (!r.failed() && !parsed)
        r.failField("code", u"unknown error code"_s);
    m.code = parsed.value_or(ErrorCode::Internal);
    m.message = r.optionalString("message", 0, kMaxMessageChars).value_or(QString());
    m.retryAfterMs = r.optionalInt("retry_after_ms", 0, kMaxSafeInteger);
    m.field = r.optionalString("field", 0, 256);
    return m;
}

ServerMessage decodeSynced(JsonReader &r, const Limits &)
{
    Synced m;
    m.room = readRoom(r);
    m.complete = r.optionalBool("complete", true);
    return m;
}

ServerMessage decodeRoomsReply(JsonReader &r, const Limits &)
{
    RoomsReply m;
    m.rooms = readRoomList(r, "rooms");
    return m;
}

ServerMessage decodeRoomReply(JsonReader &r, const Limits &)
{
    RoomReply m;
    if (const auto room = r.object("room", true))
        m.room = readRoomInfo(*room, r, r.path("room"));
    return m;
}

ServerMessage decodeOk(JsonReader &, const Limits &)
{
    return Ok{};
}

ServerMessage decodeMembersReply(JsonReader &r, const Limits &)
{
    MembersReply m;
    m.room = readRoom(r);
    const auto arr = r.array("members", true);
    for (qsizetype i = 0; arr && i < arr->size() && !r.failed(); ++i) {
        const QString path = r.path("members") + u"[%1]"_s.arg(i);
        if (!arr->at(i).isObject()) {
            r.fail(ErrorCode::BadRequest, path, path + u": must be an object"_s);
            break;
        }
        JsonReader mr(arr->at(i).toObject(), path);
        MemberInfo info;
        info.user = readUser(mr);
        info.displayName = mr.optionalString("display_name", 0, 256).value_or(QString());
        const auto p =
            presenceFromName(mr.optionalString("presence", 1, 16).value_or(u"offline"_s));
        if (!mr.failed() && !p)
            mr.failField("presence", u"unknown presence"_s);
        info.presence = p.value_or(Presence::Offline);
        r.merge(mr);
        m.members.append(info);
    }
    return m;
}

ServerMessage decodeEvent(JsonReader &r, const Limits &limits)
{
    return readEvent(r, limits);
}

ServerMessage decodeAck(JsonReader &r, const Limits &)
{
    Ack m;
    m.room = readRoom(r);
    m.clientMsgId = r.requiredString("client_msg_id", 1, kMaxClientMsgIdChars);
    m.seq = r.requiredInt("seq", 1, kMaxSeq);
    m.ts = r.requiredInt("ts", 0, kMaxSafeInteger);
    return m;
}

ServerMessage decodeHistoryReply(JsonReader &r, const Limits &limits)
{
    HistoryReply m;
    m.room = readRoom(r);
    m.more = r.optionalBool("more", false);
    const auto arr = r.array("events", true);
    for (qsizetype i = 0; arr && i < arr->size() && !r.failed(); ++i) {
        const QString path = r.path("events") + u"[%1]"_s.arg(i);
        if (!arr->at(i).isObject()) {
            r.fail(ErrorCode::BadRequest, path, path + u": must be an object"_s);
            break;
        }
        JsonReader er(arr->at(i).toObject(), path);
        m.events.append(readEvent(er, limits));
        r.merge(er);
    }
    return m;
}

ServerMessage decodeSearchReply(JsonReader &r, const Limits &limits)
{
    SearchReply m;
    m.cursor = r.optionalString("cursor", 1, kMaxSearchCursorChars);
    m.indexing = r.optionalBool("indexing", false);
    m.timedOut = r.optionalBool("timed_out", false);
    const auto arr = r.array("results", true);
    for (qsizetype i = 0; arr && i < arr->size() && !r.failed(); ++i) {
        const QString path = r.path("results") + u"[%1]"_s.arg(i);
        if (!arr->at(i).isObject()) {
            r.fail(ErrorCode::BadRequest, path, path + u": must be an object"_s);
            break;
        }
        JsonReader hr(arr->at(i).toObject(), path);
        SearchHit h;
        h.room = readRoom(hr);
        h.seq = hr.requiredInt("seq", 1, kMaxSeq);
        h.ts = hr.requiredInt("ts", 0, kMaxSafeInteger);
        h.from = readUser(hr, "from");
        const auto kind = eventKindFromName(hr.requiredString("kind", 1, 16));
        if (!hr.failed() && !kind)
            hr.failField("kind", u"unknown event kind"_s);
        h.kind = kind.value_or(EventKind::Text);
        h.snippet = hr.optionalText("snippet", 0, 4 * std::max(limits.maxBodyBytes, 1024))
                        .value_or(QString());
        h.edited = hr.optionalBool("edited", false);
        if (const auto file = hr.object("file", false))
            h.file = readFileInfo(*file, hr);
        r.merge(hr);
        m.results.append(std::move(h));
    }
    return m;
}

ServerMessage decodeServerRead(JsonReader &r, const Limits &)
{
    ReadMarker m;
    m.room = readRoom(r);
    m.seq = r.requiredInt("seq", 0, kMaxSeq);
    return m;
}

ServerMessage decodeTypingNotice(JsonReader &r, const Limits &)
{
    TypingNotice m;
    m.room = readRoom(r);
    m.user = readUser(r);
    return m;
}

ServerMessage decodePresenceNotice(JsonReader &r, const Limits &)
{
    PresenceNotice m;
    m.user = readUser(r);
    const auto p = presenceFromName(r.requiredString("state", 1, 16));
    if (!r.failed() && !p)
        r.failField("state", u"unknown presence"_s);
    m.state = p.value_or(Presence::Offline);
    return m;
}

ServerMessage decodePong(JsonReader &r, const Limits &)
{
    Pong m;
    m.ts = r.requiredInt("ts", 0, kMaxSafeInteger);
    return m;
}

using ServerDecoder = ServerMessage (*)(JsonReader &, const Limits &);
struct ServerType
{
    const char *name;
    ServerDecoder decode;
};
constexpr ServerType kServerTypes[] = {
    {"welcome", decodeWelcome},         {"error", decodeError},     {"synced", decodeSynced},
    {"rooms", decodeRoomsReply},        {"room", decodeRoomReply},  {"ok", decodeOk},
    {"members", decodeMembersReply},    {"event", decodeEvent},     {"ack", decodeAck},
    {"history", decodeHistoryReply},    {"read", decodeServerRead}, {"typing", decodeTypingNotice},
    {"presence", decodePresenceNotice}, {"pong", decodePong},       {"search", decodeSearchReply},
};

// Sets the id member of whichever message alternative carries one.
template<class Variant> void assignId(Variant &message, RequestId id)
{
    std::visit(
        [&](auto &m) {
            if constexpr (requires { m.id; })
                m.id = id;
        },
        message);
}

template<class Message, class Table>
DecodeResult<Message> decodeWith(const Table &table, QByteArrayView frame, const Limits &limits)
{
    DecodeResult<Message> result;
    ParsedFrame parsed = parseFrame(frame, limits.maxFrameBytes);
    if (parsed.error) {
        result.error = *parsed.error;
        return result;
    }
    JsonReader r(parsed.object);
    // Read the id first so an error reply can carry it.
    const RequestId id = r.optionalInt("id", -kMaxSafeInteger, kMaxSafeInteger);
    if (r.failed()) {
        result.error = r.error();
        return result;
    }
    const QString type = r.requiredString("type", 1, 32);
    if (r.failed()) {
        result.error = r.error();
        result.error.id = id;
        return result;
    }
    for (const auto &entry : table) {
        if (type != QLatin1String(entry.name))
            continue;
        Message message = entry.decode(r, limits);
        if (r.failed()) {
            result.error = r.error();
            result.error.id = id;
            return result;
        }
        assignId(message, id);
        result.message = std::move(message);
        return result;
    }
    result.error = DecodeError{ErrorCode::BadRequest, u"type"_s,
                               u"unknown message type \"%1\""_s.arg(type), id};
    return result;
}

} // namespace

// ---- names --------------------------------------------------------------------------------

QString eventKindName(EventKind kind)
{
    return QLatin1String(kindName(kind));
}

const char *eventKindCode(EventKind kind)
{
    return kindName(kind);
}

std::optional<EventKind> eventKindFromName(const QString &name)
{
    for (const auto &[k, n] : kEventKinds) {
        if (name == QLatin1String(n))
            return k;
    }
    return std::nullopt;
}

QString presenceName(Presence p)
{
    for (const auto &[k, name] : kPresence) {
        if (k == p)
            return QLatin1String(name);
    }
    return u"offline"_s;
}

std::optional<Presence> presenceFromName(const QString &name)
{
    for (const auto &[k, n] : kPresence) {
        if (name == QLatin1String(n))
            return k;
    }
    return std::nullopt;
}

// ---- decoding -----------------------------------------------------------------------------

ClientDecodeResult decodeClientMessage(QByteArrayView frame, const Limits &limits)
{
    return decodeWith<ClientMessage>(kClientTypes, frame, limits);
}

ServerDecodeResult decodeServerMessage(QByteArrayView frame, const Limits &limits)
{
    return decodeWith<ServerMessage>(kServerTypes, frame, limits);
}

// ---- encoding: value types ----------------------------------------------------------------

QJsonObject toJson(const RoomInfo &room)
{
    // "member" only when false: a member's room object is exactly what older peers know.
    QJsonObject o{
        {"room"_L1, room.room},
        {"name"_L1, room.name},
        {"kind"_L1, room.kind == RoomKind::Dm ? u"dm"_s : u"channel"_s},
        {"private"_L1, room.isPrivate},
        {"topic"_L1, room.topic},
        {"last_seq"_L1, room.lastSeq},
        {"read_seq"_L1, room.readSeq},
        {"members"_L1, room.members},
    };
    if (!room.member)
        o.insert("member"_L1, false);
    return o;
}

QJsonObject toJson(const MemberInfo &member)
{
    return QJsonObject{
        {"user"_L1, member.user},
        {"display_name"_L1, member.displayName},
        {"presence"_L1, presenceName(member.presence)},
    };
}

std::optional<FileInfo> fileInfoFromJson(const QJsonObject &object)
{
    JsonReader root(object);
    FileInfo f = readFileInfo(object, root);
    if (root.failed())
        return std::nullopt;
    return f;
}

QJsonObject toJson(const FileInfo &f)
{
    QJsonObject o{
        {"id"_L1, f.id},
        {"name"_L1, f.name},
        {"size"_L1, f.size},
        {"mime"_L1, f.mime},
    };
    if (f.width)
        o.insert("width"_L1, *f.width);
    if (f.height)
        o.insert("height"_L1, *f.height);
    if (f.thumb)
        o.insert("thumb"_L1, *f.thumb);
    return o;
}

QJsonObject toJson(const Event &e)
{
    QJsonObject o = typed("event");
    o.insert("room"_L1, e.room);
    o.insert("seq"_L1, e.seq);
    o.insert("ts"_L1, e.ts);
    o.insert("from"_L1, e.from);
    o.insert("kind"_L1, eventKindName(e.kind));
    if (!e.body.isEmpty() || e.kind == EventKind::Topic)
        o.insert("body"_L1, e.body);
    if (e.clientMsgId)
        o.insert("client_msg_id"_L1, *e.clientMsgId);
    if (e.replyTo)
        o.insert("reply_to"_L1, *e.replyTo);
    if (e.target)
        o.insert("target"_L1, *e.target);
    if (e.emoji)
        o.insert("emoji"_L1, *e.emoji);
    if (e.removed)
        o.insert("removed"_L1, true);
    if (e.file)
        o.insert("file"_L1, toJson(*e.file));
    return o;
}

// ---- encoding: client messages ------------------------------------------------------------

QJsonObject toJson(const Hello &m)
{
    QJsonObject o = typed("hello", m.id);
    o.insert("protocol"_L1, m.protocol);
    if (!m.client.isEmpty())
        o.insert("client"_L1, m.client);
    QJsonObject auth;
    switch (m.auth.method) {
    case AuthMethod::Password:
    case AuthMethod::Register:
        auth.insert("method"_L1,
                    m.auth.method == AuthMethod::Password ? u"password"_s : u"register"_s);
        auth.insert("user"_L1, m.auth.user);
        auth.insert("password"_L1, m.auth.password);
        if (m.auth.displayName)
            auth.insert("display_name"_L1, *m.auth.displayName);
        break;
    case AuthMethod::Token:
        auth.insert("method"_L1, u"token"_s);
        auth.insert("token"_L1, m.auth.token);
        break;
    }
    o.insert("auth"_L1, auth);
    if (!m.since.isEmpty()) {
        QJsonObject since;
        for (auto it = m.since.cbegin(); it != m.since.cend(); ++it)
            since.insert(it.key(), it.value());
        o.insert("since"_L1, since);
    }
    return o;
}

QJsonObject toJson(const RoomsRequest &m)
{
    return typed("rooms", m.id);
}

QJsonObject toJson(const CreateRequest &m)
{
    QJsonObject o = typed("create", m.id);
    o.insert("room"_L1, m.room);
    o.insert("private"_L1, m.isPrivate);
    if (!m.topic.isEmpty())
        o.insert("topic"_L1, m.topic);
    return o;
}

namespace {
template<class T> QJsonObject roomRequest(const char *type, const T &m)
{
    QJsonObject o = typed(type, m.id);
    o.insert("room"_L1, m.room);
    return o;
}
} // namespace

QJsonObject toJson(const JoinRequest &m)
{
    return roomRequest("join", m);
}

QJsonObject toJson(const LeaveRequest &m)
{
    return roomRequest("leave", m);
}

QJsonObject toJson(const MembersRequest &m)
{
    return roomRequest("members", m);
}

QJsonObject toJson(const InviteRequest &m)
{
    QJsonObject o = roomRequest("invite", m);
    o.insert("user"_L1, m.user);
    return o;
}

QJsonObject toJson(const DmRequest &m)
{
    QJsonObject o = typed("dm", m.id);
    o.insert("user"_L1, m.user);
    return o;
}

QJsonObject toJson(const SendRequest &m)
{
    QJsonObject o = roomRequest("send", m);
    o.insert("client_msg_id"_L1, m.clientMsgId);
    o.insert("kind"_L1, eventKindName(m.kind));
    if (m.kind == EventKind::Text || m.kind == EventKind::Edit || m.kind == EventKind::Topic ||
        (m.kind == EventKind::File && !m.body.isEmpty()))
        o.insert("body"_L1, m.body);
    if (m.replyTo)
        o.insert("reply_to"_L1, *m.replyTo);
    if (m.target)
        o.insert("target"_L1, *m.target);
    if (m.emoji)
        o.insert("emoji"_L1, *m.emoji);
    if (m.file)
        o.insert("file"_L1, QJsonObject{{"id"_L1, m.file->id}});
    return o;
}

QJsonObject toJson(const HistoryRequest &m)
{
    QJsonObject o = roomRequest("history", m);
    if (m.before)
        o.insert("before"_L1, *m.before);
    if (m.after)
        o.insert("after"_L1, *m.after);
    o.insert("limit"_L1, m.limit);
    return o;
}

QJsonObject toJson(const SearchRequest &m)
{
    QJsonObject o = typed("search", m.id);
    o.insert("query"_L1, m.query);
    if (m.room)
        o.insert("room"_L1, *m.room);
    if (m.order == SearchOrder::Relevance)
        o.insert("order"_L1, "relevance"_L1);
    o.insert("limit"_L1, m.limit);
    if (m.cursor)
        o.insert("cursor"_L1, *m.cursor);
    if (m.tzOffsetMinutes != 0)
        o.insert("tz"_L1, m.tzOffsetMinutes);
    return o;
}

QJsonObject toJson(const ReadMarker &m)
{
    QJsonObject o = typed("read");
    o.insert("room"_L1, m.room);
    o.insert("seq"_L1, m.seq);
    return o;
}

QJsonObject toJson(const TypingRequest &m)
{
    QJsonObject o = typed("typing");
    o.insert("room"_L1, m.room);
    return o;
}

QJsonObject toJson(const PresenceRequest &m)
{
    QJsonObject o = typed("presence");
    o.insert("state"_L1, presenceName(m.state));
    return o;
}

QJsonObject toJson(const PingRequest &m)
{
    return typed("ping", m.id);
}

QJsonObject toJson(const LogoutRequest &m)
{
    return typed("logout", m.id);
}

// ---- encoding: server messages ------------------------------------------------------------

QJsonObject toJson(const Welcome &m)
{
    QJsonObject o = typed("welcome", m.id);
    o.insert("protocol"_L1, m.protocol);
    o.insert("server"_L1, m.server);
    o.insert("epoch"_L1, m.epoch);
    o.insert("user"_L1,
             QJsonObject{{"user"_L1, m.user.user}, {"display_name"_L1, m.user.displayName}});
    o.insert("token"_L1, m.token);
    o.insert("limits"_L1, QJsonObject{{"max_body_bytes"_L1, m.limits.maxBodyBytes},
                                      {"max_frame_bytes"_L1, m.limits.maxFrameBytes},
                                      {"rate_per_s"_L1, m.limits.ratePerSecond},
                                      {"burst"_L1, m.limits.burst}});
    o.insert("rooms"_L1, roomsToJson(m.rooms));
    return o;
}

QJsonObject toJson(const Error &m)
{
    QJsonObject o = typed("error", m.id);
    o.insert("code"_L1, errorCodeName(m.code));
    o.insert("message"_L1, m.message);
    if (m.retryAfterMs)
        o.insert("retry_after_ms"_L1, *m.retryAfterMs);
    if (m.field)
        o.insert("field"_L1, *m.field);
    return o;
}

QJsonObject toJson(const Synced &m)
{
    QJsonObject o = typed("synced");
    o.insert("room"_L1, m.room);
    o.insert("complete"_L1, m.complete);
    return o;
}

QJsonObject toJson(const RoomsReply &m)
{
    QJsonObject o = typed("rooms", m.id);
    o.insert("rooms"_L1, roomsToJson(m.rooms));
    return o;
}

QJsonObject toJson(const RoomReply &m)
{
    QJsonObject o = typed("room", m.id);
    o.insert("room"_L1, toJson(m.room));
    return o;
}

QJsonObject toJson(const Ok &m)
{
    return typed("ok", m.id);
}

QJsonObject toJson(const MembersReply &m)
{
    QJsonObject o = roomRequest("members", m);
    QJsonArray members;
    for (const MemberInfo &info : m.members)
        members.append(toJson(info));
    o.insert("members"_L1, members);
    return o;
}

QJsonObject toJson(const Ack &m)
{
    QJsonObject o = roomRequest("ack", m);
    o.insert("client_msg_id"_L1, m.clientMsgId);
    o.insert("seq"_L1, m.seq);
    o.insert("ts"_L1, m.ts);
    return o;
}

QJsonObject toJson(const HistoryReply &m)
{
    QJsonObject o = roomRequest("history", m);
    QJsonArray events;
    for (const Event &e : m.events)
        events.append(toJson(e));
    o.insert("events"_L1, events);
    o.insert("more"_L1, m.more);
    return o;
}

QJsonObject toJson(const SearchReply &m)
{
    QJsonObject o = typed("search", m.id);
    QJsonArray results;
    for (const SearchHit &h : m.results) {
        QJsonObject r{{"room"_L1, h.room},
                      {"seq"_L1, h.seq},
                      {"from"_L1, h.from},
                      {"ts"_L1, h.ts},
                      {"kind"_L1, eventKindName(h.kind)},
                      {"snippet"_L1, h.snippet}};
        if (h.edited)
            r.insert("edited"_L1, true);
        if (h.file)
            r.insert("file"_L1, toJson(*h.file));
        results.append(r);
    }
    o.insert("results"_L1, results);
    if (m.cursor)
        o.insert("cursor"_L1, *m.cursor);
    if (m.indexing)
        o.insert("indexing"_L1, true);
    if (m.timedOut)
        o.insert("timed_out"_L1, true);
    return o;
}

QJsonObject toJson(const TypingNotice &m)
{
    QJsonObject o = typed("typing");
    o.insert("room"_L1, m.room);
    o.insert("user"_L1, m.user);
    return o;
}

QJsonObject toJson(const PresenceNotice &m)
{
    QJsonObject o = typed("presence");
    o.insert("user"_L1, m.user);
    o.insert("state"_L1, presenceName(m.state));
    return o;
}

QJsonObject toJson(const Pong &m)
{
    QJsonObject o = typed("pong", m.id);
    o.insert("ts"_L1, m.ts);
    return o;
}

QJsonObject toJson(const ClientMessage &m)
{
    return std::visit([](const auto &v) { return toJson(v); }, m);
}

QJsonObject toJson(const ServerMessage &m)
{
    return std::visit([](const auto &v) { return toJson(v); }, m);
}

QByteArray toFrame(const QJsonObject &object)
{
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

// Members in QJsonObject's (ascending) key order, with the same conditions as toJson().
QByteArray encode(const Event &e)
{
    JsonWriter w(160 + 3 * (e.body.size() + e.room.size() + e.from.size()) +
                 (e.file ? 200 + 3 * e.file->name.size() : 0));
    w.beginObject();
    if (!e.body.isEmpty() || e.kind == EventKind::Topic)
        w.member("body"_L1, e.body);
    if (e.clientMsgId)
        w.member("client_msg_id"_L1, *e.clientMsgId);
    if (e.emoji)
        w.member("emoji"_L1, *e.emoji);
    if (e.file) {
        const FileInfo &f = *e.file;
        w.key("file"_L1);
        w.beginObject();
        if (f.height)
            w.member("height"_L1, *f.height);
        w.member("id"_L1, f.id);
        w.member("mime"_L1, f.mime);
        w.member("name"_L1, f.name);
        w.member("size"_L1, f.size);
        if (f.thumb)
            w.member("thumb"_L1, *f.thumb);
        if (f.width)
            w.member("width"_L1, *f.width);
        w.endObject();
    }
    w.member("from"_L1, e.from);
    w.member("kind"_L1, QLatin1StringView(kindName(e.kind)));
    if (e.removed)
        w.member("removed"_L1, true);
    if (e.replyTo)
        w.member("reply_to"_L1, *e.replyTo);
    w.member("room"_L1, e.room);
    w.member("seq"_L1, e.seq);
    if (e.target)
        w.member("target"_L1, *e.target);
    w.member("ts"_L1, e.ts);
    w.member("type"_L1, "event"_L1);
    w.endObject();
    return w.take();
}

QByteArray encode(const Ack &m)
{
    JsonWriter w(120 + 3 * (m.room.size() + m.clientMsgId.size()));
    w.beginObject();
    w.member("client_msg_id"_L1, m.clientMsgId);
    if (m.id)
        w.member("id"_L1, *m.id);
    w.member("room"_L1, m.room);
    w.member("seq"_L1, m.seq);
    w.member("ts"_L1, m.ts);
    w.member("type"_L1, "ack"_L1);
    w.endObject();
    return w.take();
}

RequestId requestIdOf(const ClientMessage &m)
{
    return std::visit(
        [](const auto &v) -> RequestId {
            if constexpr (requires { v.id; })
                return v.id;
            else
                return std::nullopt;
        },
        m);
}

QString messageType(const ClientMessage &m)
{
    return toJson(m).value("type"_L1).toString();
}

QString messageType(const ServerMessage &m)
{
    return toJson(m).value("type"_L1).toString();
}

Error makeError(ErrorCode code, const QString &message, RequestId id)
{
    Error e;
    e.id = id;
    e.code = code;
    e.message = message;
    return e;
}

Error makeError(const DecodeError &error)
{
    Error e = makeError(error.code, error.message, error.id);
    if (!error.field.isEmpty())
        e.field = error.field;
    return e;
}

} // namespace confab::protocol
