#include "theme.h"

#include "logging.h"

#include <QDBusConnection>
#include <QDBusMessage>
#include <QDBusPendingCallWatcher>
#include <QDBusPendingReply>
#include <QDBusVariant>
#include <QGuiApplication>
#include <QPalette>

namespace confab::app {

using namespace Qt::StringLiterals;

namespace {
const QString kPortalService = u"org.freedesktop.portal.Desktop"_s;
const QString kPortalPath = u"/org/freedesktop/portal/desktop"_s;
const QString kPortalSettings = u"org.freedesktop.portal.Settings"_s;
const QString kAppearance = u"org.freedesktop.appearance"_s;
const QString kColorScheme = u"color-scheme"_s;

// The portal's value, possibly wrapped in variants: 1 prefers dark, 2 prefers light.
std::optional<bool> schemeIsDark(QVariant v)
{
    while (v.canConvert<QDBusVariant>() && v.userType() == qMetaTypeId<QDBusVariant>())
        v = v.value<QDBusVariant>().variant();
    bool ok = false;
    const uint scheme = v.toUInt(&ok);
    if (!ok || scheme == 0)
        return std::nullopt;
    return scheme == 1;
}
} // namespace

Theme::Theme(QObject *parent)
    : QObject(parent)
    , m_systemDark(fallbackDark())
{
    if (!QDBusConnection::sessionBus().connect(kPortalService, kPortalPath, kPortalSettings,
                                               u"SettingChanged"_s, this,
                                               SLOT(onPortalSettingChanged(QDBusMessage))))
        qCInfo(lcApp) << "no appearance portal signal:"
                      << QDBusConnection::sessionBus().lastError().message();
    readPortal();
}

bool Theme::fallbackDark()
{
    if (qEnvironmentVariable("GTK_THEME").contains(u"dark"_s, Qt::CaseInsensitive))
        return true;
    return QGuiApplication::palette().color(QPalette::Window).lightness() < 128;
}

void Theme::readPortal()
{
    QDBusMessage msg =
        QDBusMessage::createMethodCall(kPortalService, kPortalPath, kPortalSettings, u"Read"_s);
    msg << kAppearance << kColorScheme;
    auto *watcher = new QDBusPendingCallWatcher(QDBusConnection::sessionBus().asyncCall(msg), this);
    connect(watcher, &QDBusPendingCallWatcher::finished, this, [this](QDBusPendingCallWatcher *w) {
        const QDBusPendingReply<QVariant> reply = *w;
        w->deleteLater();
        if (reply.isError())
            return; // no portal: the fallback stands
        if (const auto dark = schemeIsDark(reply.value()))
            setSystemDark(*dark);
    });
}

void Theme::onPortalSettingChanged(const QDBusMessage &message)
{
    // (namespace, key, value); the whole message, since QtDBus (6.4) will not connect
    // this signal to a slot with a QDBusVariant argument.
    const QList<QVariant> args = message.arguments();
    if (args.size() != 3 || args[0].toString() != kAppearance || args[1].toString() != kColorScheme)
        return;
    setSystemDark(schemeIsDark(args[2]).value_or(fallbackDark()));
}

void Theme::setSystemDark(bool on)
{
    if (on == m_systemDark)
        return;
    m_systemDark = on;
    emit changed();
}

void Theme::setMode(const QString &mode)
{
    if (mode == m_mode)
        return;
    m_mode = mode;
    emit changed();
}

bool Theme::dark() const
{
    if (m_mode == u"dark"_s)
        return true;
    if (m_mode == u"light"_s)
        return false;
    return m_systemDark;
}

QColor Theme::userColor(const QString &user, bool dark) const
{
    // A stable hue per user, light enough on dark and dark enough on light.
    // FNV-1a: the same colour in every run (qHash is seeded per process).
    quint32 h = 2166136261u;
    for (const QChar c : user)
        h = (h ^ c.unicode()) * 16777619u;
    const int hue = int(h % 360);
    return QColor::fromHsl(hue, dark ? 150 : 160, dark ? 170 : 95);
}

QString Theme::messageStyle() const
{
    return u"<style>p { margin-top: 0; margin-bottom: 0; } a { color: %1; } code { "
           u"background-color: %2; font-family: monospace; } "
           "pre { background-color: %2; font-family: monospace; } "
           "blockquote { color: %3; } </style>"_s.arg(link().name(), codeBackground().name(),
                                                      mutedText().name());
}

} // namespace confab::app
