#include "app/cli.h"

#include "app/config.h"
#include "app/migrate.h"
#include "app/serverapp.h"
#include "logging.h"
#include "net/tls.h"
#include "protocol/names.h"
#include "store/admin.h"
#include "store/database.h"
#include "store/reader.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDateTime>
#include <QLocale>
#include <QLoggingCategory>
#include <QSocketNotifier>
#include <QStandardPaths>
#include <QTextStream>
#include <csignal>
#include <cstdio>
#include <limits>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

namespace confab::server {

using namespace Qt::StringLiterals;

namespace {

int g_signalFd[2] = {-1, -1};

void onSignal(int)
{
    const char byte = 1;
    [[maybe_unused]] const auto n = ::write(g_signalFd[0], &byte, 1);
}

QTextStream &err()
{
    static QTextStream stream(stderr);
    return stream;
}

QTextStream &out()
{
    static QTextStream stream(stdout);
    return stream;
}

const char *kUsage = R"(Usage:
  confab-server [options]                      serve
  confab-server user add NAME [--admin] [--display-name TEXT] [--password-stdin]
  confab-server user passwd NAME [--password-stdin]
  confab-server user remove NAME
  confab-server user list
  confab-server room create NAME [--private] [--topic TEXT]
  confab-server room list
  confab-server files list [--limit N]         the largest uploaded files first
  confab-server files usage                    what each user's files take, against the quota
  confab-server fingerprint                    print the TLS certificate's SHA-256
  confab-server migrate-store --to URL [--files-to DIR]
                                               copy the store into an empty one (PostgreSQL),
                                               and the files' content to DIR

Admin subcommands work on the store directly (the same --config, --state-dir and
--db options select it); files usage compares with [files] quota_bytes of --config
(or --file-quota-bytes). fingerprint reads the certificate that --config,
--state-dir or --tls-cert name, as the server would serve it. Passwords are read from the terminal, or one line from
standard input with --password-stdin.)";

void addStoreOptions(QCommandLineParser &p)
{
    p.addOption({u"config"_s, u"INI configuration file."_s, u"file"_s});
    p.addOption(
        {u"state-dir"_s,
         u"Directory for the embedded SQLite store (default: %1)."_s.arg(
             QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation) + u"/confab"_s),
         u"dir"_s});
    p.addOption(
        {u"db"_s, u"Store URL: a SQLite file or postgres://user[:pw]@host[:port]/db."_s, u"url"_s});
}

// Reads the config file, then applies flags over it.
bool buildConfig(const QCommandLineParser &p, ServerConfig *cfg, QString *error)
{
    cfg->stateDir =
        QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation) + u"/confab"_s;
    if (p.isSet(u"config"_s) && !loadConfigFile(*cfg, p.value(u"config"_s), error))
        return false;
    if (p.isSet(u"state-dir"_s))
        cfg->stateDir = p.value(u"state-dir"_s);
    if (p.isSet(u"db"_s))
        cfg->db = p.value(u"db"_s);
    struct Flag
    {
        const char *flag;
        const char *section;
        const char *key;
    };
    static const Flag flags[] = {
        {"listen", "server", "listen"},
        {"event-dispatcher", "server", "event_dispatcher"},
        {"workers", "server", "workers"},
        {"transfer-workers", "server", "transfer_workers"},
        {"log-rules", "log", "rules"},
        {"max-body-bytes", "limits", "max_body_bytes"},
        {"rate", "limits", "rate_per_s"},
        {"burst", "limits", "burst"},
        {"ping-interval-ms", "server", "ping_interval_ms"},
        {"idle-timeout-ms", "server", "idle_timeout_ms"},
        {"outbound-queue-bytes", "limits", "outbound_queue_bytes"},
        {"tls", "server", "tls"},
        {"tls-cert", "tls", "cert"},
        {"tls-key", "tls", "key"},
        {"tls-handshake-timeout-ms", "tls", "handshake_timeout_ms"},
        {"discovery", "server", "discovery"},
        {"discovery-port", "discovery", "port"},
        {"discovery-name", "discovery", "name"},
        {"files-dir", "files", "dir"},
        {"max-file-bytes", "files", "max_file_bytes"},
        {"file-quota-bytes", "files", "quota_bytes"},
        {"max-uploads-in-flight", "files", "max_uploads_in_flight"},
        {"files-gc-grace-s", "files", "gc_grace_s"},
        {"files-gc-interval-s", "files", "gc_interval_s"},
        {"upload-expiry-s", "files", "upload_expiry_s"},
        {"search-time-budget-ms", "search", "time_budget_ms"},
        {"search-backfill-rows", "search", "backfill_rows"},
    };
    for (const Flag &f : flags) {
        const QString name = QLatin1String(f.flag);
        if (p.optionNames().contains(name) && p.isSet(name) &&
            !setConfigValue(*cfg, QLatin1String(f.section), QLatin1String(f.key), p.value(name),
                            error)) {
            error->prepend(u"--%1: "_s.arg(name));
            return false;
        }
    }
    if (p.optionNames().contains(u"allow-register"_s) && p.isSet(u"allow-register"_s))
        cfg->allowRegister = true;
    if (p.optionNames().contains(u"fast-password-hash"_s) && p.isSet(u"fast-password-hash"_s))
        cfg->fastPasswordHash = true;
    return true;
}

