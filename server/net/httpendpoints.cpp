#include "net/httpendpoints.h"

#include "core/metrics.h"
#include "eventloop/filelimit.h"
#include "protocol/errors.h"
#include "store/writer.h"

#include <QFile>
#include <QThreadPool>
#include <dirent.h>
#include <dlfcn.h>
#include <malloc.h>
#include <unistd.h>

namespace confab::server {

namespace {

void metric(QByteArray &out, const char *name, const char *type, const char *help, qint64 value)
{
    out += "# HELP ";
    out += name;
    out += ' ';
    out += help;
    out += "\n# TYPE ";
    out += name;
    out += ' ';
    out += type;
    out += '\n';
    out += name;
    out += ' ';
    out += QByteArray::number(value);
    out += '\n';
}

// A Prometheus histogram from per-bucket counts (not cumulative; the last one above every
// bound); bounds and sum are divided by scale (microseconds to seconds).
template<size_t N>
void histogram(QByteArray &out, const char *name, const char *help,
               const std::array<quint64, N> &bounds, const std::array<quint64, N + 1> &counts,
               quint64 sum, double scale)
{
    const QByteArray n(name);
    out += "# HELP " + n + ' ' + help + "\n# TYPE " + n + " histogram\n";
    quint64 cumulative = 0;
    for (size_t i = 0; i <= N; ++i) {
        cumulative += counts[i];
        const QByteArray le =
            i < N ? QByteArray::number(double(bounds[i]) / scale, 'g', 6) : QByteArray("+Inf");
        out += n + "_bucket{le=\"" + le + "\"} " + QByteArray::number(cumulative) + '\n';
    }
    out += n + "_sum " + QByteArray::number(double(sum) / scale, 'g', 12) + '\n';
    out += n + "_count " + QByteArray::number(cumulative) + '\n';
}

// When the machine booted (seconds since the Unix epoch), or 0: /proc/stat's btime.
double bootTimeSeconds()
{
    QFile stat(QStringLiteral("/proc/stat"));
    if (!stat.open(QIODevice::ReadOnly))
        return 0;
    const QList<QByteArray> lines = stat.readAll().split('\n');
    for (const QByteArray &l : lines) {
        if (l.startsWith("btime "))
            return l.mid(6).trimmed().toDouble();
    }
    return 0;
}

// Bytes the allocator has handed out and not taken back: what the server holds, whatever
// the allocator keeps cached besides (RSS includes that; TCMalloc keeps more than glibc).
// TCMalloc answers through its C API when it is the allocator, glibc through mallinfo2;
// -1 when neither can tell.
qint64 heapAllocatedBytes()
{
    using Property = int (*)(const char *, size_t *);
    static const auto tcmalloc =
        reinterpret_cast<Property>(::dlsym(RTLD_DEFAULT, "MallocExtension_GetNumericProperty"));
    if (tcmalloc) {
        size_t bytes = 0;
        return tcmalloc("generic.current_allocated_bytes", &bytes) ? qint64(bytes) : -1;
    }
#if defined(__GLIBC__)
    const struct mallinfo2 info = ::mallinfo2();
    return qint64(info.uordblks + info.hblkhd);
#else
    return -1;
#endif
}

// CPU seconds, start time and resident memory of this process, from /proc.
void processFigures(QByteArray &out)
{
    QFile stat(QStringLiteral("/proc/self/stat"));
    if (stat.open(QIODevice::ReadOnly)) {
        const QByteArray line = stat.readAll();
        const QList<QByteArray> fields = line.mid(line.lastIndexOf(')') + 2).split(' ');
        // After the command: field 3 is state, utime/stime are fields 14 and 15 (1-based).
        if (fields.size() > 13) {
            const double ticks = double(sysconf(_SC_CLK_TCK));
            const double cpu = (fields[11].toDouble() + fields[12].toDouble()) / ticks;
            out += "# HELP process_cpu_seconds_total User and system CPU time.\n"
                   "# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total " +
                   QByteArray::number(cpu, 'f', 2) + '\n';
            // So that a scraper (the load harness among them) can tell a restart from a
            // counter that went backwards.
            if (const double boot = bootTimeSeconds(); boot > 0 && fields.size() > 19) {
                out += "# HELP process_start_time_seconds Start time of the process since "
                       "the Unix epoch.\n# TYPE process_start_time_seconds gauge\n"
                       "process_start_time_seconds " +
                       QByteArray::number(boot + fields[19].toDouble() / ticks, 'f', 2) + '\n';
            }
        }
    }
    QFile status(QStringLiteral("/proc/self/status"));
    if (status.open(QIODevice::ReadOnly)) {
        const QList<QByteArray> lines = status.readAll().split('\n');
        for (const QByteArray &l : lines) {
            const bool rss = l.startsWith("VmRSS:");
            if (!rss && !l.startsWith("VmHWM:"))
                continue;
            const qint64 kb = l.mid(6).trimmed().split(' ').value(0).toLongLong();
            metric(out,
                   rss ? "process_resident_memory_bytes" : "process_peak_resident_memory_bytes",
                   "gauge", rss ? "Resident memory." : "Peak resident memory.", kb * 1024);
        }
    }
    if (const qint64 heap = heapAllocatedBytes(); heap >= 0) {
        metric(out, "process_heap_allocated_bytes", "gauge",
               "Memory allocated and not yet freed (without what the allocator caches).", heap);
    }
    // Every connection is a descriptor: how close the process is to its limit.
    if (DIR *dir = ::opendir("/proc/self/fd")) {
        qint64 open = -1; // the directory's own descriptor
        while (const dirent *entry = ::readdir(dir)) {
            if (entry->d_name[0] != '.')
                ++open;
        }
        ::closedir(dir);
        metric(out, "process_open_fds", "gauge", "Open file descriptors.", open);
    }
    const FileLimit limit = currentFileLimit();
    if (limit.soft > 0)
        metric(out, "process_max_fds", "gauge", "File descriptor limit (soft).", limit.soft);
}

} // namespace

QByteArray renderMetrics(const ServerContext &ctx)
{
    const Metrics &m = *ctx.metrics;
    QByteArray out;
    auto counter = [&](const char *name, const char *help, const std::atomic<qint64> &v) {
        metric(out, name, "counter", help, v.load(std::memory_order_relaxed));
    };
    counter("confab_connections_accepted_total", "TCP connections accepted.",
            m.connectionsAccepted);
    counter("confab_accept_errors_total",
            "accept() failures, mostly out of file descriptors (the backlog waits meanwhile).",
            m.acceptErrors);
    metric(out, "confab_connections_open", "gauge", "Open connections.", m.connectionsOpen.load());
    metric(out, "confab_sessions_active", "gauge", "Authenticated sessions.",
           m.sessionsActive.load());
    counter("confab_frames_in_total",
            "WebSocket frames read from clients (control frames and fragments included).",
            m.framesIn);
    counter("confab_frames_out_total", "Frames written to clients.", m.framesOut);
    counter("confab_bytes_out_total", "Bytes written to clients.", m.bytesOut);
    counter("confab_socket_writes_total",
            "Writes to the kernel that carried frames (one can carry many).", m.socketWrites);
    counter("confab_events_total", "Events assigned a seq.", m.eventsAssigned);
    counter("confab_events_duplicate_total", "Resends answered from the idempotency record.",
            m.eventsDuplicate);
    counter("confab_events_failed_total", "Events the store refused (never sent to anyone).",
            m.eventsFailed);
    counter("confab_acks_total", "Acks sent.", m.acksSent);
    counter("confab_slow_consumer_closes_total", "Connections closed with 4000.",
            m.slowConsumerCloses);
    counter("confab_logins_total", "Successful authentications.", m.loginsOk);
    counter("confab_login_failures_total", "Failed authentications.", m.loginsFailed);
    counter("confab_tls_handshakes_total", "TLS handshakes completed.", m.tlsHandshakes);
    counter("confab_tls_handshake_failures_total",
            "TLS handshakes that failed (malformed ClientHello, no common protocol, ...).",
            m.tlsHandshakeFailures);
    counter("confab_tls_handshake_timeouts_total",
            "Connections closed for sending no first byte or not finishing the TLS "
            "handshake in time (tls.handshake_timeout_ms).",
            m.tlsHandshakeTimeouts);
    counter("confab_plain_refused_total",
            "Plain WebSocket upgrades refused with 426 (tls = "
            "required).",
            m.plainRefused);
    counter("confab_discovery_answers_total", "LAN discovery probes answered.", m.discoveryAnswers);
    counter("confab_discovery_ignored_total",
            "Datagrams on the discovery port that were not probes, smaller than the answer, "
            "or another copy of a probe already answered.",
            m.discoveryIgnored);
    counter("confab_discovery_rate_limited_total",
            "Discovery probes left unanswered because their source asked too often.",
            m.discoveryRateLimited);
    out +=
        "# HELP confab_errors_total Error replies by code.\n# TYPE confab_errors_total counter\n";
    for (size_t i = 0; i < m.errorsByCode.size(); ++i) {
        out += "confab_errors_total{code=\"" +
               protocol::errorCodeName(protocol::ErrorCode(i)).toLatin1() + "\"} " +
               QByteArray::number(m.errorsByCode[i].load()) + '\n';
    }
    if (ctx.writer) {
        const StoreWriter::Stats s = ctx.writer->stats();
        metric(out, "confab_store_pending_writes", "gauge", "Writes queued for the writer.",
               ctx.writer->pending());
        metric(out, "confab_store_batches_total", "counter", "Committed write batches.",
               s.batchesCommitted);
        metric(out, "confab_store_ops_total", "counter", "Committed write operations.",
               s.opsCommitted);
        metric(out, "confab_store_healthy", "gauge", "1 when the last commit succeeded.",
               ctx.writer->healthy() ? 1 : 0);
        histogram(out, "confab_store_commit_ops",
                  "Write operations per committed transaction (group commit).",
                  StoreWriter::kCommitSizeBounds, s.commitSizes, s.opsCommitted, 1);
        histogram(out, "confab_store_commit_seconds",
                  "Time of a committed transaction, BEGIN to the end of COMMIT (its fsync "
                  "included).",
                  StoreWriter::kCommitMicrosBounds, s.commitTimes, s.commitMicros, 1e6);
    }
    processFigures(out);
    return out;
}

std::optional<QByteArray> answerHttp(const ServerContext &ctx, const wire::HttpRequest &request,
                                     QThreadPool *pool,
                                     std::function<void(const QByteArray &)> done)
{
    const QByteArray path = request.target.split('?').value(0);
    const bool head = request.method == "HEAD";
    auto respond = [head](int status, const char *reason, const char *contentType,
                          QByteArrayView body, QByteArrayView extraHeaders = {}) {
        return wire::httpResponse(status, reason, contentType, body, extraHeaders, head);
    };
    if (request.method != "GET" && !head)
        return respond(405, "Method Not Allowed", "text/plain", "GET or HEAD only\n",
                       "Allow: GET, HEAD\r\n");
    if (path == "/healthz") {
        // A load balancer tells a server on its way out from one that is broken.
        if (ctx.draining.load())
            return respond(503, "Service Unavailable", "text/plain", "draining");
        if (ctx.writer && ctx.writer->healthy())
            return respond(200, "OK", "text/plain", "ok");
        return respond(503, "Service Unavailable", "text/plain", "store unavailable");
    }
    if (path == "/metrics") {
        // /proc reads block, and /proc/self/fd lists every connection: tens of thousands
        // of entries that the sockets of this I/O thread must not wait behind.
        startOn(pool, [&ctx, respond, done = std::move(done)] {
            done(respond(200, "OK", "text/plain; version=0.0.4", renderMetrics(ctx)));
        });
        return std::nullopt;
    }
    return respond(404, "Not Found", "text/plain", "not found\n");
}

} // namespace confab::server
