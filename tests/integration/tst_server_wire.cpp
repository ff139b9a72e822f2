// RFC 6455 framing and the closing handshake against the real confab-server: which close
// code each broken frame earns, that a peer's invalid close code is never echoed, that a
// Close of the server's waits for the peer's before TCP goes (so the peer reads the code
// and never sees a reset instead), and that frames read are counted in /metrics.
#include "fixtures.h"
#include "wireclient.h"

#include <QTcpSocket>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace confab;
using namespace confab::testing;
using namespace Qt::StringLiterals;

namespace {

// What the server waits for the peer's Close (2 s), with the I/O worker's housekeeping
// tick (1 s with the default ping interval) on top.
constexpr qint64 kHandshakeWaitMs = 2000;
constexpr qint64 kHandshakeWaitMaxMs = 6000;

QByteArray masked(quint8 first, QByteArrayView payload, FrameLength form = FrameLength::Shortest,
                  std::optional<quint64> declared = {})
{
    return rawFrame(first, payload, true, form, declared);
}

// A peer on a plain POSIX socket. Unlike QTcpSocket it stays open for writing after the
// server's FIN, and it tells a reset from an orderly end, so a test can see whether the
// server still reads what a peer sends after the server's Close.
class PosixPeer
{
public:
    ~PosixPeer()
    {
        if (m_fd >= 0)
            ::close(m_fd);
    }

    bool open(quint16 port)
    {
        m_fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(port);
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(m_fd, reinterpret_cast<const sockaddr *>(&addr), sizeof addr) != 0)
            return false;
        const QByteArray key = wire::makeClientKey();
        send("GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
             "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: confab.v1\r\n"
             "Sec-WebSocket-Key: " +
             key + "\r\n\r\n");
        QString error;
        qsizetype head = 0;
        readUntil([&] {
            head = wire::parseHandshakeResponse(m_in, key, "confab.v1", nullptr, &error);
            return head != 0;
        });
        if (head <= 0)
            return false;
        m_parser.feed(QByteArrayView(m_in).sliced(head));
        m_in.clear();
        return true;
    }

    void send(const QByteArray &bytes)
    {
        if (::send(m_fd, bytes.constData(), size_t(bytes.size()), MSG_NOSIGNAL) < 0)
            m_reset = m_reset || errno == ECONNRESET || errno == EPIPE;
    }

    // Reads until the server's Close has arrived; its code, or -1.
    int readClose()
    {
        std::optional<wire::Message> close;
        readUntil([&] {
            m_parser.feed(std::exchange(m_in, {}));
            while (auto m = m_parser.next()) {
                if (m->opcode == wire::Opcode::Close)
                    close = m;
            }
            return close.has_value();
        });
        return close ? close->closeCode : -1;
    }

    // Reads (and drops) until the server ends its side; false on a reset or a timeout.
    bool readToEnd(int timeoutMs = kHandshakeWaitMaxMs)
    {
        readUntil([this] { return m_eof; }, timeoutMs);
        return m_eof && !m_reset;
    }

    // Waits up to ms for a reset of the connection (nothing else wakes the poll).
    bool resetWithin(int ms)
    {
        pollfd p{m_fd, 0, 0};
        if (::poll(&p, 1, ms) > 0 && (p.revents & POLLERR))
            m_reset = true;
        return m_reset;
    }

private:
    void readUntil(const std::function<bool()> &done, int timeoutMs = 10000)
    {
        QElapsedTimer t;
        t.start();
        while (!done() && !m_eof && !m_reset && t.elapsed() < timeoutMs) {
            pollfd p{m_fd, POLLIN, 0};
            if (::poll(&p, 1, int(std::max<qint64>(1, timeoutMs - t.elapsed()))) <= 0)
                continue;
            char buffer[4096];
            const ssize_t n = ::recv(m_fd, buffer, sizeof buffer, 0);
            if (n > 0)
                m_in.append(buffer, n);
            else if (n == 0)
                m_eof = true;
            else if (errno == ECONNRESET)
                m_reset = true;
        }
    }

    int m_fd = -1;
    QByteArray m_in;
    wire::FrameParser m_parser{wire::FrameParser::Role::Client, 1 << 24};
    bool m_eof = false;
    bool m_reset = false;
};

} // namespace

class TestServerWire : public ServerTest
{
    Q_OBJECT

private slots:
    void initTestCase() { startServer(); }
    void cleanupTestCase() { stopServer(); }

    void brokenFramesAreRefused_data();
    void brokenFramesAreRefused();
    void validCloseIsEchoed_data();
    void validCloseIsEchoed();
    void serverCloseWaitsForPeerClose_data();
    void serverCloseWaitsForPeerClose();
    void failedConnectionEndsAtOnce_data();
    void failedConnectionEndsAtOnce();
    void peerStillSendingIsNotReset_data();
    void peerStillSendingIsNotReset();
    void framesInAreCounted();
};

