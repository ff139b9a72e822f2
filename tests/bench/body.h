#pragma once

#include <QString>
#include <optional>

// The bench message body: who sent it, its number and when (the fast read path for the
// frames that carry it is in scan.h).
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

} // namespace confab::bench
