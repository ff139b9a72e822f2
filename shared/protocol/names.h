#pragma once

#include <QString>
#include <optional>

// Name and room-id rules of the protocol. All checks are on already case-folded input
// except foldUserName(), which does the folding.
namespace confab::protocol {

// User names: 1-32 chars of [a-z0-9._-] after case folding.
QString foldUserName(const QString &name);
bool isValidUserName(const QString &folded);

// Channel names: [a-z0-9_-]{1,40}.
bool isValidChannelName(const QString &name);

// A DM room id is dm:<a>:<b> with a < b, both valid user names.
QString dmRoomId(const QString &a, const QString &b);
struct DmPair
{
    QString first;
    QString second;
};
std::optional<DmPair> parseDmRoomId(const QString &room);

// A room id is a channel name or a well-formed DM id.
bool isValidRoomId(const QString &room);
bool isDmRoomId(const QString &room);

// client_msg_id: 1-64 chars, no control characters.
bool isValidClientMsgId(const QString &id);

// File ids: 32 lowercase hex characters (128 random bits).
bool isValidFileId(QStringView id);
// A file name as uploaded: 1-255 UTF-8 bytes, no '/', no control characters, not "." or
// "..". Empty when it is acceptable, otherwise what is wrong with it.
QString fileNameProblem(const QString &name);

// Free text (display names, topics) must not carry control characters other than
// newline and tab.
bool hasForbiddenControlChars(const QString &text);

} // namespace confab::protocol