QByteArray readPassword(bool fromStdin)
{
    const bool tty = !fromStdin && isatty(STDIN_FILENO);
    termios saved{};
    if (tty) {
        err() << "Password: " << Qt::flush;
        tcgetattr(STDIN_FILENO, &saved);
        termios quiet = saved;
        quiet.c_lflag &= ~tcflag_t(ECHO);
        tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    }
    QTextStream in(stdin);
    const QString line = in.readLine();
    if (tty) {
        tcsetattr(STDIN_FILENO, TCSANOW, &saved);
        err() << "\n" << Qt::flush;
    }
    return line.toUtf8();
}

int serve(QCoreApplication &app, const QCommandLineParser &p)
{
    ServerConfig cfg;
    QString error;
    if (!buildConfig(p, &cfg, &error)) {
        err() << "confab-server: " << error << "\n";
        return 2;
    }
    if (!cfg.logRules.isEmpty())
        QLoggingCategory::setFilterRules(QString(cfg.logRules).replace(u';', u'\n'));
    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, g_signalFd) != 0) {
        err() << "confab-server: socketpair failed\n";
        return 1;
    }
    QSocketNotifier notifier(g_signalFd[1], QSocketNotifier::Read);
    ServerApp server(cfg);
    QObject::connect(&notifier, &QSocketNotifier::activated, &app, [&] {
        char byte;
        [[maybe_unused]] const auto n = ::read(g_signalFd[1], &byte, 1);
        notifier.setEnabled(false);
        qCInfo(lcApp) << "signal received, shutting down";
        server.stop();
        app.exit(0);
    });
    struct sigaction action
    {
    };
    action.sa_handler = onSignal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    sigaction(SIGTERM, &action, nullptr);
    sigaction(SIGINT, &action, nullptr);
    std::signal(SIGPIPE, SIG_IGN);
    if (!server.start(&error)) {
        err() << "confab-server: " << error << "\n";
        return 1;
    }
    // Tests and scripts read this line to learn the port when listening on port 0.
    out() << "confab-server listening on port " << server.port() << "\n" << Qt::flush;
    return app.exec();
}

int fail(const QString &message)
{
    err() << "confab-server: " << message << "\n";
    return 1;
}

int userCommand(StoreAdmin &admin, const QStringList &args, const QCommandLineParser &p)
{
    const QString verb = args.value(1);
    if (verb == "list"_L1) {
        QString error;
        const auto users = admin.listUsers(&error);
        if (!error.isEmpty())
            return fail(error);
        for (const StoredUser &u : users)
            out() << u.name << "\t" << u.displayName << (u.isAdmin ? "\tadmin" : "") << "\n";
        return 0;
    }
    if (args.size() != 3 || (verb != "add"_L1 && verb != "passwd"_L1 && verb != "remove"_L1))
        return fail(u"usage: user add|passwd|remove NAME, or user list"_s);
    const QString name = protocol::foldUserName(args[2]);
    if (!protocol::isValidUserName(name))
        return fail(u"'%1' is not a valid user name (1-32 chars of a-z 0-9 . _ -)"_s.arg(args[2]));
    QString error;
    bool ok = false;
    if (verb == "remove"_L1) {
        ok = admin.removeUser(name, &error);
    } else {
        const QByteArray password = readPassword(p.isSet(u"password-stdin"_s));
        if (password.size() < protocol::kMinPasswordBytes ||
            password.size() > protocol::kMaxPasswordBytes)
            return fail(u"passwords are 8 to 1024 bytes"_s);
        if (verb == "add"_L1) {
            const QString display = p.isSet(u"display-name"_s) ? p.value(u"display-name"_s) : name;
            ok = admin.addUser(name, display, password, p.isSet(u"admin"_s), &error);
        } else {
            ok = admin.setPassword(name, password, &error);
        }
    }
    if (!ok)
        return fail(error);
    out() << "user " << name << ": " << verb << " done\n";
    return 0;
}

