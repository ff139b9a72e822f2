#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QtEndian>
#include <optional>

// WebSocket frames exactly as a test spells them: any first byte, any length encoding,
// any declared length, masked or not. wire::makeFrame() writes only correct frames.
namespace confab::testing {

enum class FrameLength { Shortest, Seven, Sixteen, SixtyFour };

inline constexpr quint8 kFin = 0x80;

inline QByteArray rawFrame(quint8 first, QByteArrayView payload, bool mask,
                           FrameLength form = FrameLength::Shortest,
                           std::optional<quint64> declared = {})
{
    static constexpr char kMaskKey[4] = {'\x37', '\xfa', '\x21', '\x3d'};
    const quint64 length = declared.value_or(quint64(payload.size()));
    if (form == FrameLength::Shortest) {
        form = length < 126       ? FrameLength::Seven
               : length <= 0xFFFF ? FrameLength::Sixteen
                                  : FrameLength::SixtyFour;
    }
    QByteArray out(1, char(first));
    const char maskBit = mask ? char(0x80) : char(0);
    if (form == FrameLength::Seven) {
        out.append(char(maskBit | char(length)));
    } else if (form == FrameLength::Sixteen) {
        out.append(char(maskBit | 126));
        char bytes[2];
        qToBigEndian(quint16(length), bytes);
        out.append(bytes, 2);
    } else {
        out.append(char(maskBit | 127));
        char bytes[8];
        qToBigEndian(length, bytes);
        out.append(bytes, 8);
    }
    if (mask)
        out.append(kMaskKey, 4);
    for (qsizetype i = 0; i < payload.size(); ++i)
        out.append(mask ? char(payload[i] ^ kMaskKey[i & 3]) : payload[i]);
    return out;
}

// The payload of a Close frame: the code, then the reason as given (valid or not).
inline QByteArray closePayload(quint16 code, QByteArrayView reason = {})
{
    QByteArray p(2, Qt::Uninitialized);
    qToBigEndian(code, p.data());
    return p + reason.toByteArray();
}

} // namespace confab::testing
