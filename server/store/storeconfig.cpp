#include "store/storetypes.h"

#include <QUrl>
#include <QUrlQuery>

namespace confab::server {

using namespace Qt::StringLiterals;

namespace {

std::optional<StoreConfig> fail(QString *error, const QString &message)
{
    if (error)
        *error = message;
    return std::nullopt;
}

std::optional<StoreConfig> postgresFromUrl(const QString &text, QString *error)
{
    const QUrl url(text, QUrl::StrictMode);
    if (!url.isValid())
        return fail(error, u"malformed database URL: %1"_s.arg(url.errorString()));
    StoreConfig c;
    c.driver = u"postgres"_s;
    c.host = url.host(QUrl::FullyDecoded);
    c.port = url.port(5432);
    c.user = url.userName(QUrl::FullyDecoded);
    c.password = url.password(QUrl::FullyDecoded);
    c.database = url.path(QUrl::FullyDecoded).mid(1);
    if (c.host.isEmpty())
        return fail(error, u"database URL has no host (postgres://user@host/db)"_s);
    if (c.database.isEmpty() || c.database.contains(u'/'))
        return fail(error, u"database URL has no database name (postgres://user@host/db)"_s);
    if (c.port <= 0 || c.port > 65535)
        return fail(error, u"database URL has an invalid port"_s);
    QStringList options;
    const auto items = QUrlQuery(url).queryItems(QUrl::FullyDecoded);
    for (const auto &[key, value] : items) {
        // libpq takes key=value pairs; a space or quote would let a value inject others.
        if (key.isEmpty() || value.contains(u' ') || value.contains(u'\'') || key.contains(u' '))
            return fail(error, u"database URL has an unusable option '%1'"_s.arg(key));
        options.append(key + u'=' + value);
    }
    c.options = options.join(u' ');
    return c;
}

} // namespace

std::optional<StoreConfig> StoreConfig::fromUrl(const QString &url, QString *error)
{
    const QString text = url.trimmed();
    if (text.isEmpty())
        return fail(error, u"no database given"_s);
    if (text.startsWith("postgres://"_L1) || text.startsWith("postgresql://"_L1))
        return postgresFromUrl(text, error);
    StoreConfig c;
    if (text.startsWith("sqlite:"_L1)) {
        // sqlite:///abs/path, sqlite://relative/path and sqlite:path all name a file.
        QString rest = text.mid(7);
        if (rest.startsWith("//"_L1))
            rest = rest.mid(2);
        c.path = QUrl::fromPercentEncoding(rest.toUtf8());
    } else if (text.contains("://"_L1)) {
        return fail(error,
                    u"unsupported database URL '%1' (use postgres://... or a file path)"_s.arg(
                        text.section("://"_L1, 0, 0) + "://..."_L1));
    } else {
        c.path = text;
    }
    if (c.path.isEmpty())
        return fail(error, u"the SQLite database URL names no file"_s);
    return c;
}

QString StoreConfig::describe() const
{
    if (!isPostgres())
        return u"sqlite %1"_s.arg(path);
    return u"postgres %1@%2:%3/%4"_s.arg(user, host).arg(port).arg(database);
}

} // namespace confab::server
