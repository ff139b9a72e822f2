#include "account/profile.h"

#include "protocol/names.h"

#include <QCryptographicHash>
#include <QDir>
#include <QStandardPaths>

namespace confab::client {

using namespace Qt::StringLiterals;

namespace {
QString xdg(QStandardPaths::StandardLocation location, const QString &name)
{
    QString base = QDir(QStandardPaths::writableLocation(location)).filePath(u"confab"_s);
    return name.isEmpty() ? base : QDir(base).filePath(u"profiles/"_s + name);
}

QString safeName(const QString &name)
{
    QString out;
    for (const QChar c : name)
        out += c.isLetterOrNumber() || c == u'-' || c == u'_' || c == u'.' ? c : u'_';
    return out;
}
} // namespace

Profile::Profile(const QString &nameOrDirectory)
{
    if (nameOrDirectory.contains(u'/')) {
        m_isDirectory = true;
        const QDir dir(QDir(nameOrDirectory).absolutePath());
        m_name = dir.absolutePath();
        m_configDir = dir.filePath(u"config"_s);
        m_dataDir = dir.filePath(u"data"_s);
        m_cacheDir = dir.filePath(u"cache"_s);
        return;
    }
    m_name = safeName(nameOrDirectory);
    m_configDir = xdg(QStandardPaths::GenericConfigLocation, m_name);
    m_dataDir = xdg(QStandardPaths::GenericDataLocation, m_name);
    m_cacheDir = xdg(QStandardPaths::GenericCacheLocation, m_name);
}

Profile Profile::fromArguments(const QStringList &args)
{
    for (qsizetype i = 0; i < args.size(); ++i) {
        if (args[i] == u"--profile"_s && i + 1 < args.size())
            return Profile(args[i + 1]);
        if (args[i].startsWith(u"--profile="_s))
            return Profile(args[i].mid(10));
    }
    return Profile();
}

QString Profile::settingsFile() const
{
    return QDir(m_configDir).filePath(u"confab.ini"_s);
}

QString Profile::tokenFile() const
{
    return QDir(m_dataDir).filePath(u"tokens.json"_s);
}

QString Profile::pinsFile() const
{
    return QDir(m_configDir).filePath(u"known-servers.json"_s);
}

QString Profile::keychainService() const
{
    if (m_name.isEmpty())
        return u"confab"_s;
    if (!m_isDirectory)
        return u"confab/"_s + m_name;
    // A directory profile is named by its path; the service name gets a digest of it.
    return u"confab/dir-"_s +
           QString::fromLatin1(QCryptographicHash::hash(m_name.toUtf8(), QCryptographicHash::Sha256)
                                   .toHex()
                                   .left(16));
}

QString Profile::accountKey(const QUrl &url, const QString &user)
{
    const int port = url.port(protocol::kDefaultPort);
    return safeName(u"%1_%2_%3"_s.arg(url.host()).arg(port).arg(protocol::foldUserName(user)));
}

SessionOptions Profile::sessionOptions(const QUrl &url, const QString &user) const
{
    const QString key = accountKey(url, user);
    SessionOptions o;
    o.url = url;
    o.user = protocol::foldUserName(user);
    o.dataDir = QDir(m_dataDir).filePath(u"accounts/"_s + key);
    o.cacheDir = QDir(m_cacheDir).filePath(u"accounts/"_s + key);
    o.settingsFile = QDir(m_configDir).filePath(u"accounts/"_s + key + u".ini"_s);
    o.connection.pinsFile = pinsFile();
    o.tokenKey = o.user + u'@' + url.toString(QUrl::RemovePath | QUrl::StripTrailingSlash);
    QDir().mkpath(o.dataDir);
    QDir().mkpath(o.cacheDir);
    QDir().mkpath(QDir(m_configDir).filePath(u"accounts"_s));
    return o;
}

} // namespace confab::client
