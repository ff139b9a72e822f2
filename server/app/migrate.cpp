#include "app/migrate.h"

#include "app/config.h"
#include "core/serverconfig.h"
#include "store/storecopy.h"

#include <QCommandLineParser>
#include <QElapsedTimer>
#include <QTextStream>
#include <cstdio>

namespace confab::server {

using namespace Qt::StringLiterals;

void addMigrateStoreOptions(QCommandLineParser &parser)
{
    parser.addOption({u"to"_s,
                      u"migrate-store: the empty target store, postgres://user[:pw]@host[:port]/db "
                      "(or a SQLite file)."_s,
                      u"url"_s});
}

int migrateStoreCommand(const QCommandLineParser &parser, const ServerConfig &config)
{
    QTextStream out(stdout);
    QTextStream err(stderr);
    if (parser.positionalArguments().size() != 1 || !parser.isSet(u"to"_s)) {
        err << "confab-server: usage: migrate-store --to postgres://user[:pw]@host[:port]/db\n";
        return 2;
    }
    QString error;
    const std::optional<StoreConfig> from = StoreConfig::fromUrl(effectiveDbUrl(config), &error);
    if (!from) {
        err << "confab-server: the source store: " << error << "\n";
        return 2;
    }
    const std::optional<StoreConfig> to = StoreConfig::fromUrl(parser.value(u"to"_s), &error);
    if (!to) {
        err << "confab-server: --to: " << error << "\n";
        return 2;
    }
    out << "copying " << from->describe() << " to " << to->describe() << "\n" << Qt::flush;
    QElapsedTimer timer;
    timer.start();
    StoreCopyReport report;
    const bool ok = copyStore(*from, *to, &report, &error, [&](const QString &table, qint64 rows) {
        out << "  " << table << ": " << rows << (rows == 1 ? " row\n" : " rows\n") << Qt::flush;
    });
    if (!ok) {
        err << "confab-server: migrate-store: " << error << "\n";
        return 1;
    }
    out << "done in " << QString::number(double(timer.elapsed()) / 1000.0, 'f', 1)
        << " s: schema version " << report.schemaVersion << ", epoch " << report.epoch
        << " (kept, so clients keep their caches)\n"
        << "Point the server at the new store (db = ... in [server] or --db) before starting "
           "it again; the source is left as it was.\n";
    return 0;
}

} // namespace confab::server