void TestServerWire::brokenFramesAreRefused_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<int>("code");
    QTest::addRow("unmasked") << rawFrame(kFin | 0x1, "{}", false) << 1002;
    QTest::addRow("reserved-bit") << masked(kFin | 0x40 | 0x1, "{}") << 1002;
    QTest::addRow("reserved-opcode") << masked(kFin | 0x3, {}) << 1002;
    QTest::addRow("ping-over-125") << masked(kFin | 0x9, QByteArray(126, 'p')) << 1002;
    QTest::addRow("fragmented-ping") << masked(0x9, "p") << 1002;
    QTest::addRow("continuation-first") << masked(kFin | 0x0, "{}") << 1002;
    QTest::addRow("16-bit-length-not-shortest")
        << masked(kFin | 0x1, "{}", FrameLength::Sixteen) << 1002;
    QTest::addRow("64-bit-length-not-shortest")
        << masked(kFin | 0x1, QByteArray(200, ' '), FrameLength::SixtyFour) << 1002;
    QTest::addRow("64-bit-length-top-bit")
        << masked(kFin | 0x1, {}, FrameLength::SixtyFour, quint64(1) << 63) << 1002;
    QTest::addRow("all-ones-length-after-fragment")
        << masked(0x1, "{") + masked(kFin | 0x0, {}, FrameLength::SixtyFour, ~quint64(0)) << 1002;
    QTest::addRow("63-bit-length-after-fragment")
        << masked(0x1, "{") + masked(kFin | 0x0, {}, FrameLength::SixtyFour, (quint64(1) << 63) - 1)
        << 1009;
    QTest::addRow("text-not-utf8") << masked(kFin | 0x1, "\"\xc0\xaf\"") << 1007;
    // The first fragment is enough: the server does not wait for (or buffer) the rest.
    QTest::addRow("fragment-not-utf8") << masked(0x1, "{\"a\":\"\xed\xa0\x80") << 1007;
    QTest::addRow("close-one-byte") << masked(kFin | 0x8, "x") << 1002;
    for (const int code : {0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535})
        QTest::addRow("close-code-%d", code)
            << masked(kFin | 0x8, closePayload(quint16(code))) << 1002;
    QTest::addRow("close-reason-not-utf8")
        << masked(kFin | 0x8, closePayload(1000, "bye \xff")) << 1007;
}

void TestServerWire::brokenFramesAreRefused()
{
    QFETCH(QByteArray, bytes);
    QFETCH(int, code);
    WireClient c;
    QVERIFY(c.open(m_server->port()));
    c.write(bytes);
    const auto close = c.waitForClose();
    QVERIFY(close);
    QCOMPARE(int(close->closeCode), code);
    QVERIFY(!close->payload.isEmpty()); // the reason says what was wrong
    // The server sends nothing after its Close, and ends TCP once it has ours.
    c.sendClose(close->closeCode);
    QVERIFY(c.waitForDisconnected(kHandshakeWaitMs - 500));
    QCOMPARE(c.parserError(), quint16(0));
}

void TestServerWire::validCloseIsEchoed_data()
{
    QTest::addColumn<QByteArray>("payload");
    QTest::addColumn<int>("echoed");
    for (const int code : {1000, 1001, 1003, 1011, 1014, 3000, 4001, 4999})
        QTest::addRow("%d", code) << closePayload(quint16(code), "client says") << code;
    // Nothing to echo: the answer is a Close without a code too, never 1005 on the wire.
    QTest::addRow("no-code") << QByteArray() << int(wire::kCloseNoStatus);
}

void TestServerWire::validCloseIsEchoed()
{
    QFETCH(QByteArray, payload);
    QFETCH(int, echoed);
    WireClient c;
    QVERIFY(c.open(m_server->port()));
    c.write(masked(kFin | 0x8, payload));
    const auto close = c.waitForClose();
    QVERIFY(close);
    QCOMPARE(int(close->closeCode), echoed);
    QVERIFY(c.waitForDisconnected(kHandshakeWaitMs - 500));
}

void TestServerWire::serverCloseWaitsForPeerClose_data()
{
    QTest::addColumn<QByteArray>("offered");
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<int>("code");
    QTest::addColumn<bool>("answer"); // whether the client sends its Close
    const QByteArray v1 = "confab.v1";
    const QByteArray notHello = masked(kFin | 0x1, R"({"type":"rooms","id":1})");
    for (const bool answer : {false, true}) {
        const char *how = answer ? "answered" : "unanswered";
        QTest::addRow("4001-%s", how) << v1 << notHello + notHello + notHello << 4001 << answer;
        QTest::addRow("4002-%s", how) << QByteArray("chat") << QByteArray() << 4002 << answer;
    }
}