int roomCommand(StoreAdmin &admin, const QStringList &args, const QCommandLineParser &p)
{
    const QString verb = args.value(1);
    QString error;
    if (verb == "list"_L1) {
        const auto rooms = admin.listRooms(&error);
        if (!error.isEmpty())
            return fail(error);
        for (const StoredRoom &r : rooms) {
            out() << r.id << "\t" << (r.isPrivate ? "private" : "public") << "\t"
                  << r.members.size() << " members\t" << r.lastSeq << " events\t" << r.topic
                  << "\n";
        }
        return 0;
    }
    if (verb != "create"_L1 || args.size() != 3)
        return fail(u"usage: room create NAME [--private] [--topic TEXT], or room list"_s);
    if (!protocol::isValidChannelName(args[2]))
        return fail(u"'%1' is not a valid channel name (1-40 chars of a-z 0-9 _ -)"_s.arg(args[2]));
    if (!admin.createRoom(args[2], p.isSet(u"private"_s), p.value(u"topic"_s), QString(), &error))
        return fail(error);
    out() << "room " << args[2] << " created\n";
    return 0;
}

// The store that --config, --state-dir or --db select, brought to the current schema as a
// starting server would; nullopt with *error set when it cannot be opened.
std::optional<StoreConfig> adminStore(const QCommandLineParser &p, ServerConfig *cfg,
                                      QString *error)
{
    if (!buildConfig(p, cfg, error))
        return std::nullopt;
    std::optional<StoreConfig> store = StoreConfig::fromUrl(effectiveDbUrl(*cfg), error);
    QString epoch;
    if (!store || !Database::initialize(*store, &epoch, error))
        return std::nullopt;
    return store;
}

int adminCommand(const QCommandLineParser &p)
{
    ServerConfig cfg;
    QString error;
    const std::optional<StoreConfig> store = adminStore(p, &cfg, &error);
    if (!store)
        return fail(error);
    StoreAdmin admin(*store);
    const QStringList args = p.positionalArguments();
    return args[0] == "user"_L1 ? userCommand(admin, args, p) : roomCommand(admin, args, p);
}

constexpr int kDefaultFilesListed = 20;

int usageError(const QString &message)
{
    err() << "confab-server: " << message << "\n";
    return 2;
}

// "900 bytes", or "3.0 MiB (3145745 bytes)": readable, with the exact figure for scripts.
QString sizeText(qint64 bytes)
{
    if (bytes < 1024)
        return bytes == 1 ? u"1 byte"_s : u"%1 bytes"_s.arg(bytes);
    return u"%1 (%2 bytes)"_s
        .arg(QLocale::c().formattedDataSize(bytes, 1, QLocale::DataSizeIecFormat))
        .arg(bytes);
}

// One line per file, the largest first: id, size, type, uploader, upload time (UTC),
// whether a message posts it, name (last: it may hold spaces).
int listFiles(const StoreReader &reader, int limit)
{
    QString error;
    const QList<StoredFile> files = reader.largestFiles(0, limit, &error);
    // Posted once, but every message that posted it is deleted: the collector removes it
    // after the grace period. Such files only exist for that long, so there are few.
    QSet<QString> unreferenced;
    for (const StoredFile &f : reader.collectableFiles(std::numeric_limits<qint64>::max(),
                                                       std::numeric_limits<int>::max(), &error))
        unreferenced.insert(f.id);
    if (!error.isEmpty())
        return fail(error);
    for (const StoredFile &f : files) {
        const char *state = !f.posted                     ? "not posted"
                            : unreferenced.contains(f.id) ? "no longer posted"
                                                          : "posted";
        out() << f.id << "\t" << sizeText(f.size) << "\t" << f.mime << "\t" << f.uploader << "\t"
              << QDateTime::fromMSecsSinceEpoch(f.createdAt, Qt::UTC).toString(Qt::ISODate) << "\t"
              << state << "\t" << f.name << "\n";
    }
    return 0;
}

