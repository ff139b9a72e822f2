#include "session/mentions.h"

namespace confab::client {

namespace {
bool isWordChar(QChar c)
{
    return c.isLetterOrNumber() || c == u'_' || c == u'-' || c == u'.';
}

bool containsWord(const QString &body, const QString &word)
{
    if (word.isEmpty())
        return false;
    qsizetype from = 0;
    while (true) {
        const qsizetype at = body.indexOf(word, from, Qt::CaseInsensitive);
        if (at < 0)
            return false;
        const qsizetype end = at + word.size();
        const bool startOk = at == 0 || !isWordChar(body.at(at - 1)) || body.at(at - 1) == u'@';
        // A trailing '.' ends a sentence, not a name.
        const bool endOk =
            end >= body.size() || !isWordChar(body.at(end)) ||
            (body.at(end) == u'.' && (end + 1 >= body.size() || !isWordChar(body.at(end + 1))));
        if (startOk && endOk)
            return true;
        from = at + 1;
    }
}
} // namespace

bool mentionsUser(const QString &body, const QString &user, const QString &displayName)
{
    if (containsWord(body, QStringLiteral("@room")) || containsWord(body, QStringLiteral("@all")))
        return true;
    if (containsWord(body, user))
        return true;
    return displayName.compare(user, Qt::CaseInsensitive) != 0 && containsWord(body, displayName);
}

} // namespace confab::client
