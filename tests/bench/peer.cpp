#include "peer.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QRegularExpression>
#include <QStandardPaths>

namespace confab::bench {

using namespace Qt::StringLiterals;

namespace {
constexpr int kInstallTimeoutMs = 300000;
constexpr int kStartTimeoutMs = 15000;
} // namespace

PeerProcess::PeerProcess() = default;

PeerProcess::~PeerProcess()
{
    stop();
}

QString PeerProcess::peersDir()
{
    const QString env = qEnvironmentVariable("CONFAB_BENCH_PEERS_DIR");
    return env.isEmpty() ? QStringLiteral(CONFAB_BENCH_PEERS_DIR) : env;
}

bool PeerProcess::ensureInstalled(QString *error)
{
    const QDir dir(peersDir());
    if (QFileInfo::exists(dir.filePath(u"node_modules/ws/package.json"_s)))
        return true;
    const QString npm = QStandardPaths::findExecutable(u"npm"_s);
    if (npm.isEmpty()) {
        *error = u"npm not found on PATH (needed once to install ws in %1)"_s.arg(dir.path());
        return false;
    }
    QProcess install;
    install.setWorkingDirectory(dir.path());
    install.setProcessChannelMode(QProcess::MergedChannels);
    install.start(npm, {u"install"_s, u"--no-audit"_s, u"--no-fund"_s, u"--omit=dev"_s});
    if (!install.waitForFinished(kInstallTimeoutMs) || install.exitCode() != 0) {
        *error = u"npm install in %1 failed: %2"_s.arg(dir.path(),
                                                       QString::fromLocal8Bit(install.readAll()));
        return false;
    }
    return true;
}

bool PeerProcess::start(QString *error)
{
    const QString node = QStandardPaths::findExecutable(u"node"_s);
    if (node.isEmpty()) {
        *error = u"node not found on PATH"_s;
        return false;
    }
    if (!ensureInstalled(error))
        return false;
    m_process = std::make_unique<QProcess>();
    m_process->setWorkingDirectory(peersDir());
    m_process->setProcessChannelMode(QProcess::ForwardedErrorChannel);
    m_process->start(node, {u"broadcast-server.js"_s, u"0"_s, u"127.0.0.1"_s});
    if (!m_process->waitForStarted(kStartTimeoutMs)) {
        *error = u"cannot start node: %1"_s.arg(m_process->errorString());
        return false;
    }
    static const QRegularExpression listening(u"listening on port (\\d+)"_s);
    QByteArray out;
    QElapsedTimer timer;
    timer.start();
    while (timer.elapsed() < kStartTimeoutMs && m_process->state() == QProcess::Running) {
        m_process->waitForReadyRead(100);
        out += m_process->readAllStandardOutput();
        const auto match = listening.match(QString::fromUtf8(out));
        if (match.hasMatch()) {
            m_port = quint16(match.captured(1).toUInt());
            return true;
        }
    }
    *error = u"the ws peer did not start: %1"_s.arg(QString::fromUtf8(out));
    return false;
}

void PeerProcess::stop()
{
    if (!m_process || m_process->state() == QProcess::NotRunning)
        return;
    m_process->terminate();
    if (!m_process->waitForFinished(5000)) {
        m_process->kill();
        m_process->waitForFinished(5000);
    }
}

QUrl PeerProcess::url() const
{
    QUrl url;
    url.setScheme(u"ws"_s);
    url.setHost(u"127.0.0.1"_s);
    url.setPort(m_port);
    url.setPath(u"/"_s);
    return url;
}

qint64 PeerProcess::pid() const
{
    return m_process ? m_process->processId() : 0;
}

} // namespace confab::bench
