#include "body.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <chrono>

namespace confab::bench {

using namespace Qt::StringLiterals;

qint64 nowUs()
{
    using namespace std::chrono;
    return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

QString makeBody(int sender, qint64 n, qint64 tUs, int bytes)
{
    QString body = u"cb1 %1 %2 %3 "_s.arg(sender).arg(n).arg(tUs);
    if (body.size() < bytes)
        body.append(QString(bytes - body.size(), u'x'));
    return body;
}

std::optional<BodyStamp> parseBody(QStringView body)
{
    if (!body.startsWith(u"cb1 "))
        return std::nullopt;
    qint64 fields[3] = {0, 0, 0};
    qsizetype pos = 4;
    for (qint64 &field : fields) {
        const qsizetype space = body.indexOf(u' ', pos);
        if (space < 0)
            return std::nullopt;
        bool ok = false;
        field = body.sliced(pos, space - pos).toLongLong(&ok);
        if (!ok)
            return std::nullopt;
        pos = space + 1;
    }
    return BodyStamp{int(fields[0]), fields[1], fields[2]};
}

QByteArrayView frameType(QByteArrayView frame)
{
    static constexpr QByteArrayView key = "\"type\":\"";
    const qsizetype at = frame.indexOf(key);
    if (at < 0)
        return {};
    const qsizetype start = at + key.size();
    const qsizetype end = frame.indexOf('"', start);
    if (end < 0)
        return {};
    return frame.sliced(start, end - start);
}

std::optional<LeanEvent> leanDecode(const QByteArray &frame)
{
    const QJsonDocument doc = QJsonDocument::fromJson(frame);
    if (!doc.isObject())
        return std::nullopt;
    const QJsonObject o = doc.object();
    LeanEvent e;
    e.room = o.value("room"_L1).toString();
    e.seq = o.value("seq"_L1).toInteger(-1);
    e.from = o.value("from"_L1).toString();
    e.kind = o.value("kind"_L1).toString(u"text"_s);
    e.body = o.value("body"_L1).toString();
    e.clientMsgId = o.value("client_msg_id"_L1).toString();
    if (e.room.isEmpty())
        return std::nullopt;
    return e;
}

} // namespace confab::bench
