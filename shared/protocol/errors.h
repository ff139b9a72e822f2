#pragma once

#include <QString>
#include <optional>

namespace confab::protocol {

inline constexpr int kProtocolVersion = 1;
inline constexpr const char *kSubprotocol = "confab.v1";
inline constexpr quint16 kDefaultPort = 7680;
inline constexpr quint16 kDefaultDiscoveryPort = 7681;

// Error codes carried by {"type":"error"}; the wire names are in errorCodeName().
enum class ErrorCode {
    BadRequest,
    Unauthenticated,
    Forbidden,
    NotFound,
    Conflict,
    TooLarge,
    RateLimited,
    Unavailable,
    Internal,
    Invalid, // a search query the server cannot run (names the offending token)
};
inline constexpr size_t kErrorCodeCount = size_t(ErrorCode::Invalid) + 1;

QString errorCodeName(ErrorCode code);
std::optional<ErrorCode> errorCodeFromName(const QString &name);

// WebSocket close codes used by the protocol. ProtocolError and InvalidPayload are the
// framing layer's (RFC 6455 7.4.1): a frame that breaks the framing rules, and a text
// message or close reason that is not UTF-8.
enum class CloseCode : quint16 {
    Normal = 1000,
    GoingAway = 1001,
    ProtocolError = 1002,
    InvalidPayload = 1007,
    PolicyViolation = 1008,
    TooLarge = 1009,
    InternalError = 1011,
    TooSlow = 4000,
    AuthFailed = 4001,
    UnsupportedVersion = 4002,
    Idle = 4003,
};

// Limits the server announces in welcome; the defaults are the protocol's.
struct Limits
{
    int maxBodyBytes = 16384;
    int maxFrameBytes = 65536;
    int ratePerSecond = 20;
    int burst = 50;
    friend bool operator==(const Limits &, const Limits &) = default;
};

inline constexpr int kMaxHistoryLimit = 200;
inline constexpr int kMaxSearchLimit = 50;
inline constexpr int kMaxSearchCursorChars = 200;
inline constexpr int kMaxReplayPerRoom = 500;
inline constexpr int kMaxClientMsgIdChars = 64;
inline constexpr int kMaxEmojiBytes = 32;
inline constexpr int kFileIdChars = 32;
inline constexpr int kMaxFileNameBytes = 255;
inline constexpr int kMaxMimeChars = 127;
inline constexpr int kMaxUserNameChars = 32;
inline constexpr int kMaxChannelNameChars = 40;
inline constexpr int kMinPasswordBytes = 8;
inline constexpr int kMaxPasswordBytes = 1024;
inline constexpr int kMaxDisplayNameChars = 64;
inline constexpr int kMaxTopicBytes = 1024;
inline constexpr int kMaxJsonDepth = 16;
// Seqs, ids and timestamps must survive a round trip through a JSON double.
inline constexpr qint64 kMaxSafeInteger = (qint64(1) << 53) - 1;

} // namespace confab::protocol
