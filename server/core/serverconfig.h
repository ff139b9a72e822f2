#pragma once

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
};

} // namespace confab::server
