#pragma once

#include "core/serverconfig.h"

#include <QString>

namespace confab::server {

// Reads an INI file on top of the current values of cfg. Errors name the file, line and
// key.
bool loadConfigFile(ServerConfig &cfg, const QString &path, QString *error);
// Applies one "section.key" setting (flags use the same names); false + error if bad.
bool setConfigValue(ServerConfig &cfg, const QString &section, const QString &key,
                    const QString &value, QString *error);
bool setListen(ServerConfig &cfg, const QString &value, QString *error);
// The store URL: the one given, or the SQLite file in the state directory.
QString effectiveDbUrl(const ServerConfig &cfg);
// Where uploaded files are kept: files.dir, or <state dir>/files.
QString filesRoot(const ServerConfig &cfg);

} // namespace confab::server
