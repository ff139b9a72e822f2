#pragma once

#include "store/storetypes.h"

#include <QString>
#include <QTemporaryDir>
#include <QVariant>

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

} // namespace confab::testing
