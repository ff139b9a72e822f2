#pragma once

#include <QString>
#include <QStringList>
#include <QUrl>

namespace confab::app {

// What the command line asks of this run of the app.
struct StartupOptions
{
    QUrl server;                  // --server: connect to it straight away (or prefill the login)
    QString profileDir;           // --profile: settings, accounts and cache under this folder
    bool fileTokens = false;      // --token-store file: tokens in a 0600 file, not the keychain
    QString theme;                // --theme light|dark|system (the saved setting otherwise)
    QString automation;           // --automation NAME: the test driver's local socket
    quint16 discoveryPort = 7681; // --discovery-port: where LAN discovery probes go
    QString errorText;            // a bad command line: what is wrong
    bool showHelp = false;

    static StartupOptions parse(const QStringList &arguments);
    static QString helpText();
};

// "host", "host:port", "ws://host:port" or "wss://..." as a server URL; empty when the
// text is not a server address.
QUrl serverUrlFromText(const QString &text);

} // namespace confab::app
