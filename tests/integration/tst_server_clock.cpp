// Timeouts and rate limits run on a monotonic clock: the server is started under
// libfaketime with its wall clock running a hundred times too fast (what NTP steps, an
// admin's `date` or a resumed VM look like, compressed), its monotonic clock untouched.
#include "fixtures.h"

#include <QFileInfo>
#include <QTemporaryFile>

using namespace confab;
using namespace confab::testing;
using namespace Qt::StringLiterals;

namespace {
const char *const kFakeTimeLib = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";

// Sets the variables for the next child process and restores them when it goes.
class FastWallClock
{
public:
    FastWallClock()
    {
        qputenv("LD_PRELOAD", kFakeTimeLib);
        qputenv("FAKETIME", "+0 x100");
        qputenv("FAKETIME_DONT_FAKE_MONOTONIC", "1");
        qputenv("FAKETIME_NO_CACHE", "1");
    }
    ~FastWallClock()
    {
        for (const char *name :
             {"LD_PRELOAD", "FAKETIME", "FAKETIME_DONT_FAKE_MONOTONIC", "FAKETIME_NO_CACHE"})
            qunsetenv(name);
    }
};
} // namespace

class TestServerClock : public ServerTest
{
    Q_OBJECT

private slots:
    void initTestCase()
    {
        if (!QFileInfo::exists(QString::fromLatin1(kFakeTimeLib)))
            QSKIP("libfaketime is not installed (Debian package faketime)");
    }

    void cleanup() { stopServer(); }

    // The hello timeout is 10 s; on the wall clock it would pass in 0.1 s here.
    void helloTimeoutIgnoresTheWallClock()
    {
        {
            FastWallClock fast;
            startServer();
        }
        TestClient silent;
        QVERIFY(silent.connectTo(m_server->url()));
        QVERIFY(!silent.receivesWithin([](const auto &) { return false; }, 1500));
        QVERIFY2(silent.isOpen(), "closed before the hello timeout had passed");
    }

    // One send per second, a burst of 3: on the wall clock the bucket would refill a
    // hundred times too fast and never run dry.
    void rateLimitIgnoresTheWallClock()
    {
        QTemporaryFile ini;
        QVERIFY(ini.open());
        ini.write("[limits]\nrate_per_s = 1\nburst = 3\n");
        ini.flush();
        {
            FastWallClock fast;
            startServer({u"--config"_s, ini.fileName()});
        }
        auto alice = connectUser(*m_server, u"alice"_s);
        QVERIFY(alice);
        alice->sendMessage(protocol::CreateRequest{1, u"general"_s, false, {}});
        QVERIFY(replyAs<protocol::RoomReply>(*alice, 1));
        int limited = 0;
        for (int i = 0; i < 10; ++i) {
            alice->sendMessage(
                textMessage(u"general"_s, u"m%1"_s.arg(i), u"m%1"_s.arg(i), 100 + i));
            // One at a time, as a user types: 10 sends take a few wall-clock seconds here.
            const auto reply = alice->waitForReply(100 + i);
            QVERIFY(reply);
            if (const auto *e = std::get_if<protocol::Error>(&*reply)) {
                QCOMPARE(e->code, protocol::ErrorCode::RateLimited);
                ++limited;
            }
        }
        QVERIFY2(limited >= 5, qPrintable(u"only %1 of 10 rate limited"_s.arg(limited)));
    }
};

QTEST_GUILESS_MAIN(TestServerClock)
#include "tst_server_clock.moc"
