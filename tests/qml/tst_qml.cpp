// Qt Quick Test runner for the app's components (tests/qml/tst_*.qml): the Confab.Ui
// and Confab.Core modules are static, so their plugins are imported here and found in
// the resources.
#include <QQmlEngine>
#include <QtQml/qqmlextensionplugin.h>
#include <QtQuickTest>

Q_IMPORT_QML_PLUGIN(Confab_CorePlugin)
Q_IMPORT_QML_PLUGIN(Confab_UiPlugin)

class Setup : public QObject
{
    Q_OBJECT

public slots:
    void qmlEngineAvailable(QQmlEngine *engine) { engine->addImportPath(QStringLiteral("qrc:/")); }
};

QUICK_TEST_MAIN_WITH_SETUP(confab_qml, Setup)
#include "tst_qml.moc"
