// The HTTP side of shared/wire as a unit: the request head parser the server's port
// sniffs with, the client's check of a 101 response, and plain HTTP answers.
#include "wire/websocket.h"

#include <QTest>

using namespace confab::wire;

namespace {

const QByteArray kKey = "dGhlIHNhbXBsZSBub25jZQ==";

QByteArray response101(const QByteArray &extra,
                       const QByteArray &upgrade = "Upgrade: websocket\r\n",
                       const QByteArray &connection = "Connection: Upgrade\r\n")
{
    return "HTTP/1.1 101 Switching Protocols\r\n" + upgrade + connection +
           "Sec-WebSocket-Accept: " + acceptKey(kKey) + "\r\n" + extra + "\r\n";
}

// A request head of exactly size bytes (blank line included), padded in one header.
QByteArray requestOfSize(qsizetype size)
{
    const QByteArray start = "GET / HTTP/1.1\r\nX-Pad: ";
    return start + QByteArray(size - start.size() - 4, 'p') + "\r\n\r\n";
}

} // namespace

class TestWireHandshake : public QObject
{
    Q_OBJECT

private slots:
    void requestHead_data();
    void requestHead();
    void prefixesAreIncomplete();
    void handshakeResponse_data();
    void handshakeResponse();
    void responses();
};

void TestWireHandshake::requestHead_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<qsizetype>("result");
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QByteArray>("target");
    QTest::addColumn<QByteArray>("host"); // the Host header as parsed

    const QByteArray get = "GET /healthz?x=1 HTTP/1.1\r\nHost: example:7680\r\n\r\n";
    QTest::addRow("get") << get << get.size() << QByteArray("GET") << QByteArray("/healthz?x=1")
                         << QByteArray("example:7680");
    QTest::addRow("frames-behind-it")
        << get + makeFrame(Opcode::Text, "{}", true) << get.size() << QByteArray("GET")
        << QByteArray("/healthz?x=1") << QByteArray("example:7680");
    const QByteArray odd = "HEAD * HTTP/1.0\r\nhOsT:\t a b \t\r\nX-Empty:\r\n\r\n";
    QTest::addRow("http-1.0-names-folded-values-trimmed")
        << odd << odd.size() << QByteArray("HEAD") << QByteArray("*") << QByteArray("a b");
    const QByteArray none = "OPTIONS / HTTP/1.1\r\n\r\n";
    QTest::addRow("no-headers") << none << none.size() << QByteArray("OPTIONS") << QByteArray("/")
                                << QByteArray();

    auto bad = [](const char *tag, const QByteArray &bytes, qsizetype result = kHttpMalformed) {
        QTest::addRow("%s", tag) << bytes << result << QByteArray() << QByteArray() << QByteArray();
    };
    bad("incomplete", "GET / HTTP/1.1\r\nHost: x\r\n", kHttpIncomplete);
    bad("lf-only-lines", "GET / HTTP/1.1\nHost: x\n\n", kHttpIncomplete);
    bad("bare-lf-in-head", "GET / HTTP/1.1\r\nHost: x\nX-Evil: y\r\n\r\n");
    bad("bare-cr-in-head", "GET / HTTP/1.1\r\nHost: x\rX-Evil: y\r\n\r\n");
    bad("folded-header", "GET / HTTP/1.1\r\nX-A: 1\r\n  2\r\n\r\n");
    bad("space-before-colon", "GET / HTTP/1.1\r\nHost : x\r\n\r\n");
    bad("no-colon", "GET / HTTP/1.1\r\nHost x\r\n\r\n");
    bad("empty-name", "GET / HTTP/1.1\r\n: x\r\n\r\n");
    bad("nul-in-value", QByteArray("GET / HTTP/1.1\r\nX-A: a") + '\0' + "b\r\n\r\n");
    bad("del-in-value", "GET / HTTP/1.1\r\nX-A: a\x7f\r\n\r\n");
    bad("two-spaces", "GET  / HTTP/1.1\r\n\r\n");
    bad("no-version", "GET /\r\n\r\n");
    bad("http-2", "GET / HTTP/2.0\r\n\r\n");
    bad("lower-case-version", "GET / http/1.1\r\n\r\n");
    bad("method-not-a-token", "G(T / HTTP/1.1\r\n\r\n");
    bad("control-in-target", "GET /\x01 HTTP/1.1\r\n\r\n");
    bad("empty-start-line", "\r\n\r\n");
    QTest::addRow("head-at-cap") << requestOfSize(kMaxHttpHeadBytes) << kMaxHttpHeadBytes
                                 << QByteArray("GET") << QByteArray("/") << QByteArray();
    bad("head-over-cap", requestOfSize(kMaxHttpHeadBytes + 1), kHttpTooLarge);
    bad("unfinished-at-cap", QByteArray(kMaxHttpHeadBytes, 'a'), kHttpTooLarge);
    bad("unfinished-below-cap", QByteArray(kMaxHttpHeadBytes - 1, 'a'), kHttpIncomplete);
}

void TestWireHandshake::requestHead()
{
    QFETCH(QByteArray, bytes);
    QFETCH(qsizetype, result);
    QFETCH(QByteArray, method);
    QFETCH(QByteArray, target);
    QFETCH(QByteArray, host);
    HttpRequest request;
    QCOMPARE(parseHttpRequest(bytes, &request), result);
    if (result <= 0)
        return;
    QCOMPARE(request.method, method);
    QCOMPARE(request.target, target);
    QCOMPARE(request.header("host"), host);
}

