#include "cli.h"

#include "eventloop/filelimit.h"
#include "floor.h"
#include "options.h"
#include "plot.h"
#include "report.h"
#include "runner.h"

#include <QFile>
#include <QJsonDocument>
#include <QTextStream>

namespace confab::bench {

using namespace Qt::StringLiterals;

namespace {

QTextStream &err()
{
    static QTextStream stream(stderr);
    return stream;
}

int compare(const QStringList &args)
{
    if (args.size() != 4) {
        err() << "usage: confab-bench compare a.json b.json\n";
        return 2;
    }
    QString error;
    const QString text = compareReports(args[2], args[3], &error);
    if (!error.isEmpty()) {
        err() << error << '\n';
        return 2;
    }
    QTextStream(stdout) << text;
    return 0;
}

bool writeOutputs(const Report &report, const Options &o)
{
    bool ok = true;
    if (!o.jsonFile.isEmpty()) {
        QFile f(o.jsonFile);
        if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate) ||
            f.write(QJsonDocument(report.toJson()).toJson(QJsonDocument::Indented)) < 0) {
            err() << "cannot write " << o.jsonFile << '\n';
            ok = false;
        }
    }
    if (!o.plotFile.isEmpty()) {
        QString error;
        if (!writePlot(report, o.plotFile, &error)) {
            err() << error << '\n';
            ok = false;
        }
    }
    return ok;
}

int summary(const QStringList &args)
{
    if (args.size() < 3) {
        err() << "usage: confab-bench summary run1.json [run2.json ...]\n";
        return 2;
    }
    QString error;
    const QString text = summarizeReports(args.mid(2), &error);
    if (!error.isEmpty()) {
        err() << error << '\n';
        return 2;
    }
    QTextStream(stdout) << text;
    return 0;
}

std::optional<Report> runOnce(const Options &options, QString *error)
{
    Runner runner(options);
    if (!options.quiet)
        runner.setProgress([](const QString &line) { err() << line << Qt::endl; });
    return runner.run(error);
}

// "run.json" -> "run.ws.json": where --versus writes the peer's report and plot.
QString peerFile(const QString &file)
{
    if (file.isEmpty())
        return file;
    const qsizetype dot = file.lastIndexOf(u'.');
    const qsizetype slash = file.lastIndexOf(u'/');
    return dot > slash ? file.left(dot) + u".ws"_s + file.mid(dot) : file + u".ws"_s;
}

Options peerVersion(const Options &options)
{
    Options o = options;
    o.target = Target::WsPeer;
    o.versusPeer = false;
    o.url = QUrl();
    o.serverPid = 0;
    o.jsonFile = peerFile(options.jsonFile);
    o.plotFile = peerFile(options.plotFile);
    return o;
}

} // namespace

qint64 filesNeeded(int clients)
{
    return qint64(clients) + 256;
}

QString descriptorShortage(int clients, const FileLimit &limit)
{
    const qint64 needed = filesNeeded(clients);
    if (limit.soft < 0 || needed <= limit.soft)
        return {};
    return u"%1 connections need about %2 file descriptors, but this process may open %3 "
           "(hard limit %4, which only a process with CAP_SYS_RESOURCE may raise: "
           "`ulimit -Hn`, LimitNOFILE=). Use fewer --clients, or run several harness "
           "processes, each with its own --run-id."_s.arg(clients)
               .arg(needed)
               .arg(limit.soft)
               .arg(limit.hard);
}

int runCli(const QStringList &arguments)
{
    if (arguments.value(1) == u"compare"_s)
        return compare(arguments);
    if (arguments.value(1) == u"summary"_s)
        return summary(arguments);
    if (arguments.value(1) == u"floor"_s)
        return runFloor(arguments.mid(2));
    QString error;
    const std::optional<Options> options = parseOptions(arguments, &error);
    if (!options) {
        err() << error << '\n';
        return 2;
    }
    // A run that cannot open its connections would only time out in its setup.
    const QString shortage =
        descriptorShortage(options->clients, raiseFileLimit(filesNeeded(options->clients)));
    if (!shortage.isEmpty()) {
        err() << "confab-bench: " << shortage << '\n';
        return 3;
    }
    const std::optional<Report> report = runOnce(*options, &error);
    if (!report) {
        err() << "confab-bench: " << error << '\n';
        return 3;
    }
    QTextStream(stdout) << report->table();
    if (!writeOutputs(*report, report->options))
        return 3;
    if (!options->versusPeer)
        return report->correct() ? 0 : 1;
    // The same load on the ws peer, right after, on the same machine; then the ratios.
    const Options peerOptions = peerVersion(*options);
    const std::optional<Report> peer = runOnce(peerOptions, &error);
    if (!peer) {
        err() << "confab-bench: ws peer: " << error << '\n';
        return 3;
    }
    QTextStream(stdout) << '\n'
                        << peer->table() << "\nconfab (a) versus ws peer (b):\n"
                        << compareJson(report->toJson(), peer->toJson());
    if (!writeOutputs(*peer, peerOptions))
        return 3;
    return report->correct() && peer->correct() ? 0 : 1;
}

} // namespace confab::bench
