#pragma once

#include "files/filesconfig.h"
#include "protocol/errors.h"

#include <QHostAddress>
#include <QString>

namespace confab::server {

// Everything confab-server can be told, from the INI file and then from flags (read by
// app/config.h). Plain data: set once before the server starts, read-only afterwards.
struct ServerConfig
{
    QHostAddress listenAddress = QHostAddress::Any;
    quint16 port = protocol::kDefaultPort;
    QString stateDir;
    QString db;      // empty: SQLite file in stateDir; else a store URL
    int workers = 0; // 0: one per core
    // Threads of their own, at the lowest CPU priority, for plain-HTTP file transfers
    // (uploads and downloads), so chat goes first when the cores are busy. 0: transfers
    // stay on the I/O workers.
    int transferWorkers = 1;
    bool allowRegister = false;
    QString serverName = QStringLiteral("confab-server/0.3");
    protocol::Limits limits;
    qint64 outboundQueueBytes = 4 * 1024 * 1024;
    int writerBatchMax = 1024;
    int idempotencyDays = 7;
    int maxPendingWrites = 200000;
    bool fastPasswordHash = false; // Argon2id minimum cost: tests and benchmarks only
    // I/O worker threads: "epoll" (QThreads with the epoll dispatcher) or "qt" (threads
    // of a QThreadPool with Qt's own dispatcher, which scans every socket per wake-up).
    QString eventDispatcher = QStringLiteral("epoll");
    int presenceFanoutLimit = 1000; // rooms larger than this send no presence changes
    int pingIntervalMs = 30000;
    int idleTimeoutMs = 75000;
    int helloTimeoutMs = 10000;
    QString logRules;

    // TLS on the WebSocket port, told apart from plain HTTP by the first byte. Off: plain
    // only. Auto: a self-signed certificate created in the state directory on first
    // start (unless cert and key are given), plain still accepted. On: the given cert and
    // key, plain still accepted. Required: TLS only; a plain upgrade gets HTTP 426.
    enum class TlsMode { Off, Auto, On, Required };
    TlsMode tls = TlsMode::Off;
    QString tlsCert; // PEM files; empty with auto or required: the state directory's own
    QString tlsKey;
    int tlsHandshakeTimeoutMs = 10000; // from accept to the end of the TLS handshake

    // LAN discovery: answers probes on UDP (broadcast and multicast group).
    bool discovery = true;
    quint16 discoveryPort = protocol::kDefaultDiscoveryPort;
    QString discoveryName; // empty: the host name

    // File sharing: uploads, downloads, limits and the garbage collector.
    FilesConfig files;

    // Search: threads of their own (a slow search never delays history), the time one
    // search may take before it answers with what it found, and the backfill's batches
    // (rows per batch on the writer, pause between batches).
    int searchWorkers = 2;
    int searchBudgetMs = 2000;
    int searchBackfillRows = 2000;
    int searchBackfillPauseMs = 10;
};

} // namespace confab::server
