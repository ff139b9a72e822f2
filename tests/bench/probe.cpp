#include "probe.h"

#include <QElapsedTimer>
#include <QFile>
#include <QSslSocket>
#include <QTcpSocket>
#include <cmath>
#include <memory>
#include <unistd.h>

namespace confab::bench {

using namespace Qt::StringLiterals;

ProcessSample parseMetrics(const QByteArray &text)
{
    ProcessSample s;
    const QList<QByteArray> lines = text.split('\n');
    for (const QByteArray &line : lines) {
        if (line.startsWith('#'))
            continue;
        const qsizetype space = line.indexOf(' ');
        if (space < 0)
            continue;
        const QByteArray name = line.left(space);
        const double value = line.mid(space + 1).trimmed().toDouble();
        if (name == "process_cpu_seconds_total") {
            s.cpuSeconds = value;
            s.ok = true;
        } else if (name == "process_resident_memory_bytes") {
            s.rssBytes = qint64(value);
        } else if (name == "process_peak_resident_memory_bytes") {
            s.peakRssBytes = qint64(value);
        } else if (name == "process_start_time_seconds") {
            s.startTime = value;
        }
    }
    return s;
}

bool differentProcesses(const ProcessSample &a, const ProcessSample &b)
{
    if (!a.ok || !b.ok)
        return false;
    // A start time moves by rounding only; a restart moves it by at least the time the
    // new process needed to come up, and resets the CPU counter.
    if (a.startTime > 0 && b.startTime > 0 && std::abs(a.startTime - b.startTime) > 0.5)
        return true;
    return b.cpuSeconds < a.cpuSeconds;
}

ProcessSample sampleMetrics(const QUrl &serverUrl, bool insecure, int timeoutMs)
{
    const bool tls = serverUrl.scheme() == u"wss"_s;
    std::unique_ptr<QTcpSocket> socket;
    if (tls) {
        auto *ssl = new QSslSocket;
        if (insecure)
            ssl->setPeerVerifyMode(QSslSocket::VerifyNone);
        socket.reset(ssl);
        ssl->connectToHostEncrypted(serverUrl.host(), quint16(serverUrl.port(443)));
        if (!ssl->waitForEncrypted(timeoutMs))
            return {};
    } else {
        socket = std::make_unique<QTcpSocket>();
        socket->connectToHost(serverUrl.host(), quint16(serverUrl.port(80)));
        if (!socket->waitForConnected(timeoutMs))
            return {};
    }
    socket->write("GET /metrics HTTP/1.1\r\nHost: " + serverUrl.host().toUtf8() +
                  "\r\nConnection: close\r\n\r\n");
    QByteArray response;
    QElapsedTimer timer;
    timer.start();
    // The server closes after the response (Connection: close).
    while (socket->state() == QAbstractSocket::ConnectedState && timer.elapsed() < timeoutMs) {
        socket->waitForReadyRead(int(std::max<qint64>(1, timeoutMs - timer.elapsed())));
        response += socket->readAll();
    }
    response += socket->readAll();
    if (!response.startsWith("HTTP/1.1 200"))
        return {};
    return parseMetrics(response.mid(response.indexOf("\r\n\r\n") + 4));
}

namespace {
ProcessSample readProc(const QString &dir)
{
    ProcessSample s;
    QFile stat(dir + u"/stat"_s);
    if (!stat.open(QIODevice::ReadOnly))
        return s;
    const QByteArray line = stat.readAll();
    // Fields after "(comm) ": state is the first, utime and stime the 12th and 13th.
    const QList<QByteArray> fields = line.mid(line.lastIndexOf(')') + 2).split(' ');
    if (fields.size() < 13)
        return s;
    const double ticks = double(sysconf(_SC_CLK_TCK));
    s.cpuSeconds = (fields[11].toDouble() + fields[12].toDouble()) / ticks;
    s.ok = true;
    QFile status(dir + u"/status"_s);
    if (status.open(QIODevice::ReadOnly)) {
        const QList<QByteArray> lines = status.readAll().split('\n');
        for (const QByteArray &l : lines) {
            const qint64 kb = l.mid(6).trimmed().split(' ').value(0).toLongLong();
            if (l.startsWith("VmRSS:"))
                s.rssBytes = kb * 1024;
            else if (l.startsWith("VmHWM:"))
                s.peakRssBytes = kb * 1024;
        }
    }
    return s;
}
} // namespace

ProcessSample sampleProc(qint64 pid)
{
    return readProc(u"/proc/%1"_s.arg(pid));
}

ProcessSample sampleSelf()
{
    return readProc(u"/proc/self"_s);
}

} // namespace confab::bench
