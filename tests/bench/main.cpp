// confab-bench: the developer load harness (see docs/benchmarks.md).
#include "cli.h"

#include <QGuiApplication>
#include <algorithm>
#include <cstring>

int main(int argc, char **argv)
{
    // The GLib dispatcher scans every socket notifier per event (O(n^2) at 10k sockets);
    // the plain UNIX one is what the worker threads need.
    qputenv("QT_NO_GLIB", "1");
    // QPainter text for the PNG plot needs a QGuiApplication (never a display); without
    // --plot a QCoreApplication is enough.
    const bool plot = std::any_of(argv, argv + argc, [](const char *a) {
        return std::strcmp(a, "--plot") == 0 || std::strncmp(a, "--plot=", 7) == 0;
    });
    if (!plot) {
        QCoreApplication app(argc, argv);
        return confab::bench::runCli(app.arguments());
    }
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    QGuiApplication app(argc, argv);
    return confab::bench::runCli(app.arguments());
}
