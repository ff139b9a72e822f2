#pragma once

#include <QAbstractListModel>
#include <QDateTime>
#include <QUrl>
#include <QtQml/qqmlregistration.h>

namespace confab::client {

// Servers to offer on the connect page: the recent ones (accounts used before, newest
// first) and the ones heard on the LAN (filled by the discovery code). A server that is
// both is one row.
class ServersModel : public QAbstractListModel
{
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("The server list belongs to Accounts")

public:
    enum Role {
        NameRole = Qt::UserRole + 1,
        UrlRole,
        UserRole,
        TlsRole,
        RecentRole,
        DiscoveredRole,
        LastUsedRole
    };
    Q_ENUM(Role)

    struct Server
    {
        QString name;
        QUrl url;
        QString user; // recent: the account last used there
        bool tls = false;
        bool recent = false;
        bool discovered = false;
        QDateTime lastUsed;
    };

    using QAbstractListModel::QAbstractListModel;
    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role) const override;
    QHash<int, QByteArray> roleNames() const override;

    void addRecent(const QUrl &url, const QString &user, const QDateTime &when);
    void removeRecent(const QUrl &url);
    Q_INVOKABLE void addDiscovered(const QString &name, const QUrl &url, bool tls);
    Q_INVOKABLE void removeDiscovered(const QUrl &url);
    const QList<Server> &servers() const { return m_servers; }

private:
    qsizetype indexOf(const QUrl &url) const;
    void place(Server server, qsizetype from);
    static bool before(const Server &a, const Server &b);

    QList<Server> m_servers; // recent (newest first), then discovered-only by name
};

} // namespace confab::client
