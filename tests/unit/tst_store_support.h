#pragma once

#include "store/storetypes.h"

#include <QList>
#include <QMutex>
#include <QString>
#include <QTemporaryDir>
#include <QVariant>
#include <utility>

// Support for the store tests: a fresh store per test case on the back end the test run
// selected, and a side connection to inspect or disturb it.
namespace confab::testing {

// A fresh, empty store: a SQLite file in a temporary directory, or, when
// CONFAB_TEST_DB_URL_FILE names a file holding a PostgreSQL URL (the *_pg ctest variants),
// a new database on that cluster, dropped again by the destructor.
class StoreFixture
{
public:
    StoreFixture();
    ~StoreFixture();
    StoreFixture(const StoreFixture &) = delete;
    StoreFixture &operator=(const StoreFixture &) = delete;

    bool isValid() const { return m_error.isEmpty(); }
    QString error() const { return m_error; }
    bool isPostgres() const { return m_config.isPostgres(); }
    const server::StoreConfig &config() const { return m_config; }
    // PostgreSQL: the cluster's base database, for statements about the test database.
    const server::StoreConfig &adminConfig() const { return m_admin; }
    // The store as a URL that StoreConfig::fromUrl() accepts (for child processes).
    QString url() const;
    QString dirPath() const { return m_dir.path(); }

private:
    QTemporaryDir m_dir;
    server::StoreConfig m_config;
    server::StoreConfig m_admin; // PostgreSQL: the cluster's base database
    QString m_error;
};

// A connection of the calling thread to a store, for test set-up and inspection; closed by
// the destructor. Not the store's code path: plain SQL.
class SideConnection
{
public:
    explicit SideConnection(const server::StoreConfig &config);
    ~SideConnection();
    SideConnection(const SideConnection &) = delete;
    SideConnection &operator=(const SideConnection &) = delete;

    QString error() const { return m_error; }
    // Runs statement; false (and error()) on failure.
    bool exec(const QString &statement);
    // First column of the first row, or an invalid QVariant on failure / no row.
    QVariant scalar(const QString &statement);
    // First column of every row.
    QVariantList column(const QString &statement);

private:
    QString m_name;
    QString m_error;
};

// Makes the store refuse writes until end(): on SQLite another connection holds the write
// lock; on PostgreSQL the database stops accepting connections and the existing ones are
// terminated (what a restarting server does to its clients).
class StoreOutage
{
public:
    explicit StoreOutage(const StoreFixture &store);
    ~StoreOutage();
    bool begin();
    bool end();
    QString error() const { return m_side.error(); }

private:
    const StoreFixture &m_store;
    SideConnection m_side;
    bool m_active = false;
};

// Records the writer's done callbacks (which arrive on the writer thread) in the order
// they came. Must outlive the writer it is given to.
class DoneLog
{
public:
    server::WriteDone callback(int tag);
    qsizetype size() const;
    QList<std::pair<int, server::WriteStatus>> entries() const;
    QList<int> tags() const;
    int count(server::WriteStatus status) const;
    // The status of the first op with tag; Failed if there is none.
    server::WriteStatus statusOf(int tag) const;

private:
    mutable QMutex m_mutex;
    QList<std::pair<int, server::WriteStatus>> m_entries;
};

} // namespace confab::testing
