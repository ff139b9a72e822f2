#pragma once

class QCommandLineParser;

namespace confab::server {

struct ServerConfig;

// `confab-server migrate-store --to URL`: copies the store that the configuration names
// (--config, --state-dir, --db) into the empty store at URL, typically from the embedded
// SQLite file to PostgreSQL. Returns the exit code: 0 when done, 1 when the copy failed or
// the target is not empty (nothing is left in it then), 2 for a usage error.
void addMigrateStoreOptions(QCommandLineParser &parser);
int migrateStoreCommand(const QCommandLineParser &parser, const ServerConfig &config);

} // namespace confab::server
