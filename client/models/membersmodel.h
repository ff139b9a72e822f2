#pragma once

#include "protocol/messages.h"

#include <QAbstractListModel>
#include <QtQml/qqmlregistration.h>

namespace confab::client {

// The members of one room with their presence: online first, then away, then offline,
// by display name within each. A presence change moves one row. While the link is down
// nobody's presence is known: the presence role says "unknown" for everyone until the
// next list from the server.
class MembersModel : public QAbstractListModel
{
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("Member lists belong to rooms")

public:
    enum Role { UserRole = Qt::UserRole + 1, DisplayNameRole, PresenceRole };
    Q_ENUM(Role)

    using QAbstractListModel::QAbstractListModel;
    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role) const override;
    QHash<int, QByteArray> roleNames() const override;

    void setMembers(const QList<protocol::MemberInfo> &members);
    void setPresence(const QString &user, protocol::Presence presence);
    // The link went (false); a fresh list from the server (setMembers) makes it known.
    void setPresenceKnown(bool known);
    bool presenceKnown() const { return m_presenceKnown; }
    const protocol::MemberInfo *find(const QString &user) const;

private:
    qsizetype sortedPosition(const protocol::MemberInfo &m) const;
    QList<protocol::MemberInfo> m_members;
    bool m_presenceKnown = true;
};

} // namespace confab::client
