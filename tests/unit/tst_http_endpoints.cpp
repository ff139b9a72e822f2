// The server's plain HTTP answers (server/net/httpendpoints) as a unit: methods, HEAD,
// /healthz while draining, and /metrics made on a pool thread, not on the caller's.
#include "core/context.h"
#include "core/metrics.h"
#include "net/httpendpoints.h"

#include <QMutex>
#include <QScopeGuard>
#include <QSemaphore>
#include <QTest>
#include <QThread>
#include <QThreadPool>

using namespace confab;
using namespace confab::server;

namespace {

wire::HttpRequest request(const QByteArray &method, const QByteArray &target)
{
    wire::HttpRequest r;
    r.method = method;
    r.target = target;
    r.headers = {{"host", "localhost"}};
    return r;
}

QByteArray headOf(const QByteArray &response)
{
    return response.left(response.indexOf("\r\n\r\n") + 4);
}

// What answerHttp() hands to its callback, from whichever thread.
struct Deferred
{
    QMutex mutex;
    QByteArray response;
    QThread *thread = nullptr;
    std::atomic<bool> called{false};

    std::function<void(const QByteArray &)> callback()
    {
        return [this](const QByteArray &r) {
            QMutexLocker lock(&mutex);
            response = r;
            thread = QThread::currentThread();
            called = true;
        };
    }
};

} // namespace

class TestHttpEndpoints : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void methodNotAllowed_data();
    void methodNotAllowed();
    void headHasNoBody_data();
    void headHasNoBody();
    void healthzSaysWhy();
    void metricsOffTheCallingThread();

private:
    QByteArray answerNow(const wire::HttpRequest &r);
    QByteArray answerEventually(const wire::HttpRequest &r);

    Metrics m_metrics;
    ServerContext m_ctx;
    QThreadPool m_pool;
};

void TestHttpEndpoints::init()
{
    m_ctx.metrics = &m_metrics;
    m_ctx.draining = false;
    m_pool.setMaxThreadCount(1);
}

QByteArray TestHttpEndpoints::answerNow(const wire::HttpRequest &r)
{
    const std::optional<QByteArray> answer =
        answerHttp(m_ctx, r, &m_pool, [](const QByteArray &) { qFatal("deferred answer"); });
    if (!answer)
        qFatal("no answer");
    return *answer;
}

QByteArray TestHttpEndpoints::answerEventually(const wire::HttpRequest &r)
{
    Deferred deferred;
    if (const auto answer = answerHttp(m_ctx, r, &m_pool, deferred.callback()))
        return *answer;
    m_pool.waitForDone();
    QMutexLocker lock(&deferred.mutex);
    return deferred.response;
}

void TestHttpEndpoints::methodNotAllowed_data()
{
    QTest::addColumn<QByteArray>("method");
    for (const char *method : {"POST", "PUT", "DELETE", "OPTIONS", "get"})
        QTest::addRow("%s", method) << QByteArray(method);
}

void TestHttpEndpoints::methodNotAllowed()
{
    QFETCH(QByteArray, method);
    const QByteArray answer = answerNow(request(method, "/healthz"));
    QVERIFY2(answer.startsWith("HTTP/1.1 405 "), answer.constData());
    QVERIFY2(headOf(answer).contains("\r\nAllow: GET, HEAD\r\n"), answer.constData());
}

void TestHttpEndpoints::headHasNoBody_data()
{
    QTest::addColumn<QByteArray>("target");
    QTest::addColumn<bool>("draining");
    QTest::addRow("healthz") << QByteArray("/healthz") << false;
    QTest::addRow("healthz-draining") << QByteArray("/healthz") << true;
    QTest::addRow("not-found") << QByteArray("/nope") << false;
    QTest::addRow("metrics") << QByteArray("/metrics") << false;
}

void TestHttpEndpoints::headHasNoBody()
{
    QFETCH(QByteArray, target);
    QFETCH(bool, draining);
    m_ctx.draining = draining;
    const QByteArray get = answerEventually(request("GET", target));
    const QByteArray head = answerEventually(request("HEAD", target));
    QVERIFY(get.size() > headOf(get).size());
    QVERIFY2(head == headOf(head), head.constData());
    // The head is GET's, Content-Length included (metrics may have moved in between).
    if (target == "/metrics") {
        QVERIFY(head.startsWith("HTTP/1.1 200 OK\r\n"));
        QVERIFY(head.contains("\r\nContent-Length: "));
    } else {
        QCOMPARE(head, headOf(get));
    }
}

void TestHttpEndpoints::healthzSaysWhy()
{
    m_ctx.draining = true;
    const QByteArray draining = answerNow(request("GET", "/healthz"));
    QVERIFY2(draining.startsWith("HTTP/1.1 503 "), draining.constData());
    QVERIFY2(draining.endsWith("\r\n\r\ndraining"), draining.constData());
    m_ctx.draining = false;
    const QByteArray broken = answerNow(request("GET", "/healthz")); // there is no writer
    QVERIFY2(broken.endsWith("\r\n\r\nstore unavailable"), broken.constData());
}

// The I/O thread must not read /proc: the answer is made on the pool and only once the
// pool gets to it.
void TestHttpEndpoints::metricsOffTheCallingThread()
{
    m_metrics.framesIn = 42;
    QSemaphore release;
    m_pool.start([&release] { release.acquire(); });               // the pool's one thread is busy
    auto unblock = qScopeGuard([&release] { release.release(); }); // also when a check fails
    Deferred deferred;
    const std::optional<QByteArray> answer =
        answerHttp(m_ctx, request("GET", "/metrics?x"), &m_pool, deferred.callback());
    QVERIFY(!answer);
    QVERIFY(!deferred.called);
    unblock.dismiss();
    release.release();
    QTRY_VERIFY(deferred.called);
    QMutexLocker lock(&deferred.mutex);
    QVERIFY(deferred.thread != QThread::currentThread());
    QVERIFY(deferred.response.startsWith("HTTP/1.1 200 OK\r\n"));
    QVERIFY(deferred.response.contains("\nprocess_cpu_seconds_total "));
    QVERIFY(deferred.response.contains("\nconfab_frames_in_total 42\n"));
}

QTEST_GUILESS_MAIN(TestHttpEndpoints)
#include "tst_http_endpoints.moc"
