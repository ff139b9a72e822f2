#pragma once

#include <QString>

namespace confab::client {

// Whether a message body mentions the user: "@name" or the bare user name or display
// name as a whole word (case-insensitive), or "@room" / "@all" for everyone.
bool mentionsUser(const QString &body, const QString &user, const QString &displayName);

} // namespace confab::client
