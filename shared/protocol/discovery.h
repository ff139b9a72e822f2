#pragma once

#include "protocol/errors.h"

#include <QByteArray>
#include <QString>
#include <optional>

// LAN discovery datagrams (UDP), shared by the server that answers and the client that
// asks. A probe is padded to a fixed size and the server answers only a probe at least
// as large as its answer, so a forged source address never gets more bytes sent to it
// than the forger sent.
namespace confab::protocol {

inline constexpr const char *kDiscoveryGroup = "239.255.76.81";
inline constexpr qsizetype kProbeSize = 512;        // what encodeProbe() produces
inline constexpr qsizetype kMaxDatagramSize = 1400; // anything larger is not ours

struct DiscoveryProbe
{
    QString nonce; // 8 to 64 lowercase hex characters, echoed by the answer
};

struct DiscoveryAnswer
{
    QString nonce;
    QString name;     // the server's LAN name
    QString host;     // its host name
    quint16 port = 0; // the WebSocket port
    int protocol = 0; // protocol version
    bool tls = false;
    bool tlsRequired = false;
    QString fingerprint; // SHA-256 of the certificate, "AB:CD:..."; empty without TLS
};

QByteArray encodeProbe(const DiscoveryProbe &probe);
std::optional<DiscoveryProbe> parseProbe(QByteArrayView datagram);
QByteArray encodeAnswer(const DiscoveryAnswer &answer);
std::optional<DiscoveryAnswer> parseAnswer(QByteArrayView datagram);
// A fresh random nonce for a probe: 16 lowercase hex characters.
QString makeProbeNonce();

} // namespace confab::protocol
