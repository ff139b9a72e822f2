// Revoked tokens end live connections: a logout closes every connection holding that
// token, and `user passwd` / `user remove`, run while the server is up, close the user's
// connections within seconds, leaving the ones with a fresh token alone.
#include "fixtures.h"

using namespace confab;
using namespace confab::testing;
using namespace Qt::StringLiterals;

namespace {
// The server checks for outside changes every 2 s and applies each for 10 s.
constexpr int kRevokeTimeoutMs = 15000;
} // namespace

class TestServerRevoke : public ServerTest
{
    Q_OBJECT

private:
    static std::unique_ptr<TestClient> resumeWith(const ServerProcess &server, const QString &token)
    {
        auto c = std::make_unique<TestClient>();
        if (!c->connectTo(server.url()) || !c->resume(token))
            return nullptr;
        return c;
    }

private slots:
    void cleanup() { stopServer(); }

    void logoutClosesEveryConnectionWithTheToken()
    {
        startServer();
        auto first = std::make_unique<TestClient>();
        QVERIFY(first->connectTo(m_server->url()));
        const auto welcome = first->registerUser(u"alice"_s, u"alice-password"_s);
        QVERIFY(welcome);
        auto sameToken = resumeWith(*m_server, welcome->token);
        QVERIFY(sameToken);
        // Another login of the same user has its own token and stays.
        auto otherToken = connectUser(*m_server, u"alice"_s, false);
        QVERIFY(otherToken);

        const qint64 id = first->nextId();
        first->sendMessage(protocol::LogoutRequest{id});
        QVERIFY(replyAs<protocol::Ok>(*first, id));
        QVERIFY(first->waitForClose());
        QCOMPARE(first->closeCode(), 1000);
        QVERIFY(sameToken->waitForClose());
        QCOMPARE(sameToken->closeCode(), 4001);
        QVERIFY(otherToken->isOpen());
        const qint64 ping = otherToken->nextId();
        otherToken->sendMessage(protocol::PingRequest{ping});
        QVERIFY(replyAs<protocol::Pong>(*otherToken, ping));
        // And the token is gone for good.
        TestClient again;
        QVERIFY(again.connectTo(m_server->url()));
        QVERIFY(!again.resume(welcome->token));
    }

    void passwordChangeClosesTheUsersConnections()
    {
        startServer();
        auto alice = connectUser(*m_server, u"alice"_s);
        QVERIFY(alice);
        auto bob = connectUser(*m_server, u"bob"_s);
        QVERIFY(bob);
        QCOMPARE(runAdmin(m_store->url(),
                          {u"user"_s, u"passwd"_s, u"alice"_s, u"--password-stdin"_s},
                          "a-new-password\n"),
                 0);
        QVERIFY(alice->waitForClose(kRevokeTimeoutMs));
        QCOMPARE(alice->closeCode(), 4001);
        // A login with the new password gets a token the change did not revoke: it stays
        // open for as long as the change is being applied.
        TestClient fresh;
        QVERIFY(fresh.connectTo(m_server->url()));
        QVERIFY(fresh.login(u"alice"_s, u"a-new-password"_s));
        QVERIFY(!fresh.receivesWithin([](const auto &) { return false; }, 4500));
        QVERIFY(fresh.isOpen());
        QVERIFY(bob->isOpen());
    }

    void removedUserIsDisconnected()
    {
        startServer();
        auto carol = connectUser(*m_server, u"carol"_s);
        QVERIFY(carol);
        QCOMPARE(runAdmin(m_store->url(), {u"user"_s, u"remove"_s, u"carol"_s}), 0);
        QVERIFY(carol->waitForClose(kRevokeTimeoutMs));
        QCOMPARE(carol->closeCode(), 4001);
    }
};

QTEST_GUILESS_MAIN(TestServerRevoke)
#include "tst_server_revoke.moc"
