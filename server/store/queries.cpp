#include "store/queries.h"

#include "store/connection.h"
#include "store/sqlutil.h"

#include <QHash>

namespace confab::server::queries {

using namespace Qt::StringLiterals;

namespace {

constexpr auto kUserColumns = "SELECT name, display_name, password_hash, is_admin, created_at"
                              " FROM users"_L1;

StoredUser userFromRow(const QSqlQuery &q)
{
    StoredUser u;
    u.name = q.value(0).toString();
    u.displayName = q.value(1).toString();
    u.passwordHash = q.value(2).toString();
    u.isAdmin = q.value(3).toLongLong() != 0;
    u.createdAt = q.value(4).toLongLong();
    return u;
}

// Adds (room, user) rows of table to the rooms' member or invited lists.
bool loadPairs(Connection &c, const QString &table, QList<StoredRoom> &rooms,
               QStringList StoredRoom::*list, QString *error)
{
    QHash<QString, qsizetype> index;
    for (qsizetype i = 0; i < rooms.size(); ++i)
        index.insert(rooms[i].id, i);
    QSqlQuery *q =
        c.statement(u"SELECT room, user_name FROM %1 ORDER BY room, user_name"_s.arg(table), error);
    if (!q || !sql::exec(*q, u"read "_s + table, error))
        return false;
    while (q->next()) {
        const auto it = index.constFind(q->value(0).toString());
        if (it != index.constEnd())
            (rooms[*it].*list).append(q->value(1).toString());
    }
    return true;
}

} // namespace

std::optional<StoredUser> findUser(Connection &c, const QString &name, QString *error)
{
    QSqlQuery *q = c.statement(QString(kUserColumns) + " WHERE name = ?"_L1, error);
    if (!q || !sql::exec(*q, {name}, u"find user"_s, error) || !q->next())
        return std::nullopt;
    return userFromRow(*q);
}

std::optional<StoredUser> findUserByToken(Connection &c, const QString &tokenHash, QString *error)
{
    // One statement for what a token login needs (the subquery uses the tokens key).
    QSqlQuery *q = c.statement(QString(kUserColumns) +
                                   " WHERE name = (SELECT user_name FROM tokens WHERE hash = ?)"_L1,
                               error);
    if (!q || !sql::exec(*q, {tokenHash}, u"look up token"_s, error) || !q->next())
        return std::nullopt;
    return userFromRow(*q);
}

QList<StoredUser> listUsers(Connection &c, QString *error)
{
    QList<StoredUser> users;
    QSqlQuery *q = c.statement(QString(kUserColumns) + " ORDER BY name"_L1, error);
    if (!q || !sql::exec(*q, u"list users"_s, error))
        return users;
    while (q->next())
        users.append(userFromRow(*q));
    return users;
}

QList<StoredRoom> loadRooms(Connection &c, QString *error)
{
    QList<StoredRoom> rooms;
    // A correlated MAX uses the (room, seq) primary key: one index probe per room instead
    // of a scan of all events.
    QSqlQuery *q = c.statement(
        u"SELECT id, name, kind, private, topic, created_by, created_at,"
        " (SELECT MAX(seq) FROM events e WHERE e.room = r.id) FROM rooms r ORDER BY id"_s,
        error);
    if (!q || !sql::exec(*q, u"load rooms"_s, error))
        return rooms;
    while (q->next()) {
        StoredRoom r;
        r.id = q->value(0).toString();
        r.name = q->value(1).toString();
        r.kind = sql::roomKindFromName(q->value(2).toString());
        r.isPrivate = q->value(3).toLongLong() != 0;
        r.topic = q->value(4).toString();
        r.createdBy = q->value(5).toString();
        r.createdAt = q->value(6).toLongLong();
        r.lastSeq = q->value(7).isNull() ? 0 : q->value(7).toLongLong();
        rooms.append(std::move(r));
    }
    if (!loadPairs(c, u"members"_s, rooms, &StoredRoom::members, error) ||
        !loadPairs(c, u"invites"_s, rooms, &StoredRoom::invited, error))
        return {};
    return rooms;
}

} // namespace confab::server::queries
