#include "app/config.h"

#include <QDir>
#include <QFile>
#include <QRegularExpression>
#include <QTextStream>

namespace confab::server {

namespace {

using namespace Qt::StringLiterals;

bool parseInt(const QString &value, qint64 min, qint64 max, qint64 *out)
{
    bool ok = false;
    const qint64 v = value.toLongLong(&ok);
    if (!ok || v < min || v > max)
        return false;
    *out = v;
    return true;
}

bool parseBool(const QString &value, bool *out)
{
    const QString v = value.toLower();
    if (v == "true"_L1 || v == "yes"_L1 || v == "on"_L1 || v == "1"_L1) {
        *out = true;
        return true;
    }
    if (v == "false"_L1 || v == "no"_L1 || v == "off"_L1 || v == "0"_L1) {
        *out = false;
        return true;
    }
    return false;
}

struct IntKey
{
    const char *section;
    const char *key;
    qint64 min;
    qint64 max;
    std::function<void(ServerConfig &, qint64)> apply;
};

const QList<IntKey> &intKeys()
{
    static const QList<IntKey> keys = {
        {"server", "workers", 0, 256,
         [](ServerConfig &c, qint64 v) {
             c.workers = int(v);
         }},
        {"server", "transfer_workers", 0, 64,
         [](ServerConfig &c, qint64 v) {
             c.transferWorkers = int(v);
         }},
        {"server", "ping_interval_ms", 100, 3600000,
         [](ServerConfig &c, qint64 v) {
             c.pingIntervalMs = int(v);
         }},
        {"server", "idle_timeout_ms", 200, 7200000,
         [](ServerConfig &c, qint64 v) {
             c.idleTimeoutMs = int(v);
         }},
        {"server", "presence_fanout_limit", 0, 100000000,
         [](ServerConfig &c, qint64 v) {
             c.presenceFanoutLimit = int(v);
         }},
        {"server", "hello_timeout_ms", 100, 600000,
         [](ServerConfig &c, qint64 v) {
             c.helloTimeoutMs = int(v);
         }},
        {"tls", "handshake_timeout_ms", 100, 600000,
         [](ServerConfig &c, qint64 v) {
             c.tlsHandshakeTimeoutMs = int(v);
         }},
        {"discovery", "port", 1, 65535,
         [](ServerConfig &c, qint64 v) {
             c.discoveryPort = quint16(v);
         }},
        {"limits", "max_body_bytes", 16, 1 << 24,
         [](ServerConfig &c, qint64 v) {
             c.limits.maxBodyBytes = int(v);
         }},
        {"limits", "max_frame_bytes", 256, 1 << 26,
         [](ServerConfig &c, qint64 v) {
             c.limits.maxFrameBytes = int(v);
         }},
        {"limits", "rate_per_s", 0, 1000000,
         [](ServerConfig &c, qint64 v) {
             c.limits.ratePerSecond = int(v);
         }},
        {"limits", "burst", 1, 1000000,
         [](ServerConfig &c, qint64 v) {
             c.limits.burst = int(v);
         }},
        {"limits", "outbound_queue_bytes", 4096, qint64(1) << 32,
         [](ServerConfig &c, qint64 v) {
             c.outboundQueueBytes = v;
         }},
        {"store", "batch_max", 1, 100000,
         [](ServerConfig &c, qint64 v) {
             c.writerBatchMax = int(v);
         }},
        {"store", "idempotency_days", 1, 3650,
         [](ServerConfig &c, qint64 v) {
             c.idempotencyDays = int(v);
         }},
        {"store", "max_pending_writes", 100, 100000000,
         [](ServerConfig &c, qint64 v) {
             c.maxPendingWrites = int(v);
         }},
        {"files", "max_file_bytes", 1, qint64(1) << 50,
         [](ServerConfig &c, qint64 v) {
             c.files.maxFileBytes = v;
         }},
        {"files", "quota_bytes", 0, qint64(1) << 56,
         [](ServerConfig &c, qint64 v) {
             c.files.quotaBytes = v;
         }},
        {"files", "max_uploads_in_flight", 1, 100000,
         [](ServerConfig &c, qint64 v) {
             c.files.maxUploadsInFlight = int(v);
         }},
        {"files", "gc_grace_s", 0, qint64(1) << 40,
         [](ServerConfig &c, qint64 v) {
             c.files.gcGraceSeconds = v;
         }},
        {"files", "gc_interval_s", 1, qint64(1) << 40,
         [](ServerConfig &c, qint64 v) {
             c.files.gcIntervalSeconds = v;
         }},
        {"files", "upload_expiry_s", 1, qint64(1) << 40,
         [](ServerConfig &c, qint64 v) {
             c.files.uploadExpirySeconds = v;
         }},
        {"search", "workers", 1, 64,
         [](ServerConfig &c, qint64 v) {
             c.searchWorkers = int(v);
         }},
        {"search", "time_budget_ms", 10, 600000,
         [](ServerConfig &c, qint64 v) {
             c.searchBudgetMs = int(v);
         }},
        {"search", "backfill_rows", 1, 1000000,
         [](ServerConfig &c, qint64 v) {
             c.searchBackfillRows = int(v);
         }},
        {"search", "backfill_pause_ms", 0, 60000,
         [](ServerConfig &c, qint64 v) {
             c.searchBackfillPauseMs = int(v);
         }},
        {"files", "thumbnail_px", 16, 4096,
         [](ServerConfig &c, qint64 v) {
             c.files.thumbnailPx = int(v);
         }},
        {"files", "thumbnail_max_pixels", 1, qint64(1) << 40,
         [](ServerConfig &c, qint64 v) {
             c.files.thumbnailMaxPixels = v;
         }},
    };
    return keys;
}

} // namespace

bool setListen(ServerConfig &cfg, const QString &value, QString *error)
{
    const qsizetype colon = value.lastIndexOf(QLatin1Char(':'));
    QString host = colon >= 0 ? value.left(colon) : value;
    const QString portText = colon >= 0 ? value.mid(colon + 1) : QString();
    if (host.startsWith(QLatin1Char('[')) && host.endsWith(QLatin1Char(']')))
        host = host.mid(1, host.size() - 2);
    qint64 p = cfg.port;
    if (!portText.isEmpty() && !parseInt(portText, 0, 65535, &p)) {
        *error = u"bad port in '%1' (expected host:port, port 0-65535)"_s.arg(value);
        return false;
    }
    QHostAddress address;
    if (host.isEmpty() || host == "*"_L1)
        address = QHostAddress::Any;
    else if (host == "localhost"_L1)
        address = QHostAddress::LocalHost;
    else if (!address.setAddress(host)) {
        *error = u"bad address in '%1' (expected an IP address, e.g. 0.0.0.0:7680)"_s.arg(value);
        return false;
    }
    cfg.listenAddress = address;
    cfg.port = quint16(p);
    return true;
}

bool setConfigValue(ServerConfig &cfg, const QString &section, const QString &key,
                    const QString &value, QString *error)
{
    const QString name = section + QLatin1Char('.') + key;
    for (const IntKey &k : intKeys()) {
        if (section != QLatin1String(k.section) || key != QLatin1String(k.key))
            continue;
        qint64 v = 0;
        if (!parseInt(value, k.min, k.max, &v)) {
            *error =
                u"%1: '%2' is not an integer in [%3, %4]"_s.arg(name, value).arg(k.min).arg(k.max);
            return false;
        }
        k.apply(cfg, v);
        return true;
    }
    bool flag = false;
    if (name == "server.listen"_L1)
        return setListen(cfg, value, error) || (error->prepend(name + u": "_s), false);
    if (name == "server.state_dir"_L1) {
        cfg.stateDir = value;
        return true;
    }
    if (name == "server.db"_L1 || name == "store.db"_L1) {
        cfg.db = value;
        return true;
    }
    if (name == "files.dir"_L1) {
        cfg.files.dir = value;
        return true;
    }
    if (name == "server.name"_L1) {
        cfg.serverName = value;
        return true;
    }
    if (name == "server.event_dispatcher"_L1) {
        if (value != "epoll"_L1 && value != "qt"_L1) {
            *error = u"%1: '%2' is not epoll or qt"_s.arg(name, value);
            return false;
        }
        cfg.eventDispatcher = value;
        return true;
    }
    if (name == "server.tls"_L1 || name == "tls.mode"_L1) {
        static const QHash<QString, ServerConfig::TlsMode> modes = {
            {u"off"_s, ServerConfig::TlsMode::Off},
            {u"auto"_s, ServerConfig::TlsMode::Auto},
            {u"on"_s, ServerConfig::TlsMode::On},
            {u"required"_s, ServerConfig::TlsMode::Required}};
        const auto mode = modes.constFind(value.toLower());
        if (mode == modes.constEnd()) {
            *error = u"%1: '%2' is not off, auto, on or required"_s.arg(name, value);
            return false;
        }
        cfg.tls = *mode;
        return true;
    }
    if (name == "tls.cert"_L1 || name == "tls.key"_L1) {
        (key == "cert"_L1 ? cfg.tlsCert : cfg.tlsKey) = value;
        return true;
    }
    if (name == "discovery.name"_L1) {
        if (value.toUtf8().size() > 64) {
            *error = u"%1: longer than 64 bytes"_s.arg(name);
            return false;
        }
        cfg.discoveryName = value;
        return true;
    }
    if (name == "log.rules"_L1) {
        cfg.logRules = value;
        return true;
    }
    static const QHash<QString, bool ServerConfig::*> flags = {
        {u"server.allow_register"_s, &ServerConfig::allowRegister},
        {u"auth.fast_password_hash"_s, &ServerConfig::fastPasswordHash},
        {u"server.discovery"_s, &ServerConfig::discovery},
        {u"discovery.enabled"_s, &ServerConfig::discovery}};
    if (const auto f = flags.constFind(name); f != flags.constEnd()) {
        if (!parseBool(value, &flag)) {
            *error = u"%1: '%2' is not a boolean (true/false)"_s.arg(name, value);
            return false;
        }
        cfg.**f = flag;
        return true;
    }
    *error = u"unknown key '%1' in section [%2]"_s.arg(key, section);
    return false;
}

bool loadConfigFile(ServerConfig &cfg, const QString &path, QString *error)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly | QIODevice::Text)) {
        *error = u"%1: cannot open: %2"_s.arg(path, file.errorString());
        return false;
    }
    QTextStream in(&file);
    QString section = u"server"_s;
    int lineNo = 0;
    while (!in.atEnd()) {
        const QString line = in.readLine().trimmed();
        ++lineNo;
        if (line.isEmpty() || line.startsWith(QLatin1Char('#')) ||
            line.startsWith(QLatin1Char(';')))
            continue;
        const QString where = u"%1:%2: "_s.arg(path).arg(lineNo);
        if (line.startsWith(QLatin1Char('['))) {
            if (!line.endsWith(QLatin1Char(']'))) {
                *error = where + u"section header must look like [name]"_s;
                return false;
            }
            section = line.mid(1, line.size() - 2).trimmed();
            static const QStringList known = {u"server"_s,    u"limits"_s, u"store"_s,
                                              u"auth"_s,      u"log"_s,    u"tls"_s,
                                              u"discovery"_s, u"files"_s,  u"search"_s};
            if (!known.contains(section)) {
                *error = where + u"unknown section [%1]"_s.arg(section);
                return false;
            }
            continue;
        }
        const qsizetype eq = line.indexOf(QLatin1Char('='));
        if (eq <= 0) {
            *error = where + u"expected key = value"_s;
            return false;
        }
        QString value = line.mid(eq + 1).trimmed();
        // An inline comment starts at whitespace followed by # or ;.
        static const QRegularExpression inlineComment(u"\\s+[#;].*$"_s);
        value.remove(inlineComment);
        if (value.size() >= 2 && value.startsWith(QLatin1Char('"')) &&
            value.endsWith(QLatin1Char('"')))
            value = value.mid(1, value.size() - 2);
        QString why;
        if (!setConfigValue(cfg, section, line.left(eq).trimmed(), value, &why)) {
            *error = where + why;
            return false;
        }
    }
    return true;
}

QString filesRoot(const ServerConfig &cfg)
{
    return cfg.files.dir.isEmpty() ? cfg.stateDir + u"/files"_s : cfg.files.dir;
}

QString effectiveDbUrl(const ServerConfig &cfg)
{
    if (!cfg.db.isEmpty())
        return cfg.db;
    return QDir(cfg.stateDir).absoluteFilePath(u"confab.db"_s);
}

} // namespace confab::server
