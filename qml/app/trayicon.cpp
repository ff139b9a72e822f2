#include "trayicon.h"

#include <QAction>
#include <QMenu>
#include <QPainter>
#include <QPainterPath>
#include <QSystemTrayIcon>

namespace confab::app {

TrayIcon::TrayIcon(QObject *parent)
    : QObject(parent)
{
    if (!QSystemTrayIcon::isSystemTrayAvailable())
        return;
    m_tray = new QSystemTrayIcon(appIcon(), this);
    m_menu = std::make_unique<QMenu>();
    m_menu->addAction(tr("Show Confab"), this, &TrayIcon::activated);
    m_dnd = m_menu->addAction(tr("Do not disturb"));
    m_dnd->setCheckable(true);
    connect(m_dnd, &QAction::toggled, this, &TrayIcon::doNotDisturbToggled);
    m_menu->addSeparator();
    m_menu->addAction(tr("Quit"), this, &TrayIcon::quitRequested);
    m_tray->setContextMenu(m_menu.get());
    connect(m_tray, &QSystemTrayIcon::activated, this, [this](QSystemTrayIcon::ActivationReason r) {
        if (r == QSystemTrayIcon::Trigger || r == QSystemTrayIcon::DoubleClick)
            emit activated();
    });
    update();
    m_tray->show();
}

TrayIcon::~TrayIcon() = default;

void TrayIcon::setCounts(int unread, int mentions)
{
    m_unread = unread;
    m_mentions = mentions;
    update();
}

void TrayIcon::setDoNotDisturb(bool on)
{
    if (m_dnd) {
        const QSignalBlocker block(m_dnd);
        m_dnd->setChecked(on);
    }
}

void TrayIcon::update()
{
    if (!m_tray)
        return;
    const int badge = m_mentions > 0 ? 2 : m_unread > 0 ? 1 : 0;
    if (badge != m_badge) {
        m_badge = badge;
        m_tray->setIcon(appIcon(badge));
    }
    if (m_unread == 0)
        m_tray->setToolTip(tr("Confab: no unread messages"));
    else if (m_mentions == 0)
        m_tray->setToolTip(tr("Confab: %1 unread").arg(m_unread));
    else
        m_tray->setToolTip(
            (m_mentions == 1 ? tr("Confab: %1 unread, 1 mention").arg(m_unread)
                             : tr("Confab: %1 unread, %2 mentions").arg(m_unread).arg(m_mentions)));
}

QIcon TrayIcon::appIcon(int badge)
{
    QIcon icon;
    for (const int size : {16, 22, 24, 32, 48, 64, 128, 256}) {
        QPixmap pm(size, size);
        pm.fill(Qt::transparent);
        QPainter p(&pm);
        p.setRenderHint(QPainter::Antialiasing);
        const qreal s = size;
        // A speech bubble on a rounded square, in the app's accent colour.
        p.setPen(Qt::NoPen);
        p.setBrush(QColor(0x2f, 0x6f, 0xde));
        p.drawRoundedRect(QRectF(0, 0, s, s), s * 0.22, s * 0.22);
        QPainterPath bubble;
        bubble.addRoundedRect(QRectF(s * 0.18, s * 0.2, s * 0.64, s * 0.46), s * 0.14, s * 0.14);
        QPolygonF tail;
        tail << QPointF(s * 0.3, s * 0.6) << QPointF(s * 0.26, s * 0.82)
             << QPointF(s * 0.48, s * 0.64);
        bubble.addPolygon(tail);
        p.setBrush(Qt::white);
        p.drawPath(bubble.simplified());
        p.setBrush(QColor(0x2f, 0x6f, 0xde));
        for (int i = 0; i < 3; ++i)
            p.drawEllipse(QPointF(s * (0.36 + 0.14 * i), s * 0.43), s * 0.045, s * 0.045);
        if (badge > 0) {
            p.setBrush(badge == 2 ? QColor(0xe0, 0x3e, 0x3e) : QColor(0xf0, 0xa0, 0x20));
            p.setPen(QPen(Qt::white, std::max(1.0, s * 0.05)));
            p.drawEllipse(QRectF(s * 0.6, s * 0.02, s * 0.38, s * 0.38));
        }
        p.end();
        icon.addPixmap(pm);
    }
    return icon;
}

} // namespace confab::app
