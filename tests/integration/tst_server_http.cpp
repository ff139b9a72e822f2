// The plain HTTP side of confab-server's port, against the real binary: the cap on a
// request head (431), HEAD without a body, 405 with Allow, malformed heads (400), and
// /metrics answered in full from its pool thread.
#include "fixtures.h"

#include <QTcpSocket>

using namespace confab;
using namespace confab::testing;

namespace {

// Sends bytes on a fresh connection and returns all the server sends until it closes.
QByteArray exchange(quint16 port, const QByteArray &bytes)
{
    QTcpSocket s;
    QByteArray all;
    QObject::connect(&s, &QTcpSocket::readyRead, &s, [&] { all += s.readAll(); });
    s.connectToHost(QHostAddress::LocalHost, port);
    s.write(bytes);
    if (!QTest::qWaitFor([&] { return s.state() == QAbstractSocket::UnconnectedState; }, 10000))
        qWarning() << "the server did not close the connection";
    return all + s.readAll();
}

QByteArray headOf(const QByteArray &response)
{
    return response.left(response.indexOf("\r\n\r\n") + 4);
}

qsizetype contentLength(const QByteArray &response)
{
    const QByteArray head = headOf(response);
    const qsizetype at = head.indexOf("\r\nContent-Length: ");
    if (at < 0)
        return -1;
    return head.mid(at + 18, head.indexOf("\r\n", at + 2) - at - 18).toLongLong();
}

// A GET /healthz whose head is exactly size bytes, or as long without its blank line.
QByteArray healthzOfSize(qsizetype size, bool finished = true)
{
    const QByteArray start = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: ";
    const QByteArray pad(size - start.size() - 4, 'p');
    return start + pad + (finished ? "\r\n\r\n" : "pppp");
}

} // namespace

class TestServerHttp : public ServerTest
{
    Q_OBJECT

private slots:
    void initTestCase() { startServer(); }
    void cleanupTestCase() { stopServer(); }

    void headSizeIsCapped_data();
    void headSizeIsCapped();
    void headHasNoBody_data();
    void headHasNoBody();
    void otherMethodsAreNotAllowed_data();
    void otherMethodsAreNotAllowed();
    void malformedHeads_data();
    void malformedHeads();
    void metricsInFull();
};

void TestServerHttp::headSizeIsCapped_data()
{
    QTest::addColumn<QByteArray>("request");
    QTest::addColumn<QByteArray>("status");
    QTest::addRow("at-cap") << healthzOfSize(16384) << QByteArray("HTTP/1.1 200 ");
    QTest::addRow("one-over") << healthzOfSize(16385) << QByteArray("HTTP/1.1 431 ");
    QTest::addRow("far-over") << healthzOfSize(100000) << QByteArray("HTTP/1.1 431 ");
    QTest::addRow("unfinished-over") << healthzOfSize(20000, false) << QByteArray("HTTP/1.1 431 ");
}

void TestServerHttp::headSizeIsCapped()
{
    QFETCH(QByteArray, request);
    QFETCH(QByteArray, status);
    const QByteArray response = exchange(m_server->port(), request);
    QVERIFY2(response.startsWith(status), response.left(200).constData());
}

void TestServerHttp::headHasNoBody_data()
{
    QTest::addColumn<QByteArray>("target");
    QTest::addColumn<QByteArray>("status");
    QTest::addRow("healthz") << QByteArray("/healthz") << QByteArray("HTTP/1.1 200 ");
    QTest::addRow("metrics") << QByteArray("/metrics") << QByteArray("HTTP/1.1 200 ");
    QTest::addRow("not-found") << QByteArray("/nope") << QByteArray("HTTP/1.1 404 ");
}

void TestServerHttp::headHasNoBody()
{
    QFETCH(QByteArray, target);
    QFETCH(QByteArray, status);
    const QByteArray head =
        exchange(m_server->port(), "HEAD " + target + " HTTP/1.1\r\nHost: x\r\n\r\n");
    QVERIFY2(head.startsWith(status), head.constData());
    QVERIFY2(head == headOf(head), head.constData()); // not a byte after the blank line
    QVERIFY(contentLength(head) > 0);                 // what GET would have sent
    if (target != "/metrics") {
        const QByteArray get =
            exchange(m_server->port(), "GET " + target + " HTTP/1.1\r\nHost: x\r\n\r\n");
        QCOMPARE(head, headOf(get));
    }
}

void TestServerHttp::otherMethodsAreNotAllowed_data()
{
    QTest::addColumn<QByteArray>("request");
    QTest::addRow("post-with-body")
        << QByteArray("POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello");
    QTest::addRow("delete") << QByteArray("DELETE /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
    QTest::addRow("put-unknown-path") << QByteArray("PUT /x HTTP/1.1\r\nHost: x\r\n\r\n");
}

void TestServerHttp::otherMethodsAreNotAllowed()
{
    QFETCH(QByteArray, request);
    const QByteArray response = exchange(m_server->port(), request);
    QVERIFY2(response.startsWith("HTTP/1.1 405 "), response.constData());
    QVERIFY2(headOf(response).contains("\r\nAllow: GET, HEAD\r\n"), response.constData());
}

void TestServerHttp::malformedHeads_data()
{
    QTest::addColumn<QByteArray>("request");
    QTest::addRow("space-before-colon") << QByteArray("GET /healthz HTTP/1.1\r\nHost : x\r\n\r\n");
    QTest::addRow("folded-header")
        << QByteArray("GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n 2\r\n\r\n");
    QTest::addRow("bare-lf") << QByteArray("GET /healthz HTTP/1.1\r\nHost: x\nX: y\r\n\r\n");
    QTest::addRow("http-2") << QByteArray("GET /healthz HTTP/2\r\n\r\n");
}

void TestServerHttp::malformedHeads()
{
    QFETCH(QByteArray, request);
    const QByteArray response = exchange(m_server->port(), request);
    QVERIFY2(response.startsWith("HTTP/1.1 400 "), response.constData());
}

// /metrics is made on a pool thread now; the answer must still be whole and consistent.
void TestServerHttp::metricsInFull()
{
    const QByteArray response =
        exchange(m_server->port(), "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
    QVERIFY2(response.startsWith("HTTP/1.1 200 "), response.left(200).constData());
    const QByteArray body = response.mid(headOf(response).size());
    QCOMPARE(contentLength(response), body.size());
    for (const char *name :
         {"confab_frames_in_total", "confab_frames_out_total", "process_cpu_seconds_total",
          "process_open_fds", "process_heap_allocated_bytes"})
        QVERIFY2(body.contains("\n" + QByteArray(name) + ' '), name);
}

QTEST_GUILESS_MAIN(TestServerHttp)
#include "tst_server_http.moc"
