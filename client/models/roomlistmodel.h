#pragma once

#include "session/room.h"

#include <QAbstractListModel>
#include <QtQml/qqmlregistration.h>

namespace confab::client {

// The rooms of one session: channels and DMs (named after the other user), with unread
// and mention counts, sorted by last activity (newest first) or by name. A room whose
// activity changes moves one row; muted rooms sort after the others.
class RoomListModel : public QAbstractListModel
{
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("Room lists belong to sessions")
    Q_PROPERTY(SortOrder sortOrder READ sortOrder WRITE setSortOrder NOTIFY sortOrderChanged)
    Q_PROPERTY(int totalUnread READ totalUnread NOTIFY totalsChanged)
    Q_PROPERTY(int totalMentions READ totalMentions NOTIFY totalsChanged)

public:
    enum Role {
        RoomRole = Qt::UserRole + 1,
        RoomIdRole,
        NameRole,
        IsDirectRole,
        TopicRole,
        UnreadRole,
        MentionRole,
        LastActivityRole,
        MutedRole,
        MemberRole,
    };
    Q_ENUM(Role)
    enum class SortOrder { Activity, Name };
    Q_ENUM(SortOrder)

    using QAbstractListModel::QAbstractListModel;
    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role) const override;
    QHash<int, QByteArray> roleNames() const override;

    SortOrder sortOrder() const { return m_order; }
    void setSortOrder(SortOrder order);
    int totalUnread() const;
    int totalMentions() const;
    Q_INVOKABLE confab::client::Room *roomAt(int row) const;

    void addRoom(Room *room);
    void removeRoom(Room *room);

signals:
    void sortOrderChanged();
    void totalsChanged();

private:
    bool lessThan(const Room *a, const Room *b) const;
    qsizetype insertPosition(const Room *room) const;
    void roomChanged(Room *room);

    QList<Room *> m_rooms;
    SortOrder m_order = SortOrder::Activity;
};

} // namespace confab::client
