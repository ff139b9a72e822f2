#include "notifier.h"

#include "logging.h"

#include <QDBusMessage>
#include <QDBusPendingCallWatcher>
#include <QDBusPendingReply>

namespace confab::app {

using namespace Qt::StringLiterals;

namespace {
constexpr int kMaxBodyChars = 300;

QString interfaceName()
{
    return QString::fromLatin1(Notifier::kService);
}

QDBusMessage call(const QString &method)
{
    return QDBusMessage::createMethodCall(interfaceName(), QString::fromLatin1(Notifier::kPath),
                                          interfaceName(), method);
}
} // namespace

Notifier::Notifier(const QDBusConnection &bus, QObject *parent)
    : QObject(parent)
    , m_bus(bus)
{
    const QString path = QString::fromLatin1(kPath);
    if (!m_bus.connect(interfaceName(), path, interfaceName(), u"ActionInvoked"_s, this,
                       SLOT(onActionInvoked(uint, QString))) ||
        !m_bus.connect(interfaceName(), path, interfaceName(), u"NotificationClosed"_s, this,
                       SLOT(onClosed(uint, uint))))
        qCWarning(lcNotify) << "no notification signals:" << m_bus.lastError().message();
    queryCapabilities();
}

void Notifier::queryCapabilities()
{
    auto *watcher = new QDBusPendingCallWatcher(m_bus.asyncCall(call(u"GetCapabilities"_s)), this);
    connect(watcher, &QDBusPendingCallWatcher::finished, this, [this](QDBusPendingCallWatcher *w) {
        const QDBusPendingReply<QStringList> reply = *w;
        w->deleteLater();
        if (reply.isError()) {
            qCInfo(lcNotify) << "no notification server:" << reply.error().message();
            return;
        }
        m_markup = reply.value().contains(u"body-markup"_s);
    });
}

void Notifier::show(const QString &roomId, const QString &title, const QString &body, qint64 seq,
                    const QString &reason)
{
    Shown &shown = m_rooms[roomId];
    shown.withdrawn = false;
    if (shown.inFlight) {
        shown.nextTitle = title;
        shown.nextBody = body;
        shown.nextReason = reason;
        shown.nextSeq = seq;
        return;
    }
    send(roomId, title, body, seq, reason);
}

void Notifier::send(const QString &roomId, const QString &title, const QString &body, qint64 seq,
                    const QString &reason)
{
    Shown &shown = m_rooms[roomId];
    shown.inFlight = true;
    shown.seq = seq;
    QString text = body.size() > kMaxBodyChars ? body.left(kMaxBodyChars) + u"…"_s : body;
    if (m_markup)
        text = text.toHtmlEscaped();
    QVariantMap hints{{u"category"_s, u"im.received"_s},
                      {u"desktop-entry"_s, u"confab"_s},
                      {u"urgency"_s, QVariant::fromValue(uchar(reason == u"mention"_s ? 2 : 1))}};
    QDBusMessage msg = call(u"Notify"_s);
    msg << u"Confab"_s << shown.id << u"confab"_s << title << text
        << QStringList{u"default"_s, tr("Open"), u"open"_s, tr("Open")} << hints << int(-1);
    auto *watcher = new QDBusPendingCallWatcher(m_bus.asyncCall(msg), this);
    connect(watcher, &QDBusPendingCallWatcher::finished, this,
            [this, roomId](QDBusPendingCallWatcher *w) {
                const QDBusPendingReply<uint> reply = *w;
                w->deleteLater();
                if (reply.isError())
                    qCInfo(lcNotify) << "notification not shown:" << reply.error().message();
                onReply(roomId, reply.isError() ? 0 : reply.value());
            });
}

void Notifier::onReply(const QString &roomId, uint id)
{
    const auto it = m_rooms.find(roomId);
    if (it == m_rooms.end())
        return;
    it->inFlight = false;
    if (id != 0 && id != it->id) {
        m_roomOfId.remove(it->id);
        it->id = id;
        m_roomOfId.insert(id, roomId);
    }
    if (it->nextSeq > 0) {
        const Shown next = *it;
        it->nextSeq = 0;
        send(roomId, next.nextTitle, next.nextBody, next.nextSeq, next.nextReason);
    } else if (it->withdrawn) {
        withdraw(roomId);
    }
}

void Notifier::withdraw(const QString &roomId)
{
    const auto it = m_rooms.find(roomId);
    if (it == m_rooms.end())
        return;
    if (it->inFlight) {
        it->withdrawn = true; // closed once its id is known
        it->nextSeq = 0;
        return;
    }
    const uint id = it->id;
    m_roomOfId.remove(id);
    m_rooms.erase(it);
    if (id != 0) {
        QDBusMessage msg = call(u"CloseNotification"_s);
        msg << id;
        m_bus.asyncCall(msg);
    }
}

void Notifier::onActionInvoked(uint id, const QString &action)
{
    const QString roomId = m_roomOfId.value(id);
    if (roomId.isEmpty() || (action != u"default"_s && action != u"open"_s))
        return;
    emit activated(roomId, m_rooms.value(roomId).seq);
}

void Notifier::onClosed(uint id, uint)
{
    const QString roomId = m_roomOfId.take(id);
    if (!roomId.isEmpty() && !m_rooms.value(roomId).inFlight)
        m_rooms.remove(roomId);
}

} // namespace confab::app
