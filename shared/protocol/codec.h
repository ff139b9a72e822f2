#pragma once

#include "protocol/jsonreader.h"
#include "protocol/messages.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QJsonObject>

// The one JSON codec of the project. Encoders produce compact UTF-8 JSON ready to be
// sent as a text frame; decoders validate everything and report a protocol error code
// with the offending field instead of throwing.
namespace confab::protocol {

template<class Message> struct DecodeResult
{
    std::optional<Message> message;
    DecodeError error;
    bool ok() const { return message.has_value(); }
};

using ClientDecodeResult = DecodeResult<ClientMessage>;
using ServerDecodeResult = DecodeResult<ServerMessage>;

// What the server receives.
ClientDecodeResult decodeClientMessage(QByteArrayView frame, const Limits &limits = {});
// What a client receives.
ServerDecodeResult decodeServerMessage(QByteArrayView frame, const Limits &limits = {});

QJsonObject toJson(const RoomInfo &room);
QJsonObject toJson(const MemberInfo &member);
QJsonObject toJson(const FileInfo &file);
// A file object as toJson wrote it (a client's cache keeps them); nullopt when invalid.
std::optional<FileInfo> fileInfoFromJson(const QJsonObject &object);
QJsonObject toJson(const Event &event);

QJsonObject toJson(const Hello &m);
QJsonObject toJson(const RoomsRequest &m);
QJsonObject toJson(const CreateRequest &m);
QJsonObject toJson(const JoinRequest &m);
QJsonObject toJson(const LeaveRequest &m);
QJsonObject toJson(const InviteRequest &m);
QJsonObject toJson(const DmRequest &m);
QJsonObject toJson(const MembersRequest &m);
QJsonObject toJson(const SendRequest &m);
QJsonObject toJson(const HistoryRequest &m);
QJsonObject toJson(const SearchRequest &m);
QJsonObject toJson(const ReadMarker &m);
QJsonObject toJson(const TypingRequest &m);
QJsonObject toJson(const PresenceRequest &m);
QJsonObject toJson(const PingRequest &m);
QJsonObject toJson(const LogoutRequest &m);

QJsonObject toJson(const Welcome &m);
QJsonObject toJson(const Error &m);
QJsonObject toJson(const Synced &m);
QJsonObject toJson(const RoomsReply &m);
QJsonObject toJson(const RoomReply &m);
QJsonObject toJson(const Ok &m);
QJsonObject toJson(const MembersReply &m);
QJsonObject toJson(const Ack &m);
QJsonObject toJson(const HistoryReply &m);
QJsonObject toJson(const SearchReply &m);
QJsonObject toJson(const TypingNotice &m);
QJsonObject toJson(const PresenceNotice &m);
QJsonObject toJson(const Pong &m);

QJsonObject toJson(const ClientMessage &m);
QJsonObject toJson(const ServerMessage &m);

QByteArray toFrame(const QJsonObject &object);

// Encode any message (or variant of messages) into a text-frame payload.
template<class Message> QByteArray encode(const Message &message)
{
    return toFrame(toJson(message));
}
// The two frames sent most (an event per delivery, an ack per stored message) are
// written directly (JsonWriter): the same bytes as toFrame(toJson(m)), without the
// QJsonObject in between.
QByteArray encode(const Event &event);
QByteArray encode(const Ack &ack);

// The request id a message carries, if any.
RequestId requestIdOf(const ClientMessage &m);

// The wire "type" of a message.
QString messageType(const ClientMessage &m);
QString messageType(const ServerMessage &m);

Error makeError(ErrorCode code, const QString &message, RequestId id = std::nullopt);
Error makeError(const DecodeError &error);

} // namespace confab::protocol
