#pragma once

#include <QHostAddress>
#include <QList>
#include <QString>
#include <QStringList>
#include <QUrl>
#include <optional>

// What one confab-bench run does: the scenario, its load shape and where to send it.
// Every field has a flag; defaults depend on the scenario (see applyScenarioDefaults).
namespace confab::bench {

enum class Scenario { Fanout, Team, Idle, Connect, Durable, Resume, Files, Search };
QString scenarioName(Scenario s);
std::optional<Scenario> scenarioFromName(const QString &name);

// Who is on the other end: a Confab server, or the plain Node `ws` broadcast peer.
enum class Target { Confab, WsPeer };

// files: every client uploads its own files (and reads each back), or every client
// downloads the one file client 0 uploaded and posted in the room they share.
enum class FileMode { Upload, Download };

struct Options
{
    Scenario scenario = Scenario::Fanout;
    Target target = Target::Confab;
    QUrl url; // ws:// or wss://; empty with --peer (the harness starts it)
    int clients = 100;
    int rooms = 0;              // 0: derived from clients and members
    int members = 0;            // members per room; 0: scenario default
    int senders = 0;            // 0: scenario default (fanout: 10, others: every client)
    double rate = -1;           // messages (or pings) per second, all senders together
    int inflight = 0;           // >0: closed loop, each sender keeps this many unacked sends
    int payload = 64;           // body bytes per message
    double duration = 10;       // measured seconds
    double warmup = 2;          // seconds of load before measuring
    double grace = 10;          // seconds to wait for late acks/deliveries after the load
    int workers = 0;            // 0: one per core
    double connectRate = 2000;  // setup connections per second (spread, not a storm)
    int setupConcurrency = 256; // handshakes in flight per worker during setup
    double setupTimeout = 600;
    double dropInterval = 1;      // resume: seconds between drop rounds
    double dropFraction = 0.05;   // resume: share of connected clients dropped per round
    double reconnectDelay = 0.25; // resume: seconds before reconnecting (+-50 % jitter)
    bool fullDecode = false;      // decode events with the shared codec instead of the lean path
    bool qtDispatcher = false;    // workers use Qt's own (ppoll) dispatcher instead of epoll
    bool insecure = false;        // wss: accept any certificate
    // Local addresses the connections are spread over, round-robin; empty: the kernel
    // picks (see RunPlan::sourceAddress for loopback runs past one address's ports).
    QList<QHostAddress> sourceAddresses;
    QString runId;    // user and room names; random when empty
    QString password; // for the bench users; derived from runId when empty
    QString jsonFile;
    QString plotFile;
    qint64 serverPid = 0;    // read CPU/RSS from /proc/<pid> instead of /metrics
    bool serverStats = true; // sample the server at all (/metrics or /proc)
    bool quiet = false;
    bool versusPeer = false; // fanout: run the same load on the ws peer right after
    // files
    FileMode fileMode = FileMode::Upload;
    qint64 fileBytes = 1 << 20; // random content's size (an image's is what it encodes to)
    QString fileContent = QStringLiteral("random"); // random, jpeg or png
    int imageWidth = 0;                             // jpeg/png: pixels
    int imageHeight = 0;
    int transfers = 1;     // per client; 0: repeat until --duration is over
    qint64 chunkBytes = 0; // bytes per PATCH; 0: the whole file in one
    // search: --clients searching connections (searchClients), after --seeders
    // connections (clients becomes the larger of the two) sent --messages messages, each
    // keeping --inflight unacked.
    qint64 messages = 1000000;
    int seeders = 64;
    int searchClients = 0;
    bool seed = true; // false: the store holds this run id's messages already
};

// Fills the 0/-1 fields with the scenario's defaults and checks the combination.
// Returns an error text, empty when the options are usable.
QString applyScenarioDefaults(Options &o);

// Parses `confab-bench <scenario> [flags]`; on failure returns nullopt and sets *error
// (help text included when asked for).
std::optional<Options> parseOptions(const QStringList &arguments, QString *error);

QString usageText();

// "1048576", "512K", "5M", "1G" (binary units); -1 when it is not a size.
qint64 parseByteSize(const QString &text);

} // namespace confab::bench
