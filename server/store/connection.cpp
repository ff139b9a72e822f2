#include "store/connection.h"

#include "store/database.h"
#include "store/sqlutil.h"

namespace confab::server {

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
    ++m_generation;
    if (!m_name.isEmpty())
        Database::close(m_name);
    statements.clear();
}

void Connection::abandon()
{
    m_statements.clear();
    ++m_generation;
    m_name.clear();
}

} // namespace confab::server
