#pragma once

#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QString>
#include <QVariant>
#include <initializer_list>
#include <optional>

#include "protocol/messages.h"

// Small helpers shared by the store's .cpp files (not part of the library's API).
namespace confab::server::sql {

inline void setError(QString *error, const QString &message)
{
    if (error)
        *error = message;
}

// "<what>: <database text> <driver text> [native code]": enough to tell a lock timeout
// from a missing table or a dropped connection in a log line.
QString describe(const QString &what, const QSqlError &e);

// Runs an already prepared (and bound) query; on failure sets *error and returns false.
bool exec(QSqlQuery &q, const QString &what, QString *error);
// Binds values (in placeholder order, through bindable()) to a prepared query and runs it.
bool exec(QSqlQuery &q, std::initializer_list<QVariant> values, const QString &what,
          QString *error);
// Prepares and runs one statement without parameters on db.
bool exec(const QSqlDatabase &db, const QString &statement, QString *error);
// Prepares a statement; on failure sets *error and returns false.
bool prepare(QSqlQuery &q, const QString &statement, QString *error);

inline QVariant nullableInt(const std::optional<qint64> &v)
{
    return v ? QVariant(*v) : QVariant(QMetaType::fromType<qint64>());
}
inline QVariant nullableText(const std::optional<QString> &v)
{
    return v ? QVariant(*v) : QVariant(QMetaType::fromType<QString>());
}
inline std::optional<qint64> optionalInt(const QVariant &v)
{
    return v.isNull() ? std::nullopt : std::optional<qint64>(v.toLongLong());
}
inline std::optional<QString> optionalText(const QVariant &v)
{
    return v.isNull() ? std::nullopt : std::optional<QString>(v.toString());
}
// QtSql binds a null QString as SQL NULL, and QString() is what an empty topic or body
// usually is; NOT NULL text columns want ''. Intended NULLs are null QVariants (above).
inline QVariant bindable(const QVariant &v)
{
    if (!v.isNull() && v.metaType() == QMetaType::fromType<QString>() && v.toString().isNull())
        return QVariant(QString::fromLatin1("", 0));
    return v;
}
// Booleans are stored as INTEGER 0/1: PostgreSQL will not put a boolean literal into an
// integer column, and SQLite has no boolean type.
inline QVariant flag(bool b)
{
    return QVariant(b ? 1 : 0);
}

inline QString roomKindName(protocol::RoomKind kind)
{
    return kind == protocol::RoomKind::Dm ? QStringLiteral("dm") : QStringLiteral("channel");
}
inline protocol::RoomKind roomKindFromName(const QString &name)
{
    return name == QLatin1String("dm") ? protocol::RoomKind::Dm : protocol::RoomKind::Channel;
}

} // namespace confab::server::sql
