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
    return {};
}

QString usageText()
{
    return uR"(usage: confab-bench <scenario> --url ws://HOST:PORT [options]
       confab-bench fanout --peer ws [options]
       confab-bench fanout --url ws://HOST:PORT --versus ws [options]
       confab-bench compare a.json b.json
       confab-bench summary run1.json run2.json ...   (median, min, max per metric)

scenarios: fanout team idle connect durable resume
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
    return ok;
}

} // namespace

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
    p.addPositionalArgument(u"scenario"_s, u"fanout, team, idle, connect, durable or resume"_s);
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
    if (!readNumbers(p, o, error))
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
    const QString bad = applyScenarioDefaults(o);
    if (!bad.isEmpty()) {
        *error = bad;
        return std::nullopt;
    }
    return o;
}

} // namespace confab::bench
