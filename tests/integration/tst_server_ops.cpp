// Operations: --help, config errors that name the line, admin subcommands, listen
// failures, and users/rooms created offline being served.
#include "fixtures.h"

#include <QTcpServer>
#include <QTemporaryFile>

using namespace confab;
using namespace confab::testing;
using namespace Qt::StringLiterals;

namespace {
struct Run
{
    int code = -1;
    QByteArray out;
    QByteArray err;
};

Run runServer(const QStringList &args, int timeoutMs = 20000)
{
    QProcess p;
    p.start(ServerProcess::binary(), args);
    Run r;
    if (!p.waitForStarted(timeoutMs) || !p.waitForFinished(timeoutMs))
        return r;
    r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    return r;
}
} // namespace

class TestServerOps : public QObject
{
    Q_OBJECT

private slots:
    void helpListsEverything()
    {
        const Run r = runServer({u"--help"_s});
        QCOMPARE(r.code, 0);
        for (const char *word : {"user add", "room create", "--config", "--db", "--listen",
                                 "--allow-register", "--state-dir"})
            QVERIFY2(r.out.contains(word), word);
    }

    void configErrorsNameTheLine_data()
    {
        QTest::addColumn<QByteArray>("ini");
        QTest::addColumn<QByteArray>("expected");
        QTest::addRow("unknown key") << QByteArray("[server]\nworkers = 2\nlissen = 1.2.3.4:5\n")
                                     << QByteArray(":3: unknown key 'lissen' in section [server]");
        QTest::addRow("bad integer")
            << QByteArray("[limits]\n\nrate_per_s = lots\n")
            << QByteArray(":3: limits.rate_per_s: 'lots' is not an integer");
        QTest::addRow("bad section")
            << QByteArray("[servre]\n") << QByteArray(":1: unknown section [servre]");
        QTest::addRow("no equals")
            << QByteArray("[server]\nworkers\n") << QByteArray(":2: expected key = value");
        QTest::addRow("bad bool") << QByteArray("[server]\nallow_register = maybe\n")
                                  << QByteArray(
                                         ":2: server.allow_register: 'maybe' is not a boolean");
        QTest::addRow("bad listen") << QByteArray("[server]\nlisten = nowhere:99999\n")
                                    << QByteArray(":2: server.listen: bad port");
    }

