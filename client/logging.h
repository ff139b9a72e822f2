#pragma once

#include <QLoggingCategory>

// Every logging category of the client core, in one place. Enable with QT_LOGGING_RULES,
// e.g. "confab.client.*.debug=true". Never log a password or a token; escape control
// characters in user-supplied text (logSafe()).
namespace confab::client {

Q_DECLARE_LOGGING_CATEGORY(lcNet)     // confab.client.net
Q_DECLARE_LOGGING_CATEGORY(lcSession) // confab.client.session
Q_DECLARE_LOGGING_CATEGORY(lcStore)   // confab.client.store
Q_DECLARE_LOGGING_CATEGORY(lcAccount) // confab.client.account
Q_DECLARE_LOGGING_CATEGORY(lcModels)  // confab.client.models

// User-supplied text with control characters escaped, for log lines.
QString logSafe(const QString &text);

} // namespace confab::client
