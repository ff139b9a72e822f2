#pragma once

#include <QDir>
#include <QJsonArray>
#include <QJsonObject>
#include <QLocalSocket>
#include <QProcess>
#include <QStringList>
#include <QUrl>
#include <functional>

// The real confab binary as a child process, driven through its --automation socket:
// keys go to the focused item, clicks to an item's centre, and what the window shows is
// read back by objectName. Every wait runs the test's event loop, so protocol clients in
// the test process keep talking meanwhile.
namespace confab::testing {

#ifdef CONFAB_DEFAULT_SCREENSHOT_DIR
// Where a test saves its screenshots: CONFAB_SCREENSHOT_DIR, or the build tree's.
inline QString screenshotDir()
{
    const QString dir = qEnvironmentVariable("CONFAB_SCREENSHOT_DIR",
                                             QStringLiteral(CONFAB_DEFAULT_SCREENSHOT_DIR));
    QDir().mkpath(dir);
    return dir;
}
#endif

class AppDriver
{
public:
    AppDriver();
    ~AppDriver();

    static QString binary();
    // Starts confab on a profile folder (tokens in a file there) and waits for the socket.
    bool start(const QUrl &server, const QString &profileDir, const QStringList &extra = {},
               int timeoutMs = 20000);
    // Asks the app to quit and waits; kills it after the timeout. The exit code.
    int stop(int timeoutMs = 10000);
    bool isRunning() const;
    QByteArray output();

    QJsonObject call(const QJsonObject &command, int timeoutMs = 10000);
    QJsonValue get(const QString &object, const QString &property);
    bool set(const QString &object, const QString &property, const QJsonValue &value);
    bool click(const QString &object);
    bool focus(const QString &object);
    bool type(const QString &text);
    bool key(const QString &name, const QStringList &modifiers = {});
    bool exists(const QString &object, bool *shown = nullptr);
    QJsonArray rows(const QString &view, int limit = 100);
    // The shown items named name (e.g. every message delegate laid out), each with the
    // properties asked for.
    QJsonArray items(const QString &name, const QStringList &properties);
    QJsonValue invoke(const QString &object, const QString &method, const QJsonArray &args = {});
    bool screenshot(const QString &path);
    QString lastError() const { return m_lastError; }

    // Runs the event loop until pred() holds or the time is up.
    static bool waitFor(const std::function<bool()> &pred, int timeoutMs = 10000);
    // The first row of a view whose field equals value (an empty object if none).
    QJsonObject findRow(const QString &view, const QString &field, const QJsonValue &value);
    // How many rows of a view have field == value.
    int countRows(const QString &view, const QString &field, const QJsonValue &value);

private:
    QProcess m_process;
    QLocalSocket m_socket;
    QString m_name;
    QByteArray m_output;
    QString m_lastError;
};

} // namespace confab::testing
