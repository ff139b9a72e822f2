#include "store/admin.h"

#include "logging.h"
#include "protocol/errors.h"
#include "protocol/names.h"
#include "store/connection.h"
#include "store/database.h"
#include "store/queries.h"
#include "store/sqlutil.h"

#include <QDateTime>
#include <functional>

namespace confab::server {

using namespace Qt::StringLiterals;

namespace {

// Runs body in a transaction; body returns false (and sets *error) to roll back.
bool inTransaction(const QSqlDatabase &db, QString *error,
                   const std::function<bool(QSqlQuery &)> &body)
{
    if (!Database::begin(db, error))
        return false;
    bool ok = false;
    {
        QSqlQuery q(db);
        ok = body(q);
    }
    if (ok && Database::commit(db, error))
        return true;
    Database::rollback(db);
    return false;
}

// Prepares, binds in order and runs one statement; returns rows affected or -1.
qsizetype run(QSqlQuery &q, const QString &statement, std::initializer_list<QVariant> values,
              QString *error)
{
    if (!sql::prepare(q, statement, error))
        return -1;
    for (const QVariant &v : values)
        q.addBindValue(sql::bindable(v));
    if (!sql::exec(q, statement.section(u' ', 0, 2), error))
        return -1;
    return q.numRowsAffected();
}

// A running server watches this table and closes the user's connections whose token is
// gone (the admin command is another process).
bool noteTokenChange(QSqlQuery &q, const QString &user, QString *error)
{
    return run(q,
               u"INSERT INTO token_changes (user_name, at) VALUES (?, ?)"
               " ON CONFLICT (user_name) DO UPDATE SET at = excluded.at"_s,
               {user, QDateTime::currentMSecsSinceEpoch()}, error) >= 0;
}

bool checkPassword(const QByteArray &password, QString *error)
{
    if (password.size() >= protocol::kMinPasswordBytes &&
        password.size() <= protocol::kMaxPasswordBytes)
        return true;
    sql::setError(error, u"passwords are %1 to %2 bytes"_s.arg(protocol::kMinPasswordBytes)
                             .arg(protocol::kMaxPasswordBytes));
    return false;
}

QString hashOrFail(const QByteArray &password, const HashParams &params, QString *error)
{
    const QString hash = hashPassword(password, params);
    if (hash.isEmpty())
        sql::setError(error, u"could not hash the password (out of memory?)"_s);
    return hash;
}

} // namespace

StoreAdmin::StoreAdmin(const StoreConfig &config)
    : m_connection(std::make_unique<Connection>(config, u"admin"_s))
{
}

StoreAdmin::~StoreAdmin() = default;

bool StoreAdmin::open(QString *error)
{
    return m_connection->open(error);
}

bool StoreAdmin::addUser(const QString &name, const QString &displayName,
                         const QByteArray &password, bool isAdmin, QString *error)
{
    if (!protocol::isValidUserName(name) || protocol::foldUserName(name) != name) {
        sql::setError(error,
                      u"'%1' is not a valid user name (1-32 chars of a-z 0-9 . _ -)"_s.arg(name));
        return false;
    }
    const QString display = displayName.isEmpty() ? name : displayName;
    if (display.size() > protocol::kMaxDisplayNameChars ||
        protocol::hasForbiddenControlChars(display)) {
        sql::setError(error, u"the display name must be at most %1 characters without control "
                             "characters"_s.arg(protocol::kMaxDisplayNameChars));
        return false;
    }
    if (!checkPassword(password, error) || !open(error))
        return false;
    const QString hash = hashOrFail(password, m_hashParams, error);
    if (hash.isEmpty())
        return false;
    const QSqlDatabase db = m_connection->database();
    return inTransaction(db, error, [&](QSqlQuery &q) {
        const qsizetype rows = run(
            q,
            u"INSERT INTO users (name, display_name, password_hash, is_admin,"
            " created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"_s,
            {name, display, hash, sql::flag(isAdmin), QDateTime::currentMSecsSinceEpoch()}, error);
        if (rows == 0)
            sql::setError(error, u"user '%1' already exists"_s.arg(name));
        return rows > 0;
    });
}

// A new password also revokes every token of the user: whoever knew the old password may
// hold one.
bool StoreAdmin::setPassword(const QString &name, const QByteArray &password, QString *error)
{
    if (!checkPassword(password, error) || !open(error))
        return false;
    const QString hash = hashOrFail(password, m_hashParams, error);
    if (hash.isEmpty())
        return false;
    const QSqlDatabase db = m_connection->database();
    return inTransaction(db, error, [&](QSqlQuery &q) {
        const qsizetype rows =
            run(q, u"UPDATE users SET password_hash = ? WHERE name = ?"_s, {hash, name}, error);
        if (rows == 0)
            sql::setError(error, u"no such user '%1'"_s.arg(name));
        return rows > 0 &&
               run(q, u"DELETE FROM tokens WHERE user_name = ?"_s, {name}, error) >= 0 &&
               noteTokenChange(q, name, error);
    });
}

bool StoreAdmin::removeUser(const QString &name, QString *error)
{
    if (!open(error))
        return false;
    const QSqlDatabase db = m_connection->database();
    return inTransaction(db, error, [&](QSqlQuery &q) {
        // Explicit rather than relying on ON DELETE CASCADE, which SQLite only honours with
        // foreign_keys on.
        for (const auto table : {"tokens"_L1, "members"_L1, "invites"_L1, "read_markers"_L1}) {
            if (run(q, u"DELETE FROM %1 WHERE user_name = ?"_s.arg(table), {name}, error) < 0)
                return false;
        }
        const qsizetype rows = run(q, u"DELETE FROM users WHERE name = ?"_s, {name}, error);
        if (rows == 0)
            sql::setError(error, u"no such user '%1'"_s.arg(name));
        return rows > 0 && noteTokenChange(q, name, error);
    });
}

QList<StoredUser> StoreAdmin::listUsers(QString *error)
{
    if (!open(error))
        return {};
    QList<StoredUser> users = queries::listUsers(*m_connection, error);
    m_connection->finishStatements();
    return users;
}

bool StoreAdmin::createRoom(const QString &id, bool isPrivate, const QString &topic,
                            const QString &createdBy, QString *error)
{
    if (!protocol::isValidChannelName(id)) {
        sql::setError(error,
                      u"'%1' is not a valid channel name (1-40 chars of a-z 0-9 _ -)"_s.arg(id));
        return false;
    }
    if (topic.toUtf8().size() > protocol::kMaxTopicBytes ||
        protocol::hasForbiddenControlChars(topic)) {
        sql::setError(error, u"the topic must be at most %1 bytes without control characters"_s.arg(
                                 protocol::kMaxTopicBytes));
        return false;
    }
    if (!open(error))
        return false;
    const QSqlDatabase db = m_connection->database();
    if (!createdBy.isEmpty()) {
        QString findError;
        const bool known = queries::findUser(*m_connection, createdBy, &findError).has_value();
        m_connection->finishStatements();
        if (!known) {
            sql::setError(error,
                          findError.isEmpty() ? u"no such user '%1'"_s.arg(createdBy) : findError);
            return false;
        }
    }
    return inTransaction(db, error, [&](QSqlQuery &q) {
        const qsizetype rows =
            run(q,
                u"INSERT INTO rooms (id, name, kind, private, topic, created_by, created_at)"
                " VALUES (?, ?, 'channel', ?, ?, ?, ?) ON CONFLICT DO NOTHING"_s,
                {id, id, sql::flag(isPrivate), topic,
                 createdBy.isEmpty() ? QVariant(QMetaType::fromType<QString>()) : createdBy,
                 QDateTime::currentMSecsSinceEpoch()},
                error);
        if (rows == 0)
            sql::setError(error, u"room '%1' already exists"_s.arg(id));
        if (rows <= 0)
            return false;
        return createdBy.isEmpty() ||
               run(q, u"INSERT INTO members (room, user_name) VALUES (?, ?)"_s, {id, createdBy},
                   error) > 0;
    });
}

QList<StoredRoom> StoreAdmin::listRooms(QString *error)
{
    if (!open(error))
        return {};
    QList<StoredRoom> rooms = queries::loadRooms(*m_connection, error);
    m_connection->finishStatements();
    return rooms;
}

} // namespace confab::server
