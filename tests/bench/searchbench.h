#pragma once

#include "histogram.h"
#include "protocol/messages.h"

#include <QMap>
#include <QString>
#include <QStringList>
#include <vector>

// The search scenario's text and queries. Everything is a pure function of the message
// or query number (and the run's shape), so a rerun with --no-seed on a seeded store asks
// the same queries and knows what the store holds without reading it back.
namespace confab::bench {

class RunPlan;

// A made-up vocabulary drawn from a Zipf distribution: a few words are in most messages
// (huge posting lists), most words are in a handful.
class Vocabulary
{
public:
    static constexpr int kWords = 20000;
    static constexpr double kExponent = 1.1;
    // Words below this rank have 4 letters (and are prefixes of some 6-letter ones); from
    // here on every word has 6 letters, so a rare word finds only itself.
    static constexpr int kFirstLong = 4900;

    Vocabulary();
    // The word of a rank (0: the most frequent), lowercase ASCII, consonant first.
    static QString word(int rank);
    // A rank drawn from the distribution; u uniform in [0, 1).
    int draw(double u) const;

private:
    std::vector<double> m_cdf;
};

// A small, fast, deterministic generator (splitmix64): the same numbers on every
// platform, seeded by what it is for.
class SplitMix
{
public:
    explicit SplitMix(quint64 seed)
        : m_state(seed)
    {
    }
    quint64 next();
    double unit() { return double(next() >> 11) * 0x1.0p-53; } // [0, 1)
    int below(int n) { return n <= 0 ? 0 : int(next() % quint64(n)); }

private:
    quint64 m_state;
};

// One seeded message: where it went, who sent it, its words.
struct SeedMessage
{
    int client = -1; // the plan's client that sends it
    int room = -1;   // the plan's room index
    QString text;
    // The two adjacent vocabulary words of the text with the rarest of them (a phrase
    // that finds few other messages).
    QString phrase;
};

class SearchCorpus
{
public:
    explicit SearchCorpus(const RunPlan *plan);

    qint64 messages() const { return m_messages; }
    // Message k (0 <= k < messages()): sent by client k % clients as its (k / clients)-th.
    SeedMessage message(qint64 k) const;
    // The message client sends as its n-th (0-based); k < 0 when it has sent them all.
    qint64 messageOf(int client, qint64 n) const;
    const Vocabulary &vocabulary() const { return m_vocabulary; }

private:
    const RunPlan *m_plan;
    qint64 m_messages;
    Vocabulary m_vocabulary;
};

// The query kinds, in the order the mix cycles through them.
enum class SearchKind {
    Rare,      // one rare word
    Common,    // one of the ten most frequent words
    TwoWords,  // two words of one seeded message
    Prefix,    // the first three letters of a frequent word
    Phrase,    // two adjacent words of a seeded message, quoted; checked to find it
    From,      // word + from:user
    In,        // word + in:#room
    After,     // word + after:<today>
    HasLink,   // has:link + word
    Relevance, // word, order relevance
};
inline constexpr int kSearchKinds = 10;
QString searchKindName(SearchKind kind);

// One query of the mix and what it must find.
struct SearchQuery
{
    SearchKind kind = SearchKind::Rare;
    bool scoped = false; // the request names one room (`room`), else all rooms
    protocol::SearchRequest request;
    qint64 expect = -1; // Phrase: the seeded message it must find
    QString label() const;
};

// Query i of a searching client: kinds in turn, all rooms and one room in turn.
SearchQuery makeQuery(const SearchCorpus &corpus, const RunPlan &plan, int client, qint64 i);

// Whether hit is seeded message k: same room and sender, and every fragment of its
// snippet (hit marks and ellipses removed) is part of the text.
bool hitIsMessage(const protocol::SearchHit &hit, const SeedMessage &m, const RunPlan &plan);

struct SearchKindStats
{
    LatencyHistogram latency; // send -> reply, microseconds
    qint64 requests = 0;      // replies in the measured window
    qint64 empty = 0;         // ... with no results
    qint64 timedOut = 0;
    qint64 errors = 0; // answered with an error
    void merge(const SearchKindStats &o);
};

struct SearchStats
{
    SearchKindStats all;
    QMap<QString, SearchKindStats> kinds; // by SearchQuery::label()
    qint64 indexing = 0;                  // replies saying the index is not complete
    // Phrase checks (every phrase query, warm-up included): the message was among the
    // results; it was not and the results were complete (a miss, an error); it was not
    // but the page was full or the search timed out (cannot tell).
    qint64 phraseFound = 0;
    qint64 phraseMissed = 0;
    qint64 phraseUnverified = 0;
    qint64 errorsTotal = 0; // search errors, warm-up included
    void merge(const SearchStats &o);
};

} // namespace confab::bench
