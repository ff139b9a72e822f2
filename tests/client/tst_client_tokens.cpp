// Login tokens: the 0600 file fallback, and (run by with-keyring.sh inside its own D-Bus
// session with gnome-keyring, CONFAB_TEST_KEYRING=1) the real Secret Service.
#include "account/tokenstore.h"

#include <QDBusConnection>
#include <QDBusConnectionInterface>
#include <QDBusReply>
#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <csignal>
#include <sys/stat.h>

using namespace confab::client;
using namespace Qt::StringLiterals;

namespace {
int modeOf(const QString &path)
{
    struct stat st = {};
    return ::stat(QFile::encodeName(path).constData(), &st) == 0 ? int(st.st_mode & 0777) : -1;
}

struct ReadResult
{
    bool done = false;
    std::optional<QString> token;
    QString error;
};

// Starts a read; *r is filled when it ends (r must outlive the store's answer).
void startRead(TokenStore &store, const QString &key, ReadResult *r)
{
    store.read(key, [r](std::optional<QString> token, const QString &error) {
        r->done = true;
        r->token = token;
        r->error = error;
    });
}

ReadResult readNow(TokenStore &store, const QString &key)
{
    ReadResult r;
    startRead(store, key, &r);
    if (!QTest::qWaitFor([&r] { return r.done; }, 20000))
        r.error = u"timed out"_s;
    return r;
}

bool writeNow(TokenStore &store, const QString &key, const QString &token)
{
    bool done = false, ok = false;
    store.write(key, token, [&](bool success, const QString &) {
        done = true;
        ok = success;
    });
    return QTest::qWaitFor([&done] { return done; }, 20000) && ok;
}

bool removeNow(TokenStore &store, const QString &key)
{
    bool done = false, ok = false;
    store.remove(key, [&](bool success, const QString &) {
        done = true;
        ok = success;
    });
    return QTest::qWaitFor([&done] { return done; }, 20000) && ok;
}
} // namespace

class TestClientTokens : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    bool keyringRun() const { return qEnvironmentVariableIntValue("CONFAB_TEST_KEYRING") == 1; }

private slots:
    void fileStoreIsPrivate()
    {
        const QString path = m_dir.filePath(u"secrets/tokens.json"_s);
        FileTokenStore store(path);
        QVERIFY(!readNow(store, u"alice@ws://h"_s).token);
        QVERIFY(writeNow(store, u"alice@ws://h"_s, u"tok-1"_s));
        QVERIFY(writeNow(store, u"bob@ws://h"_s, u"tok-2"_s));
        QCOMPARE(modeOf(path), 0600);
        QCOMPARE(modeOf(m_dir.filePath(u"secrets"_s)), 0700);
        QCOMPARE(readNow(store, u"alice@ws://h"_s).token, u"tok-1"_s);
        QVERIFY(removeNow(store, u"alice@ws://h"_s));
        QVERIFY(!readNow(store, u"alice@ws://h"_s).token);
        QCOMPARE(readNow(store, u"bob@ws://h"_s).token, u"tok-2"_s);
    }

    void keychainFallsBackToTheFileWithOneWarning()
    {
        if (keyringRun())
            QSKIP("a keyring runs here");
        // No session bus at all: no Secret Service can answer.
        qputenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/confab-test-bus");
        const QString path = m_dir.filePath(u"fallback/tokens.json"_s);
        KeychainTokenStore store(u"confab-test"_s, path);
        QSignalSpy warned(&store, &TokenStore::warningTextChanged);
        QVERIFY(writeNow(store, u"alice@ws://h"_s, u"tok-f"_s));
        QVERIFY(store.usingFallback());
        QCOMPARE(warned.size(), 1);
        QVERIFY(store.warningText().contains(path));
        QCOMPARE(readNow(store, u"alice@ws://h"_s).token, u"tok-f"_s);
        QVERIFY(writeNow(store, u"bob@ws://h"_s, u"tok-g"_s));
        QCOMPARE(warned.size(), 1); // said once
        QVERIFY(QFile::exists(path));
        QCOMPARE(modeOf(path), 0600);
    }

    void keychainHoldsTokens()
    {
        if (!keyringRun())
            QSKIP("needs with-keyring.sh (gnome-keyring in a D-Bus session)");
        const QString path = m_dir.filePath(u"unused/tokens.json"_s);
        KeychainTokenStore store(u"confab-test"_s, path);
        QVERIFY(writeNow(store, u"alice@ws://h"_s, u"tok-k"_s));
        QVERIFY2(!store.usingFallback(), qPrintable(store.warningText()));
        QCOMPARE(readNow(store, u"alice@ws://h"_s).token, u"tok-k"_s);
        QVERIFY(!QFile::exists(path)); // nothing outside the keychain
        KeychainTokenStore again(u"confab-test"_s, path);
        QCOMPARE(readNow(again, u"alice@ws://h"_s).token, u"tok-k"_s);
        QVERIFY(removeNow(again, u"alice@ws://h"_s));
        QVERIFY(!readNow(again, u"alice@ws://h"_s).token);
    }

    // A keychain that takes long to answer (an unlock prompt waiting for the user, here
    // the real secret service stopped for longer than the app used to wait) is awaited:
    // the store says it is waiting, and the token comes when the service answers, from the
    // keychain, with no file fallback.
    void slowKeychainIsAwaited()
    {
        if (!keyringRun())
            QSKIP("needs with-keyring.sh (gnome-keyring in a D-Bus session)");
        const QString path = m_dir.filePath(u"slow/tokens.json"_s);
        KeychainTokenStore store(u"confab-test"_s, path);
        QVERIFY(writeNow(store, u"carol@ws://h"_s, u"tok-slow"_s));
        const QDBusReply<uint> pid =
            QDBusConnection::sessionBus().interface()->servicePid(u"org.freedesktop.secrets"_s);
        QVERIFY2(pid.isValid() && pid.value() > 1, qPrintable(pid.error().message()));
        QSignalSpy waiting(&store, &TokenStore::waitingChanged);
        QVERIFY(::kill(pid_t(pid.value()), SIGSTOP) == 0);
        ReadResult r;
        startRead(store, u"carol@ws://h"_s, &r);
        QTest::qWait(11000); // longer than the 10 s after which it used to give up
        const bool stillWaiting = !r.done && store.isWaiting() && !store.usingFallback();
        QVERIFY(::kill(pid_t(pid.value()), SIGCONT) == 0);
        QVERIFY2(stillWaiting, qPrintable(r.error + store.warningText()));
        QCOMPARE(waiting.size(), 1);
        QVERIFY(QTest::qWaitFor([&r] { return r.done; }, 20000));
        QCOMPARE(r.token, u"tok-slow"_s);
        QVERIFY(!store.isWaiting());
        QCOMPARE(waiting.size(), 2);
        QVERIFY(!store.usingFallback());
        QVERIFY(store.warningText().isEmpty());
        QVERIFY(!QFile::exists(path));
    }
};

QTEST_GUILESS_MAIN(TestClientTokens)
#include "tst_client_tokens.moc"
