#pragma once

#include "core/context.h"
#include "wire/websocket.h"

#include <QByteArray>

namespace confab::server {

// The plain HTTP side of the port: GET /healthz and GET /metrics; anything else is 404.
QByteArray answerHttp(const ServerContext &ctx, const wire::HttpRequest &request);

// Prometheus text exposition of the server's counters and process figures.
QByteArray renderMetrics(const ServerContext &ctx);

} // namespace confab::server
