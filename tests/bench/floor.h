#pragma once

#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>
#include <optional>

// `confab-bench floor`: what the kernel charges the sending side for a small loopback TCP
// write on this machine, with 1, 4, 16, ... frames per write. No Qt sockets, no server:
// plain blocking sockets, the frames sent as the server sends them (one writev of
// iovecs that all point at one shared frame buffer, or one contiguous buffer), a
// separate thread draining the receiving ends. Where a server's CPU per delivery sits
// next to these figures says how much of it is the kernel's.
namespace confab::bench {

struct FloorOptions
{
    QList<int> batches{1, 4, 16, 64}; // frames per write, one measurement each
    qint64 frames = 400'000;          // frames per measurement
    int frameBytes = 167;             // a typical `event` frame on the wire
    int sockets = 100;                // connections written round robin
    bool contiguous = false;          // one buffer per write instead of an iovec per frame
    // > 0: one write every gapUs (the sender spins in between), so that the reader has
    // drained and sleeps when the next write comes: the write then also pays for waking
    // it, as a server's write to a client that waits in epoll_wait does. Only the writes
    // are timed (the clock reads' own cost subtracted).
    int gapUs = 0;
    QString jsonFile;
};

struct FloorResult
{
    int batch = 0;
    qint64 frames = 0;
    qint64 writes = 0; // writev()/write() calls, partial writes included
    qint64 bytesSent = 0;
    qint64 bytesReceived = 0; // by the draining thread: must equal bytesSent
    double senderCpuUs = 0;   // the sending thread's CPU time
    double wallUs = 0;

    double cpuPerFrameUs() const { return frames ? senderCpuUs / double(frames) : 0; }
    double cpuPerWriteUs() const { return writes ? senderCpuUs / double(writes) : 0; }
};

// Parses `confab-bench floor ...` (arguments after the subcommand); nullopt with *error.
std::optional<FloorOptions> parseFloorOptions(const QStringList &args, QString *error);

// One measurement per batch size; nullopt with *error when the sockets cannot be set up
// or a write fails.
std::optional<QList<FloorResult>> measureFloor(const FloorOptions &options, QString *error);

QString floorTable(const FloorOptions &options, const QList<FloorResult> &results);
QJsonObject floorJson(const FloorOptions &options, const QList<FloorResult> &results);

// The subcommand: parse, measure, print, write --json. Exit codes as runCli's.
int runFloor(const QStringList &args);

} // namespace confab::bench
