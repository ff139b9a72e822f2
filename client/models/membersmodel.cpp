#include "models/membersmodel.h"

namespace confab::client {

namespace {
bool before(const protocol::MemberInfo &a, const protocol::MemberInfo &b)
{
    if (a.presence != b.presence)
        return int(a.presence) < int(b.presence); // Online < Away < Offline
    const int byName = a.displayName.localeAwareCompare(b.displayName);
    return byName != 0 ? byName < 0 : a.user < b.user;
}
} // namespace

int MembersModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_members.size());
}

QVariant MembersModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const protocol::MemberInfo &m = m_members[index.row()];
    switch (role) {
    case UserRole:
        return m.user;
    case Qt::DisplayRole:
    case DisplayNameRole:
        return m.displayName.isEmpty() ? m.user : m.displayName;
    case PresenceRole:
        return m_presenceKnown ? protocol::presenceName(m.presence) : QStringLiteral("unknown");
    }
    return {};
}

QHash<int, QByteArray> MembersModel::roleNames() const
{
    return {{UserRole, "user"}, {DisplayNameRole, "displayName"}, {PresenceRole, "presence"}};
}

void MembersModel::setMembers(const QList<protocol::MemberInfo> &members)
{
    QList<protocol::MemberInfo> sorted = members;
    std::sort(sorted.begin(), sorted.end(), before);
    // A fresh list from the server replaces the old one: the only reset this model does,
    // once per members reply, never per event.
    beginResetModel();
    m_members = sorted;
    m_presenceKnown = true;
    endResetModel();
}

void MembersModel::setPresenceKnown(bool known)
{
    if (known == m_presenceKnown)
        return;
    m_presenceKnown = known;
    if (!m_members.isEmpty())
        emit dataChanged(index(0), index(int(m_members.size()) - 1), {PresenceRole});
}

qsizetype MembersModel::sortedPosition(const protocol::MemberInfo &m) const
{
    return std::lower_bound(m_members.cbegin(), m_members.cend(), m, before) - m_members.cbegin();
}

void MembersModel::setPresence(const QString &user, protocol::Presence presence)
{
    for (qsizetype i = 0; i < m_members.size(); ++i) {
        if (m_members[i].user != user)
            continue;
        if (m_members[i].presence == presence)
            return;
        protocol::MemberInfo m = m_members[i];
        m.presence = presence;
        beginRemoveRows({}, int(i), int(i));
        m_members.removeAt(i);
        endRemoveRows();
        const qsizetype at = sortedPosition(m);
        beginInsertRows({}, int(at), int(at));
        m_members.insert(at, m);
        endInsertRows();
        return;
    }
}

const protocol::MemberInfo *MembersModel::find(const QString &user) const
{
    for (const protocol::MemberInfo &m : m_members) {
        if (m.user == user)
            return &m;
    }
    return nullptr;
}

} // namespace confab::client
