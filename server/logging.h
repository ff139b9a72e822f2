#pragma once

#include <QLoggingCategory>

// Every logging category of confab-server, in one place. Enable with
// QT_LOGGING_RULES or --log-rules, e.g. "confab.server.store.debug=true".
// Never log a password or a token; escape control characters in user-supplied text.
namespace confab::server {

Q_DECLARE_LOGGING_CATEGORY(lcNet)   // confab.server.net
Q_DECLARE_LOGGING_CATEGORY(lcStore) // confab.server.store
Q_DECLARE_LOGGING_CATEGORY(lcAuth)  // confab.server.auth
Q_DECLARE_LOGGING_CATEGORY(lcCore)  // confab.server.core
Q_DECLARE_LOGGING_CATEGORY(lcHttp)  // confab.server.http
Q_DECLARE_LOGGING_CATEGORY(lcApp)   // confab.server.app

} // namespace confab::server
