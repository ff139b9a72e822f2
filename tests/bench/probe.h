#pragma once

#include <QString>
#include <QUrl>

// CPU time and memory of a process: the server under test (from its /metrics page, or
// /proc/<pid> when it runs on this machine and the pid is known) and the harness itself.
namespace confab::bench {

struct ProcessSample
{
    bool ok = false;
    double cpuSeconds = 0;
    qint64 rssBytes = 0;
    qint64 peakRssBytes = 0;
    double startTime = 0; // process start, seconds since the Unix epoch; 0 unknown
};

// True when the samples come from different processes (the server restarted in
// between), so their CPU and memory cannot be compared.
bool differentProcesses(const ProcessSample &a, const ProcessSample &b);

// GET /metrics on the server's own port (blocking, called only from the runner's
// thread between phases).
ProcessSample sampleMetrics(const QUrl &serverUrl, bool insecure, int timeoutMs = 5000);
ProcessSample sampleProc(qint64 pid);
ProcessSample sampleSelf();

// Parses the process_* lines of a Prometheus text page.
ProcessSample parseMetrics(const QByteArray &text);

} // namespace confab::bench
