#pragma once

#include <QHash>
#include <QString>
#include <QStringList>
#include <optional>
#include <variant>

// The search query language, shared by the server (which runs it over the store) and the
// desktop client (which runs it over its cache when the server cannot be reached).
//
//   deploy failed          words: every one must occur, each as a word prefix
//   "deploy failed"        a phrase: the words in this order
//   -staging               no message with a word starting "staging"
//   from:alice             sent by alice (from:@alice too)
//   in:#ops  in:ops        in channel ops;  in:@bob  the direct messages with bob
//   after:2026-11-01       on or after that day;  before:2026-12-01  before that day;
//   on:2026-11-15          that day (days in the asker's time zone)
//   has:file  has:image  has:link    is:mention (the asker's name, @room or @all)
//
// Operator names are case-insensitive; a word with a colon whose name is no operator
// ("re:", "http://...") is text.
namespace confab::search {

struct InTarget
{
    enum class Kind { Channel, Direct };
    Kind kind = Kind::Channel;
    QString name; // channel id, or the other user's folded name
    friend bool operator==(const InTarget &, const InTarget &) = default;
};

struct Query
{
    QStringList words;           // matched as prefixes
    QStringList phrases;         // matched whole, in order
    QStringList excluded;        // words no hit may contain (as prefixes)
    std::optional<QString> from; // folded user name
    std::optional<InTarget> in;
    std::optional<qint64> fromMs;  // ts >= fromMs (after:, on:)
    std::optional<qint64> untilMs; // ts < untilMs (before:, on:)
    bool hasFile = false;
    bool hasImage = false;
    bool hasLink = false;
    bool isMention = false;

    // Something for the full-text index to match (words, phrases, a link or a mention).
    bool usesIndex() const
    {
        return !words.isEmpty() || !phrases.isEmpty() || hasLink || isMention;
    }
    friend bool operator==(const Query &, const Query &) = default;
};

struct ParseError
{
    QString token;   // the offending part of the query, as typed
    QString message; // what is wrong with it, for people
};

inline constexpr int kMaxQueryChars = 500;
inline constexpr int kMaxQueryTerms = 16; // words, phrases and excluded words together

// tzOffsetMinutes: the asker's offset from UTC (east positive), for the day operators.
std::variant<Query, ParseError> parseQuery(const QString &text, int tzOffsetMinutes);

// A word (as the query holds it) -> every term of the index it is a prefix of: the word
// is then matched as the OR of those terms, which FTS5 reads newest first and stops at
// a page's end, where a prefix query merges all of its terms' hits before the first row.
using PrefixTerms = QHash<QString, QStringList>;

// The FTS5 MATCH expression of the query's text part (words as prefix queries, or as
// their terms where `terms` lists them; phrases; excluded words; the tokens a link or a
// mention of user needs), or empty when !usesIndex(). Every string is quoted, so no input
// is read as FTS5 syntax.
QString fts5Match(const Query &query, const QString &user, const PrefixTerms &terms = {});
// The excluded words as one FTS5 expression (any of them), for a query the index does not
// drive (!usesIndex()): its hits are checked against it. Empty without excluded words.
QString fts5Excluded(const Query &query, const PrefixTerms &terms = {});

// SQL LIKE patterns (escape character '\') one of which the text of a has:link or
// is:mention hit must contain: the index only narrows to rows with the right words.
QStringList linkPatterns();
QStringList mentionPatterns(const QString &user);

// The text of a word or phrase as the index sees it: false when it has no letter or
// digit (punctuation alone matches nothing and is dropped).
bool isIndexable(const QString &text);

} // namespace confab::search
