#include "store/connection.h"

#include "store/database.h"
#include "store/sqlutil.h"

#include <QSqlDriver>
#include <sqlite3.h>

namespace confab::server {

using namespace Qt::StringLiterals;

Connection::Connection(const StoreConfig &config, const QString &purpose)
    : m_config(config)
    , m_purpose(purpose)
    , m_name(Database::uniqueConnectionName(purpose))
{
}

Connection::~Connection()
{
    drop();
}

bool Connection::open(QString *error)
{
    return Database::open(m_config, m_name, error);
}

QSqlDatabase Connection::database() const
{
    return QSqlDatabase::database(m_name, false);
}

QSqlQuery *Connection::statement(const QString &sqlText, QString *error)
{
    auto it = m_statements.find(sqlText);
    if (it != m_statements.end())
        return it->second.get();
    auto q = std::make_unique<QSqlQuery>(database());
    q->setForwardOnly(true);
    if (!sql::prepare(*q, sqlText, error))
        return nullptr;
    return m_statements.emplace(sqlText, std::move(q)).first->second.get();
}

sqlite3 *Connection::nativeHandle(QString *error) const
{
    const QSqlDatabase db = database();
    const QVariant handle = db.isOpen() ? db.driver()->handle() : QVariant();
    if (isPostgres() || qstrcmp(handle.typeName(), "sqlite3*") != 0) {
        sql::setError(error, u"no SQLite handle on connection %1"_s.arg(m_name));
        return nullptr;
    }
    return *static_cast<sqlite3 *const *>(handle.constData());
}

sqlite3_stmt *Connection::nativeStatement(const QString &sqlText, QString *error)
{
    if (auto it = m_native.find(sqlText); it != m_native.end())
        return it->second;
    sqlite3 *native = nativeHandle(error);
    if (!native)
        return nullptr;
    sqlite3_stmt *stmt = nullptr;
    const QByteArray utf8 = sqlText.toUtf8();
    const int rc = sqlite3_prepare_v3(native, utf8.constData(), int(utf8.size()),
                                      SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) {
        sql::setError(error, u"prepare: %1 [%2]"_s.arg(QString::fromUtf8(sqlite3_errmsg(native)))
                                 .arg(sqlite3_extended_errcode(native)));
        sqlite3_finalize(stmt);
        return nullptr;
    }
    m_native.emplace(sqlText, stmt);
    return stmt;
}

void Connection::finalizeNative()
{
    // Before the driver closes the handle: SQLite refuses to close a connection that
    // still has statements.
    for (auto &entry : m_native)
        sqlite3_finalize(entry.second);
    m_native.clear();
}

void Connection::finishStatements()
{
    for (auto &entry : m_statements)
        entry.second->finish();
}

void Connection::reset()
{
    drop();
    m_name = Database::uniqueConnectionName(m_purpose);
}

void Connection::drop()
{
    // The connection goes first: statements that outlive their driver are simply dropped,
    // whereas on a dead PostgreSQL connection each would try (and fail, with a warning) to
    // DEALLOCATE itself.
    auto statements = std::move(m_statements);
    m_statements.clear();
    finalizeNative();
    ++m_generation;
    if (!m_name.isEmpty())
        Database::close(m_name);
    statements.clear();
}

void Connection::abandon()
{
    m_statements.clear();
    finalizeNative(); // the handle is still open: SQLite did not close it with these alive
    ++m_generation;
    m_name.clear();
}

} // namespace confab::server
