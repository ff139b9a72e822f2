#pragma once

#include "protocol/errors.h"

#include <QHostAddress>
#include <QString>
#include <optional>

namespace confab::server {

// Everything confab-server can be told, from the INI file and then from flags.
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

    // Reads an INI file on top of the current values. Errors name the file, line and key.
    bool loadFile(const QString &path, QString *error);
    // Applies one "section.key" setting (flags use the same names); false + error if bad.
    bool set(const QString &section, const QString &key, const QString &value, QString *error);
    bool setListen(const QString &value, QString *error);
    QString effectiveDbUrl() const;
};

} // namespace confab::server
