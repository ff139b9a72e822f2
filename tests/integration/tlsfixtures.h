#pragma once

#include "harness.h"

#include <QProcess>
#include <QRegularExpression>
#include <QUdpSocket>

// Helpers of the suites that run the real server with TLS and discovery:
// certificates made with the openssl command, the server's own `fingerprint` command,
// and a UDP port of the test's own for discovery.
namespace confab::testing {

// Runs a command to completion; false (and its output as a warning) when it fails.
inline bool runTool(const QString &program, const QStringList &args)
{
    QProcess p;
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.start(program, args);
    if (!p.waitForFinished(60000) || p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0) {
        qWarning().noquote() << program << args.join(u' ') << "failed:" << p.readAll();
        return false;
    }
    return true;
}

// dir/server.crt and dir/server.key: a self-signed EC certificate that names only
// `name` (so 127.0.0.1 is a host name mismatch on top of self-signed).
inline bool makeSelfSigned(const QString &dir, const QString &name)
{
    using namespace Qt::StringLiterals;
    return runTool(u"openssl"_s,
                   {u"req"_s, u"-x509"_s, u"-newkey"_s, u"ec"_s, u"-pkeyopt"_s,
                    u"ec_paramgen_curve:prime256v1"_s, u"-nodes"_s, u"-keyout"_s,
                    dir + u"/server.key"_s, u"-out"_s, dir + u"/server.crt"_s, u"-days"_s, u"30"_s,
                    u"-subj"_s, u"/CN="_s + name, u"-addext"_s, u"subjectAltName=DNS:"_s + name});
}

// What `confab-server fingerprint ARGS` prints (empty on failure).
inline QString serverFingerprint(const QStringList &args)
{
    QProcess p;
    p.start(ServerProcess::binary(), QStringList{QStringLiteral("fingerprint")} + args);
    if (!p.waitForFinished(30000) || p.exitCode() != 0)
        return {};
    return QString::fromLatin1(p.readAllStandardOutput().trimmed());
}

// The fingerprint the server logged at start ("TLS certificate fingerprint (SHA-256): ...").
inline QString loggedFingerprint(const QByteArray &log)
{
    static const QRegularExpression line(
        QStringLiteral("TLS certificate fingerprint \\(SHA-256\\): ([0-9A-F:]{95})"));
    return line.match(QString::fromUtf8(log)).captured(1);
}

// A UDP port nobody uses right now (a server or a responder binds it next).
inline quint16 freeUdpPort()
{
    QUdpSocket s;
    return s.bind(QHostAddress::AnyIPv4, 0) ? s.localPort() : 0;
}

} // namespace confab::testing
