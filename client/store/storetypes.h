#pragma once

#include "protocol/messages.h"
#include "search/searchquery.h"

#include <QList>
#include <QString>
#include <optional>

namespace confab::client {

// One outbox row: a send request that the server has not acknowledged yet.
struct OutboxEntry
{
    enum class State { Queued, Failed };
    qint64 ordinal = 0; // the order the user made them in
    QString clientMsgId;
    QString room;
    protocol::EventKind kind = protocol::EventKind::Text;
    QString body;
    std::optional<qint64> replyTo;
    std::optional<qint64> target;
    std::optional<QString> emoji;
    qint64 createdMs = 0; // wall clock, shown only
    State state = State::Queued;
    QString errorCode; // failed: the server's error code
    QString errorText; // failed: the server's message
    // kind file: the upload before the send. The bytes come from filePath (the user's
    // file, checked against size and mtime before every part, or a copy the outbox owns
    // such as a pasted image); uploadId names the server's upload once it exists, and
    // uploaded says it is complete (then the entry is sent like text, file.id = uploadId).
    QString filePath;
    QString fileName;
    qint64 fileSize = 0;
    qint64 fileMtimeMs = 0;
    bool fileOwned = false; // filePath is the outbox's copy: removed with the entry
    QString uploadId;
    bool uploaded = false;
    bool isUpload() const { return kind == protocol::EventKind::File && !uploaded; }
};

// What the cache holds about one room.
struct CachedRoom
{
    protocol::RoomInfo info;
    qint64 highSeq = -1; // last seq held contiguously; -1: never loaded
    qint64 lowSeq = 0;   // oldest seq held
    qint64 lastTs = 0;   // ts of the newest event held
    QString draftText;
    std::optional<qint64> draftReplyTo;
    QList<qint64> unreadSeqs;  // text events by others after read_seq
    QList<qint64> mentionSeqs; // the subset that mention the user
};

struct CacheSnapshot
{
    QString epoch;
    QString user;
    QList<CachedRoom> rooms;
    QList<protocol::MemberInfo> members; // of every room, deduplicated by user
    QString error;
};

struct EventPage
{
    QString room;
    QList<protocol::Event> events; // ascending
    QString error;
};

// One page of a search of the cache (StoreWorker::searchCache), the offline stand-in for
// the server's search reply.
struct CacheSearchResult
{
    QList<protocol::SearchHit> hits; // newest first (ts desc, then seq desc), or by relevance
    std::optional<QString> cursor;   // more hits: pass back for the next page
    std::optional<search::ParseError> error; // the query did not parse (token + message)
    QString failure;                         // a SQL failure, for the log; hits empty
};

} // namespace confab::client