// The head is complete only with its blank line: no read boundary changes the verdict.
void TestWireHandshake::prefixesAreIncomplete()
{
    const QByteArray head = "GET /chat HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n"
                            "Connection: keep-alive, Upgrade\r\nSec-WebSocket-Key: " +
                            kKey + "\r\nSec-WebSocket-Version: 13\r\n\r\n";
    HttpRequest request;
    for (qsizetype n = 0; n < head.size(); ++n)
        QCOMPARE(parseHttpRequest(head.first(n), &request), kHttpIncomplete);
    QCOMPARE(parseHttpRequest(head, &request), head.size());
    QVERIFY(request.isWebSocketUpgrade());
}

void TestWireHandshake::handshakeResponse_data()
{
    QTest::addColumn<QByteArray>("response");
    QTest::addColumn<QByteArray>("offered");
    QTest::addColumn<bool>("ok");
    QTest::addColumn<QByteArray>("protocol");

    const QByteArray v1 = "confab.v1";
    const QByteArray chooseV1 = "Sec-WebSocket-Protocol: confab.v1\r\n";
    QTest::addRow("v1-chosen") << response101(chooseV1) << v1 << true << v1;
    QTest::addRow("v1-from-a-list")
        << response101(chooseV1) << QByteArray("chat, confab.v1") << true << v1;
    QTest::addRow("none-chosen") << response101({}) << v1 << true << QByteArray();
    QTest::addRow("none-offered-none-chosen")
        << response101({}) << QByteArray() << true << QByteArray();
    QTest::addRow("tokens-any-case")
        << response101({}, "UPGRADE: WebSocket\r\n", "connection: keep-alive, upgrade\r\n")
        << QByteArray() << true << QByteArray();

    auto refused = [](const char *tag, const QByteArray &response, const QByteArray &offered) {
        QTest::addRow("%s", tag) << response << offered << false << QByteArray();
    };
    refused("not-offered", response101("Sec-WebSocket-Protocol: chat\r\n"), v1);
    refused("chosen-when-none-offered", response101(chooseV1), {});
    refused("chosen-in-other-case", response101("Sec-WebSocket-Protocol: Confab.V1\r\n"), v1);
    refused("two-chosen", response101("Sec-WebSocket-Protocol: confab.v1, chat\r\n"),
            "confab.v1, chat");
    refused("no-upgrade", response101({}, {}), v1);
    refused("upgrade-to-other", response101({}, "Upgrade: h2c\r\n"), v1);
    refused("no-connection", response101({}, "Upgrade: websocket\r\n", {}), v1);
    refused("connection-close", response101({}, "Upgrade: websocket\r\n", "Connection: close\r\n"),
            v1);
    refused("extension", response101("Sec-WebSocket-Extensions: permessage-deflate\r\n"), v1);
    refused("status-200", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", v1);
    QByteArray badAccept = response101({});
    badAccept.replace(acceptKey(kKey), acceptKey("AAAAAAAAAAAAAAAAAAAAAA=="));
    refused("bad-accept", badAccept, v1);
    refused("malformed-head", response101("X-Folded: a\r\n b\r\n"), v1);
    refused("head-over-cap", "HTTP/1.1 101 OK\r\n" + QByteArray(kMaxHttpHeadBytes, 'x'), v1);
}

void TestWireHandshake::handshakeResponse()
{
    QFETCH(QByteArray, response);
    QFETCH(QByteArray, offered);
    QFETCH(bool, ok);
    QFETCH(QByteArray, protocol);
    QByteArray chosen = "unset";
    QString error;
    const QByteArray frames = makeFrame(Opcode::Text, "{}");
    const qsizetype result =
        parseHandshakeResponse(response + frames, kKey, offered, &chosen, &error);
    if (!ok) {
        QCOMPARE(result, qsizetype(-1));
        QVERIFY(!error.isEmpty());
        return;
    }
    QVERIFY2(result > 0, qPrintable(error));
    QCOMPARE(result, response.size());
    QCOMPARE(chosen, protocol);
    for (qsizetype n = 0; n < response.size(); ++n)
        QCOMPARE(parseHandshakeResponse(response.first(n), kKey, offered, nullptr, &error), 0);
}

void TestWireHandshake::responses()
{
    const QByteArray get =
        httpResponse(405, "Method Not Allowed", "text/plain", "no\n", "Allow: GET, HEAD\r\n");
    QCOMPARE(get, QByteArray("HTTP/1.1 405 Method Not Allowed\r\nContent-Type: text/plain\r\n"
                             "Content-Length: 3\r\nAllow: GET, HEAD\r\nConnection: close\r\n\r\n"
                             "no\n"));
    // HEAD: the head GET would get, Content-Length included, and not a byte more.
    const QByteArray head = httpResponse(200, "OK", "text/plain", "ok", {}, true);
    QCOMPARE(head, QByteArray("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                              "Content-Length: 2\r\nConnection: close\r\n\r\n"));
}

QTEST_GUILESS_MAIN(TestWireHandshake)
#include "tst_wire_handshake.moc"
