#include "httpclient.h"

#include <QJsonDocument>
#include <QTcpSocket>
#include <QTest>
#include <QUrl>

namespace confab::testing {

QJsonObject HttpReply::json() const
{
    return QJsonDocument::fromJson(body).object();
}

namespace {

HttpReply parse(const QByteArray &all)
{
    HttpReply r;
    const qsizetype end = all.indexOf("\r\n\r\n");
    if (end < 0)
        return r;
    const QList<QByteArray> lines = all.left(end).split('\n');
    const QList<QByteArray> status = lines.value(0).trimmed().split(' ');
    r.status = status.value(1).toInt();
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const qsizetype colon = lines[i].indexOf(':');
        if (colon > 0)
            r.headers.insert(lines[i].left(colon).trimmed().toLower(),
                             lines[i].mid(colon + 1).trimmed());
    }
    r.body = all.mid(end + 4);
    return r;
}

} // namespace

HttpReply httpExchange(quint16 port, const HttpRequestSpec &request, int timeoutMs)
{
    QTcpSocket s;
    QByteArray all;
    QObject::connect(&s, &QTcpSocket::readyRead, &s, [&] { all += s.readAll(); });
    s.connectToHost(QHostAddress::LocalHost, port);
    if (!s.waitForConnected(timeoutMs))
        return {};
    QByteArray head = request.method + ' ' + request.target + " HTTP/1.1\r\nHost: test\r\n";
    for (const auto &[name, value] : request.headers)
        head += name + ": " + value + "\r\n";
    const bool sendsBody = !request.body.isEmpty() || request.method == "PATCH";
    if (sendsBody)
        head += "Content-Length: " + QByteArray::number(request.body.size()) + "\r\n";
    head += "\r\n";
    s.write(head);
    if (request.cutAfter >= 0) {
        s.write(request.body.left(request.cutAfter));
        if (!QTest::qWaitFor([&] { return s.bytesToWrite() == 0; }, timeoutMs))
            qWarning() << "the body was not written";
        // Let the server read what was sent before the connection goes.
        QTest::qWait(100);
        s.abort();
        return {};
    }
    // Written as the socket drains, so a large body does not sit in memory twice.
    qsizetype at = 0;
    while (at < request.body.size() && s.state() == QAbstractSocket::ConnectedState) {
        const qsizetype n = std::min<qsizetype>(1 << 20, request.body.size() - at);
        s.write(request.body.constData() + at, n);
        at += n;
        while (s.bytesToWrite() > (4 << 20) && s.state() == QAbstractSocket::ConnectedState)
            s.waitForBytesWritten(1000);
    }
    if (!QTest::qWaitFor([&] { return s.state() == QAbstractSocket::UnconnectedState; }, timeoutMs))
        qWarning() << "the server did not close the connection";
    return parse(all + s.readAll());
}

HttpReply httpWithToken(quint16 port, const QByteArray &method, const QByteArray &target,
                        const QString &token, QList<std::pair<QByteArray, QByteArray>> headers,
                        const QByteArray &body)
{
    HttpRequestSpec r;
    r.method = method;
    r.target = target;
    r.headers = std::move(headers);
    r.headers.append({"Authorization", "Bearer " + token.toLatin1()});
    r.body = body;
    return httpExchange(port, r);
}

QString createUpload(quint16 port, const QString &token, const QString &name, qint64 length,
                     HttpReply *reply)
{
    const HttpReply r = httpWithToken(port, "POST", "/uploads", token,
                                      {{"Upload-Length", QByteArray::number(length)},
                                       {"Upload-Name", QUrl::toPercentEncoding(name)}});
    if (reply)
        *reply = r;
    return r.status == 201 ? r.json().value(QLatin1String("id")).toString() : QString();
}

HttpReply patchUpload(quint16 port, const QString &token, const QString &id, qint64 offset,
                      const QByteArray &bytes, qsizetype cutAfter)
{
    HttpRequestSpec r;
    r.method = "PATCH";
    r.target = "/uploads/" + id.toLatin1();
    r.headers = {{"Authorization", "Bearer " + token.toLatin1()},
                 {"Upload-Offset", QByteArray::number(offset)},
                 {"Content-Type", "application/offset+octet-stream"}};
    r.body = bytes;
    r.cutAfter = cutAfter;
    return httpExchange(port, r);
}

HttpReply uploadFile(quint16 port, const QString &token, const QString &name,
                     const QByteArray &content)
{
    HttpReply created;
    const QString id = createUpload(port, token, name, content.size(), &created);
    if (id.isEmpty())
        return created;
    return patchUpload(port, token, id, 0, content);
}

} // namespace confab::testing
