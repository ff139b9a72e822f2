#include "automation.h"

#include "appcontroller.h"
#include "automationbench.h"
#include "logging.h"

#include <QAbstractItemModel>
#include <QCoreApplication>
#include <QGuiApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QKeyEvent>
#include <QLocalServer>
#include <QLocalSocket>
#include <QMetaProperty>
#include <QQmlApplicationEngine>
#include <QQuickItem>
#include <QQuickWindow>
#include <QSGRendererInterface>

// Exported by QtGui for QTest (declared in qtestmouse.h); the app does not link QtTest.
Q_GUI_EXPORT void qt_handleMouseEvent(QWindow *window, const QPointF &local, const QPointF &global,
                                      Qt::MouseButtons state, Qt::MouseButton button,
                                      QEvent::Type type, Qt::KeyboardModifiers mods, int timestamp);

namespace confab::app {

using namespace Qt::StringLiterals;

namespace {
QJsonObject fail(const QString &why)
{
    return {{u"ok"_s, false}, {u"error"_s, why}};
}

QJsonValue toJson(const QVariant &v)
{
    if (v.userType() == QMetaType::QDateTime)
        return v.toDateTime().toMSecsSinceEpoch();
    if (auto *obj = v.value<QObject *>())
        return obj->objectName();
    const QJsonValue j = QJsonValue::fromVariant(v);
    if (j.isNull() && v.isValid() && v.canConvert<int>())
        return v.toInt(); // enums
    return j;
}

void collectItems(QQuickItem *item, const QString &name, QList<QQuickItem *> *out)
{
    if (!item)
        return;
    if (item->objectName() == name)
        out->append(item);
    const QList<QQuickItem *> children = item->childItems();
    for (QQuickItem *child : children)
        collectItems(child, name, out);
}

// Whether the item and all its ancestors are visible (what a user could see or hit).
bool shown(const QQuickItem *item)
{
    for (; item; item = item->parentItem()) {
        if (!item->isVisible() || item->opacity() <= 0)
            return false;
    }
    return true;
}

QString graphicsApiName(QSGRendererInterface::GraphicsApi api)
{
    switch (api) {
    case QSGRendererInterface::Software:
        return u"software"_s;
    case QSGRendererInterface::OpenGL:
        return u"OpenGL"_s;
    case QSGRendererInterface::Vulkan:
        return u"Vulkan"_s;
    default:
        return u"other (%1)"_s.arg(int(api));
    }
}

const QMap<QString, int> &keyNames()
{
    static const QMap<QString, int> keys{{u"Return"_s, Qt::Key_Return},
                                         {u"Enter"_s, Qt::Key_Enter},
                                         {u"Escape"_s, Qt::Key_Escape},
                                         {u"Tab"_s, Qt::Key_Tab},
                                         {u"Backspace"_s, Qt::Key_Backspace},
                                         {u"Up"_s, Qt::Key_Up},
                                         {u"Down"_s, Qt::Key_Down},
                                         {u"Left"_s, Qt::Key_Left},
                                         {u"Right"_s, Qt::Key_Right},
                                         {u"PageUp"_s, Qt::Key_PageUp},
                                         {u"PageDown"_s, Qt::Key_PageDown},
                                         {u"Home"_s, Qt::Key_Home},
                                         {u"End"_s, Qt::Key_End},
                                         {u"Delete"_s, Qt::Key_Delete},
                                         {u"Space"_s, Qt::Key_Space}};
    return keys;
}
} // namespace

Automation::Automation(QQmlApplicationEngine *engine, QObject *parent)
    : QObject(parent)
    , m_engine(engine)
    , m_server(new QLocalServer(this))
{
    connect(m_server, &QLocalServer::newConnection, this, &Automation::onConnection);
}

bool Automation::listen(const QString &name, QString *error)
{
    QLocalServer::removeServer(name);
    if (!m_server->listen(name)) {
        *error = m_server->errorString();
        return false;
    }
    qCInfo(lcAutomation) << "automation on" << m_server->fullServerName();
    return true;
}

void Automation::onConnection()
{
    while (QLocalSocket *socket = m_server->nextPendingConnection()) {
        connect(socket, &QLocalSocket::readyRead, this, [this, socket] { onReadyRead(socket); });
        connect(socket, &QLocalSocket::disconnected, socket, &QObject::deleteLater);
    }
}

void Automation::onReadyRead(QLocalSocket *socket)
{
    while (socket->canReadLine()) {
        const QByteArray line = socket->readLine();
        QJsonParseError err;
        const QJsonDocument doc = QJsonDocument::fromJson(line, &err);
        const QPointer<QLocalSocket> to(socket);
        const auto reply = [to](const QJsonObject &r) {
            if (!to)
                return;
            to->write(QJsonDocument(r).toJson(QJsonDocument::Compact) + '\n');
            to->flush();
        };
        if (!doc.isObject())
            reply(fail(u"not a JSON object: "_s + err.errorString()));
        else if (AutomationBench::handles(doc.object().value(u"cmd"_s).toString()) && bench())
            bench()->run(doc.object(), reply); // answers when the measurement ends
        else
            reply(run(doc.object()));
    }
}

AutomationBench *Automation::bench()
{
    if (!m_bench && window()) {
        m_bench = new AutomationBench(
            window(), [this] { return qobject_cast<QQuickItem *>(find(u"timelineView"_s)); }, this);
    }
    return m_bench;
}

QQuickWindow *Automation::window() const
{
    const QList<QObject *> roots = m_engine->rootObjects();
    return roots.isEmpty() ? nullptr : qobject_cast<QQuickWindow *>(roots.first());
}

QObject *Automation::find(const QString &name) const
{
    if (name == u"App"_s)
        return AppController::instance();
    QQuickWindow *w = window();
    if (!w)
        return nullptr;
    if (name == u"window"_s)
        return w;
    // Visible items first (delegates and popups are not in the QObject tree of the
    // window), then any object (dialogs, models) by QObject parentage.
    QList<QQuickItem *> items;
    collectItems(w->contentItem(), name, &items);
    for (QQuickItem *item : std::as_const(items)) {
        if (shown(item))
            return item;
    }
    if (!items.isEmpty())
        return items.first();
    return w->findChild<QObject *>(name);
}

QJsonObject Automation::run(const QJsonObject &cmd)
{
    const QString what = cmd.value(u"cmd"_s).toString();
    qCDebug(lcAutomation) << "command" << what << cmd.value(u"object"_s).toString();
    if (what == u"quit"_s) {
        QMetaObject::invokeMethod(qApp, &QCoreApplication::quit, Qt::QueuedConnection);
        return {{u"ok"_s, true}};
    }
    if (what == u"click"_s)
        return click(cmd);
    if (what == u"keys"_s)
        return keys(cmd);
    if (what == u"rows"_s)
        return modelRows(cmd);
    if (what == u"invoke"_s)
        return invoke(cmd);
    if (what == u"screenshot"_s)
        return screenshot(cmd);
    if (what == u"items"_s)
        return items(cmd);
    if (what == u"info"_s) {
        // What renders: the platform plugin and the scene graph's graphics API.
        QQuickWindow *w = window();
        const QSGRendererInterface *ri = w ? w->rendererInterface() : nullptr;
        return {{u"ok"_s, true},
                {u"platform"_s, QGuiApplication::platformName()},
                {u"graphicsApi"_s, ri ? graphicsApiName(ri->graphicsApi()) : QString()},
                {u"renderLoop"_s, qEnvironmentVariable("QSG_RENDER_LOOP", u"(default)"_s)}};
    }
    if (what == u"focusItem"_s) {
        QQuickWindow *w = window();
        QQuickItem *item = w ? w->activeFocusItem() : nullptr;
        return {{u"ok"_s, true},
                {u"objectName"_s, item ? item->objectName() : QString()},
                {u"className"_s,
                 item ? QString::fromLatin1(item->metaObject()->className()) : QString()}};
    }
    QObject *obj = find(cmd.value(u"object"_s).toString());
    if (what == u"exists"_s) {
        auto *item = qobject_cast<QQuickItem *>(obj);
        return {{u"ok"_s, true},
                {u"exists"_s, obj != nullptr},
                {u"shown"_s, item ? shown(item) : obj != nullptr}};
    }
    if (!obj)
        return fail(u"no object "_s + cmd.value(u"object"_s).toString());
    const QByteArray property = cmd.value(u"property"_s).toString().toUtf8();
    if (what == u"get"_s) {
        // "a.b": a property of the object a property holds (e.g. session.state).
        QObject *target = obj;
        QList<QByteArray> path = property.split('.');
        const QByteArray last = path.takeLast();
        for (const QByteArray &step : std::as_const(path)) {
            target = target ? target->property(step.constData()).value<QObject *>() : nullptr;
        }
        if (!target)
            return fail(u"no object on the path "_s + QString::fromUtf8(property));
        return {{u"ok"_s, true}, {u"value"_s, toJson(target->property(last.constData()))}};
    }
    if (what == u"set"_s) {
        const bool ok = obj->setProperty(property.constData(), cmd.value(u"value"_s).toVariant());
        return ok ? QJsonObject{{u"ok"_s, true}}
                  : fail(u"cannot set "_s + QString::fromUtf8(property));
    }
    if (what == u"focus"_s) {
        auto *item = qobject_cast<QQuickItem *>(obj);
        if (!item)
            return fail(u"not an item"_s);
        item->forceActiveFocus(Qt::OtherFocusReason);
        return {{u"ok"_s, true}, {u"focused"_s, item->hasActiveFocus()}};
    }
    return fail(u"unknown command "_s + what);
}

QJsonObject Automation::click(const QJsonObject &cmd)
{
    auto *item = qobject_cast<QQuickItem *>(find(cmd.value(u"object"_s).toString()));
    QQuickWindow *w = window();
    if (!item || !w)
        return fail(u"no item "_s + cmd.value(u"object"_s).toString());
    if (!shown(item) || !item->isEnabled())
        return fail(u"item not shown or disabled"_s);
    const QPointF at = item->mapToScene(QPointF(item->width() / 2, item->height() / 2));
    const Qt::MouseButton button =
        cmd.value(u"button"_s).toString() == u"right"_s ? Qt::RightButton : Qt::LeftButton;
    // Through the window system interface, as QTest does: the press must update the
    // application's button state for Qt Quick to take it (a QMouseEvent sent straight to
    // the window is ignored).
    static int stamp = 1000;
    const QPointF global = w->mapToGlobal(at);
    qt_handleMouseEvent(w, at, global, Qt::NoButton, Qt::NoButton, QEvent::MouseMove,
                        Qt::NoModifier, stamp += 500);
    qt_handleMouseEvent(w, at, global, button, button, QEvent::MouseButtonPress, Qt::NoModifier,
                        stamp += 500);
    qt_handleMouseEvent(w, at, global, Qt::NoButton, button, QEvent::MouseButtonRelease,
                        Qt::NoModifier, stamp += 500);
    QCoreApplication::processEvents();
    return {{u"ok"_s, true}};
}

QJsonObject Automation::keys(const QJsonObject &cmd)
{
    QQuickWindow *w = window();
    if (!w)
        return fail(u"no window"_s);
    Qt::KeyboardModifiers mods;
    const QJsonArray modNames = cmd.value(u"modifiers"_s).toArray();
    for (const QJsonValue &m : modNames) {
        const QString n = m.toString();
        if (n == u"shift"_s)
            mods |= Qt::ShiftModifier;
        else if (n == u"ctrl"_s)
            mods |= Qt::ControlModifier;
        else if (n == u"alt"_s)
            mods |= Qt::AltModifier;
    }
    const auto sendKey = [w](int key, Qt::KeyboardModifiers m, const QString &text) {
        QKeyEvent press(QEvent::KeyPress, key, m, text);
        QKeyEvent release(QEvent::KeyRelease, key, m, text);
        QCoreApplication::sendEvent(w, &press);
        QCoreApplication::sendEvent(w, &release);
    };
    if (cmd.contains(u"key"_s)) {
        const QString name = cmd.value(u"key"_s).toString();
        int key = keyNames().value(name, 0);
        if (key == 0 && name.size() == 1)
            key = name.toUpper().at(0).unicode();
        if (key == 0)
            return fail(u"unknown key "_s + name);
        const QString text = name.size() == 1 && !(mods & Qt::ControlModifier) ? name : QString();
        sendKey(key, mods, text);
    }
    const QString text = cmd.value(u"text"_s).toString();
    for (const QChar c : text) {
        const int key = c.isLetterOrNumber() ? c.toUpper().unicode() : c.unicode();
        sendKey(key, c.isUpper() ? Qt::ShiftModifier : Qt::NoModifier, QString(c));
    }
    return {{u"ok"_s, true}};
}

QJsonObject Automation::modelRows(const QJsonObject &cmd)
{
    QObject *obj = find(cmd.value(u"object"_s).toString());
    if (!obj)
        return fail(u"no object"_s);
    auto *model = obj->property("model").value<QAbstractItemModel *>();
    if (!model)
        model = qobject_cast<QAbstractItemModel *>(obj);
    if (!model)
        return fail(u"no model"_s);
    const QHash<int, QByteArray> roles = model->roleNames();
    QJsonArray rows;
    const int limit = cmd.value(u"limit"_s).toInt(100);
    for (int row = 0; row < std::min(model->rowCount(), limit); ++row) {
        const QModelIndex i = model->index(row, 0);
        QJsonObject r;
        for (auto it = roles.cbegin(); it != roles.cend(); ++it) {
            if (it.value() != "room" && it.value() != "html")
                r.insert(QString::fromUtf8(it.value()), toJson(i.data(it.key())));
        }
        rows.append(r);
    }
    return {{u"ok"_s, true}, {u"count"_s, model->rowCount()}, {u"rows"_s, rows}};
}

QJsonObject Automation::items(const QJsonObject &cmd)
{
    // The instantiated, visible items of a name (e.g. every message delegate on screen)
    // with the properties asked for.
    QQuickWindow *w = window();
    if (!w)
        return fail(u"no window"_s);
    QList<QQuickItem *> found;
    collectItems(w->contentItem(), cmd.value(u"object"_s).toString(), &found);
    const QJsonArray props = cmd.value(u"properties"_s).toArray();
    QJsonArray out;
    for (QQuickItem *item : std::as_const(found)) {
        if (!shown(item))
            continue;
        QJsonObject o;
        for (const QJsonValue &p : props)
            o.insert(p.toString(), toJson(item->property(p.toString().toUtf8().constData())));
        out.append(o);
    }
    return {{u"ok"_s, true}, {u"items"_s, out}};
}

QJsonObject Automation::invoke(const QJsonObject &cmd)
{
    QObject *obj = find(cmd.value(u"object"_s).toString());
    if (!obj)
        return fail(u"no object"_s);
    const QByteArray method = cmd.value(u"method"_s).toString().toUtf8();
    const QJsonArray args = cmd.value(u"args"_s).toArray();
    QVariant ret;
    bool ok = false;
    // QML functions take and return QVariant.
    if (args.isEmpty()) {
        ok = QMetaObject::invokeMethod(obj, method.constData(), Q_RETURN_ARG(QVariant, ret));
        if (!ok)
            ok = QMetaObject::invokeMethod(obj, method.constData());
    } else if (args.size() == 1) {
        ok = QMetaObject::invokeMethod(obj, method.constData(), Q_RETURN_ARG(QVariant, ret),
                                       Q_ARG(QVariant, args[0].toVariant()));
    } else if (args.size() == 2) {
        ok = QMetaObject::invokeMethod(obj, method.constData(), Q_RETURN_ARG(QVariant, ret),
                                       Q_ARG(QVariant, args[0].toVariant()),
                                       Q_ARG(QVariant, args[1].toVariant()));
    } else {
        ok = QMetaObject::invokeMethod(obj, method.constData(), Q_RETURN_ARG(QVariant, ret),
                                       Q_ARG(QVariant, args[0].toVariant()),
                                       Q_ARG(QVariant, args[1].toVariant()),
                                       Q_ARG(QVariant, args[2].toVariant()));
    }
    if (!ok)
        return fail(u"cannot invoke "_s + QString::fromUtf8(method));
    return {{u"ok"_s, true}, {u"value"_s, toJson(ret)}};
}

QJsonObject Automation::screenshot(const QJsonObject &cmd)
{
    QQuickWindow *w = window();
    if (!w)
        return fail(u"no window"_s);
    const QString path = cmd.value(u"path"_s).toString();
    const QImage image = w->grabWindow();
    if (image.isNull() || !image.save(path))
        return fail(u"cannot save "_s + path);
    return {{u"ok"_s, true}, {u"width"_s, image.width()}, {u"height"_s, image.height()}};
}

} // namespace confab::app
