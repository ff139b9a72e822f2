#pragma once

#include "session/clientsession.h"

#include <QElapsedTimer>
#include <QObject>
#include <QPointer>
#include <QTimer>
#include <QtQml/qqmlregistration.h>

namespace confab::app {

// What the connection banner says about a session: offline (and in how many seconds the
// next attempt is), connecting, catching up (the resume replay, or the open room
// filling a gap), or nothing while all is well.
class ConnectionStatus : public QObject
{
    Q_OBJECT
    QML_ELEMENT
    Q_PROPERTY(
        confab::client::ClientSession *session READ session WRITE setSession NOTIFY sessionChanged)
    Q_PROPERTY(Kind kind READ kind NOTIFY changed)
    Q_PROPERTY(int secondsToRetry READ secondsToRetry NOTIFY changed)
    Q_PROPERTY(QString detail READ detail NOTIFY changed)

public:
    enum class Kind { Online, Offline, Connecting, CatchingUp };
    Q_ENUM(Kind)

    explicit ConnectionStatus(QObject *parent = nullptr);

    client::ClientSession *session() const { return m_session; }
    void setSession(client::ClientSession *session);
    Kind kind() const { return m_kind; }
    int secondsToRetry() const { return m_secondsToRetry; }
    QString detail() const;

signals:
    void sessionChanged();
    void changed();

private:
    void update();
    void watchRoom();

    QPointer<client::ClientSession> m_session;
    QPointer<client::Room> m_room;
    QTimer m_tick;
    QElapsedTimer m_retryClock;
    int m_retryDelayMs = 0;
    Kind m_kind = Kind::Online;
    int m_secondsToRetry = 0;
};

} // namespace confab::app
