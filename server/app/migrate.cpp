#include "app/migrate.h"

#include "app/config.h"
#include "core/serverconfig.h"
#include "files/filestore.h"
#include "store/database.h"
#include "store/reader.h"
#include "store/storecopy.h"

#include <QCommandLineParser>
#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QLocale>
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
    parser.addOption({u"files-to"_s,
                      u"migrate-store: also copy the uploaded files' content into this directory "
                      "(the new [files] dir), each checked against its SHA-256."_s,
                      u"dir"_s});
}

namespace {

QString sizeOf(qint64 bytes)
{
    return QLocale::c().formattedDataSize(bytes, 1, QLocale::DataSizeIecFormat);
}

// The content the source's file rows name: copied to --files-to, or checked where it is.
// Before the rows themselves, so a failure here leaves the target store empty. False with
// the message printed when the command must stop.
bool moveFileContent(const StoreConfig &from, const QString &filesFrom, const QString &filesTo,
                     QTextStream &out, QTextStream &err)
{
    if (!from.isPostgres() && !QFileInfo::exists(from.path))
        return true; // not made here: the copy says that there is no store
    QString error, epoch;
    // Brought to the current schema first, as the copy does (an old one has no files).
    if (!Database::initialize(from, &epoch, &error)) {
        err << "confab-server: migrate-store: " << error << "\n";
        return false;
    }
    const QSet<QString> hashes = StoreReader(from).storedContent(&error);
    if (!error.isEmpty()) {
        err << "confab-server: migrate-store: " << error << "\n";
        return false;
    }
    ContentCopyReport report;
    if (filesTo.isEmpty()) {
        for (const QString &sha : hashes) {
            if (!QFileInfo::exists(contentPathIn(filesFrom, sha)))
                report.missing.append(sha);
        }
        report.missing.sort();
        if (!hashes.isEmpty()) {
            out << "  file content: " << hashes.size() - report.missing.size() << " files stay in "
                << filesFrom << " (keep it as [files] dir, or copy them with --files-to)\n"
                << Qt::flush;
        }
    } else {
        QElapsedTimer shown;
        shown.start();
        const bool ok =
            copyContent(hashes, filesFrom, filesTo, &report, &error, [&](int done, int total) {
                if (shown.elapsed() < 2000 && done < total)
                    return;
                shown.restart();
                out << "  file content: " << done << " of " << total << "\n" << Qt::flush;
            });
        if (!ok) {
            err << "confab-server: migrate-store: " << error
                << "\nNothing was copied into the target store; run the command again once "
                   "this is mended (content already copied is kept).\n";
            return false;
        }
        out << "  file content: " << report.copied << " copied (" << sizeOf(report.bytes) << "), "
            << report.kept << " already there, to " << filesTo << "\n"
            << Qt::flush;
    }
    if (!report.missing.isEmpty()) {
        err << "confab-server: warning: " << report.missing.size()
            << " files named in the store have no content in " << filesFrom
            << " (their downloads fail already): " << report.missing.mid(0, 5).join(u", "_s)
            << (report.missing.size() > 5 ? u", ..."_s : QString()) << "\n"
            << Qt::flush;
    }
    return true;
}

} // namespace

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
    const QString filesFrom = QDir::cleanPath(QDir(filesRoot(config)).absolutePath());
    QString filesTo;
    if (parser.isSet(u"files-to"_s)) {
        filesTo = QDir::cleanPath(QDir(parser.value(u"files-to"_s)).absolutePath());
        if (parser.value(u"files-to"_s).isEmpty() || filesTo == filesFrom) {
            err << "confab-server: --files-to must name another directory than the source's "
                   "files ("
                << filesFrom << ")\n";
            return 2;
        }
    }
    out << "copying " << from->describe() << " to " << to->describe() << "\n" << Qt::flush;
    QElapsedTimer timer;
    timer.start();
    if (!moveFileContent(*from, filesFrom, filesTo, out, err))
        return 1;
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
        << "Point the server at the new store (db = ... in [server] or --db)"
        << (filesTo.isEmpty() ? "" : " and the files at the new directory ([files] dir)")
        << " before starting it again; the source is left as it was."
        << (filesTo.isEmpty() ? ""
                              : " Unfinished uploads are not copied: the apps start them again.")
        << "\n";
    return 0;
}

} // namespace confab::server
