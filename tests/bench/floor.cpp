#include "floor.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTextStream>

#include <arpa/inet.h>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <thread>
#include <time.h>
#include <unistd.h>
#include <vector>

namespace confab::bench {

using namespace Qt::StringLiterals;

namespace {

QString systemError(const char *what)
{
    return u"%1: %2"_s.arg(QString::fromLatin1(what), QString::fromLocal8Bit(strerror(errno)));
}

double threadCpuUs()
{
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return double(ts.tv_sec) * 1e6 + double(ts.tv_nsec) / 1e3;
}

// What one threadCpuUs() call adds to an interval it brackets (it is a system call).
double clockReadCostUs()
{
    constexpr int rounds = 2000;
    const double start = threadCpuUs();
    for (int i = 0; i < rounds; ++i)
        threadCpuUs();
    return (threadCpuUs() - start) / rounds;
}

// The connected pairs, and a thread that reads everything that arrives on the receiving
// ends (as fast as it can, so the sender measures its own side of the copy).
class LoopbackPairs
{
public:
    ~LoopbackPairs()
    {
        m_stop = true;
        if (m_drain.joinable())
            m_drain.join();
        for (int fd : m_senders)
            ::close(fd);
        for (int fd : m_receivers)
            ::close(fd);
        if (m_epoll >= 0)
            ::close(m_epoll);
    }

    bool open(int count, QString *error)
    {
        const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (listener < 0) {
            *error = systemError("socket");
            return false;
        }
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof addr;
        const bool listening =
            ::bind(listener, reinterpret_cast<sockaddr *>(&addr), sizeof addr) == 0 &&
            ::listen(listener, count) == 0 &&
            ::getsockname(listener, reinterpret_cast<sockaddr *>(&addr), &len) == 0;
        if (!listening) {
            *error = systemError("listen on 127.0.0.1");
            ::close(listener);
            return false;
        }
        m_epoll = ::epoll_create1(EPOLL_CLOEXEC);
        bool ok = m_epoll >= 0;
        for (int i = 0; ok && i < count; ++i)
            ok = connectOne(listener, addr, error);
        ::close(listener);
        if (!ok) {
            if (error->isEmpty())
                *error = systemError("epoll_create1");
            return false;
        }
        m_drain = std::thread([this] { drain(); });
        return true;
    }

    const std::vector<int> &senders() const { return m_senders; }

