#pragma once

#include <QAbstractListModel>
#include <QDateTime>
#include <QUrl>
#include <QtQml/qqmlregistration.h>

namespace confab::client {

// Servers to offer on the connect page: the recent ones (accounts used before, newest
// first) and the ones heard on the LAN (kept by LanDiscovery). A server that is both is
// one row.
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
        LastUsedRole,
        FingerprintRole, // discovered with TLS: the fingerprint the server announced
        AddressRole,     // "host:port"
        SectionRole,     // "recent" or "network" (discovered only), for list sections
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
        QString fingerprint;
    };

    using QAbstractListModel::QAbstractListModel;
    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role) const override;
    QHash<int, QByteArray> roleNames() const override;

    void addRecent(const QUrl &url, const QString &user, const QDateTime &when);
    void removeRecent(const QUrl &url);
    Q_INVOKABLE void addDiscovered(const QString &name, const QUrl &url, bool tls,
                                   const QString &fingerprint = {});
    Q_INVOKABLE void removeDiscovered(const QUrl &url);
    // What discovery heard a server at url's host and port announce as its certificate's
    // fingerprint (empty: not heard, or without TLS). Unauthenticated, so only a hint.
    Q_INVOKABLE QString announcedFingerprint(const QUrl &url) const;
    const QList<Server> &servers() const { return m_servers; }

private:
    qsizetype indexOf(const QUrl &url) const;
    void place(Server server, qsizetype from);
    static bool before(const Server &a, const Server &b);

    QList<Server> m_servers; // recent (newest first), then discovered-only by name
};

} // namespace confab::client
