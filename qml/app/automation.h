#pragma once

#include <QJsonObject>
#include <QObject>
#include <QPointer>

class QLocalServer;
class QLocalSocket;
class QQuickWindow;
class QQuickItem;
class QQmlApplicationEngine;

namespace confab::app {

// The end-to-end test's hands and eyes, on only with --automation NAME: a local socket
// that takes one JSON command per line and answers one JSON object per line. It acts
// the way a user does (keys into the focused item, clicks at an item's centre) and
// reads what the window shows (item properties by objectName, the rows of a view's
// model, a screenshot). It holds no test logic.
class AutomationBench;

class Automation : public QObject
{
    Q_OBJECT

public:
    Automation(QQmlApplicationEngine *engine, QObject *parent = nullptr);
    bool listen(const QString &name, QString *error);

private:
    void onConnection();
    void onReadyRead(QLocalSocket *socket);
    QJsonObject run(const QJsonObject &cmd);
    QQuickWindow *window() const;
    AutomationBench *bench();
    QObject *find(const QString &name) const;
    QJsonObject click(const QJsonObject &cmd);
    QJsonObject keys(const QJsonObject &cmd);
    QJsonObject modelRows(const QJsonObject &cmd);
    QJsonObject invoke(const QJsonObject &cmd);
    QJsonObject screenshot(const QJsonObject &cmd);
    QJsonObject items(const QJsonObject &cmd);

    QQmlApplicationEngine *m_engine;
    QLocalServer *m_server;
    AutomationBench *m_bench = nullptr;
};

} // namespace confab::app
