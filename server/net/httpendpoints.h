#pragma once

#include "core/context.h"
#include "wire/websocket.h"

#include <QByteArray>
#include <functional>
#include <optional>

class QThreadPool;

namespace confab::server {

// The plain HTTP side of the port: GET or HEAD /healthz and /metrics; other paths are
// 404, other methods 405. Returns the answer at once, except for /metrics: that one is
// made on pool (it reads /proc) and handed to done on a pool thread, and nullopt is
// returned. ctx outlives the pool's tasks.
std::optional<QByteArray> answerHttp(const ServerContext &ctx, const wire::HttpRequest &request,
                                     QThreadPool *pool,
                                     std::function<void(const QByteArray &)> done);

// Prometheus text exposition of the server's counters and process figures. Blocking
// (/proc): not for an I/O thread.
QByteArray renderMetrics(const ServerContext &ctx);

} // namespace confab::server
