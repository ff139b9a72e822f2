#include "logging.h"

namespace confab::server {

// Info and above are on by default: operators see start-up, store and auth problems
// without configuring anything.
Q_LOGGING_CATEGORY(lcNet, "confab.server.net", QtInfoMsg)
Q_LOGGING_CATEGORY(lcStore, "confab.server.store", QtInfoMsg)
Q_LOGGING_CATEGORY(lcAuth, "confab.server.auth", QtInfoMsg)
Q_LOGGING_CATEGORY(lcCore, "confab.server.core", QtInfoMsg)
Q_LOGGING_CATEGORY(lcHttp, "confab.server.http", QtInfoMsg)
Q_LOGGING_CATEGORY(lcApp, "confab.server.app", QtInfoMsg)

} // namespace confab::server
