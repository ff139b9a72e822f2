#pragma once

#include <QColor>
#include <QDBusMessage>
#include <QObject>
#include <QtQml/qqmlregistration.h>

namespace confab::app {

// The app's colours, light or dark. "system" follows the desktop: the freedesktop
// appearance portal's color-scheme (and its changes) where a portal runs, else
// GTK_THEME, else the lightness of the platform palette. QML sees it as the singleton
// Theme; Main.qml gives its colours to the Controls palette so every control agrees.
class Theme : public QObject
{
    Q_OBJECT
    QML_SINGLETON
    QML_ELEMENT
    Q_PROPERTY(QString mode READ mode WRITE setMode NOTIFY changed)
    Q_PROPERTY(bool dark READ dark NOTIFY changed)
    Q_PROPERTY(bool systemDark READ systemDark NOTIFY changed)
    Q_PROPERTY(QColor window READ window NOTIFY changed)
    Q_PROPERTY(QColor base READ base NOTIFY changed)
    Q_PROPERTY(QColor alternateBase READ alternateBase NOTIFY changed)
    Q_PROPERTY(QColor text READ text NOTIFY changed)
    Q_PROPERTY(QColor mutedText READ mutedText NOTIFY changed)
    Q_PROPERTY(QColor border READ border NOTIFY changed)
    Q_PROPERTY(QColor button READ button NOTIFY changed)
    Q_PROPERTY(QColor accent READ accent NOTIFY changed)
    Q_PROPERTY(QColor accentText READ accentText NOTIFY changed)
    Q_PROPERTY(QColor highlight READ highlight NOTIFY changed)
    Q_PROPERTY(QColor hover READ hover NOTIFY changed)
    Q_PROPERTY(QColor sidebar READ sidebar NOTIFY changed)
    Q_PROPERTY(QColor sidebarText READ sidebarText NOTIFY changed)
    Q_PROPERTY(QColor sidebarMuted READ sidebarMuted NOTIFY changed)
    Q_PROPERTY(QColor sidebarSelected READ sidebarSelected NOTIFY changed)
    Q_PROPERTY(QColor link READ link NOTIFY changed)
    Q_PROPERTY(QColor mention READ mention NOTIFY changed)
    Q_PROPERTY(QColor mentionBackground READ mentionBackground NOTIFY changed)
    // Search: the words found in a snippet, and the message a jump lands on (fading).
    Q_PROPERTY(QColor searchHit READ searchHit NOTIFY changed)
    Q_PROPERTY(QColor unreadBadge READ unreadBadge NOTIFY changed)
    Q_PROPERTY(QColor error READ error NOTIFY changed)
    Q_PROPERTY(QColor errorBackground READ errorBackground NOTIFY changed)
    Q_PROPERTY(QColor warningBackground READ warningBackground NOTIFY changed)
    Q_PROPERTY(QColor infoBackground READ infoBackground NOTIFY changed)
    Q_PROPERTY(QColor online READ online NOTIFY changed)
    Q_PROPERTY(QColor away READ away NOTIFY changed)
    Q_PROPERTY(QColor codeBackground READ codeBackground NOTIFY changed)
    Q_PROPERTY(QColor quoteBar READ quoteBar NOTIFY changed)
    Q_PROPERTY(QColor reaction READ reaction NOTIFY changed)
    Q_PROPERTY(QColor reactionMine READ reactionMine NOTIFY changed)
    // Prepended to message HTML: links, code and quotes in the theme's colours.
    Q_PROPERTY(QString messageStyle READ messageStyle NOTIFY changed)

public:
    explicit Theme(QObject *parent = nullptr);

    QString mode() const { return m_mode; }
    void setMode(const QString &mode);
    bool dark() const;
    bool systemDark() const { return m_systemDark; }

    QColor window() const { return pick(0xffffff, 0x1e1f22); }
    QColor base() const { return pick(0xffffff, 0x26282c); }
    QColor alternateBase() const { return pick(0xf4f5f7, 0x2b2d31); }
    QColor text() const { return pick(0x1d1f23, 0xe3e5e8); }
    QColor mutedText() const { return pick(0x5f6670, 0x9ba1a9); }
    QColor border() const { return pick(0xd8dbe0, 0x3a3d43); }
    QColor button() const { return pick(0xf0f1f3, 0x33363b); }
    QColor accent() const { return pick(0x2f6fde, 0x5b8def); }
    QColor accentText() const { return QColor(0xffffff); }
    QColor highlight() const { return pick(0xd6e4fb, 0x2f4a75); }
    QColor hover() const { return pick(0xf2f4f7, 0x2a2c30); }
    QColor sidebar() const { return pick(0x1f2d44, 0x16171a); }
    QColor sidebarText() const { return pick(0xe8edf5, 0xd5d8dc); }
    QColor sidebarMuted() const { return pick(0x8d9ab0, 0x7c8189); }
    QColor sidebarSelected() const { return pick(0x2f6fde, 0x34496f); }
    QColor link() const { return pick(0x1a5fd0, 0x7fb0ff); }
    QColor mention() const { return pick(0xc7362f, 0xf06b63); }
    QColor mentionBackground() const { return pick(0xfff4d6, 0x3d3522); }
    QColor searchHit() const { return pick(0xffe27a, 0x6b5a1e); }
    QColor unreadBadge() const { return pick(0x5b6b86, 0x4f5560); }
    QColor error() const { return pick(0xb3261e, 0xf2817a); }
    QColor errorBackground() const { return pick(0xfde7e5, 0x4a2422); }
    QColor warningBackground() const { return pick(0xfff1cc, 0x4a3d1c); }
    QColor infoBackground() const { return pick(0xe3eefc, 0x22334d); }
    QColor online() const { return pick(0x2e9e57, 0x4cc27a); }
    QColor away() const { return pick(0xd99a1e, 0xe0b04a); }
    QColor codeBackground() const { return pick(0xf0f1f3, 0x33363b); }
    QColor quoteBar() const { return pick(0xb9c0cb, 0x5a6069); }
    QColor reaction() const { return pick(0xf0f1f3, 0x2f3237); }
    QColor reactionMine() const { return pick(0xd6e4fb, 0x2f4a75); }
    QString messageStyle() const;

    // dark is passed in so that bindings re-evaluate when the theme flips.
    Q_INVOKABLE QColor userColor(const QString &user, bool dark) const;

signals:
    void changed();

private slots:
    void onPortalSettingChanged(const QDBusMessage &message);

private:
    QColor pick(QRgb light, QRgb dark) const { return QColor(this->dark() ? dark : light); }
    void setSystemDark(bool on);
    void readPortal();
    static bool fallbackDark();

    QString m_mode = QStringLiteral("system");
    bool m_systemDark = false;
};

} // namespace confab::app
