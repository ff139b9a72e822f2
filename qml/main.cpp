// confab: the desktop app. The window is QML (module Confab.Ui) over the client core
// (Confab.Core); this file only wires the process together.
#include "app/appcontroller.h"
#include "app/automation.h"
#include "app/startupoptions.h"
#include "app/trayicon.h"

#include <QApplication>
#include <QQmlApplicationEngine>
#include <QQuickStyle>
#include <QQuickWindow>
#include <QtQml/qqmlextensionplugin.h>
#include <cstdio>

Q_IMPORT_QML_PLUGIN(Confab_CorePlugin)
Q_IMPORT_QML_PLUGIN(Confab_UiPlugin)

using namespace Qt::StringLiterals;

int main(int argc, char *argv[])
{
    // The command line first: --help and mistakes need no display.
    QStringList arguments;
    for (int i = 0; i < argc; ++i)
        arguments.append(QString::fromLocal8Bit(argv[i]));
    const auto options = confab::app::StartupOptions::parse(arguments);
    if (options.showHelp) {
        std::fputs(qPrintable(confab::app::StartupOptions::helpText()), stdout);
        return 0;
    }
    if (!options.errorText.isEmpty()) {
        std::fprintf(stderr, "confab: %s\n", qPrintable(options.errorText));
        return 2;
    }

    // QApplication, not QGuiApplication: the tray icon and its menu are widgets.
    QApplication app(argc, argv);
    QApplication::setApplicationName(u"confab"_s);
    QApplication::setOrganizationName(u"confab"_s);
    QApplication::setApplicationDisplayName(u"Confab"_s);
    QApplication::setApplicationVersion(QStringLiteral(CONFAB_VERSION));
    QApplication::setDesktopFileName(u"confab"_s);
    QApplication::setWindowIcon(confab::app::TrayIcon::appIcon());
    // One style everywhere; its palette comes from Theme (Main.qml).
    QQuickStyle::setStyle(u"Fusion"_s);
    // Native glyph rendering: crisp desktop text, and far cheaper than distance-field text
    // where OpenGL is software (llvmpipe) - the timeline is mostly text.
    QQuickWindow::setTextRenderType(QQuickWindow::NativeTextRendering);

    confab::app::AppController controller(options);
    controller.restore();

    QQmlApplicationEngine engine;
    engine.addImportPath(u"qrc:/"_s);
    engine.load(QUrl(u"qrc:/Confab/Ui/Main.qml"_s));
    if (engine.rootObjects().isEmpty())
        return 1;

    confab::app::Automation automation(&engine);
    if (!options.automation.isEmpty()) {
        QString error;
        if (!automation.listen(options.automation, &error)) {
            std::fprintf(stderr, "confab: automation socket: %s\n", qPrintable(error));
            return 1;
        }
    }
    return app.exec();
}
