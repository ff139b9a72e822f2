#include "protocol/names.h"

#include "protocol/errors.h"

namespace confab::protocol {

namespace {
bool isLowerAlnum(QChar c)
{
    return (c >= QLatin1Char('a') && c <= QLatin1Char('z')) ||
           (c >= QLatin1Char('0') && c <= QLatin1Char('9'));
}
} // namespace

QString foldUserName(const QString &name)
{
    // ASCII only: QString::toLower() maps look-alikes such as U+212A KELVIN SIGN to 'k',
    // which would turn a name outside [a-z0-9._-] into a valid (someone else's) name.
    QString folded = name;
    for (QChar &c : folded) {
        if (c >= QLatin1Char('A') && c <= QLatin1Char('Z'))
            c = QChar(c.unicode() + ('a' - 'A'));
    }
    return folded;
}

bool isValidUserName(const QString &folded)
{
    if (folded.isEmpty() || folded.size() > kMaxUserNameChars)
        return false;
    for (QChar c : folded) {
        if (!isLowerAlnum(c) && c != QLatin1Char('.') && c != QLatin1Char('_') &&
            c != QLatin1Char('-'))
            return false;
    }
    return true;
}

bool isValidChannelName(const QString &name)
{
    if (name.isEmpty() || name.size() > kMaxChannelNameChars)
        return false;
    for (QChar c : name) {
        if (!isLowerAlnum(c) && c != QLatin1Char('_') && c != QLatin1Char('-'))
            return false;
    }
    return true;
}

QString dmRoomId(const QString &a, const QString &b)
{
    return a < b ? QStringLiteral("dm:%1:%2").arg(a, b) : QStringLiteral("dm:%1:%2").arg(b, a);
}

std::optional<DmPair> parseDmRoomId(const QString &room)
{
    if (!room.startsWith(QLatin1String("dm:")))
        return std::nullopt;
    const QStringView rest = QStringView(room).mid(3);
    const qsizetype colon = rest.indexOf(QLatin1Char(':'));
    if (colon < 0)
        return std::nullopt;
    DmPair pair{rest.left(colon).toString(), rest.mid(colon + 1).toString()};
    if (!isValidUserName(pair.first) || !isValidUserName(pair.second))
        return std::nullopt;
    if (!(pair.first < pair.second))
        return std::nullopt;
    return pair;
}

bool isDmRoomId(const QString &room)
{
    return parseDmRoomId(room).has_value();
}

bool isValidRoomId(const QString &room)
{
    return isValidChannelName(room) || isDmRoomId(room);
}

bool isValidClientMsgId(const QString &id)
{
    if (id.isEmpty() || id.size() > kMaxClientMsgIdChars)
        return false;
    for (QChar c : id) {
        if (c.category() == QChar::Other_Control || c.isSpace())
            return false;
    }
    return true;
}

bool isValidFileId(QStringView id)
{
    if (id.size() != kFileIdChars)
        return false;
    for (QChar c : id) {
        if (!((c >= u'0' && c <= u'9') || (c >= u'a' && c <= u'f')))
            return false;
    }
    return true;
}

QString fileNameProblem(const QString &name)
{
    if (name.isEmpty())
        return QStringLiteral("is empty");
    if (name.toUtf8().size() > kMaxFileNameBytes)
        return QStringLiteral("is longer than %1 bytes").arg(kMaxFileNameBytes);
    if (name == QLatin1String(".") || name == QLatin1String(".."))
        return QStringLiteral("is not a file name");
    if (!name.isValidUtf16())
        return QStringLiteral("is not valid text");
    for (QChar c : name) {
        if (c == u'/' || c == u'\\')
            return QStringLiteral("must not contain a slash");
        if (c.category() == QChar::Other_Control)
            return QStringLiteral("must not contain control characters");
    }
    return {};
}

bool hasForbiddenControlChars(const QString &text)
{
    for (QChar c : text) {
        if (c.category() == QChar::Other_Control && c != QLatin1Char('\n') &&
            c != QLatin1Char('\t'))
            return true;
    }
    return false;
}

} // namespace confab::protocol