// One line per user who has files, the largest usage first, against files.quota_bytes.
int listFileUsage(const StoreReader &reader, qint64 quotaBytes)
{
    QString error;
    const QList<FileUsage> usage = reader.fileUsageByUser(&error);
    if (!error.isEmpty())
        return fail(error);
    for (const FileUsage &u : usage) {
        out() << u.user << "\t" << u.files << (u.files == 1 ? " file\t" : " files\t")
              << sizeText(u.bytes) << "\t";
        if (quotaBytes <= 0) {
            out() << "no quota\n";
            continue;
        }
        out() << QString::number(100.0 * double(u.bytes) / double(quotaBytes), 'f', 1) << "% of "
              << sizeText(quotaBytes) << (u.bytes > quotaBytes ? ", over quota\n" : "\n");
    }
    return 0;
}

int filesCommand(const QCommandLineParser &p)
{
    const QStringList args = p.positionalArguments();
    const QString verb = args.value(1);
    if (args.size() != 2 || (verb != "list"_L1 && verb != "usage"_L1))
        return usageError(u"usage: files list [--limit N], or files usage"_s);
    int limit = kDefaultFilesListed;
    if (p.isSet(u"limit"_s)) {
        if (verb != "list"_L1)
            return usageError(u"--limit is for files list only"_s);
        bool ok = false;
        limit = p.value(u"limit"_s).toInt(&ok);
        if (!ok || limit < 1)
            return usageError(
                u"--limit: '%1' is not a positive whole number"_s.arg(p.value(u"limit"_s)));
    }
    ServerConfig cfg;
    QString error;
    const std::optional<StoreConfig> store = adminStore(p, &cfg, &error);
    if (!store)
        return fail(error);
    const StoreReader reader(*store);
    return verb == "list"_L1 ? listFiles(reader, limit)
                             : listFileUsage(reader, cfg.files.quotaBytes);
}

int fingerprintCommand(const QCommandLineParser &p)
{
    ServerConfig cfg;
    QString error;
    if (!buildConfig(p, &cfg, &error))
        return fail(error);
    QSslCertificate certificate;
    if (!configuredCertificate(cfg, &certificate, &error))
        return fail(error);
    out() << certificateFingerprint(certificate) << "\n";
    return 0;
}

} // namespace

