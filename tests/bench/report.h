#pragma once

#include "filebench.h"
#include "options.h"
#include "probe.h"
#include "stats.h"

#include <QJsonObject>
#include <QString>
#include <optional>

// The result of a run: what was asked, what was measured, whether it was correct; as a
// readable table and as JSON (schema "confab-bench/1", documented in docs/benchmarks.md).
namespace confab::bench {

struct Report
{
    Options options;
    QString target; // "confab" or "ws-peer"
    QString url;
    QString startedAt; // ISO 8601, UTC
    double setupSeconds = 0;
    double measuredSeconds = 0;
    int clientsReady = 0;
    int setupFailures = 0;
    Stats stats;
    // search: the seeding (none with --no-seed); the queries are in stats.search.
    double seedSeconds = 0;
    qint64 seeded = 0;

    // Server under test: CPU seconds spent in the measured window, memory at its end.
    QString serverSource;       // "metrics", "proc" or "none"
    ProcessSample serverBefore; // before the first connection
    ProcessSample serverStart;  // measured window starts
    ProcessSample serverEnd;    // measured window ends
    // The harness itself: the same figures, to show it is not the bottleneck.
    ProcessSample harnessStart;
    ProcessSample harnessEnd;
    // files: the transfers' figures (throughput, latency, integrity, server RSS).
    std::optional<FileReport> files;

    // The server's process changed inside the measured window (a restart): its CPU and
    // memory figures would mix two processes and are left out.
    bool serverRestarted() const { return differentProcesses(serverStart, serverEnd); }
    // Server memory the connections added, per connection; -1 when unknown.
    qint64 serverRssPerConnection() const;

    bool correct() const;
    // search: queries were answered, none failed, and every phrase found its message.
    bool searchCorrect() const;
    QJsonObject toJson() const;
    QString table() const;
};

// Flattens a report's JSON to "a.b.c" -> number (series and host excluded) for compare.
QList<std::pair<QString, double>> flattenMetrics(const QJsonObject &report);
// `confab-bench compare a.json b.json`: metric, a, b, b/a. Returns the text, or an error.
QString compareReports(const QString &fileA, const QString &fileB, QString *error);
QString compareJson(const QJsonObject &a, const QJsonObject &b);
// `confab-bench summary runs*.json`: per metric the median, min and max over the runs.
QString summarizeReports(const QStringList &files, QString *error);

} // namespace confab::bench
