#include "search/searchquery.h"

#include "protocol/names.h"

#include <QDate>
#include <QDateTime>
#include <QRegularExpression>
#include <QTimeZone>

namespace confab::search {

using namespace Qt::StringLiterals;

namespace {

// One piece of the query as typed: a word (possibly name:value) or a quoted phrase.
struct Piece
{
    QString text;
    bool quoted = false;
    bool negated = false;
};

QList<Piece> split(const QString &text)
{
    QList<Piece> pieces;
    qsizetype i = 0;
    const qsizetype n = text.size();
    while (i < n) {
        while (i < n && text.at(i).isSpace())
            ++i;
        if (i >= n)
            break;
        Piece p;
        if (text.at(i) == u'-' && i + 1 < n && !text.at(i + 1).isSpace()) {
            p.negated = true;
            ++i;
        }
        if (text.at(i) == u'"') {
            // A quote left open runs to the end: what someone typing sees as a phrase.
            const qsizetype close = text.indexOf(u'"', i + 1);
            const qsizetype end = close < 0 ? n : close;
            p.text = text.mid(i + 1, end - i - 1).trimmed();
            p.quoted = true;
            i = close < 0 ? n : close + 1;
        } else {
            const qsizetype start = i;
            while (i < n && !text.at(i).isSpace())
                ++i;
            p.text = text.mid(start, i - start);
        }
        pieces.append(p);
    }
    return pieces;
}

std::optional<QDate> parseDay(const QString &value)
{
    static const QRegularExpression kDay(u"^\\d{4}-\\d{2}-\\d{2}$"_s);
    if (!kDay.match(value).hasMatch())
        return std::nullopt;
    const QDate day = QDate::fromString(value, Qt::ISODate);
    return day.isValid() ? std::optional(day) : std::nullopt;
}

qint64 startOfDay(QDate day, int tzOffsetMinutes)
{
    return QDateTime(day, QTime(0, 0), QTimeZone(tzOffsetMinutes * 60)).toMSecsSinceEpoch();
}

QString quoted(const QString &text)
{
    QString escaped = text;
    escaped.replace(u'"', u"\"\""_s);
    return u'"' + escaped + u'"';
}

QString likeEscaped(const QString &text)
{
    QString out;
    for (QChar c : text) {
        if (c == u'%' || c == u'_' || c == u'\\')
            out += u'\\';
        out += c;
    }
    return out;
}

ParseError error(const QString &token, const QString &message)
{
    return ParseError{token, message};
}

} // namespace

bool isIndexable(const QString &text)
{
    for (QChar c : text) {
        if (c.isLetterOrNumber())
            return true;
    }
    // A character outside the BMP (most CJK extensions, emoji) comes as a surrogate pair.
    for (qsizetype i = 0; i + 1 < text.size(); ++i) {
        if (text.at(i).isHighSurrogate() && text.at(i + 1).isLowSurrogate()) {
            const char32_t ucs4 = QChar::surrogateToUcs4(text.at(i), text.at(i + 1));
            if (QChar::isLetterOrNumber(ucs4))
                return true;
        }
    }
    return false;
}

std::variant<Query, ParseError> parseQuery(const QString &text, int tzOffsetMinutes)
{
    if (text.size() > kMaxQueryChars)
        return error(text.left(20) + u"…"_s,
                     u"a query may have at most %1 characters"_s.arg(kMaxQueryChars));
    Query q;
    int terms = 0;
    bool sawAnything = false;
    for (const Piece &p : split(text)) {
        sawAnything = true;
        const qsizetype colon = p.quoted ? -1 : p.text.indexOf(u':');
        const QString name = colon > 0 ? p.text.left(colon).toLower() : QString();
        const QString value = colon > 0 ? p.text.mid(colon + 1) : QString();
        const QString typed = (p.negated ? u"-"_s : QString()) + p.text;
        static const QStringList kOperators = {u"from"_s, u"in"_s,  u"after"_s, u"before"_s,
                                               u"on"_s,   u"has"_s, u"is"_s};
        if (kOperators.contains(name)) {
            if (p.negated)
                return error(typed, u"%1: cannot be negated"_s.arg(name));
            if (value.isEmpty())
                return error(typed, u"%1: needs a value, e.g. %2"_s.arg(
                                        name, name == u"from"_s  ? u"from:alice"_s
                                              : name == u"in"_s  ? u"in:#general"_s
                                              : name == u"has"_s ? u"has:file"_s
                                              : name == u"is"_s  ? u"is:mention"_s
                                                                 : name + u":2026-12-07"_s));
            if (name == u"from"_s) {
                const QString user =
                    protocol::foldUserName(value.startsWith(u'@') ? value.mid(1) : value);
                if (!protocol::isValidUserName(user))
                    return error(typed, u"'%1' is not a user name"_s.arg(value));
                if (q.from && *q.from != user)
                    return error(typed, u"only one from: per query"_s);
                q.from = user;
            } else if (name == u"in"_s) {
                InTarget target;
                if (value.startsWith(u'@')) {
                    target.kind = InTarget::Kind::Direct;
                    target.name = protocol::foldUserName(value.mid(1));
                    if (!protocol::isValidUserName(target.name))
                        return error(typed, u"'%1' is not a user name"_s.arg(value.mid(1)));
                } else {
                    target.name = (value.startsWith(u'#') ? value.mid(1) : value).toLower();
                    if (!protocol::isValidChannelName(target.name))
                        return error(typed, u"'%1' is not a channel name"_s.arg(value));
                }
                if (q.in && *q.in != target)
                    return error(typed, u"only one in: per query"_s);
                q.in = target;
            } else if (name == u"after"_s || name == u"before"_s || name == u"on"_s) {
                const std::optional<QDate> day = parseDay(value);
                if (!day)
                    return error(typed,
                                 u"%1: wants a day as YYYY-MM-DD, e.g. %1:2026-12-07"_s.arg(name));
                const qint64 start = startOfDay(*day, tzOffsetMinutes);
                const qint64 next = startOfDay(day->addDays(1), tzOffsetMinutes);
                if (name != u"before"_s)
                    q.fromMs = std::max(q.fromMs.value_or(start), start);
                if (name == u"before"_s)
                    q.untilMs = std::min(q.untilMs.value_or(start), start);
                else if (name == u"on"_s)
                    q.untilMs = std::min(q.untilMs.value_or(next), next);
                if (q.fromMs && q.untilMs && *q.fromMs >= *q.untilMs)
                    return error(typed, u"no day is on or after the after: day and before the "
                                        "before: day"_s);
            } else if (name == u"has"_s) {
                const QString v = value.toLower();
                if (v == u"file"_s)
                    q.hasFile = true;
                else if (v == u"image"_s)
                    q.hasImage = true;
                else if (v == u"link"_s)
                    q.hasLink = true;
                else
                    return error(typed, u"has: takes file, image or link"_s);
            } else if (value.toLower() == u"mention"_s) {
                q.isMention = true;
            } else {
                return error(typed, u"is: takes mention"_s);
            }
            continue;
        }
        if (!isIndexable(p.text))
            continue; // punctuation alone: nothing the index could hold
        if (++terms > kMaxQueryTerms)
            return error(typed, u"a query may have at most %1 words"_s.arg(kMaxQueryTerms));
        if (p.negated)
            q.excluded.append(p.text);
        else if (p.quoted)
            q.phrases.append(p.text);
        else
            q.words.append(p.text);
    }
    const bool anyFilter = q.from || q.in || q.fromMs || q.untilMs || q.hasFile || q.hasImage ||
                           q.hasLink || q.isMention;
    if (q.words.isEmpty() && q.phrases.isEmpty() && !anyFilter)
        return error(text.trimmed(), !sawAnything ? u"the query is empty"_s
                                     : !q.excluded.isEmpty()
                                         ? u"say what to find, not only what to leave out"_s
                                         : u"the query has no word to look for"_s);
    return q;
}

namespace {

// A word as a prefix query, or as the OR of the terms it is a prefix of.
QString prefixOrTerms(const QString &word, const PrefixTerms &terms)
{
    const auto it = terms.constFind(word);
    if (it == terms.cend())
        return quoted(word) + u'*';
    if (it->isEmpty())
        return quoted(word); // no term starts with it: matches nothing, at once
    QStringList any;
    for (const QString &t : *it)
        any.append(quoted(t));
    return any.size() == 1 ? any.first() : u'(' + any.join(u" OR "_s) + u')';
}

} // namespace

QString fts5Match(const Query &query, const QString &user, const PrefixTerms &terms)
{
    QStringList parts;
    for (const QString &w : query.words)
        parts.append(prefixOrTerms(w, terms));
    for (const QString &p : query.phrases)
        parts.append(quoted(p));
    if (query.hasLink)
        parts.append(u"(\"http\" OR \"https\" OR \"www\")"_s);
    if (query.isMention)
        parts.append(u"(%1 OR \"room\" OR \"all\")"_s.arg(quoted(user)));
    if (parts.isEmpty())
        return {};
    const QString match = parts.join(u" AND "_s);
    const QString excluded = fts5Excluded(query, terms);
    return excluded.isEmpty() ? match : u"(%1) NOT (%2)"_s.arg(match, excluded);
}

QString fts5Excluded(const Query &query, const PrefixTerms &terms)
{
    QStringList out;
    for (const QString &w : query.excluded)
        out.append(prefixOrTerms(w, terms));
    return out.join(u" OR "_s);
}

QStringList linkPatterns()
{
    return {u"%http://%"_s, u"%https://%"_s, u"%www.%"_s};
}

QStringList mentionPatterns(const QString &user)
{
    return {u"%"_s + likeEscaped(user) + u"%"_s, u"%@room%"_s, u"%@all%"_s};
}

} // namespace confab::search
