#pragma once

#include <QIcon>
#include <QObject>
#include <memory>

class QSystemTrayIcon;
class QMenu;
class QAction;

namespace confab::app {

// The tray icon: the app's mark with a dot while anything is unread (red for mentions),
// a tooltip with the counts, a click that raises the window and a small menu. Absent
// where the desktop has no tray (then closing the window quits). UI thread only.
class TrayIcon : public QObject
{
    Q_OBJECT

public:
    explicit TrayIcon(QObject *parent = nullptr);
    ~TrayIcon() override;

    bool isAvailable() const { return m_tray != nullptr; }
    void setCounts(int unread, int mentions);
    void setDoNotDisturb(bool on);

    // The app's icon drawn at a size; badge: 0 none, 1 unread, 2 mention.
    static QIcon appIcon(int badge = 0);

signals:
    void activated();
    void doNotDisturbToggled(bool on);
    void quitRequested();

private:
    void update();

    QSystemTrayIcon *m_tray = nullptr;
    std::unique_ptr<QMenu> m_menu;
    QAction *m_dnd = nullptr;
    int m_unread = 0;
    int m_mentions = 0;
    int m_badge = -1;
};

} // namespace confab::app
