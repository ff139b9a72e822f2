#pragma once

#include "account/tokenstore.h"
#include "session/clientsession.h"
#include "store/outbox.h"
#include "store/storethread.h"

#include <QDir>
#include <QTemporaryDir>
#include <QTest>
#include <memory>

// Client-side test support: a ClientSession with its own profile directories (outbox,
// cache, token file) that outlive the session, so a test can restart the "app".
namespace confab::testing {

using namespace Qt::StringLiterals;

// The options of a test account whose files live in dir: fast reconnects and pings.
inline client::SessionOptions testSessionOptions(const QString &dir, const QUrl &url,
                                                 const QString &user, int cacheKeep = 1000)
{
    const QDir d(dir);
    client::SessionOptions o;
    o.url = url;
    o.user = user;
    o.dataDir = d.filePath(u"data"_s);
    o.cacheDir = d.filePath(u"cache"_s);
    o.tokenKey = user + u"@"_s + url.toString();
    o.settingsFile = d.filePath(u"settings.ini"_s);
    o.connection.pinsFile = d.filePath(u"pins.json"_s);
    o.cacheKeep = cacheKeep;
    o.connection.backoffInitialMs = 100;
    o.connection.backoffMaxMs = 1000;
    o.connection.backoffSeed = 7;
    o.connection.pingIntervalMs = 500;
    o.connection.deadAfterMs = 2000;
    o.watchLink = false;
    return o;
}

inline QString testTokenFile(const QString &dir)
{
    return QDir(dir).filePath(u"tokens.json"_s);
}

class TestAccount
{
public:
    TestAccount(const QUrl &url, const QString &user, int cacheKeep = 1000)
        : m_url(url)
        , m_user(user)
        , m_cacheKeep(cacheKeep)
    {
    }

    QString password() const { return m_user + QStringLiteral("-password"); }

    // Creates (or re-creates, as after an app restart) the session on the same files.
    client::ClientSession *startSession()
    {
        m_session.reset();
        m_tokens = std::make_unique<client::FileTokenStore>(testTokenFile(m_dir.path()));
        m_session = std::make_unique<client::ClientSession>(
            testSessionOptions(m_dir.path(), m_url, m_user, m_cacheKeep), m_tokens.get());
        if (!m_session->start())
            return nullptr;
        return m_session.get();
    }
    void stopSession() { m_session.reset(); }
    client::ClientSession *session() const { return m_session.get(); }
    void setUrl(const QUrl &url) { m_url = url; }
    QString dir() const { return m_dir.path(); }

private:
    QTemporaryDir m_dir;
    QUrl m_url;
    QString m_user;
    int m_cacheKeep;
    std::unique_ptr<client::FileTokenStore> m_tokens;
    std::unique_ptr<client::ClientSession> m_session;
};

inline bool isOnline(const client::ClientSession *s)
{
    return s && s->state() == client::Connection::State::Online;
}

// Registers (first run) and waits until online.
inline client::ClientSession *online(TestAccount &account, bool registerFirst = true)
{
    client::ClientSession *s = account.session() ? account.session() : account.startSession();
    if (!s)
        return nullptr;
    if (registerFirst)
        s->registerAccount(account.password(), {});
    else
        s->connectToServer();
    if (!QTest::qWaitFor([s] { return isOnline(s); }, 15000)) {
        qWarning() << "not online:" << s->errorText();
        return nullptr;
    }
    return s;
}

inline client::Room *createRoom(client::ClientSession *s, const QString &name)
{
    s->createRoom(name, false, {});
    if (!QTest::qWaitFor([&] { return s->room(name) != nullptr; }, 10000))
        return nullptr;
    return s->room(name);
}

inline client::Room *joinRoom(client::ClientSession *s, const QString &name)
{
    s->joinRoom(name);
    if (!QTest::qWaitFor([&] { return s->room(name) && s->room(name)->isMember(); }, 10000))
        return nullptr;
    return s->room(name);
}

// Alice and Bob, each with a session of their own.
struct Chat
{
    std::unique_ptr<TestAccount> alice, bob;
    client::ClientSession *a = nullptr, *b = nullptr;
    client::Room *ra = nullptr, *rb = nullptr;
};

// Alice and Bob online on the server at url, both in #general.
inline void startChat(Chat &chat, const QUrl &url)
{
    chat.alice = std::make_unique<TestAccount>(url, u"alice"_s);
    chat.bob = std::make_unique<TestAccount>(url, u"bob"_s);
    chat.a = online(*chat.alice);
    chat.b = online(*chat.bob);
    QVERIFY(chat.a && chat.b);
    chat.ra = createRoom(chat.a, u"general"_s);
    QVERIFY(chat.ra);
    chat.rb = joinRoom(chat.b, u"general"_s);
    QVERIFY(chat.rb);
}

// The bodies of a timeline's delivered rows, oldest first.
inline QStringList bodies(const client::TimelineModel *t)
{
    QStringList out;
    for (int row = t->rowCount() - 1; row >= t->pendingCount(); --row) {
        const QModelIndex i = t->index(row);
        if (t->data(i, client::TimelineModel::KindRole).toString() == u"text"_s)
            out.append(t->data(i, client::TimelineModel::BodyRole).toString());
    }
    return out;
}

inline bool contiguous(const QList<qint64> &seqs)
{
    for (qsizetype i = 1; i < seqs.size(); ++i) {
        if (seqs[i] != seqs[i - 1] + 1)
            return false;
    }
    return true;
}

} // namespace confab::testing
