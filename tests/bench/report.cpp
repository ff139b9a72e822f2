#include "report.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSysInfo>
#include <QThread>
#include <algorithm>
#include <functional>
#include <optional>

namespace confab::bench {

using namespace Qt::StringLiterals;

namespace {

QJsonObject histogramJson(const LatencyHistogram &h)
{
    return QJsonObject{
        {"count"_L1, h.count()},         {"min"_L1, h.min()},
        {"mean"_L1, qRound64(h.mean())}, {"p50"_L1, h.percentile(50)},
        {"p90"_L1, h.percentile(90)},    {"p99"_L1, h.percentile(99)},
        {"p999"_L1, h.percentile(99.9)}, {"max"_L1, h.max()},
    };
}

QJsonObject paramsJson(const Options &o)
{
    QJsonArray sources;
    for (const QHostAddress &a : o.sourceAddresses)
        sources.append(a.toString());
    return QJsonObject{
        {"source_addresses"_L1, sources},
        {"clients"_L1, o.clients},
        {"rooms"_L1, o.rooms},
        {"members"_L1, o.members},
        {"senders"_L1, o.senders},
        {"rate"_L1, o.rate},
        {"inflight"_L1, o.inflight},
        {"payload"_L1, o.payload},
        {"duration_s"_L1, o.duration},
        {"warmup_s"_L1, o.warmup},
        {"workers"_L1, o.workers},
        {"connect_rate"_L1, o.connectRate},
        {"drop_interval_s"_L1, o.dropInterval},
        {"drop_fraction"_L1, o.dropFraction},
        {"full_decode"_L1, o.fullDecode},
        {"qt_dispatcher"_L1, o.qtDispatcher},
    };
}

QJsonObject correctnessJson(const Report &r)
{
    const Stats &s = r.stats;
    return QJsonObject{
        {"ok"_L1, r.correct()},
        {"lost"_L1, s.lost},
        {"duplicated"_L1, s.duplicated},
        {"out_of_order"_L1, s.outOfOrder},
        {"missing_acks"_L1, s.missingAcks},
        {"ack_mismatch"_L1, s.ackMismatch},
        {"refused"_L1, s.refused},
        {"resent"_L1, s.resent},
        {"replayed"_L1, s.replayed},
        {"incomplete_resync"_L1, s.incompleteResync},
        {"sends_total"_L1, s.sendsTotal},
        {"acks_total"_L1, s.acksTotal},
        {"deliveries_total"_L1, s.deliveriesTotal},
        {"drops"_L1, s.drops},
        {"reconnects"_L1, s.reconnects},
        {"unexpected_closes"_L1, s.unexpectedCloses},
        {"connect_failures"_L1, s.connectFailures},
        {"presence_notices"_L1, s.presenceNotices},
        {"server_pings"_L1, s.serverPings},
    };
}

QJsonObject serverJson(const Report &r)
{
    QJsonObject o{{"source"_L1, r.serverSource}};
    if (!r.serverEnd.ok)
        return o;
    if (r.serverRestarted()) {
        o.insert("restarted"_L1, true);
        o.insert("rss_bytes"_L1, r.serverEnd.rssBytes);
        return o;
    }
    o.insert("cpu_seconds"_L1, r.serverEnd.cpuSeconds - r.serverStart.cpuSeconds);
    o.insert("cpu_share"_L1,
             r.measuredSeconds > 0
                 ? (r.serverEnd.cpuSeconds - r.serverStart.cpuSeconds) / r.measuredSeconds
                 : 0.0);
    o.insert("rss_bytes"_L1, r.serverEnd.rssBytes);
    o.insert("peak_rss_bytes"_L1, r.serverEnd.peakRssBytes);
    o.insert("rss_before_bytes"_L1, r.serverBefore.rssBytes);
    if (const qint64 perConnection = r.serverRssPerConnection(); perConnection >= 0)
        o.insert("rss_per_connection_bytes"_L1, perConnection);
    return o;
}

QJsonArray seriesJson(const Report &r)
{
    QJsonArray out;
    const double warmup = r.options.warmup;
    for (size_t i = 0; i < r.stats.series.size(); ++i) {
        const SecondStats &s = r.stats.series[i];
        const double t = double(i);
        const QString phase = t < warmup                        ? u"warmup"_s
                              : t < warmup + r.options.duration ? u"measure"_s
                                                                : u"drain"_s;
        out.append(QJsonObject{
            {"t"_L1, qint64(i)},
            {"phase"_L1, phase},
            {"sends"_L1, s.sends},
            {"acks"_L1, s.acks},
            {"deliveries"_L1, s.deliveries},
            {"connects"_L1, s.connects},
            {"errors"_L1, s.errors},
            {"p50_us"_L1, s.latency.percentile(50)},
            {"p99_us"_L1, s.latency.percentile(99)},
            {"max_us"_L1, s.latency.max()},
        });
    }
    return out;
}

double perSecond(qint64 n, double seconds)
{
    return seconds > 0 ? double(n) / seconds : 0.0;
}

QString fileContentText(const Options &o)
{
    return o.fileContent == u"random"_s
               ? o.fileContent
               : u"%1:%2x%3"_s.arg(o.fileContent).arg(o.imageWidth).arg(o.imageHeight);
}

QJsonObject filesJson(const Report &r)
{
    const FileReport &f = *r.files;
    const Options &o = r.options;
    QJsonObject errors;
    for (auto it = f.errors.cbegin(); it != f.errors.cend(); ++it)
        errors.insert(it.key(), it.value());
    QJsonObject rss{
        {"before_bytes"_L1, r.serverBefore.rssBytes}, {"start_bytes"_L1, r.serverStart.rssBytes},
        {"max_bytes"_L1, f.serverRssMaxBytes},        {"end_bytes"_L1, r.serverEnd.rssBytes},
        {"peak_bytes"_L1, r.serverEnd.peakRssBytes},  {"samples"_L1, f.rssSamples},
    };
    if (r.serverStart.ok && f.serverRssMaxBytes > 0)
        rss.insert("growth_bytes"_L1, f.serverRssMaxBytes - r.serverStart.rssBytes);
    return QJsonObject{
        {"mode"_L1, o.fileMode == FileMode::Upload ? u"upload"_s : u"download"_s},
        {"content"_L1, fileContentText(o)},
        {"mime"_L1, f.mime},
        {"file_bytes"_L1, f.fileBytes},
        {"transfers_per_client"_L1, o.transfers},
        {"chunk_bytes"_L1, o.chunkBytes},
        {"uploads"_L1, f.uploads},
        {"downloads"_L1, f.downloads},
        {"verified"_L1, f.verified},
        {"thumbnails"_L1, f.thumbnails},
        {"bytes_up"_L1, f.bytesUp},
        {"bytes_down"_L1, f.bytesDown},
        {"upload_s"_L1, f.upSeconds},
        {"download_s"_L1, f.downSeconds},
        {"upload_mb_per_s"_L1, f.upMBps()},
        {"download_mb_per_s"_L1, f.downMBps()},
        {"latency_us"_L1, QJsonObject{{"upload"_L1, histogramJson(f.upload)},
                                      {"upload_finish"_L1, histogramJson(f.finish)},
                                      {"download"_L1, histogramJson(f.download)}}},
        {"hash_mismatch"_L1, f.hashMismatch},
        {"etag_mismatch"_L1, f.etagMismatch},
        {"size_mismatch"_L1, f.sizeMismatch},
        {"failures"_L1, f.failures},
        {"errors"_L1, errors},
        {"server_rss"_L1, rss},
        {"shared_id"_L1, f.sharedId},
        {"shared_sha256"_L1, f.sharedSha256},
    };
}

QJsonObject searchKindJson(const SearchKindStats &k)
{
    QJsonObject out{{"latency_us"_L1, histogramJson(k.latency)}};
    const std::pair<const char *, qint64> counts[] = {{"requests", k.requests},
                                                      {"empty", k.empty},
                                                      {"timed_out", k.timedOut},
                                                      {"errors", k.errors}};
    for (const auto &[name, value] : counts)
        out.insert(QLatin1StringView(name), value);
    return out;
}

QJsonObject searchJson(const Report &r)
{
    const SearchStats &s = r.stats.search;
    const Options &o = r.options;
    QJsonObject kinds;
    for (auto it = s.kinds.cbegin(); it != s.kinds.cend(); ++it)
        kinds.insert(it.key(), searchKindJson(it.value()));
    QJsonObject out = searchKindJson(s.all);
    out.insert("seed"_L1, QJsonObject{{"messages"_L1, o.seed ? o.messages : 0},
                                      {"acked"_L1, r.seeded},
                                      {"seconds"_L1, r.seedSeconds},
                                      {"acks_per_s"_L1, perSecond(r.seeded, r.seedSeconds)},
                                      {"connections"_L1, o.clients},
                                      {"inflight"_L1, o.inflight}});
    out.insert("clients"_L1, o.searchClients);
    out.insert("per_s"_L1, perSecond(s.all.requests, r.measuredSeconds));
    out.insert("indexing"_L1, s.indexing);
    out.insert("errors_total"_L1, s.errorsTotal);
    out.insert("phrase"_L1, QJsonObject{{"found"_L1, s.phraseFound},
                                        {"missed"_L1, s.phraseMissed},
                                        {"unverified"_L1, s.phraseUnverified}});
    out.insert("kinds"_L1, kinds);
    return out;
}

} // namespace

bool Report::searchCorrect() const
{
    const SearchStats &s = stats.search;
    return options.scenario != Scenario::Search ||
           (s.all.requests > 0 && s.phraseMissed == 0 && s.errorsTotal == 0 && s.phraseFound > 0);
}

qint64 Report::serverRssPerConnection() const
{
    if (clientsReady <= 0 || !serverBefore.ok || !serverEnd.ok ||
        differentProcesses(serverBefore, serverEnd))
        return -1;
    return (serverEnd.rssBytes - serverBefore.rssBytes) / clientsReady;
}

bool Report::correct() const
{
    const Stats &s = stats;
    // A files run must also have read back intact every byte it moved, at least once.
    const bool filesOk = !files || (files->correct() && files->verified > 0);
    return setupFailures == 0 && s.lost == 0 && s.duplicated == 0 && s.outOfOrder == 0 &&
           s.missingAcks == 0 && s.ackMismatch == 0 && s.refused == 0 && filesOk && searchCorrect();
}

QJsonObject Report::toJson() const
{
    const Stats &s = stats;
    QJsonObject errors;
    for (auto it = s.errors.cbegin(); it != s.errors.cend(); ++it)
        errors.insert(it.key(), it.value());
    QJsonObject latency{
        {"delivery"_L1, histogramJson(s.delivery)}, {"ack"_L1, histogramJson(s.ack)},
        {"connect"_L1, histogramJson(s.connect)},   {"resume"_L1, histogramJson(s.resume)},
        {"ping"_L1, histogramJson(s.ping)},         {"send_lag"_L1, histogramJson(s.sendLag)},
    };
    const double m = measuredSeconds;
    // search: the messages were sent while seeding, before the measured window.
    const double sending = options.scenario == Scenario::Search ? seedSeconds : m;
    QJsonObject throughput{
        {"sends"_L1, s.sends},
        {"acks"_L1, s.acks},
        {"deliveries"_L1, s.deliveries},
        {"connects"_L1, s.connects},
        {"pings"_L1, s.pings},
        {"sends_per_s"_L1, perSecond(s.sends, sending)},
        {"acks_per_s"_L1, perSecond(s.acks, sending)},
        {"deliveries_per_s"_L1, perSecond(s.deliveries, sending)},
        {"connects_per_s"_L1, perSecond(s.connects, m)},
    };
    QJsonObject harness{
        {"workers"_L1, options.workers},
        {"cpu_seconds"_L1, harnessEnd.cpuSeconds - harnessStart.cpuSeconds},
        {"cpu_share"_L1, m > 0 ? (harnessEnd.cpuSeconds - harnessStart.cpuSeconds) / m : 0.0},
        {"peak_rss_bytes"_L1, harnessEnd.peakRssBytes},
        {"send_lag_p99_us"_L1, s.sendLag.percentile(99)},
    };
    QJsonObject out{
        {"schema"_L1, u"confab-bench/1"_s},
        {"scenario"_L1, scenarioName(options.scenario)},
        {"target"_L1, target},
        {"url"_L1, url},
        {"run_id"_L1, options.runId},
        {"started_at"_L1, startedAt},
        {"params"_L1, paramsJson(options)},
        {"host"_L1, QJsonObject{{"cores"_L1, QThread::idealThreadCount()},
                                {"kernel"_L1, QSysInfo::kernelVersion()},
                                {"qt"_L1, QString::fromLatin1(qVersion())}}},
        {"setup"_L1, QJsonObject{{"seconds"_L1, setupSeconds},
                                 {"clients_ready"_L1, clientsReady},
                                 {"failures"_L1, setupFailures}}},
        {"measured_s"_L1, m},
        {"throughput"_L1, throughput},
        {"latency_us"_L1, latency},
        {"correctness"_L1, correctnessJson(*this)},
        {"errors"_L1, errors},
        {"server"_L1, serverJson(*this)},
        {"harness"_L1, harness},
        {"series"_L1, seriesJson(*this)},
    };
    if (files)
        out.insert("files"_L1, filesJson(*this));
    if (options.scenario == Scenario::Search)
        out.insert("search"_L1, searchJson(*this));
    return out;
}

QList<std::pair<QString, double>> flattenMetrics(const QJsonObject &report)
{
    QList<std::pair<QString, double>> out;
    std::function<void(const QJsonObject &, const QString &)> walk = [&](const QJsonObject &o,
                                                                         const QString &prefix) {
        for (auto it = o.begin(); it != o.end(); ++it) {
            const QString key = prefix.isEmpty() ? it.key() : prefix + u'.' + it.key();
            if (key == u"series"_s || key == u"host"_s)
                continue;
            if (it->isObject())
                walk(it->toObject(), key);
            else if (it->isDouble())
                out.append({key, it->toDouble()});
            else if (it->isBool())
                out.append({key, it->toBool() ? 1.0 : 0.0});
        }
    };
    walk(report, {});
    return out;
}

namespace {
std::optional<QJsonObject> readReport(const QString &file, QString *error)
{
    QFile f(file);
    if (!f.open(QIODevice::ReadOnly)) {
        *error = u"cannot read %1"_s.arg(file);
        return std::nullopt;
    }
    const QJsonDocument doc = QJsonDocument::fromJson(f.readAll());
    if (!doc.isObject() || doc.object().value("schema"_L1).toString() != u"confab-bench/1"_s) {
        *error = u"%1 is not a confab-bench/1 report"_s.arg(file);
        return std::nullopt;
    }
    return doc.object();
}
} // namespace

QString compareReports(const QString &fileA, const QString &fileB, QString *error)
{
    const auto reportA = readReport(fileA, error);
    const auto reportB = reportA ? readReport(fileB, error) : std::nullopt;
    if (!reportB)
        return {};
    return compareJson(*reportA, *reportB);
}

QString compareJson(const QJsonObject &reportA, const QJsonObject &reportB)
{
    const auto a = flattenMetrics(reportA);
    const auto b = flattenMetrics(reportB);
    QMap<QString, double> bValues;
    for (const auto &[k, v] : b)
        bValues.insert(k, v);
    QString out =
        u"%1 %2 %3 %4\n"_s.arg(u"metric"_s, -44).arg(u"a"_s, 14).arg(u"b"_s, 14).arg(u"b/a"_s, 8);
    for (const auto &[k, v] : a) {
        if (!bValues.contains(k))
            continue;
        const double bv = bValues.value(k);
        if (v == 0 && bv == 0)
            continue; // a metric neither run has (no resumes in a fanout, ...)
        const QString ratio = v != 0 ? QString::number(bv / v, 'f', 3) : u"-"_s;
        out += u"%1 %2 %3 %4\n"_s.arg(k, -44)
                   .arg(QString::number(v, 'g', 10), 14)
                   .arg(QString::number(bv, 'g', 10), 14)
                   .arg(ratio, 8);
    }
    return out;
}

} // namespace confab::bench

