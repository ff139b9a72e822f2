#pragma once

#include "auth/credentials.h"
#include "store/storetypes.h"

#include <QList>
#include <QString>
#include <memory>

namespace confab::server {

class Connection;

// Synchronous administration for the command line (user add|passwd|remove|list,
// room create|list). Ownership: touched only from the thread that created it, which also
// owns its connection (opened on first use, closed by the destructor).
//
// Every function returns false / an empty list and sets *error on failure, with a message
// meant for the operator ("user 'bob' already exists", "no such user 'bob'").
class StoreAdmin
{
public:
    explicit StoreAdmin(const StoreConfig &config);
    ~StoreAdmin();
    StoreAdmin(const StoreAdmin &) = delete;
    StoreAdmin &operator=(const StoreAdmin &) = delete;

    // Argon2id cost for new passwords; HashParams::interactive() unless changed (tests).
    void setHashParams(const HashParams &params) { m_hashParams = params; }

    // name must be a valid, already folded user name.
    bool addUser(const QString &name, const QString &displayName, const QByteArray &password,
                 bool isAdmin, QString *error);
    bool setPassword(const QString &name, const QByteArray &password, QString *error);
    // Also revokes the user's tokens (open sessions fail on their next token login) and
    // drops memberships, invitations and read markers. Events stay: history is kept.
    bool removeUser(const QString &name, QString *error);
    QList<StoredUser> listUsers(QString *error);

    // A channel: id must be a valid channel name. createdBy, if given, must be a user and
    // becomes the first member.
    bool createRoom(const QString &id, bool isPrivate, const QString &topic,
                    const QString &createdBy, QString *error);
    QList<StoredRoom> listRooms(QString *error);

private:
    bool open(QString *error);

    std::unique_ptr<Connection> m_connection;
    HashParams m_hashParams = HashParams::interactive();
};

} // namespace confab::server
