#include "models/serversmodel.h"

namespace confab::client {

int ServersModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_servers.size());
}

QHash<int, QByteArray> ServersModel::roleNames() const
{
    return {{NameRole, "name"},        {UrlRole, "url"},       {UserRole, "user"},
            {TlsRole, "tls"},          {RecentRole, "recent"}, {DiscoveredRole, "discovered"},
            {LastUsedRole, "lastUsed"}};
}

QVariant ServersModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Server &s = m_servers[index.row()];
    switch (role) {
    case Qt::DisplayRole:
    case NameRole:
        return s.name.isEmpty() ? s.url.host() : s.name;
    case UrlRole:
        return s.url;
    case UserRole:
        return s.user;
    case TlsRole:
        return s.tls;
    case RecentRole:
        return s.recent;
    case DiscoveredRole:
        return s.discovered;
    case LastUsedRole:
        return s.lastUsed;
    }
    return {};
}

bool ServersModel::before(const Server &a, const Server &b)
{
    if (a.recent != b.recent)
        return a.recent;
    if (a.recent)
        return a.lastUsed > b.lastUsed;
    return a.name.localeAwareCompare(b.name) < 0;
}

qsizetype ServersModel::indexOf(const QUrl &url) const
{
    for (qsizetype i = 0; i < m_servers.size(); ++i) {
        if (m_servers[i].url.matches(url, QUrl::StripTrailingSlash))
            return i;
    }
    return -1;
}

// Puts server at its sorted place; `from` is its current row (-1: new).
void ServersModel::place(Server server, qsizetype from)
{
    if (from >= 0) {
        beginRemoveRows({}, int(from), int(from));
        m_servers.removeAt(from);
        endRemoveRows();
    }
    qsizetype at = 0;
    while (at < m_servers.size() && before(m_servers[at], server))
        ++at;
    beginInsertRows({}, int(at), int(at));
    m_servers.insert(at, std::move(server));
    endInsertRows();
}

void ServersModel::addRecent(const QUrl &url, const QString &user, const QDateTime &when)
{
    const qsizetype i = indexOf(url);
    Server s = i >= 0 ? m_servers[i] : Server{};
    s.url = url;
    s.user = user;
    s.tls = url.scheme() == QLatin1String("wss");
    s.recent = true;
    s.lastUsed = when;
    place(std::move(s), i);
}

void ServersModel::removeRecent(const QUrl &url)
{
    const qsizetype i = indexOf(url);
    if (i < 0 || !m_servers[i].recent)
        return;
    Server s = m_servers[i];
    if (!s.discovered) {
        beginRemoveRows({}, int(i), int(i));
        m_servers.removeAt(i);
        endRemoveRows();
        return;
    }
    s.recent = false;
    place(std::move(s), i);
}

void ServersModel::addDiscovered(const QString &name, const QUrl &url, bool tls)
{
    const qsizetype i = indexOf(url);
    Server s = i >= 0 ? m_servers[i] : Server{};
    if (i >= 0 && s.discovered && s.name == name && s.tls == tls)
        return;
    s.name = name;
    s.url = url;
    s.tls = tls;
    s.discovered = true;
    place(std::move(s), i);
}

void ServersModel::removeDiscovered(const QUrl &url)
{
    const qsizetype i = indexOf(url);
    if (i < 0 || !m_servers[i].discovered)
        return;
    if (m_servers[i].recent) {
        m_servers[i].discovered = false;
        emit dataChanged(index(int(i)), index(int(i)), {DiscoveredRole});
        return;
    }
    beginRemoveRows({}, int(i), int(i));
    m_servers.removeAt(i);
    endRemoveRows();
}

} // namespace confab::client
