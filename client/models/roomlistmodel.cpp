#include "models/roomlistmodel.h"

#include "session/room.h"

namespace confab::client {

int RoomListModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rooms.size());
}

QHash<int, QByteArray> RoomListModel::roleNames() const
{
    return {{RoomRole, "room"},
            {RoomIdRole, "roomId"},
            {NameRole, "name"},
            {IsDirectRole, "isDirect"},
            {TopicRole, "topic"},
            {UnreadRole, "unreadCount"},
            {MentionRole, "mentionCount"},
            {LastActivityRole, "lastActivity"},
            {MutedRole, "muted"},
            {MemberRole, "member"}};
}

QVariant RoomListModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Room *r = m_rooms[index.row()];
    switch (role) {
    case RoomRole:
        return QVariant::fromValue(const_cast<Room *>(r));
    case RoomIdRole:
        return r->roomId();
    case Qt::DisplayRole:
    case NameRole:
        return r->displayName();
    case IsDirectRole:
        return r->isDirect();
    case TopicRole:
        return r->topic();
    case UnreadRole:
        return r->unreadCount();
    case MentionRole:
        return r->mentionCount();
    case LastActivityRole:
        return r->lastActivity();
    case MutedRole:
        return r->muted();
    case MemberRole:
        return r->isMember();
    }
    return {};
}

bool RoomListModel::lessThan(const Room *a, const Room *b) const
{
    if (a->muted() != b->muted())
        return !a->muted();
    if (m_order == SortOrder::Activity && a->lastActivityMs() != b->lastActivityMs())
        return a->lastActivityMs() > b->lastActivityMs();
    const int byName = a->displayName().localeAwareCompare(b->displayName());
    return byName != 0 ? byName < 0 : a->roomId() < b->roomId();
}

qsizetype RoomListModel::insertPosition(const Room *room) const
{
    qsizetype at = 0;
    while (at < m_rooms.size() && (m_rooms[at] == room || lessThan(m_rooms[at], room)))
        ++at;
    return at;
}

void RoomListModel::setSortOrder(SortOrder order)
{
    if (order == m_order)
        return;
    m_order = order;
    emit sortOrderChanged();
    // A new order moves every row: one layout change instead of n moves.
    emit layoutAboutToBeChanged();
    const QModelIndexList before = persistentIndexList();
    QList<Room *> previous = m_rooms;
    std::stable_sort(m_rooms.begin(), m_rooms.end(),
                     [this](const Room *a, const Room *b) { return lessThan(a, b); });
    QModelIndexList after;
    for (const QModelIndex &idx : before)
        after.append(index(int(m_rooms.indexOf(previous[idx.row()]))));
    changePersistentIndexList(before, after);
    emit layoutChanged();
}

int RoomListModel::totalUnread() const
{
    int n = 0;
    for (const Room *r : m_rooms)
        n += r->muted() ? 0 : r->unreadCount();
    return n;
}

int RoomListModel::totalMentions() const
{
    int n = 0;
    for (const Room *r : m_rooms)
        n += r->mentionCount();
    return n;
}

Room *RoomListModel::roomAt(int row) const
{
    return row >= 0 && row < m_rooms.size() ? m_rooms[row] : nullptr;
}

void RoomListModel::addRoom(Room *room)
{
    const qsizetype at = insertPosition(room);
    beginInsertRows({}, int(at), int(at));
    m_rooms.insert(at, room);
    endInsertRows();
    for (auto signal : {&Room::countsChanged, &Room::infoChanged, &Room::settingsChanged})
        connect(room, signal, this, [this, room] { roomChanged(room); });
    emit totalsChanged();
}

void RoomListModel::removeRoom(Room *room)
{
    const qsizetype at = m_rooms.indexOf(room);
    if (at < 0)
        return;
    room->disconnect(this);
    beginRemoveRows({}, int(at), int(at));
    m_rooms.removeAt(at);
    endRemoveRows();
    emit totalsChanged();
}

void RoomListModel::roomChanged(Room *room)
{
    const qsizetype from = m_rooms.indexOf(room);
    if (from < 0)
        return;
    // Where it belongs among the others (the list without it is still sorted).
    qsizetype to = insertPosition(room);
    if (to > from)
        --to;
    if (to != from) {
        beginMoveRows({}, int(from), int(from), {}, int(to > from ? to + 1 : to));
        m_rooms.move(from, to);
        endMoveRows();
    }
    const QModelIndex idx = index(int(to));
    emit dataChanged(idx, idx);
    emit totalsChanged();
}

} // namespace confab::client