// RFC 6455 7.1.1: TCP ends after both Close frames. A server that drops it at once resets
// a peer still sending, and the reset may cost the peer the Close it had not read: it
// sees 1006 instead of the code.
void TestServerWire::serverCloseWaitsForPeerClose()
{
    QFETCH(QByteArray, offered);
    QFETCH(QByteArray, bytes);
    QFETCH(int, code);
    QFETCH(bool, answer);
    WireClient c;
    QVERIFY(c.open(m_server->port(), offered));
    c.write(bytes);
    const auto close = c.waitForClose();
    QVERIFY(close);
    QCOMPARE(int(close->closeCode), code);
    if (answer) {
        // Still open: more from the client is read (and ignored), then its Close ends it.
        QVERIFY(c.isConnected());
        c.sendText(R"({"type":"ping","id":2})");
        c.sendClose(close->closeCode);
        QVERIFY(c.waitForDisconnected(kHandshakeWaitMs - 500));
        QVERIFY(!c.next(0)); // nothing after the Close, not even a pong
        return;
    }
    QVERIFY(c.waitForDisconnected(kHandshakeWaitMaxMs + 2000));
    QVERIFY2(c.closeToDisconnectMs() >= kHandshakeWaitMs - 100 &&
                 c.closeToDisconnectMs() <= kHandshakeWaitMaxMs,
             qPrintable(u"TCP ended %1 ms after the Close"_s.arg(c.closeToDisconnectMs())));
}

// One framing error for each code the parser fails with, as a client's first frame.
static void addFramingErrorRows()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<int>("code");
    QTest::addRow("1002") << rawFrame(kFin | 0x1, "{}", false) << 1002;
    QTest::addRow("1007") << masked(kFin | 0x1, "\xff") << 1007;
    QTest::addRow("1009") << masked(kFin | 0x1, {}, FrameLength::SixtyFour, 1 << 20) << 1009;
}

void TestServerWire::failedConnectionEndsAtOnce_data()
{
    addFramingErrorRows();
}

// After a framing error there is no Close of the peer's to parse (RFC 6455 7.1.7), so
// the server's FIN follows its Close without waiting for one.
void TestServerWire::failedConnectionEndsAtOnce()
{
    QFETCH(QByteArray, bytes);
    QFETCH(int, code);
    WireClient c;
    QVERIFY(c.open(m_server->port()));
    c.write(bytes);
    const auto close = c.waitForClose();
    QVERIFY(close);
    QCOMPARE(int(close->closeCode), code);
    QVERIFY(c.waitForDisconnected(kHandshakeWaitMs - 500));
}

void TestServerWire::peerStillSendingIsNotReset_data()
{
    addFramingErrorRows();
    const QByteArray notHello = masked(kFin | 0x1, R"({"type":"rooms","id":1})");
    QTest::addRow("4001") << notHello + notHello + notHello << 4001;
}

// A peer that sends on after the server's Close (it had not read it yet, or it answers
// it) must not get a reset: the server keeps reading until the TCP connection ends.
void TestServerWire::peerStillSendingIsNotReset()
{
    QFETCH(QByteArray, bytes);
    QFETCH(int, code);
    PosixPeer peer;
    QVERIFY(peer.open(m_server->port()));
    peer.send(bytes);
    QCOMPARE(peer.readClose(), code);
    peer.send(masked(kFin | 0x1, R"({"type":"ping","id":9})") + masked(kFin | 0xA, {}));
    peer.send(wire::makeCloseFrame(quint16(code), {}, true));
    QVERIFY2(peer.readToEnd(), "no orderly end of the connection");
    QVERIFY(!peer.resetWithin(300));
}

void TestServerWire::framesInAreCounted()
{
    const qint64 before = metricValue(m_server->port(), "confab_frames_in_total");
    QVERIFY2(before >= 0, "no confab_frames_in_total in /metrics");
    WireClient c;
    QVERIFY(c.open(m_server->port()));
    // Control frames and fragments count one each: 3 pings, a message in 3 fragments.
    for (int i = 0; i < 3; ++i)
        c.write(masked(kFin | 0x9, "p"));
    c.write(masked(0x1, R"({"type":)") + masked(0x0, R"("ping",)") +
            masked(kFin | 0x0, R"("id":1})"));
    for (int i = 0; i < 3; ++i) {
        const auto pong = c.next();
        QVERIFY(pong && pong->opcode == wire::Opcode::Pong);
    }
    QVERIFY(c.next()); // the answer to the fragmented message: all its frames are read
    QTRY_VERIFY_WITH_TIMEOUT(metricValue(m_server->port(), "confab_frames_in_total") >= before + 6,
                             10000);
}

QTEST_GUILESS_MAIN(TestServerWire)
#include "tst_server_wire.moc"
