#pragma once

#include <QDBusConnection>
#include <QHash>
#include <QObject>

namespace confab::app {

// Desktop notifications through org.freedesktop.Notifications on the session bus: one
// per room, replaced in place as new messages come (replaces_id), withdrawn when the
// room is opened. Clicking one (the "default" or "open" action) reports the room and
// the message. Calls are asynchronous: a missing or slow notification server never
// blocks the UI. Lives on the UI thread.
class Notifier : public QObject
{
    Q_OBJECT

public:
    static constexpr auto kService = "org.freedesktop.Notifications";
    static constexpr auto kPath = "/org/freedesktop/Notifications";

    explicit Notifier(const QDBusConnection &bus, QObject *parent = nullptr);

    void show(const QString &roomId, const QString &title, const QString &body, qint64 seq,
              const QString &reason);
    void withdraw(const QString &roomId);
    // The notification id shown for a room (0: none).
    uint idOf(const QString &roomId) const { return m_rooms.value(roomId).id; }

signals:
    void activated(const QString &roomId, qint64 seq);

private:
    struct Shown
    {
        uint id = 0;    // the server's id; 0 while the first Notify is unanswered
        qint64 seq = 0; // the message it shows
        bool inFlight = false;
        bool withdrawn = false;
        // A newer message that came while a Notify was unanswered: sent on its answer.
        QString nextTitle, nextBody, nextReason;
        qint64 nextSeq = 0;
    };
    void send(const QString &roomId, const QString &title, const QString &body, qint64 seq,
              const QString &reason);
    void onReply(const QString &roomId, uint id);
    void queryCapabilities();

private slots:
    void onActionInvoked(uint id, const QString &action);
    void onClosed(uint id, uint reason);

private:
    QDBusConnection m_bus;
    QHash<QString, Shown> m_rooms;
    QHash<uint, QString> m_roomOfId;
    bool m_markup = false; // the server renders body markup: escape < > &
};

} // namespace confab::app
