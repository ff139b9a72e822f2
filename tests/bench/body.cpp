#include "body.h"

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

} // namespace confab::bench
