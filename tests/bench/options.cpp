#include "options.h"

#include <QCommandLineParser>
#include <QDateTime>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QThread>
#include <cmath>

namespace confab::bench {

using namespace Qt::StringLiterals;

namespace {

struct ScenarioName
{
    Scenario scenario;
    const char *name;
};

constexpr ScenarioName kScenarios[] = {
    {Scenario::Fanout, "fanout"},   {Scenario::Team, "team"},       {Scenario::Idle, "idle"},
    {Scenario::Connect, "connect"}, {Scenario::Durable, "durable"}, {Scenario::Resume, "resume"},
    {Scenario::Files, "files"},     {Scenario::Search, "search"},
};

// Base 36 of the clock plus a random digit pair: short enough for user names
// ("b<run>-<n>" stays far below 32 chars) and different for every run.
QString randomRunId()
{
    const quint64 v = quint64(QDateTime::currentMSecsSinceEpoch()) % 2176782336ULL; // 36^6
    return QString::number(v, 36) +
           QString::number(QRandomGenerator::global()->bounded(36 * 36), 36);
}

int ceilDiv(int a, int b)
{
    return b <= 0 ? 0 : (a + b - 1) / b;
}

// Room shape: --rooms alone splits the clients evenly; --members alone gives
// ceil(clients/members) rooms; both are taken as given (memberships then overlap).
void deriveRooms(Options &o, int defaultMembers)
{
    if (o.rooms > 0 && o.members <= 0)
        o.members = ceilDiv(o.clients, o.rooms);
    if (o.members <= 0)
        o.members = defaultMembers;
    o.members = std::min(o.members, o.clients);
    if (o.rooms <= 0)
        o.rooms = o.members > 0 ? ceilDiv(o.clients, o.members) : 0;
}

void setIfUnset(double &v, double fallback)
{
    if (v < 0)
        v = fallback;
}

} // namespace

QString scenarioName(Scenario s)
{
    for (const auto &e : kScenarios) {
        if (e.scenario == s)
            return QLatin1StringView(e.name);
    }
    return {};
}

std::optional<Scenario> scenarioFromName(const QString &name)
{
    for (const auto &e : kScenarios) {
        if (name == QLatin1StringView(e.name))
            return e.scenario;
    }
    return std::nullopt;
}

QString applyScenarioDefaults(Options &o)
{
    if (o.clients < 1)
        return u"--clients must be at least 1"_s;
    if (o.scenario == Scenario::Search) {
        // Connections 0 .. searchClients-1 search; every connection seeds.
        if (o.searchClients <= 0)
            o.searchClients = o.clients;
        o.clients = std::max(o.searchClients, o.seeders);
    }
    if (o.workers <= 0)
        o.workers = std::max(1, QThread::idealThreadCount());
    o.workers = std::min(o.workers, o.clients);
    if (o.runId.isEmpty())
        o.runId = randomRunId();
    static const QRegularExpression idPattern(u"^[a-z0-9]{1,12}$"_s);
    if (!idPattern.match(o.runId).hasMatch())
        return u"--run-id must be 1-12 characters of [a-z0-9]"_s;
    if (o.password.isEmpty())
        o.password = u"bench-pw-"_s + o.runId;
    switch (o.scenario) {
    case Scenario::Fanout:
        o.rooms = 1;
        o.members = o.clients;
        if (o.senders <= 0)
            o.senders = std::min(10, o.clients);
        setIfUnset(o.rate, 10);
        break;
    case Scenario::Team:
        deriveRooms(o, 25);
        setIfUnset(o.rate, o.clients / 30.0);
        break;
    case Scenario::Idle:
        deriveRooms(o, 50);
        setIfUnset(o.rate, 20); // liveness pings per second, all clients together
        break;
    case Scenario::Connect:
        if (o.members > 0 || o.rooms > 0)
            deriveRooms(o, 0);
        setIfUnset(o.rate, 0);
        break;
    case Scenario::Durable:
        deriveRooms(o, 20);
        setIfUnset(o.rate, 500);
        break;
    case Scenario::Resume:
        deriveRooms(o, 25);
        setIfUnset(o.rate, o.clients / 10.0);
        break;
    case Scenario::Files:
        // One room of everyone (where the shared file is posted); no text messages, no
        // warm-up: the transfers are the load.
        o.rooms = 1;
        o.members = o.clients;
        o.rate = 0;
        o.inflight = 0;
        o.warmup = 0;
        break;
    case Scenario::Search:
        if (o.rooms <= 0)
            o.rooms = 200;
        o.members = 0;
        deriveRooms(o, 1);
        o.senders = o.clients;
        o.rate = 0;
        if (o.inflight <= 0)
            o.inflight = 8;
        if (o.messages < 1 || o.seeders < 1)
            return u"--messages and --seeders must be at least 1"_s;
        break;
    }
    if (o.senders <= 0 || o.senders > o.clients)
        o.senders = o.clients;
    if (o.target == Target::WsPeer && o.scenario != Scenario::Fanout)
        return u"--peer ws runs the fanout scenario only"_s;
    if (o.target == Target::Confab && !o.url.isValid())
        return u"--url ws://host:port is required (or --peer ws)"_s;
    if (o.url.isValid() && o.url.scheme() != u"ws"_s && o.url.scheme() != u"wss"_s)
        return u"--url must be ws:// or wss://"_s;
    if (o.payload < 32 || o.payload > 16384)
        return u"--payload must be 32..16384 bytes"_s;
    if (o.duration <= 0 || o.warmup < 0)
        return u"--duration must be > 0 and --warmup >= 0"_s;
    if (o.scenario == Scenario::Files) {
        if (o.url.scheme() != u"ws"_s)
            return u"files runs over ws:// only"_s;
        if (o.fileBytes < 0 || o.chunkBytes < 0 || o.transfers < 0)
            return u"--file-size, --chunk and --transfers must not be negative"_s;
        if (o.fileContent != u"random"_s && (o.imageWidth < 1 || o.imageHeight < 1 ||
                                             o.imageWidth > 30000 || o.imageHeight > 30000))
            return u"--file-content jpeg:WxH or png:WxH needs a size of 1..30000 pixels a side"_s;
    }
    return {};
}

QString usageText()
{
    return uR"(usage: confab-bench <scenario> --url ws://HOST:PORT [options]
       confab-bench fanout --peer ws [options]
       confab-bench fanout --url ws://HOST:PORT --versus ws [options]
       confab-bench compare a.json b.json
       confab-bench summary run1.json run2.json ...   (median, min, max per metric)

scenarios: fanout team idle connect durable resume files search
The server under test needs --allow-register, --fast-password-hash (10k Argon2id
registrations are slow otherwise) and --rate 0 (or a rate above the scenario's).
)"_s;
}

namespace {

struct Flag
{
    const char *name;
    const char *help;
    const char *valueName; // nullptr: a switch
};

constexpr Flag kFlags[] = {
    {"url", "server URL, ws://host:port or wss://host:port", "url"},
    {"peer", "run against a started peer instead of --url: ws (Node ws broadcast server)", "kind"},
    {"versus", "fanout: then run the same load on a peer (ws) and compare", "kind"},
    {"clients", "connections", "n"},
    {"rooms", "rooms (default: clients / members)", "n"},
    {"members", "members per room", "n"},
    {"senders", "clients that send (default fanout 10, others all)", "n"},
    {"rate", "messages per second, all senders together (idle: pings/s)", "per-s"},
    {"inflight", "closed loop: unacked sends kept per sender (ignores --rate)", "n"},
    {"payload", "message body bytes", "bytes"},
    {"duration", "measured seconds", "s"},
    {"warmup", "seconds of load before measuring", "s"},
    {"grace", "seconds to wait for late acks and deliveries", "s"},
    {"workers", "harness threads (default: cores)", "n"},
    {"connect-rate", "setup connections per second", "per-s"},
    {"setup-concurrency", "setup handshakes in flight per worker", "n"},
    {"setup-timeout", "seconds allowed for setup", "s"},
    {"drop-interval", "resume: seconds between drop rounds", "s"},
    {"drop-fraction", "resume: share of connections dropped per round", "0..1"},
    {"reconnect-delay", "resume: seconds before reconnecting", "s"},
    {"source-addresses",
     "local addresses to connect from, comma-separated, round-robin (default: the kernel's "
     "choice; on loopback past 25,000 clients 127.0.0.1, 127.0.0.2, ...)",
     "a,b"},
    {"run-id", "name prefix of users and rooms (reuse to log in again)", "id"},
    {"password", "password of the bench users", "pw"},
    {"json", "write the JSON report here", "file"},
    {"plot", "write a PNG of latency and throughput over time", "file"},
    {"server-pid", "read server CPU/RSS from /proc/<pid> instead of /metrics", "pid"},
    {"full-decode", "decode every frame with the shared codec (slower)", nullptr},
    {"no-server-stats", "do not sample the server's CPU and memory", nullptr},
    {"qt-dispatcher", "workers use Qt's ppoll dispatcher instead of epoll (for comparison)",
     nullptr},
    {"insecure", "wss: accept any certificate", nullptr},
    {"file-mode",
     "files: upload (each client its own files, each read back) or download (all fetch one "
     "file client 0 posted)",
     "mode"},
    {"file-size", "files: bytes of random content (K, M, G: binary units)", "bytes"},
    {"file-content", "files: random, jpeg:WxH or png:WxH (an image made once, photo-like)", "kind"},
    {"transfers", "files: transfers per client (0: repeat until --duration is over)", "n"},
    {"chunk", "files: bytes per PATCH (0: the whole file in one)", "bytes"},
    {"messages", "search: messages to seed (default 1,000,000)", "n"},
    {"seeders", "search: connections that seed (default 64)", "n"},
    {"no-seed", "search: the store holds this --run-id's messages already; only search", nullptr},
    {"quiet", "no progress lines", nullptr},
};

QString flag(const Flag &f)
{
    return QLatin1StringView(f.name);
}

bool readNumbers(const QCommandLineParser &p, Options &o, QString *error)
{
    bool ok = true;
    auto num = [&](const char *name, auto &target) {
        const QString n = QLatin1StringView(name);
        if (!p.isSet(n))
            return;
        bool good = false;
        const double v = p.value(n).toDouble(&good);
        if (!good || !std::isfinite(v)) {
            *error = u"--%1 needs a number"_s.arg(n);
            ok = false;
            return;
        }
        target = static_cast<std::remove_reference_t<decltype(target)>>(v);
    };
    num("clients", o.clients);
    num("rooms", o.rooms);
    num("members", o.members);
    num("senders", o.senders);
    num("rate", o.rate);
    num("inflight", o.inflight);
    num("payload", o.payload);
    num("duration", o.duration);
    num("warmup", o.warmup);
    num("grace", o.grace);
    num("workers", o.workers);
    num("connect-rate", o.connectRate);
    num("setup-concurrency", o.setupConcurrency);
    num("setup-timeout", o.setupTimeout);
    num("drop-interval", o.dropInterval);
    num("drop-fraction", o.dropFraction);
    num("reconnect-delay", o.reconnectDelay);
    num("server-pid", o.serverPid);
    num("transfers", o.transfers);
    num("messages", o.messages);
    num("seeders", o.seeders);
    auto size = [&](const char *name, qint64 &target) {
        const QString n = QLatin1StringView(name);
        if (!ok || !p.isSet(n))
            return;
        target = parseByteSize(p.value(n));
        if (target < 0) {
            *error = u"--%1 needs a size in bytes (K, M, G allowed)"_s.arg(n);
            ok = false;
        }
    };
    size("file-size", o.fileBytes);
    size("chunk", o.chunkBytes);
    return ok;
}

bool readFileFlags(const QCommandLineParser &p, Options &o, QString *error)
{
    if (p.isSet(u"file-mode"_s)) {
        const QString mode = p.value(u"file-mode"_s);
        if (mode == u"upload"_s) {
            o.fileMode = FileMode::Upload;
        } else if (mode == u"download"_s) {
            o.fileMode = FileMode::Download;
        } else {
            *error = u"--file-mode is upload or download"_s;
            return false;
        }
    }
    if (p.isSet(u"file-content"_s)) {
        static const QRegularExpression image(u"^(jpeg|png):(\\d+)x(\\d+)$"_s);
        const QString text = p.value(u"file-content"_s);
        const QRegularExpressionMatch m = image.match(text);
        if (text == u"random"_s) {
            o.fileContent = text;
        } else if (m.hasMatch()) {
            o.fileContent = m.captured(1);
            o.imageWidth = m.captured(2).toInt();
            o.imageHeight = m.captured(3).toInt();
        } else {
            *error = u"--file-content is random, jpeg:WxH or png:WxH"_s;
            return false;
        }
    }
    return true;
}

} // namespace

qint64 parseByteSize(const QString &text)
{
    static const QRegularExpression pattern(u"^\\s*(\\d+)\\s*([kKmMgG]?)i?[bB]?\\s*$"_s);
    const QRegularExpressionMatch m = pattern.match(text);
    if (!m.hasMatch())
        return -1;
    bool ok = false;
    const qint64 n = m.captured(1).toLongLong(&ok);
    if (!ok)
        return -1;
    const QString unit = m.captured(2).toLower();
    const int shift = unit == u"k"_s ? 10 : unit == u"m"_s ? 20 : unit == u"g"_s ? 30 : 0;
    if (n > (qint64(1) << (62 - shift)))
        return -1;
    return n << shift;
}

std::optional<Options> parseOptions(const QStringList &arguments, QString *error)
{
    QCommandLineParser p;
    p.setApplicationDescription(usageText());
    p.addHelpOption();
    for (const Flag &f : kFlags) {
        if (f.valueName)
            p.addOption({flag(f), QLatin1StringView(f.help), QLatin1StringView(f.valueName)});
        else
            p.addOption({flag(f), QLatin1StringView(f.help)});
    }
    p.addPositionalArgument(u"scenario"_s,
                            u"fanout, team, idle, connect, durable, resume, files or search"_s);
    if (!p.parse(arguments)) {
        *error = p.errorText() + u"\n\n"_s + p.helpText();
        return std::nullopt;
    }
    if (p.isSet(u"help"_s) || p.positionalArguments().size() != 1) {
        *error = p.helpText();
        return std::nullopt;
    }
    Options o;
    const auto scenario = scenarioFromName(p.positionalArguments().constFirst());
    if (!scenario) {
        *error =
            u"unknown scenario '%1'\n\n"_s.arg(p.positionalArguments().constFirst()) + p.helpText();
        return std::nullopt;
    }
    o.scenario = *scenario;
    if (!readNumbers(p, o, error) || !readFileFlags(p, o, error))
        return std::nullopt;
    if (p.isSet(u"peer"_s)) {
        if (p.value(u"peer"_s) != u"ws"_s) {
            *error = u"--peer knows only 'ws'"_s;
            return std::nullopt;
        }
        o.target = Target::WsPeer;
    }
    if (p.isSet(u"versus"_s)) {
        if (p.value(u"versus"_s) != u"ws"_s || o.target == Target::WsPeer ||
            o.scenario != Scenario::Fanout) {
            *error = u"--versus ws goes with fanout --url (not with --peer)"_s;
            return std::nullopt;
        }
        o.versusPeer = true;
    }
    o.url = QUrl(p.value(u"url"_s));
    if (p.isSet(u"source-addresses"_s)) {
        for (const QString &text : p.value(u"source-addresses"_s).split(u',')) {
            const QHostAddress address(text.trimmed());
            if (address.isNull()) {
                *error = u"--source-addresses: '%1' is not an IP address"_s.arg(text);
                return std::nullopt;
            }
            o.sourceAddresses.append(address);
        }
    }
    o.runId = p.value(u"run-id"_s);
    o.password = p.value(u"password"_s);
    o.jsonFile = p.value(u"json"_s);
    o.plotFile = p.value(u"plot"_s);
    o.fullDecode = p.isSet(u"full-decode"_s);
    o.insecure = p.isSet(u"insecure"_s);
    o.serverStats = !p.isSet(u"no-server-stats"_s);
    o.qtDispatcher = p.isSet(u"qt-dispatcher"_s);
    o.quiet = p.isSet(u"quiet"_s);
    o.seed = !p.isSet(u"no-seed"_s);
    // search: --clients counts the searching connections, a few by default.
    if (o.scenario == Scenario::Search && !p.isSet(u"clients"_s))
        o.clients = 4;
    const QString bad = applyScenarioDefaults(o);
    if (!bad.isEmpty()) {
        *error = bad;
        return std::nullopt;
    }
    return o;
}

} // namespace confab::bench
