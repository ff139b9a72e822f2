#include "models/serversmodel.h"

#include "protocol/errors.h"

namespace confab::client {

using namespace Qt::StringLiterals;

int ServersModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_servers.size());
}

QHash<int, QByteArray> ServersModel::roleNames() const
{
    return {{NameRole, "name"},         {UrlRole, "url"},
            {UserRole, "user"},         {TlsRole, "tls"},
            {RecentRole, "recent"},     {DiscoveredRole, "discovered"},
            {LastUsedRole, "lastUsed"}, {FingerprintRole, "fingerprint"},
            {AddressRole, "address"},   {SectionRole, "section"}};
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
    case FingerprintRole:
        return s.fingerprint;
    case AddressRole:
        return u"%1:%2"_s.arg(s.url.host()).arg(s.url.port(protocol::kDefaultPort));
    case SectionRole:
        return s.recent ? u"recent"_s : u"network"_s;
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

void ServersModel::addDiscovered(const QString &name, const QUrl &url, bool tls,
                                 const QString &fingerprint)
{
    const qsizetype i = indexOf(url);
    Server s = i >= 0 ? m_servers[i] : Server{};
    if (i >= 0 && s.discovered && s.name == name && s.tls == tls && s.fingerprint == fingerprint)
        return;
    if (i >= 0 && s.discovered && s.name == name) {
        // Same place in the order: only the data changes.
        m_servers[i].tls = tls;
        m_servers[i].fingerprint = fingerprint;
        emit dataChanged(index(int(i)), index(int(i)), {TlsRole, FingerprintRole});
        return;
    }
    s.name = name;
    s.url = url;
    s.tls = tls;
    s.fingerprint = fingerprint;
    s.discovered = true;
    place(std::move(s), i);
}

QString ServersModel::announcedFingerprint(const QUrl &url) const
{
    for (const Server &s : m_servers) {
        if (s.discovered && s.url.host().compare(url.host(), Qt::CaseInsensitive) == 0 &&
            s.url.port(protocol::kDefaultPort) == url.port(protocol::kDefaultPort))
            return s.fingerprint;
    }
    return {};
}

void ServersModel::removeDiscovered(const QUrl &url)
{
    const qsizetype i = indexOf(url);
    if (i < 0 || !m_servers[i].discovered)
        return;
    if (m_servers[i].recent) {
        m_servers[i].discovered = false;
        m_servers[i].fingerprint.clear();
        emit dataChanged(index(int(i)), index(int(i)), {DiscoveredRole, FingerprintRole});
        return;
    }
    beginRemoveRows({}, int(i), int(i));
    m_servers.removeAt(i);
    endRemoveRows();
}

} // namespace confab::client
