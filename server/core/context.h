#pragma once

#include "core/serverconfig.h"
#include "eventloop/handoff.h"

#include <QList>
#include <QMetaObject>
#include <QObject>
#include <QString>
#include <atomic>

class QThreadPool;

namespace confab::server {

class FileStore;
class Hub;
class SessionSink;
class SeqBook;
class StoreReader;
class StoreWriter;
struct Metrics;

// Where a session lives: the I/O worker that owns its socket and its id there.
struct SessionRef
{
    int worker = -1;
    quint64 id = 0;
    friend bool operator==(const SessionRef &, const SessionRef &) = default;
};

// The long-lived parts of a running server, created by ServerApp before any thread
// starts and destroyed after all of them stopped; members are set once, then read-only.
struct ServerContext
{
    ServerConfig config;
    QString epoch;
    Metrics *metrics = nullptr;
    StoreWriter *writer = nullptr;
    StoreReader *reader = nullptr;
    SeqBook *seqBook = nullptr;
    Hub *hub = nullptr;
    QList<SessionSink *> sinks;        // one per I/O worker, by index
    QThreadPool *authPool = nullptr;   // Argon2id and token lookups
    QThreadPool *readPool = nullptr;   // history and replay reads
    QThreadPool *filePool = nullptr;   // file requests: lookups, hashing, thumbnails
    QThreadPool *searchPool = nullptr; // searches (their own: a slow one delays no history)
    FileStore *files = nullptr;
    std::atomic<bool> draining{false}; // SIGTERM: refuse new sends
};

// The one way threads talk to each other here: confab::postTo (queued on the target's
// thread), runOn and startOn, from eventloop/handoff.h.
using confab::postTo;
using confab::runOn;
using confab::startOn;

} // namespace confab::server
