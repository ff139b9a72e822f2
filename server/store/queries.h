#pragma once

#include "store/storetypes.h"

// Read queries shared by StoreReader and StoreAdmin (not part of the library's API).
// On failure they set *error and return nothing; on success *error is left untouched.
namespace confab::server {
class Connection;
}

namespace confab::server::queries {

std::optional<StoredUser> findUser(Connection &c, const QString &name, QString *error);
// The user a live token (its hash) belongs to.
std::optional<StoredUser> findUserByToken(Connection &c, const QString &tokenHash, QString *error);
QList<StoredUser> listUsers(Connection &c, QString *error);
// Every room with its members, invitations and last seq, ordered by id.
QList<StoredRoom> loadRooms(Connection &c, QString *error);

} // namespace confab::server::queries
