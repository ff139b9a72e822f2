#include "connectionstatus.h"

namespace confab::app {

using client::Connection;

ConnectionStatus::ConnectionStatus(QObject *parent)
    : QObject(parent)
{
    m_tick.setInterval(250);
    connect(&m_tick, &QTimer::timeout, this, &ConnectionStatus::update);
}

void ConnectionStatus::setSession(client::ClientSession *session)
{
    if (session == m_session)
        return;
    if (m_session)
        m_session->disconnect(this);
    m_session = session;
    if (session) {
        connect(session, &client::ClientSession::stateChanged, this, [this] {
            m_retryDelayMs = 0;
            update();
        });
        connect(session, &client::ClientSession::errorTextChanged, this,
                &ConnectionStatus::changed);
        connect(session, &client::ClientSession::currentRoomChanged, this,
                &ConnectionStatus::watchRoom);
    }
    watchRoom();
    emit sessionChanged();
}

void ConnectionStatus::watchRoom()
{
    if (m_room)
        m_room->disconnect(this);
    m_room = m_session ? m_session->currentRoom() : nullptr;
    if (m_room)
        connect(m_room, &client::Room::syncingChanged, this, &ConnectionStatus::update);
    update();
}

QString ConnectionStatus::detail() const
{
    return m_session ? m_session->errorText() : QString();
}

void ConnectionStatus::update()
{
    Kind kind = Kind::Online;
    int seconds = 0;
    if (m_session) {
        switch (m_session->state()) {
        case Connection::State::Offline: {
            kind = Kind::Offline;
            // The connection knows the delay of the retry it scheduled; count it down.
            const int delay = m_session->connection()->retryDelayMs();
            if (delay > 0 && m_retryDelayMs == 0) {
                m_retryDelayMs = delay;
                m_retryClock.start();
            }
            if (m_retryDelayMs > 0) {
                const qint64 left = m_retryDelayMs - m_retryClock.elapsed();
                seconds = int(std::max<qint64>(0, (left + 999) / 1000));
            }
            break;
        }
        case Connection::State::Connecting:
        case Connection::State::Authenticating:
            kind = Kind::Connecting;
            break;
        case Connection::State::Resyncing:
            kind = Kind::CatchingUp;
            break;
        case Connection::State::Online:
            kind = m_room && m_room->syncing() ? Kind::CatchingUp : Kind::Online;
            break;
        }
    }
    // Offline: poll, since the retry is scheduled just after the state changes.
    const bool ticking = kind == Kind::Offline;
    if (ticking && !m_tick.isActive())
        m_tick.start();
    else if (!ticking)
        m_tick.stop();
    if (kind == m_kind && seconds == m_secondsToRetry)
        return;
    m_kind = kind;
    m_secondsToRetry = seconds;
    emit changed();
}

} // namespace confab::app
