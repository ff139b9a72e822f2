#include "roomfilter.h"

#include "models/roomlistmodel.h"
#include "session/room.h"

namespace confab::app {

using client::RoomListModel;

RoomFilter::RoomFilter(QObject *parent)
    : QSortFilterProxyModel(parent)
{
    for (auto signal : {&QAbstractItemModel::rowsInserted, &QAbstractItemModel::rowsRemoved})
        connect(this, signal, this, &RoomFilter::countChanged);
    connect(this, &QAbstractItemModel::modelReset, this, &RoomFilter::countChanged);
    connect(this, &QAbstractItemModel::layoutChanged, this, &RoomFilter::countChanged);
}

void RoomFilter::setSection(Section section)
{
    if (section == m_section)
        return;
    m_section = section;
    invalidateFilter();
    emit sectionChanged();
    emit countChanged();
}

void RoomFilter::setText(const QString &text)
{
    if (text == m_text)
        return;
    m_text = text;
    invalidateFilter();
    emit textChanged();
    emit countChanged();
}

void RoomFilter::setMembership(Membership membership)
{
    if (membership == m_membership)
        return;
    m_membership = membership;
    invalidateFilter();
    emit membershipChanged();
    emit countChanged();
}

bool RoomFilter::filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const
{
    const QModelIndex i = sourceModel()->index(sourceRow, 0, sourceParent);
    const bool direct = i.data(RoomListModel::IsDirectRole).toBool();
    if ((m_section == Section::Channels && direct) || (m_section == Section::Direct && !direct))
        return false;
    const bool member = i.data(RoomListModel::MemberRole).toBool();
    if ((m_membership == Membership::Joined && !member) ||
        (m_membership == Membership::NotJoined && member))
        return false;
    const QString needle = m_text.trimmed();
    if (needle.isEmpty())
        return true;
    return i.data(RoomListModel::NameRole).toString().contains(needle, Qt::CaseInsensitive) ||
           i.data(RoomListModel::RoomIdRole).toString().contains(needle, Qt::CaseInsensitive);
}

client::Room *RoomFilter::roomAt(int row) const
{
    const QModelIndex i = index(row, 0);
    return i.isValid() ? i.data(RoomListModel::RoomRole).value<client::Room *>() : nullptr;
}

int RoomFilter::rowOf(const QString &roomId) const
{
    for (int row = 0; row < rowCount(); ++row) {
        if (index(row, 0).data(RoomListModel::RoomIdRole).toString() == roomId)
            return row;
    }
    return -1;
}

} // namespace confab::app
