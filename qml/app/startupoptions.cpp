#include "startupoptions.h"

#include <QCommandLineParser>
#include <QCoreApplication>

namespace confab::app {

using namespace Qt::StringLiterals;

namespace {
constexpr int kDefaultPort = 7680;

QCommandLineParser &configure(QCommandLineParser &p)
{
    p.setApplicationDescription(u"Confab, the LAN team chat"_s);
    p.addHelpOption();
    p.addOption({u"server"_s, u"Connect to this server (ws://host:port or host)."_s, u"url"_s});
    p.addOption({u"profile"_s, u"Keep settings, accounts and cache in this folder."_s, u"dir"_s});
    p.addOption(
        {u"token-store"_s, u"Where login tokens go: keychain (default) or file."_s, u"kind"_s});
    p.addOption({u"theme"_s, u"light, dark or system (default: the saved setting)."_s, u"theme"_s});
    p.addOption({u"automation"_s, u"Accept test commands on this local socket."_s, u"name"_s});
    p.addOption({u"discovery-port"_s, u"UDP port of LAN discovery (default 7681)."_s, u"port"_s});
    return p;
}
} // namespace

StartupOptions StartupOptions::parse(const QStringList &arguments)
{
    StartupOptions o;
    QCommandLineParser p;
    configure(p);
    if (!p.parse(arguments)) {
        o.errorText = p.errorText();
        return o;
    }
    o.showHelp = p.isSet(u"help"_s);
    if (p.isSet(u"server"_s)) {
        o.server = serverUrlFromText(p.value(u"server"_s));
        if (o.server.isEmpty())
            o.errorText = u"not a server address: %1"_s.arg(p.value(u"server"_s));
    }
    o.profileDir = p.value(u"profile"_s);
    const QString tokens = p.value(u"token-store"_s);
    if (!tokens.isEmpty() && tokens != u"file"_s && tokens != u"keychain"_s)
        o.errorText = u"--token-store is keychain or file"_s;
    o.fileTokens = tokens == u"file"_s;
    o.theme = p.value(u"theme"_s);
    if (!o.theme.isEmpty() && o.theme != u"light"_s && o.theme != u"dark"_s &&
        o.theme != u"system"_s)
        o.errorText = u"--theme is light, dark or system"_s;
    o.automation = p.value(u"automation"_s);
    if (p.isSet(u"discovery-port"_s)) {
        bool ok = false;
        const uint port = p.value(u"discovery-port"_s).toUInt(&ok);
        if (!ok || port == 0 || port > 65535)
            o.errorText = u"--discovery-port is a UDP port number"_s;
        else
            o.discoveryPort = quint16(port);
    }
    return o;
}

QString StartupOptions::helpText()
{
    QCommandLineParser p;
    return configure(p).helpText();
}

QUrl serverUrlFromText(const QString &text)
{
    const QString t = text.trimmed();
    if (t.isEmpty() || t.contains(u' '))
        return {};
    QUrl url(t.contains(u"://"_s) ? t : u"ws://"_s + t, QUrl::StrictMode);
    if (url.scheme() == u"http"_s)
        url.setScheme(u"ws"_s);
    else if (url.scheme() == u"https"_s)
        url.setScheme(u"wss"_s);
    if ((url.scheme() != u"ws"_s && url.scheme() != u"wss"_s) || url.host().isEmpty() ||
        !url.userInfo().isEmpty())
        return {};
    if (url.port() < 0)
        url.setPort(kDefaultPort);
    if (url.path() == u"/"_s)
        url.setPath(QString());
    return url;
}

} // namespace confab::app
