#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QString>
#include <optional>

// The bench message body and the lean read path for the frames that dominate a run.
namespace confab::bench {

// Wall-clock microseconds since the Unix epoch. Senders and receivers live in the same
// process, but a wall clock keeps the stamp meaningful if they ever do not.
qint64 nowUs();

// "cb1 <sender> <n> <t_us> <padding>": sender index, the sender's own counter (1, 2, ...)
// and the send time, padded with 'x' to `bytes` so payload size is a real knob.
QString makeBody(int sender, qint64 n, qint64 tUs, int bytes);

struct BodyStamp
{
    int sender = -1;
    qint64 n = 0;
    qint64 tUs = 0;
};
std::optional<BodyStamp> parseBody(QStringView body);

// The "type" of a JSON frame without parsing it: the value of the first "type":"..."
// member. Inside a JSON string every quote is escaped, so the pattern cannot come from
// a body; the only nested objects in server frames (rooms, members) have no "type".
QByteArrayView frameType(QByteArrayView frame);

// The fields of an `event` (or, against the ws peer, of the `send` it echoes) that the
// harness checks. Decoding the few fields with QJsonDocument costs a fifth of the full
// validating decode in the shared codec, which matters at 10^5 deliveries per second;
// --full-decode switches back to the codec for everything.
struct LeanEvent
{
    QString room;
    qint64 seq = 0;
    QString from;
    QString kind;
    QString body;
    QString clientMsgId;
};
std::optional<LeanEvent> leanDecode(const QByteArray &frame);

} // namespace confab::bench