    // Waits until `bytes` have arrived in all since open(); false after 30 s without.
    bool waitForReceived(qint64 bytes) const
    {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
        while (m_received.load(std::memory_order_acquire) < bytes) {
            if (std::chrono::steady_clock::now() > deadline)
                return false;
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        return true;
    }
    qint64 received() const { return m_received.load(std::memory_order_acquire); }

private:
    bool connectOne(int listener, const sockaddr_in &addr, QString *error)
    {
        const int client = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (client < 0) {
            *error = systemError("socket");
            return false;
        }
        m_senders.push_back(client);
        if (::connect(client, reinterpret_cast<const sockaddr *>(&addr), sizeof addr) != 0) {
            *error = systemError("connect");
            return false;
        }
        // As the server's sockets: no Nagle delay, every write goes out at once.
        const int one = 1;
        ::setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        const int server = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (server < 0) {
            *error = systemError("accept");
            return false;
        }
        m_receivers.push_back(server);
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.fd = server;
        if (::epoll_ctl(m_epoll, EPOLL_CTL_ADD, server, &ev) != 0) {
            *error = systemError("epoll_ctl");
            return false;
        }
        return true;
    }

    void drain()
    {
        std::vector<char> buffer(256 * 1024);
        epoll_event events[64];
        while (!m_stop.load(std::memory_order_relaxed)) {
            const int n = ::epoll_wait(m_epoll, events, 64, 20);
            for (int i = 0; i < n; ++i) {
                for (;;) {
                    const ssize_t got = ::read(events[i].data.fd, buffer.data(), buffer.size());
                    if (got <= 0)
                        break;
                    m_received.fetch_add(got, std::memory_order_release);
                    if (size_t(got) < buffer.size())
                        break;
                }
            }
        }
    }

    std::vector<int> m_senders;
    std::vector<int> m_receivers;
    int m_epoll = -1;
    std::thread m_drain;
    std::atomic<bool> m_stop{false};
    std::atomic<qint64> m_received{0};
};

// Sends `writes` writes of `batch` frames each, round robin over the sockets, and keeps
// writing the rest of a write the kernel took only in part (a blocking socket does that
// only when interrupted).
bool sendBatches(const std::vector<int> &fds, const FloorOptions &o, int batch, qint64 writes,
                 FloorResult *result, QString *error)
{
    const std::vector<char> frame(size_t(o.frameBytes), 'x');
    const std::vector<char> joined(size_t(o.frameBytes) * size_t(batch), 'x');
    std::vector<iovec> iov(static_cast<size_t>(batch));
    const double clockCost = o.gapUs > 0 ? clockReadCostUs() : 0;
    auto next = std::chrono::steady_clock::now();
    for (qint64 w = 0; w < writes; ++w) {
        if (o.gapUs > 0) {
            next += std::chrono::microseconds(o.gapUs);
            while (std::chrono::steady_clock::now() < next) {
            }
        }
        const double cpu0 = o.gapUs > 0 ? threadCpuUs() : 0;
        const int fd = fds[size_t(w % qint64(fds.size()))];
        if (o.contiguous) {
            iov.resize(1);
            iov[0] = {const_cast<char *>(joined.data()), joined.size()};
        } else {
            iov.resize(size_t(batch));
            for (iovec &v : iov)
                v = {const_cast<char *>(frame.data()), frame.size()};
        }
        size_t first = 0;
        while (first < iov.size()) {
            const ssize_t sent = ::writev(fd, iov.data() + first, int(iov.size() - first));
            if (sent < 0 && errno == EINTR)
                continue;
            if (sent < 0) {
                *error = systemError("writev");
                return false;
            }
            ++result->writes;
            result->bytesSent += sent;
            size_t left = size_t(sent);
            while (first < iov.size() && left >= iov[first].iov_len)
                left -= iov[first++].iov_len;
            if (left > 0) {
                iov[first].iov_base = static_cast<char *>(iov[first].iov_base) + left;
                iov[first].iov_len -= left;
            }
        }
        if (o.gapUs > 0)
            result->senderCpuUs += threadCpuUs() - cpu0 - clockCost;
    }
    return true;
}

bool parseBatches(const QString &text, QList<int> *batches)
{
    batches->clear();
    for (const QString &part : text.split(u',')) {
        bool ok = false;
        const int b = part.trimmed().toInt(&ok);
        if (!ok || b < 1 || b > 1024)
            return false;
        batches->append(b);
    }
    return !batches->isEmpty();
}

} // namespace

std::optional<FloorOptions> parseFloorOptions(const QStringList &args, QString *error)
{
    FloorOptions o;
    for (int i = 0; i < args.size(); ++i) {
        const QString &arg = args[i];
        if (arg == u"--contiguous"_s) {
            o.contiguous = true;
            continue;
        }
        if (!arg.startsWith(u"--"_s) || i + 1 >= args.size()) {
            *error = i + 1 >= args.size() && arg.startsWith(u"--"_s)
                         ? u"floor: %1 needs a value"_s.arg(arg)
                         : u"floor: unexpected argument '%1'"_s.arg(arg);
            return std::nullopt;
        }
        const QString value = args[++i];
        bool ok = true;
        if (arg == u"--batches"_s) {
            ok = parseBatches(value, &o.batches);
        } else if (arg == u"--frames"_s) {
            o.frames = value.toLongLong(&ok);
            ok = ok && o.frames >= 1;
        } else if (arg == u"--frame-bytes"_s) {
            o.frameBytes = value.toInt(&ok);
            ok = ok && o.frameBytes >= 1 && o.frameBytes <= 65536;
        } else if (arg == u"--sockets"_s) {
            o.sockets = value.toInt(&ok);
            ok = ok && o.sockets >= 1 && o.sockets <= 10000;
        } else if (arg == u"--gap-us"_s) {
            o.gapUs = value.toInt(&ok);
            ok = ok && o.gapUs >= 0 && o.gapUs <= 1'000'000;
        } else if (arg == u"--json"_s) {
            o.jsonFile = value;
        } else {
            *error = u"floor: unknown option %1"_s.arg(arg);
            return std::nullopt;
        }
        if (!ok) {
            *error =
                u"floor: invalid value '%1' for %2 (--batches: 1-1024 each, comma-separated;"
                " --frames >= 1; --frame-bytes 1-65536; --sockets 1-10000; --gap-us 0-1000000)"_s
                    .arg(value, arg);
            return std::nullopt;
        }
    }
    return o;
}

std::optional<QList<FloorResult>> measureFloor(const FloorOptions &o, QString *error)
{
    LoopbackPairs pairs;
    if (!pairs.open(o.sockets, error))
        return std::nullopt;
    QList<FloorResult> results;
    for (int batch : o.batches) {
        FloorResult r;
        r.batch = batch;
        const qint64 writes = (o.frames + batch - 1) / batch;
        r.frames = writes * batch;
        const qint64 before = pairs.received();
        const double cpu0 = threadCpuUs();
        const auto wall0 = std::chrono::steady_clock::now();
        if (!sendBatches(pairs.senders(), o, batch, writes, &r, error))
            return std::nullopt;
        if (o.gapUs == 0)
            r.senderCpuUs = threadCpuUs() - cpu0;
        r.wallUs =
            std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - wall0)
                .count();
        if (!pairs.waitForReceived(before + r.bytesSent)) {
            *error = u"floor: %1 of %2 bytes arrived within 30 s"_s.arg(pairs.received() - before)
                         .arg(r.bytesSent);
            return std::nullopt;
        }
        r.bytesReceived = pairs.received() - before;
        results.append(r);
    }
    return results;
}

QString floorTable(const FloorOptions &o, const QList<FloorResult> &results)
{
    QString text;
    QTextStream out(&text);
    out << "kernel floor: " << o.frameBytes << "-byte frames over loopback TCP, " << o.sockets
        << " sockets round robin, " << (o.contiguous ? "one buffer per write" : "writev") << "\n\n";
    out << "frames/write      frames      writes   CPU/frame   CPU/write   wall\n";
    for (const FloorResult &r : results) {
        out << qSetFieldWidth(12) << r.batch << qSetFieldWidth(12) << r.frames << r.writes
            << qSetFieldWidth(0) << "  " << qSetFieldWidth(7) << qSetRealNumberPrecision(3)
            << Qt::fixed << r.cpuPerFrameUs() << qSetFieldWidth(0) << " us  " << qSetFieldWidth(7)
            << r.cpuPerWriteUs() << qSetFieldWidth(0) << " us  " << qSetRealNumberPrecision(2)
            << r.wallUs / 1e6 << " s\n";
    }
    out << "\nCPU is the sending thread's (CLOCK_THREAD_CPUTIME_ID); a separate thread drains "
           "the receiving ends.\n";
    return text;
}

QJsonObject floorJson(const FloorOptions &o, const QList<FloorResult> &results)
{
    QJsonArray rows;
    for (const FloorResult &r : results) {
        rows.append(QJsonObject{{u"framesPerWrite"_s, r.batch},
                                {u"frames"_s, r.frames},
                                {u"writes"_s, r.writes},
                                {u"bytes"_s, r.bytesSent},
                                {u"senderCpuUs"_s, r.senderCpuUs},
                                {u"cpuPerFrameUs"_s, r.cpuPerFrameUs()},
                                {u"cpuPerWriteUs"_s, r.cpuPerWriteUs()},
                                {u"wallUs"_s, r.wallUs}});
    }
    return QJsonObject{{u"schema"_s, u"confab-bench-floor/1"_s},
                       {u"frameBytes"_s, o.frameBytes},
                       {u"sockets"_s, o.sockets},
                       {u"contiguous"_s, o.contiguous},
                       {u"gapUs"_s, o.gapUs},
                       {u"results"_s, rows}};
}

int runFloor(const QStringList &args)
{
    QTextStream err(stderr);
    QString error;
    const std::optional<FloorOptions> options = parseFloorOptions(args, &error);
    if (!options) {
        err << error
            << "\nusage: confab-bench floor [--batches 1,4,16,64] [--frames N] "
               "[--frame-bytes B] [--sockets S] [--gap-us N] [--contiguous] [--json FILE]\n";
        return 2;
    }
    const std::optional<QList<FloorResult>> results = measureFloor(*options, &error);
    if (!results) {
        err << "confab-bench: " << error << '\n';
        return 3;
    }
    QTextStream(stdout) << floorTable(*options, *results);
    if (!options->jsonFile.isEmpty()) {
        QFile f(options->jsonFile);
        if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate) ||
            f.write(QJsonDocument(floorJson(*options, *results)).toJson()) < 0) {
            err << "cannot write " << options->jsonFile << '\n';
            return 3;
        }
    }
    return 0;
}

} // namespace confab::bench
