#include "appdriver.h"

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QJsonDocument>
#include <QTest>
#include <QUdpSocket>
#include <QUuid>

namespace confab::testing {

using namespace Qt::StringLiterals;

AppDriver::AppDriver()
{
    m_process.setProcessChannelMode(QProcess::MergedChannels);
}

AppDriver::~AppDriver()
{
    if (isRunning()) {
        m_process.kill();
        m_process.waitForFinished(5000);
    }
}

QString AppDriver::binary()
{
    return QStringLiteral(CONFAB_APP_BINARY);
}

bool AppDriver::isRunning() const
{
    return m_process.state() != QProcess::NotRunning;
}

QByteArray AppDriver::output()
{
    m_output += m_process.readAll();
    return m_output;
}

bool AppDriver::start(const QUrl &server, const QString &profileDir, const QStringList &extra,
                      int timeoutMs)
{
    m_name = u"confab-test-"_s + QUuid::createUuid().toString(QUuid::Id128).left(12);
    QStringList args{u"--profile"_s, profileDir,        u"--token-store"_s,
                     u"file"_s,      u"--automation"_s, m_name};
    if (!server.isEmpty())
        args += {u"--server"_s, server.toString()};
    if (!extra.contains(u"--discovery-port"_s)) {
        // The connect page probes for servers: on a port of this run's own, so that no
        // server on the LAN (or another test's) answers it.
        QUdpSocket udp;
        if (udp.bind(QHostAddress::LocalHost, 0))
            args += {u"--discovery-port"_s, QString::number(udp.localPort())};
    }
    args += extra;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    if (!env.contains(u"QT_QPA_PLATFORM"_s))
        env.insert(u"QT_QPA_PLATFORM"_s, u"offscreen"_s);
    m_process.setProcessEnvironment(env);
    // CONFAB_TEST_APP_WRAPPER runs the app under a tool, e.g. "gdb -batch -ex run -ex bt --args".
    QStringList wrapper =
        qEnvironmentVariable("CONFAB_TEST_APP_WRAPPER").split(u' ', Qt::SkipEmptyParts);
    if (wrapper.isEmpty()) {
        m_process.start(binary(), args);
    } else {
        const QString tool = wrapper.takeFirst();
        m_process.start(tool, wrapper + QStringList{binary()} + args);
    }
    if (!m_process.waitForStarted(timeoutMs)) {
        m_lastError = m_process.errorString();
        return false;
    }
    // The socket exists once the window is loaded.
    const bool connected = waitFor(
        [&] {
            if (!isRunning())
                return true;
            m_socket.connectToServer(m_name);
            return m_socket.waitForConnected(100);
        },
        timeoutMs);
    if (!connected || m_socket.state() != QLocalSocket::ConnectedState)
        return false;
    // Without a window manager (Xvfb) nothing activates the window, and shortcuts only
    // work in an active one.
    invoke(u"window"_s, u"requestActivate"_s);
    waitFor([&] { return get(u"window"_s, u"active"_s).toBool(); }, 2000);
    return true;
}

int AppDriver::stop(int timeoutMs)
{
    if (!isRunning())
        return m_process.exitCode();
    call({{u"cmd"_s, u"quit"_s}}, 2000);
    if (!waitFor([&] { return !isRunning(); }, timeoutMs)) {
        m_process.kill();
        m_process.waitForFinished(5000);
        return -1;
    }
    output();
    return m_process.exitStatus() == QProcess::NormalExit ? m_process.exitCode() : -1;
}

bool AppDriver::waitFor(const std::function<bool()> &pred, int timeoutMs)
{
    return QTest::qWaitFor(pred, timeoutMs);
}

QJsonObject AppDriver::call(const QJsonObject &command, int timeoutMs)
{
    if (m_socket.state() != QLocalSocket::ConnectedState) {
        m_lastError = u"not connected to the app"_s;
        return {};
    }
    m_socket.write(QJsonDocument(command).toJson(QJsonDocument::Compact) + '\n');
    m_socket.flush();
    if (!waitFor([&] { return m_socket.canReadLine() || !isRunning(); }, timeoutMs) ||
        !m_socket.canReadLine()) {
        m_lastError = u"no answer to "_s + command.value(u"cmd"_s).toString();
        return {};
    }
    const QJsonObject reply = QJsonDocument::fromJson(m_socket.readLine()).object();
    if (!reply.value(u"ok"_s).toBool())
        m_lastError = reply.value(u"error"_s).toString();
    return reply;
}

QJsonValue AppDriver::get(const QString &object, const QString &property)
{
    return call({{u"cmd"_s, u"get"_s}, {u"object"_s, object}, {u"property"_s, property}})
        .value(u"value"_s);
}

bool AppDriver::set(const QString &object, const QString &property, const QJsonValue &value)
{
    return call({{u"cmd"_s, u"set"_s},
                 {u"object"_s, object},
                 {u"property"_s, property},
                 {u"value"_s, value}})
        .value(u"ok"_s)
        .toBool();
}

bool AppDriver::click(const QString &object)
{
    return call({{u"cmd"_s, u"click"_s}, {u"object"_s, object}}).value(u"ok"_s).toBool();
}

bool AppDriver::focus(const QString &object)
{
    return call({{u"cmd"_s, u"focus"_s}, {u"object"_s, object}}).value(u"focused"_s).toBool();
}

bool AppDriver::type(const QString &text)
{
    return call({{u"cmd"_s, u"keys"_s}, {u"text"_s, text}}).value(u"ok"_s).toBool();
}

bool AppDriver::key(const QString &name, const QStringList &modifiers)
{
    return call({{u"cmd"_s, u"keys"_s},
                 {u"key"_s, name},
                 {u"modifiers"_s, QJsonArray::fromStringList(modifiers)}})
        .value(u"ok"_s)
        .toBool();
}

bool AppDriver::exists(const QString &object, bool *shown)
{
    const QJsonObject r = call({{u"cmd"_s, u"exists"_s}, {u"object"_s, object}});
    if (shown)
        *shown = r.value(u"shown"_s).toBool();
    return r.value(u"exists"_s).toBool();
}

QJsonArray AppDriver::rows(const QString &view, int limit)
{
    return call({{u"cmd"_s, u"rows"_s}, {u"object"_s, view}, {u"limit"_s, limit}})
        .value(u"rows"_s)
        .toArray();
}

QJsonArray AppDriver::items(const QString &name, const QStringList &properties)
{
    return call({{u"cmd"_s, u"items"_s},
                 {u"object"_s, name},
                 {u"properties"_s, QJsonArray::fromStringList(properties)}})
        .value(u"items"_s)
        .toArray();
}

QJsonValue AppDriver::invoke(const QString &object, const QString &method, const QJsonArray &args)
{
    return call({{u"cmd"_s, u"invoke"_s},
                 {u"object"_s, object},
                 {u"method"_s, method},
                 {u"args"_s, args}})
        .value(u"value"_s);
}

bool AppDriver::screenshot(const QString &path)
{
    return call({{u"cmd"_s, u"screenshot"_s}, {u"path"_s, path}}).value(u"ok"_s).toBool();
}

QJsonObject AppDriver::findRow(const QString &view, const QString &field, const QJsonValue &value)
{
    const QJsonArray all = rows(view);
    for (const QJsonValue &r : all) {
        if (r.toObject().value(field) == value)
            return r.toObject();
    }
    return {};
}

int AppDriver::countRows(const QString &view, const QString &field, const QJsonValue &value)
{
    int n = 0;
    const QJsonArray all = rows(view);
    for (const QJsonValue &r : all)
        n += r.toObject().value(field) == value ? 1 : 0;
    return n;
}

} // namespace confab::testing