int runCli(int argc, char **argv)
{
    qputenv("QT_NO_GLIB", "1"); // the plain UNIX dispatcher; see docs/operations.md
    // One line per record: time, level, category, message (journald and grep friendly).
    qSetMessagePattern(
        u"%{time yyyy-MM-ddThh:mm:ss.zzz} %{if-debug}debug%{endif}%{if-info}info%{endif}"
        "%{if-warning}warning%{endif}%{if-critical}critical%{endif}%{if-fatal}fatal%{endif}"
        " %{category}: %{message}"_s);
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(u"confab-server"_s);
    QCoreApplication::setApplicationVersion(u"0.3.0"_s);
    QCommandLineParser p;
    p.setApplicationDescription(u"Confab LAN team chat server.\n\n"_s + QLatin1String(kUsage));
    p.addHelpOption();
    p.addVersionOption();
    addStoreOptions(p);
    addMigrateStoreOptions(p);
    p.addOptions({
        {u"listen"_s, u"Address and port to listen on (default 0.0.0.0:7680)."_s, u"host:port"_s},
        {u"workers"_s, u"I/O worker threads (default: one per core)."_s, u"n"_s},
        {u"transfer-workers"_s,
         u"Low-priority threads for plain-HTTP file transfers (default 1, 0: on the I/O "
         "workers)."_s,
         u"n"_s},
        {u"event-dispatcher"_s, u"I/O threads: epoll (default) or qt (QThreadPool, Qt's poll)."_s,
         u"epoll|qt"_s},
        {u"allow-register"_s, u"Let clients create accounts (auth method register)."_s},
        {u"fast-password-hash"_s, u"Cheapest Argon2id cost: for tests and benchmarks only."_s},
        {u"log-rules"_s, u"Logging rules, e.g. \"confab.*.debug=true\"."_s, u"rules"_s},
        {u"max-body-bytes"_s, u"Largest message body."_s, u"n"_s},
        {u"rate"_s, u"Sends per second per connection (0: unlimited)."_s, u"n"_s},
        {u"burst"_s, u"Send burst per connection."_s, u"n"_s},
        {u"ping-interval-ms"_s, u"WebSocket ping interval."_s, u"ms"_s},
        {u"idle-timeout-ms"_s, u"Close a connection silent for this long (4003)."_s, u"ms"_s},
        {u"outbound-queue-bytes"_s, u"Per-connection outbound bound (4000 over it)."_s, u"n"_s},
        {u"tls"_s,
         u"TLS on the port: off (default), auto (self-signed, made on first start), "
         "on (--tls-cert/--tls-key) or required (no plain WebSocket)."_s,
         u"mode"_s},
        {u"tls-cert"_s, u"TLS certificate (PEM, leaf first)."_s, u"file"_s},
        {u"tls-key"_s, u"TLS private key (PEM, no passphrase)."_s, u"file"_s},
        {u"tls-handshake-timeout-ms"_s, u"Close a connection whose TLS handshake takes longer."_s,
         u"ms"_s},
        {u"discovery"_s, u"Answer LAN discovery probes on UDP: on (default) or off."_s,
         u"on|off"_s},
        {u"discovery-port"_s, u"UDP port for discovery probes (default 7681)."_s, u"port"_s},
        {u"discovery-name"_s, u"Name announced on the LAN (default: the host name)."_s, u"text"_s},
        {u"files-dir"_s, u"Where uploaded files are kept (default: <state dir>/files)."_s,
         u"dir"_s},
        {u"max-file-bytes"_s, u"Largest upload (default 100 MiB)."_s, u"n"_s},
        {u"file-quota-bytes"_s, u"What one user's files may take (default 10 GiB, 0: no limit)."_s,
         u"n"_s},
        {u"max-uploads-in-flight"_s, u"Unfinished uploads per user (default 4)."_s, u"n"_s},
        {u"files-gc-grace-s"_s,
         u"Keep files no message posts for this long before removing them (default 86400)."_s,
         u"s"_s},
        {u"files-gc-interval-s"_s, u"How often unreferenced files are looked for (3600)."_s,
         u"s"_s},
        {u"upload-expiry-s"_s, u"Remove unfinished uploads idle for this long (86400)."_s, u"s"_s},
        {u"search-time-budget-ms"_s,
         u"A search answers with what it found after this long (2000)."_s, u"ms"_s},
        {u"search-backfill-rows"_s,
         u"Events indexed per batch when a store is first indexed (2000)."_s, u"rows"_s},
        {u"admin"_s, u"user add: make the user an admin."_s},
        {u"display-name"_s, u"user add: display name."_s, u"text"_s},
        {u"password-stdin"_s, u"Read the password as one line from standard input."_s},
        {u"private"_s, u"room create: a private channel (invite only)."_s},
        {u"topic"_s, u"room create: the topic."_s, u"text"_s},
        {u"limit"_s, u"files list: how many files to list (default %1)."_s.arg(kDefaultFilesListed),
         u"n"_s},
    });
    p.process(app);
    const QStringList args = p.positionalArguments();
    if (args.isEmpty())
        return serve(app, p);
    if (args[0] == "user"_L1 || args[0] == "room"_L1)
        return adminCommand(p);
    if (args[0] == "files"_L1)
        return filesCommand(p);
    if (args[0] == "fingerprint"_L1)
        return fingerprintCommand(p);
    if (args[0] == "migrate-store"_L1) {
        ServerConfig cfg;
        QString error;
        return buildConfig(p, &cfg, &error) ? migrateStoreCommand(p, cfg) : fail(error);
    }
    err() << "confab-server: unknown command '" << args[0] << "'\n\n" << kUsage << "\n";
    return 2;
}

} // namespace confab::server
