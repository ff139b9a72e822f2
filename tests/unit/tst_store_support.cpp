#include "tst_store_support.h"

#include "store/database.h"

#include <QFile>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QUrl>
#include <QUuid>

namespace confab::testing {

using namespace Qt::StringLiterals;
using server::Database;
using server::StoreConfig;

namespace {

// Runs one statement on a short-lived connection to config.
bool adminExec(const StoreConfig &config, const QString &statement, QString *error)
{
    SideConnection side(config);
    if (side.exec(statement))
        return true;
    *error = side.error();
    return false;
}

} // namespace

StoreFixture::StoreFixture()
{
    const QString urlFile = qEnvironmentVariable("CONFAB_TEST_DB_URL_FILE");
    if (urlFile.isEmpty()) {
        m_config.path = m_dir.filePath(u"store/confab.db"_s);
        // Short, so tests that hold a lock see the writer fail (and retry) quickly.
        m_config.busyTimeoutMs = 200;
        return;
    }
    QFile file(urlFile);
    if (!file.open(QIODevice::ReadOnly)) {
        m_error = u"cannot read %1"_s.arg(urlFile);
        return;
    }
    const std::optional<StoreConfig> base =
        StoreConfig::fromUrl(QString::fromUtf8(file.readAll().trimmed()), &m_error);
    if (!base)
        return;
    m_admin = *base;
    const QString name = u"t_"_s + QUuid::createUuid().toString(QUuid::Id128).left(20).toLower();
    if (!adminExec(m_admin, u"CREATE DATABASE "_s + name, &m_error))
        return;
    m_config = m_admin;
    m_config.database = name;
}

StoreFixture::~StoreFixture()
{
    if (isPostgres() && m_config.database != m_admin.database) {
        QString error;
        if (!adminExec(m_admin, u"DROP DATABASE IF EXISTS %1 WITH (FORCE)"_s.arg(m_config.database),
                       &error))
            qWarning("could not drop the test database: %s", qPrintable(error));
    }
}

QString StoreFixture::url() const
{
    if (!isPostgres())
        return m_config.path;
    QUrl url;
    url.setScheme(u"postgres"_s);
    url.setHost(m_config.host);
    url.setPort(m_config.port);
    url.setUserName(m_config.user);
    url.setPassword(m_config.password);
    url.setPath(u"/"_s + m_config.database);
    return url.toString();
}

SideConnection::SideConnection(const StoreConfig &config)
    : m_name(Database::uniqueConnectionName(u"test"_s))
{
    Database::open(config, m_name, &m_error);
}

SideConnection::~SideConnection()
{
    Database::close(m_name);
}

bool SideConnection::exec(const QString &statement)
{
    QSqlQuery q(QSqlDatabase::database(m_name, false));
    if (q.exec(statement))
        return true;
    m_error = u"%1: %2"_s.arg(statement, q.lastError().text());
    return false;
}

QVariant SideConnection::scalar(const QString &statement)
{
    const QVariantList values = column(statement);
    return values.isEmpty() ? QVariant() : values.first();
}

QVariantList SideConnection::column(const QString &statement)
{
    QVariantList values;
    QSqlQuery q(QSqlDatabase::database(m_name, false));
    q.setForwardOnly(true);
    if (!q.exec(statement)) {
        m_error = u"%1: %2"_s.arg(statement, q.lastError().text());
        return values;
    }
    while (q.next())
        values.append(q.value(0));
    return values;
}

StoreOutage::StoreOutage(const StoreFixture &store)
    : m_store(store)
    , m_side(store.isPostgres() ? store.adminConfig() : store.config())
{
}

StoreOutage::~StoreOutage()
{
    end();
}

bool StoreOutage::begin()
{
    m_active = true;
    if (!m_store.isPostgres())
        return m_side.exec(u"BEGIN EXCLUSIVE"_s);
    const QString db = m_store.config().database;
    return m_side.exec(u"ALTER DATABASE %1 ALLOW_CONNECTIONS false"_s.arg(db)) &&
           m_side.exec(u"SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                       " WHERE datname = '%1' AND pid <> pg_backend_pid()"_s.arg(db));
}

bool StoreOutage::end()
{
    if (!m_active)
        return true;
    m_active = false;
    if (!m_store.isPostgres())
        return m_side.exec(u"COMMIT"_s);
    return m_side.exec(
        u"ALTER DATABASE %1 ALLOW_CONNECTIONS true"_s.arg(m_store.config().database));
}

server::WriteDone DoneLog::callback(int tag)
{
    return [this, tag](server::WriteStatus status) {
        QMutexLocker lock(&m_mutex);
        m_entries.append({tag, status});
    };
}

qsizetype DoneLog::size() const
{
    QMutexLocker lock(&m_mutex);
    return m_entries.size();
}

QList<std::pair<int, server::WriteStatus>> DoneLog::entries() const
{
    QMutexLocker lock(&m_mutex);
    return m_entries;
}

QList<int> DoneLog::tags() const
{
    QList<int> out;
    for (const auto &e : entries())
        out.append(e.first);
    return out;
}

int DoneLog::count(server::WriteStatus status) const
{
    int n = 0;
    for (const auto &e : entries())
        n += e.second == status ? 1 : 0;
    return n;
}

server::WriteStatus DoneLog::statusOf(int tag) const
{
    for (const auto &e : entries()) {
        if (e.first == tag)
            return e.second;
    }
    return server::WriteStatus::Failed;
}

} // namespace confab::testing