namespace confab::bench {

namespace {

QString ms(qint64 us)
{
    return QString::number(double(us) / 1000.0, 'f', us < 10000 ? 2 : 1);
}

QString mb(qint64 bytes)
{
    return QString::number(double(bytes) / (1024.0 * 1024.0), 'f', 1) + u" MB"_s;
}

void latencyRow(QString &out, const char *name, const LatencyHistogram &h)
{
    if (h.isEmpty())
        return;
    out += u"  %1 %2 %3 %4 %5 %6 %7\n"_s.arg(QLatin1StringView(name), -10)
               .arg(h.count(), 10)
               .arg(ms(h.percentile(50)), 8)
               .arg(ms(h.percentile(90)), 8)
               .arg(ms(h.percentile(99)), 8)
               .arg(ms(h.percentile(99.9)), 8)
               .arg(ms(h.max()), 8);
}

void latencyHeader(QString &out)
{
    out += u"\n  %1 %2 %3 %4 %5 %6 %7\n"_s.arg(u"latency ms"_s, -10)
               .arg(u"count"_s, 10)
               .arg(u"p50"_s, 8)
               .arg(u"p90"_s, 8)
               .arg(u"p99"_s, 8)
               .arg(u"p99.9"_s, 8)
               .arg(u"max"_s, 8);
}

void throughputRow(QString &out, const char *name, qint64 n, double seconds)
{
    out += u"  %1 %2 %3\n"_s.arg(QLatin1StringView(name), -10)
               .arg(n, 12)
               .arg(QString::number(perSecond(n, seconds), 'f', 1), 12);
}

QString correctnessLine(const Report &r)
{
    const Stats &s = r.stats;
    QString line = r.correct() ? u"OK"_s : u"FAILED"_s;
    line += u" | lost %1, duplicated %2, out of order %3, missing acks %4, refused %5, "
            u"ack mismatch %6, setup failures %7"_s.arg(s.lost)
                .arg(s.duplicated)
                .arg(s.outOfOrder)
                .arg(s.missingAcks)
                .arg(s.refused)
                .arg(s.ackMismatch)
                .arg(r.setupFailures);
    if (s.unexpectedCloses || s.serverPings || s.presenceNotices) {
        line += u"\n  unexpected closes %1, server pings answered %2, presence notices %3"_s
                    .arg(s.unexpectedCloses)
                    .arg(s.serverPings)
                    .arg(s.presenceNotices);
    }
    if (s.drops || s.reconnects || s.replayed || s.resent) {
        line += u"\n  drops %1, reconnects %2, replayed %3, resent %4, incomplete resyncs %5"_s
                    .arg(s.drops)
                    .arg(s.reconnects)
                    .arg(s.replayed)
                    .arg(s.resent)
                    .arg(s.incompleteResync);
    }
    return line;
}

QString resourcesLines(const Report &r)
{
    QString out;
    const double m = r.measuredSeconds;
    if (r.serverEnd.ok && r.serverRestarted()) {
        out += u"server (%1): restarted during the measured window, so no CPU or memory "
               "figures for it (RSS now %2)\n"_s.arg(r.serverSource, mb(r.serverEnd.rssBytes));
    } else if (r.serverEnd.ok) {
        const double cpu = r.serverEnd.cpuSeconds - r.serverStart.cpuSeconds;
        out += u"server (%1): CPU %2 s in the window (%3 % of one core), RSS %4, peak %5"_s.arg(
            r.serverSource, QString::number(cpu, 'f', 2), QString::number(100 * cpu / m, 'f', 0),
            mb(r.serverEnd.rssBytes), mb(r.serverEnd.peakRssBytes));
        if (const qint64 perConnection = r.serverRssPerConnection(); perConnection >= 0)
            out += u", %1 KB per connection"_s.arg(QString::number(perConnection / 1024.0, 'f', 1));
        out += u'\n';
    } else {
        out += u"server: no CPU/RSS figures (no /metrics and no --server-pid)\n"_s;
    }
    const double hcpu = r.harnessEnd.cpuSeconds - r.harnessStart.cpuSeconds;
    out += u"harness: CPU %1 s (%2 % of one core), peak RSS %3, send lag p99 %4 ms\n"_s.arg(
        QString::number(hcpu, 'f', 2), QString::number(100 * hcpu / m, 'f', 0),
        mb(r.harnessEnd.peakRssBytes), ms(r.stats.sendLag.percentile(99)));
    return out;
}

void messagesLines(QString &out, const Report &r)
{
    const Stats &s = r.stats;
    const double measuredSeconds = r.measuredSeconds;
    out += u"  %1 %2 %3\n"_s.arg(u"throughput"_s, -10).arg(u"count"_s, 12).arg(u"per s"_s, 12);
    throughputRow(out, "sends", s.sends, measuredSeconds);
    throughputRow(out, "acks", s.acks, measuredSeconds);
    throughputRow(out, "deliveries", s.deliveries, measuredSeconds);
    if (s.connects)
        throughputRow(out, "connects", s.connects, measuredSeconds);
    if (s.pings)
        throughputRow(out, "pings", s.pings, measuredSeconds);
    latencyHeader(out);
    latencyRow(out, "delivery", s.delivery);
    latencyRow(out, "ack", s.ack);
    latencyRow(out, "connect", s.connect);
    latencyRow(out, "resume", s.resume);
    latencyRow(out, "ping", s.ping);
}

QString mbps(double v)
{
    return QString::number(v, 'f', 1);
}

QString filesLines(const Report &r)
{
    const FileReport &f = *r.files;
    const Options &o = r.options;
    QString out = u"  files: %1, %2 (%3), %4 B each, %5 clients x %6\n"_s.arg(
        o.fileMode == FileMode::Upload ? u"upload, each read back"_s
                                       : u"download of one shared file"_s,
        fileContentText(o), f.mime.isEmpty() ? u"?"_s : f.mime, QString::number(f.fileBytes),
        QString::number(o.clients),
        o.transfers > 0 ? u"%1 transfers"_s.arg(o.transfers) : u"repeated for the duration"_s);
    out += u"  %1 %2 %3 %4 %5\n"_s.arg(u"transfers"_s, -10)
               .arg(u"count"_s, 10)
               .arg(u"bytes"_s, 14)
               .arg(u"seconds"_s, 9)
               .arg(u"MB/s"_s, 9);
    out += u"  %1 %2 %3 %4 %5\n"_s.arg(u"uploads"_s, -10)
               .arg(f.uploads, 10)
               .arg(f.bytesUp, 14)
               .arg(QString::number(f.upSeconds, 'f', 2), 9)
               .arg(mbps(f.upMBps()), 9);
    out += u"  %1 %2 %3 %4 %5\n"_s.arg(u"downloads"_s, -10)
               .arg(f.downloads, 10)
               .arg(f.bytesDown, 14)
               .arg(QString::number(f.downSeconds, 'f', 2), 9)
               .arg(mbps(f.downMBps()), 9);
    latencyHeader(out);
    latencyRow(out, "upload", f.upload);
    latencyRow(out, "finish", f.finish);
    latencyRow(out, "download", f.download);
    QStringList errors;
    for (auto it = f.errors.cbegin(); it != f.errors.cend(); ++it)
        errors.append(u"%1 %2"_s.arg(it.key()).arg(it.value()));
    out += u"  integrity: %1 | verified %2 of %3 downloads (SHA-256 and ETag), hash mismatches "
           u"%4, ETag mismatches %5, size mismatches %6, thumbnails %7, failed transfers %8%9\n"_s
               .arg(f.correct() && f.verified > 0 ? u"OK"_s : u"FAILED"_s)
               .arg(f.verified)
               .arg(f.downloads)
               .arg(f.hashMismatch)
               .arg(f.etagMismatch)
               .arg(f.sizeMismatch)
               .arg(f.thumbnails)
               .arg(f.failures)
               .arg(errors.isEmpty() ? QString() : u" ("_s + errors.join(u", "_s) + u')');
    if (r.serverStart.ok) {
        out += u"  server RSS: before %1, at start %2, highest sampled %3 (%4%5, %6 samples), "
               u"at end %7, peak %8\n"_s.arg(
                   mb(r.serverBefore.rssBytes), mb(r.serverStart.rssBytes), mb(f.serverRssMaxBytes),
                   f.serverRssMaxBytes >= r.serverStart.rssBytes ? u"+"_s : u"-"_s,
                   mb(std::abs(f.serverRssMaxBytes - r.serverStart.rssBytes)),
                   QString::number(f.rssSamples), mb(r.serverEnd.rssBytes),
                   mb(r.serverEnd.peakRssBytes));
    }
    return out;
}

// One line of the search table: the name, then the cells right-aligned in their columns.
void searchColumns(QString &out, const QString &name, const QStringList &cells)
{
    static constexpr int kWidths[] = {8, 8, 8, 8, 7, 9, 7};
    QString line = u"  "_s + name.leftJustified(15);
    for (qsizetype i = 0; i < cells.size() && i < qsizetype(std::size(kWidths)); ++i)
        line += u' ' + cells[i].rightJustified(kWidths[i]);
    out += line + u'\n';
}

void searchRow(QString &out, const QString &name, const SearchKindStats &k)
{
    const LatencyHistogram &h = k.latency;
    searchColumns(out, name,
                  {QString::number(k.requests), ms(h.percentile(50)), ms(h.percentile(99)),
                   ms(h.max()), QString::number(k.empty), QString::number(k.timedOut),
                   QString::number(k.errors)});
}

QString searchLines(const Report &r)
{
    const Options &o = r.options;
    const SearchStats &s = r.stats.search;
    QString out;
    if (o.seed) {
        out += u"  seeding: %1 of %2 messages acked in %3 s, %4 acks/s (%5 connections x %6 in "
               u"flight), ack p50 %7 ms, p99 %8 ms\n"_s.arg(r.seeded)
                   .arg(o.messages)
                   .arg(QString::number(r.seedSeconds, 'f', 1))
                   .arg(QString::number(perSecond(r.seeded, r.seedSeconds), 'f', 0))
                   .arg(o.clients)
                   .arg(o.inflight)
                   .arg(ms(r.stats.ack.percentile(50)), ms(r.stats.ack.percentile(99)));
    } else {
        out += u"  seeding: none (--no-seed: the store holds run %1's %2 messages)\n"_s.arg(
            o.runId, QString::number(o.messages));
    }
    out += u"  searches: %1 clients, one in flight each, %2 answered in %3 s (%4/s)\n\n"_s
               .arg(o.searchClients)
               .arg(s.all.requests)
               .arg(r.measuredSeconds)
               .arg(QString::number(perSecond(s.all.requests, r.measuredSeconds), 'f', 1));
    searchColumns(
        out, u"query (ms)"_s,
        {u"count"_s, u"p50"_s, u"p99"_s, u"max"_s, u"empty"_s, u"timed out"_s, u"errors"_s});
    for (auto it = s.kinds.cbegin(); it != s.kinds.cend(); ++it)
        searchRow(out, it.key(), it.value());
    searchRow(out, u"all"_s, s.all);
    out += u"\n  phrase checks: %1 | found %2, missed %3, unverified (page full or timed out) "
           u"%4\n"_s.arg(r.searchCorrect() ? u"OK"_s : u"FAILED"_s)
               .arg(s.phraseFound)
               .arg(s.phraseMissed)
               .arg(s.phraseUnverified);
    out += u"  search errors %1, replies saying indexing %2\n"_s.arg(s.errorsTotal).arg(s.indexing);
    return out;
}

} // namespace

QString Report::table() const
{
    const Options &o = options;
    const Stats &s = stats;
    QString out = u"confab-bench %1 -> %2 %3 (run %4)\n"_s.arg(scenarioName(o.scenario), target,
                                                               url, o.runId);
    out += u"clients %1 (ready %2, setup %3 s), rooms %4 x %5 members, senders %6, rate %7/s, "
           u"payload %8 B, %9 s measured after %10 s warm-up, %11 workers\n\n"_s.arg(o.clients)
               .arg(clientsReady)
               .arg(QString::number(setupSeconds, 'f', 1))
               .arg(o.rooms)
               .arg(o.members)
               .arg(o.senders)
               .arg(o.inflight > 0 ? u"closed loop %1 in flight"_s.arg(o.inflight)
                                   : QString::number(o.rate, 'g', 4))
               .arg(o.payload)
               .arg(measuredSeconds)
               .arg(o.warmup)
               .arg(o.workers);
    // A files run sends no text messages (one file post in download mode): its own
    // tables follow.
    const bool search = o.scenario == Scenario::Search;
    const bool messages = !search && (!files || s.sendsTotal > 0);
    if (messages)
        messagesLines(out, *this);
    if (search)
        out += searchLines(*this);
    if (files)
        out += (messages ? u"\n"_s : QString()) + filesLines(*this);
    out += u"\ncorrectness: "_s + correctnessLine(*this) + u'\n';
    QStringList errors;
    for (auto it = s.errors.cbegin(); it != s.errors.cend(); ++it)
        errors.append(u"%1 %2"_s.arg(it.key()).arg(it.value()));
    out += u"errors: "_s + (errors.isEmpty() ? u"none"_s : errors.join(u", "_s)) + u'\n';
    out += resourcesLines(*this);
    return out;
}

} // namespace confab::bench

namespace confab::bench {

QString summarizeReports(const QStringList &files, QString *error)
{
    QList<QString> order;
    QMap<QString, QList<double>> values;
    for (const QString &file : files) {
        const auto report = readReport(file, error);
        if (!report)
            return {};
        for (const auto &[key, value] : flattenMetrics(*report)) {
            if (!values.contains(key))
                order.append(key);
            values[key].append(value);
        }
    }
    QString out = u"%1 %2 %3 %4  (%5 runs)\n"_s.arg(u"metric"_s, -44)
                      .arg(u"median"_s, 14)
                      .arg(u"min"_s, 14)
                      .arg(u"max"_s, 14)
                      .arg(files.size());
    for (const QString &key : std::as_const(order)) {
        QList<double> v = values.value(key);
        std::sort(v.begin(), v.end());
        const qsizetype n = v.size();
        const double median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
        out += u"%1 %2 %3 %4\n"_s.arg(key, -44)
                   .arg(QString::number(median, 'g', 10), 14)
                   .arg(QString::number(v.first(), 'g', 10), 14)
                   .arg(QString::number(v.last(), 'g', 10), 14);
    }
    return out;
}

} // namespace confab::bench
