#pragma once

#include <QDBusConnection>
#include <QDBusMessage>
#include <QList>
#include <QObject>
#include <QStringList>
#include <QVariantMap>

// org.freedesktop.Notifications as a test owns it on a private session bus: it records
// every Notify and CloseNotification call and can emit ActionInvoked as if the user had
// clicked a notification.
namespace confab::testing {

using namespace Qt::StringLiterals;

struct NotifyCall
{
    QString appName;
    uint replacesId = 0;
    QString icon;
    QString summary;
    QString body;
    QStringList actions;
    QVariantMap hints;
    int timeout = 0;
    uint id = 0; // what the server answered
};

class FakeNotifications : public QObject
{
    Q_OBJECT
    Q_CLASSINFO("D-Bus Interface", "org.freedesktop.Notifications")

public:
    explicit FakeNotifications(QStringList capabilities = {u"actions"_s, u"body"_s})
        : m_capabilities(std::move(capabilities))
    {
    }

    bool registerOn(QDBusConnection bus)
    {
        m_bus = bus;
        return bus.registerObject(u"/org/freedesktop/Notifications"_s, this,
                                  QDBusConnection::ExportAllSlots) &&
               bus.registerService(u"org.freedesktop.Notifications"_s);
    }

    QList<NotifyCall> calls;
    QList<uint> closed;

    void invokeAction(uint id, const QString &action)
    {
        QDBusMessage signal =
            QDBusMessage::createSignal(u"/org/freedesktop/Notifications"_s,
                                       u"org.freedesktop.Notifications"_s, u"ActionInvoked"_s);
        signal << id << action;
        m_bus.send(signal);
    }

    void closeByUser(uint id)
    {
        QDBusMessage signal =
            QDBusMessage::createSignal(u"/org/freedesktop/Notifications"_s,
                                       u"org.freedesktop.Notifications"_s, u"NotificationClosed"_s);
        signal << id << uint(2); // dismissed by the user
        m_bus.send(signal);
    }

public slots:
    uint Notify(const QString &appName, uint replacesId, const QString &icon,
                const QString &summary, const QString &body, const QStringList &actions,
                const QVariantMap &hints, int timeout)
    {
        const uint id = replacesId != 0 ? replacesId : ++m_lastId;
        calls.append({appName, replacesId, icon, summary, body, actions, hints, timeout, id});
        return id;
    }
    void CloseNotification(uint id) { closed.append(id); }
    QStringList GetCapabilities() { return m_capabilities; }
    QString GetServerInformation(QString &vendor, QString &version, QString &specVersion)
    {
        vendor = u"confab tests"_s;
        version = u"1"_s;
        specVersion = u"1.2"_s;
        return u"fake"_s;
    }

private:
    QStringList m_capabilities;
    QDBusConnection m_bus{QString()};
    uint m_lastId = 0;
};

} // namespace confab::testing