    void configErrorsNameTheLine()
    {
        QFETCH(QByteArray, ini);
        QFETCH(QByteArray, expected);
        QTemporaryFile file;
        QVERIFY(file.open());
        file.write(ini);
        file.flush();
        const Run r = runServer({u"--config"_s, file.fileName()});
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.contains(file.fileName().toUtf8() + expected), r.err.constData());
    }

    void sampleConfigStarts()
    {
        // The commented example shipped in installer/ (the packaged /etc/confab/server.ini)
        // must be a valid configuration. Its state directory (/var/lib/confab, where
        // tls = auto makes a certificate) and discovery port are the machine's: not here.
        TestStore store;
        QTemporaryDir state;
        QVERIFY(state.isValid());
        QProcess p;
        p.start(ServerProcess::binary(),
                {u"--config"_s, QStringLiteral(CONFAB_SOURCE_DIR "/installer/confab-server.ini"),
                 u"--db"_s, store.url(), u"--state-dir"_s, state.path(), u"--listen"_s,
                 u"127.0.0.1:0"_s, u"--discovery"_s, u"off"_s});
        QVERIFY(p.waitForStarted());
        QByteArray out;
        QTRY_VERIFY_WITH_TIMEOUT((out += p.readAllStandardOutput()).contains("listening on port") ||
                                     p.state() != QProcess::Running,
                                 20000);
        QVERIFY2(p.state() == QProcess::Running, p.readAllStandardError().constData());
        p.terminate();
        QVERIFY(p.waitForFinished(20000));
        QCOMPARE(p.exitCode(), 0);
        QVERIFY(QFile::exists(state.filePath(u"tls/server.crt"_s))); // tls = auto
    }

    void badFlagIsRefused()
    {
        const Run r = runServer({u"--workers"_s, u"-3"_s});
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.contains("--workers"), r.err.constData());
    }

    void portInUse()
    {
        QTcpServer taken;
        QVERIFY(taken.listen(QHostAddress::LocalHost));
        TestStore store;
        const Run r = runServer(
            {u"--db"_s, store.url(), u"--listen"_s, u"127.0.0.1:%1"_s.arg(taken.serverPort())});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("cannot listen"), r.err.constData());
    }

    void adminUsersAndRooms()
    {
        TestStore store;
        QVERIFY2(store.error().isEmpty(), qPrintable(store.error()));
        QByteArray out;
        QCOMPARE(runAdmin(store.url(),
                          {u"user"_s, u"add"_s, u"Dana"_s, u"--display-name"_s, u"Dana S."_s,
                           u"--admin"_s, u"--password-stdin"_s},
                          "first password\n", &out),
                 0);
        QCOMPARE(runAdmin(store.url(), {u"user"_s, u"add"_s, u"dana"_s, u"--password-stdin"_s},
                          "first password\n", &out),
                 1);
        QVERIFY2(out.contains("already exists"), out.constData());
        QCOMPARE(runAdmin(store.url(), {u"user"_s, u"add"_s, u"bad name"_s, u"--password-stdin"_s},
                          "first password\n", &out),
                 1);
        QCOMPARE(runAdmin(store.url(), {u"user"_s, u"add"_s, u"eve"_s, u"--password-stdin"_s},
                          "short\n", &out),
                 1);
        QCOMPARE(runAdmin(store.url(), {u"user"_s, u"add"_s, u"eve"_s, u"--password-stdin"_s},
                          "eve password\n", &out),
                 0);
        QCOMPARE(runAdmin(store.url(), {u"user"_s, u"list"_s}, {}, &out), 0);
        QVERIFY(out.contains("dana\tDana S.\tadmin"));
        QVERIFY(out.contains("eve"));
        QCOMPARE(
            runAdmin(store.url(),
                     {u"room"_s, u"create"_s, u"ops"_s, u"--private"_s, u"--topic"_s, u"on call"_s},
                     {}, &out),
            0);
        QCOMPARE(runAdmin(store.url(), {u"room"_s, u"create"_s, u"ops"_s}, {}, &out), 1);
        QCOMPARE(runAdmin(store.url(), {u"room"_s, u"create"_s, u"Bad Room"_s}, {}, &out), 1);
        QCOMPARE(runAdmin(store.url(), {u"room"_s, u"create"_s, u"lobby"_s}, {}, &out), 0);
        QCOMPARE(runAdmin(store.url(), {u"room"_s, u"list"_s}, {}, &out), 0);
        QVERIFY(out.contains("ops\tprivate"));
        QVERIFY(out.contains("lobby\tpublic"));

        ServerProcess server(store.url());
        QVERIFY(server.start());
        TestClient dana;
        QVERIFY(dana.connectTo(server.url()));
        const auto w = dana.login(u"dana"_s, u"first password"_s);
        QVERIFY(w);
        QCOMPARE(w->user.displayName, u"Dana S."_s);
        QCOMPARE(w->rooms.size(), 1); // lobby is public; ops is private and she is no member

        // passwd and remove take effect at the next login, with the server running.
        QCOMPARE(runAdmin(store.url(), {u"user"_s, u"passwd"_s, u"eve"_s, u"--password-stdin"_s},
                          "second password\n", &out),
                 0);
        TestClient eve;
        QVERIFY(eve.connectTo(server.url()));
        QVERIFY(!eve.login(u"eve"_s, u"eve password"_s));
        TestClient eve2;
        QVERIFY(eve2.connectTo(server.url()));
        const auto ew = eve2.login(u"eve"_s, u"second password"_s);
        QVERIFY(ew);
        QCOMPARE(runAdmin(store.url(), {u"user"_s, u"remove"_s, u"eve"_s}, {}, &out), 0);
        TestClient eve3;
        QVERIFY(eve3.connectTo(server.url()));
        QVERIFY(!eve3.resume(ew->token)); // her tokens went with her
        QCOMPARE(runAdmin(store.url(), {u"user"_s, u"remove"_s, u"eve"_s}, {}, &out), 1);
        QVERIFY(out.contains("no such user"));
    }
};

QTEST_GUILESS_MAIN(TestServerOps)
#include "tst_server_ops.moc"
