#include "searchbench.h"

#include "plan.h"

#include <QDateTime>
#include <algorithm>
#include <cmath>

namespace confab::bench {

using namespace Qt::StringLiterals;

namespace {

constexpr char kConsonants[] = "bdfgklmnprstvz";
constexpr char kVowels[] = "aeiou";
constexpr int kSyllables = 14 * 5;
static_assert(Vocabulary::kFirstLong == kSyllables * kSyllables);
constexpr int kMinWords = 5;
constexpr int kMaxWords = 25;
constexpr double kLinkShare = 0.05;
constexpr double kMentionShare = 0.05;
constexpr quint64 kCorpusSeed = 0x636f6e666162ULL; // "confab"
constexpr quint64 kQuerySeed = 0x7365617263680000ULL;
// The words the operator kinds look for: frequent, not the most frequent.
constexpr int kFilterWordFirst = 10;
constexpr int kFilterWords = 90;
constexpr int kCommonWords = 10;
constexpr int kPrefixWords = 200;

void appendSyllable(QString &out, int s)
{
    out.append(QLatin1Char(kConsonants[s / 5]));
    out.append(QLatin1Char(kVowels[s % 5]));
}

// A token of a message: a vocabulary word (its rank) or something else (a link, a
// mention: rank -1).
struct Token
{
    QString text;
    int rank = -1;
};

quint64 mix(quint64 a, quint64 b)
{
    SplitMix m(a ^ (b * 0x9E3779B97F4A7C15ULL));
    return m.next();
}

int filterWordRank(SplitMix &rng)
{
    return kFilterWordFirst + rng.below(kFilterWords);
}

} // namespace

quint64 SplitMix::next()
{
    quint64 z = (m_state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

Vocabulary::Vocabulary()
    : m_cdf(size_t(kWords))
{
    double sum = 0;
    for (int r = 0; r < kWords; ++r) {
        sum += 1.0 / std::pow(double(r + 1), kExponent);
        m_cdf[size_t(r)] = sum;
    }
    for (double &c : m_cdf)
        c /= sum;
}

QString Vocabulary::word(int rank)
{
    // Multiplying by a number prime to the count spreads neighbouring ranks over the
    // alphabet (the frequent words do not all start with "ba").
    QString out;
    if (rank < kFirstLong) {
        const int i = int((qint64(rank) * 1637) % kFirstLong);
        appendSyllable(out, i / kSyllables);
        appendSyllable(out, i % kSyllables);
        return out;
    }
    constexpr qint64 kLong = qint64(kSyllables) * kSyllables * kSyllables;
    const qint64 i = (qint64(rank - kFirstLong) * 7919) % kLong;
    appendSyllable(out, int(i / (kSyllables * kSyllables)));
    appendSyllable(out, int(i / kSyllables % kSyllables));
    appendSyllable(out, int(i % kSyllables));
    return out;
}

int Vocabulary::draw(double u) const
{
    const auto it = std::upper_bound(m_cdf.cbegin(), m_cdf.cend(), u);
    return int(std::min<qsizetype>(it - m_cdf.cbegin(), kWords - 1));
}

SearchCorpus::SearchCorpus(const RunPlan *plan)
    : m_plan(plan)
    , m_messages(plan->options().messages)
{
}

qint64 SearchCorpus::messageOf(int client, qint64 n) const
{
    const qint64 k = qint64(client) + n * m_plan->clients();
    return k < m_messages ? k : -1;
}

SeedMessage SearchCorpus::message(qint64 k) const
{
    SplitMix rng(mix(kCorpusSeed, quint64(k)));
    SeedMessage m;
    m.client = int(k % m_plan->clients());
    // Rooms of different sizes: a client's first room gets the most of its messages,
    // its j-th 1/(j+1) as many.
    const std::vector<int> &rooms = m_plan->roomsOf(m.client);
    if (!rooms.empty()) {
        double total = 0;
        for (size_t j = 0; j < rooms.size(); ++j)
            total += 1.0 / double(j + 1);
        double u = rng.unit() * total;
        size_t j = 0;
        while (j + 1 < rooms.size() && (u -= 1.0 / double(j + 1)) >= 0)
            ++j;
        m.room = rooms[j];
    }
    const int count = kMinWords + rng.below(kMaxWords - kMinWords + 1);
    std::vector<Token> tokens;
    tokens.reserve(size_t(count) + 2);
    for (int i = 0; i < count; ++i) {
        const int rank = m_vocabulary.draw(rng.unit());
        tokens.push_back({Vocabulary::word(rank), rank});
    }
    if (rng.unit() < kLinkShare) {
        const QString link = u"https://%1.example.org/%2/%3"_s.arg(
            Vocabulary::word(m_vocabulary.draw(rng.unit())),
            Vocabulary::word(m_vocabulary.draw(rng.unit())), QString::number(rng.below(100000)));
        tokens.insert(tokens.begin() + rng.below(count + 1), {link, -1});
    }
    if (rng.unit() < kMentionShare) {
        const QString mention = u'@' + m_plan->userName(rng.below(m_plan->clients()));
        tokens.insert(tokens.begin() + rng.below(int(tokens.size()) + 1), {mention, -1});
    }
    QStringList words;
    int best = -1;
    for (size_t i = 0; i < tokens.size(); ++i) {
        words.append(tokens[i].text);
        if (i + 1 < tokens.size() && tokens[i].rank >= 0 && tokens[i + 1].rank >= 0) {
            const int rarer = std::max(tokens[i].rank, tokens[i + 1].rank);
            if (best < 0 ||
                rarer > std::max(tokens[size_t(best)].rank, tokens[size_t(best) + 1].rank))
                best = int(i);
        }
    }
    m.text = words.join(u' ');
    if (best >= 0)
        m.phrase = tokens[size_t(best)].text + u' ' + tokens[size_t(best) + 1].text;
    return m;
}

QString searchKindName(SearchKind kind)
{
    static const char *const kNames[kSearchKinds] = {
        "rare", "common", "two-words", "prefix",   "phrase",
        "from", "in",     "after",     "has-link", "relevance",
    };
    return QLatin1StringView(kNames[int(kind)]);
}

QString SearchQuery::label() const
{
    if (kind == SearchKind::In)
        return searchKindName(kind);
    return searchKindName(kind) + (scoped ? u"/room"_s : u"/all"_s);
}

SearchQuery makeQuery(const SearchCorpus &corpus, const RunPlan &plan, int client, qint64 i)
{
    SplitMix rng(mix(kQuerySeed ^ quint64(client), quint64(i)));
    SearchQuery q;
    q.kind = SearchKind((i + client) % kSearchKinds);
    // Each kind goes to all rooms one round and to one room the next.
    q.scoped = q.kind != SearchKind::In && ((i / kSearchKinds) + client) % 2 == 1;
    int room = rng.below(plan.rooms());
    const auto word = [](int rank) {
        return Vocabulary::word(rank);
    };
    const auto seeded = [&] {
        return qint64(rng.next() % quint64(corpus.messages()));
    };
    QString &text = q.request.query;
    switch (q.kind) {
    case SearchKind::Rare:
        text =
            word(Vocabulary::kFirstLong + rng.below(Vocabulary::kWords - Vocabulary::kFirstLong));
        break;
    case SearchKind::Common:
        text = word(rng.below(kCommonWords));
        break;
    case SearchKind::TwoWords: {
        const QStringList words = corpus.message(seeded()).text.split(u' ');
        QStringList plain;
        for (const QString &w : words) {
            if (!w.contains(u':') && !w.startsWith(u'@') && !plain.contains(w))
                plain.append(w);
        }
        const int a = rng.below(int(plain.size()));
        const int b = (a + 1 + rng.below(std::max(1, int(plain.size()) - 1))) % int(plain.size());
        text = plain.value(a) + u' ' + plain.value(b);
        break;
    }
    case SearchKind::Prefix:
        text = word(rng.below(kPrefixWords)).left(3);
        break;
    case SearchKind::Phrase: {
        q.expect = seeded();
        const SeedMessage m = corpus.message(q.expect);
        text = u'"' + m.phrase + u'"';
        room = m.room;
        break;
    }
    case SearchKind::From:
        text = word(filterWordRank(rng)) + u" from:"_s + plan.userName(rng.below(plan.clients()));
        break;
    case SearchKind::In:
        text = word(filterWordRank(rng)) + u" in:#"_s + plan.roomId(room);
        break;
    case SearchKind::After:
        text = word(filterWordRank(rng)) + u" after:"_s +
               QDateTime::currentDateTimeUtc().date().toString(Qt::ISODate);
        break;
    case SearchKind::HasLink:
        text = u"has:link "_s + word(filterWordRank(rng));
        break;
    case SearchKind::Relevance:
        text = word(filterWordRank(rng));
        q.request.order = protocol::SearchOrder::Relevance;
        break;
    }
    if (q.scoped)
        q.request.room = plan.roomId(room);
    return q;
}

bool hitIsMessage(const protocol::SearchHit &hit, const SeedMessage &m, const RunPlan &plan)
{
    if (hit.room != plan.roomId(m.room) || hit.from != plan.userName(m.client))
        return false;
    QString snippet = hit.snippet;
    snippet.remove(protocol::kHitStart);
    snippet.remove(protocol::kHitEnd);
    for (const QString &fragment : snippet.split(u'…', Qt::SkipEmptyParts)) {
        const QString f = fragment.trimmed();
        if (!f.isEmpty() && !m.text.contains(f))
            return false;
    }
    return true;
}

void SearchKindStats::merge(const SearchKindStats &o)
{
    latency.merge(o.latency);
    requests += o.requests;
    empty += o.empty;
    timedOut += o.timedOut;
    errors += o.errors;
}

void SearchStats::merge(const SearchStats &o)
{
    all.merge(o.all);
    for (auto it = o.kinds.cbegin(); it != o.kinds.cend(); ++it)
        kinds[it.key()].merge(it.value());
    indexing += o.indexing;
    phraseFound += o.phraseFound;
    phraseMissed += o.phraseMissed;
    phraseUnverified += o.phraseUnverified;
    errorsTotal += o.errorsTotal;
}

} // namespace confab::bench
