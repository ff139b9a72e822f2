#include "models/typingmodel.h"

namespace confab::client {

TypingModel::TypingModel(NameLookup names, int expiryMs, QObject *parent)
    : QAbstractListModel(parent)
    , m_names(std::move(names))
    , m_expiryMs(expiryMs)
{
    m_timer.setSingleShot(true);
    connect(&m_timer, &QTimer::timeout, this, &TypingModel::expire);
}

int TypingModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_entries.size());
}

QVariant TypingModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const QString &user = m_entries[index.row()].user;
    if (role == UserRole)
        return user;
    if (role == DisplayNameRole || role == Qt::DisplayRole)
        return m_names ? m_names(user) : user;
    return {};
}

QHash<int, QByteArray> TypingModel::roleNames() const
{
    return {{UserRole, "user"}, {DisplayNameRole, "displayName"}};
}

void TypingModel::typing(const QString &user)
{
    const QDeadlineTimer until(m_expiryMs);
    for (Entry &e : m_entries) {
        if (e.user == user) {
            e.until = until;
            expire();
            return;
        }
    }
    const int row = int(m_entries.size());
    beginInsertRows({}, row, row);
    m_entries.append({user, until});
    endInsertRows();
    emit changed();
    expire();
}

void TypingModel::stopped(const QString &user)
{
    for (qsizetype i = 0; i < m_entries.size(); ++i) {
        if (m_entries[i].user == user) {
            beginRemoveRows({}, int(i), int(i));
            m_entries.removeAt(i);
            endRemoveRows();
            emit changed();
            return;
        }
    }
}

void TypingModel::expire()
{
    qint64 next = -1;
    for (qsizetype i = m_entries.size() - 1; i >= 0; --i) {
        if (m_entries[i].until.hasExpired()) {
            beginRemoveRows({}, int(i), int(i));
            m_entries.removeAt(i);
            endRemoveRows();
            emit changed();
        } else {
            const qint64 left = m_entries[i].until.remainingTime();
            next = next < 0 ? left : std::min(next, left);
        }
    }
    if (next >= 0)
        m_timer.start(int(next) + 1);
}

QStringList TypingModel::displayNames() const
{
    QStringList out;
    for (const Entry &e : m_entries)
        out.append(m_names ? m_names(e.user) : e.user);
    return out;
}

} // namespace confab::client
