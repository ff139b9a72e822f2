#pragma once

#include "session/clientsession.h"

#include <QString>
#include <QStringList>
#include <QUrl>

namespace confab::client {

// Where one person's settings, caches, outboxes and keychain entries live. The default
// profile uses the XDG locations ($XDG_CONFIG_HOME/confab, $XDG_DATA_HOME/confab,
// $XDG_CACHE_HOME/confab); a named one (--profile NAME) a "profiles/NAME" folder in each;
// a directory (--profile ./dir, anything with a slash) holds all three itself. Keychain
// entries carry the profile in their service name, so two profiles never share a token.
class Profile
{
public:
    explicit Profile(const QString &nameOrDirectory = {});
    // The value of --profile NAME / --profile=NAME in args (the default profile without).
    static Profile fromArguments(const QStringList &args);

    QString name() const { return m_name; } // empty for the default profile
    bool isDirectory() const { return m_isDirectory; }
    QString configDir() const { return m_configDir; }
    QString dataDir() const { return m_dataDir; }
    QString cacheDir() const { return m_cacheDir; }
    QString settingsFile() const;
    QString tokenFile() const; // used only where no keychain answers
    QString pinsFile() const;  // the certificate fingerprints trusted on first use
    QString keychainService() const;

    // A file-system-safe key for an account: host, port and user.
    static QString accountKey(const QUrl &url, const QString &user);
    // The options of a session of this profile (its directories are created).
    SessionOptions sessionOptions(const QUrl &url, const QString &user) const;

private:
    QString m_name;
    QString m_configDir;
    QString m_dataDir;
    QString m_cacheDir;
    bool m_isDirectory = false;
};

} // namespace confab::client
