// confab-client-probe: the client core as a process of its own, for the test that kills
// it with -9. It opens the account in --dir, queues --send messages in --room (numbered
// "<prefix> i"), prints "queued N" once all of them are in the outbox file, and then
// waits to be killed. --connect connects with the stored token; with --watch-link it
// reacts to wake and network changes as the app does (tst_client_linkwatcher runs it
// under libfaketime); --backoff-ms sets a long reconnect delay. Every state change is
// printed ("state Online", "retry 42000").
#include "clientfixture.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QMetaEnum>
#include <QTimer>
#include <cstdio>

using namespace confab;
using namespace confab::testing;
using namespace Qt::StringLiterals;

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    const QCommandLineOption dir(u"dir"_s, u"Account directory."_s, u"path"_s);
    const QCommandLineOption url(u"url"_s, u"Server URL."_s, u"url"_s);
    const QCommandLineOption user(u"user"_s, u"User."_s, u"name"_s);
    const QCommandLineOption room(u"room"_s, u"Room."_s, u"id"_s);
    const QCommandLineOption send(u"send"_s, u"Messages to queue."_s, u"n"_s);
    const QCommandLineOption prefix(u"prefix"_s, u"Message prefix."_s, u"text"_s);
    const QCommandLineOption watch(u"watch-link"_s, u"React to wake and network changes."_s);
    const QCommandLineOption backoff(u"backoff-ms"_s, u"Reconnect delay."_s, u"ms"_s);
    const QCommandLineOption connectNow(u"connect"_s, u"Connect with the stored token."_s);
    parser.addOptions({dir, url, user, room, send, prefix, watch, backoff, connectNow});
    parser.process(app);
    client::FileTokenStore tokens(testTokenFile(parser.value(dir)));
    client::SessionOptions options =
        testSessionOptions(parser.value(dir), QUrl(parser.value(url)), parser.value(user));
    options.watchLink = parser.isSet(watch);
    if (parser.isSet(backoff)) {
        options.connection.backoffInitialMs = parser.value(backoff).toInt();
        options.connection.backoffMaxMs = parser.value(backoff).toInt();
    }
    client::ClientSession session(options, &tokens);
    QObject::connect(&session, &client::ClientSession::stateChanged, &app, [&] {
        std::printf("state %s\n", QMetaEnum::fromType<client::Connection::State>().valueToKey(
                                      int(session.state())));
        std::fflush(stdout);
        // The retry is scheduled right after the state has become Offline.
        QTimer::singleShot(0, &app, [&] {
            if (const int delay = session.connection()->retryDelayMs()) {
                std::printf("retry %d\n", delay);
                std::fflush(stdout);
            }
        });
    });
    if (!session.start())
        return 2;
    if (parser.isSet(connectNow))
        session.connectToServer();
    const int count = parser.value(send).toInt();
    int written = 0;
    QObject::connect(session.outbox(), &client::Outbox::written, &app, [&] {
        if (++written == count) {
            std::printf("queued %d\n", count);
            std::fflush(stdout);
        }
    });
    QObject::connect(&session, &client::ClientSession::cacheLoaded, &app, [&] {
        if (count == 0)
            return;
        client::Room *r = session.room(parser.value(room));
        if (!r) {
            std::printf("no room\n");
            std::fflush(stdout);
            QCoreApplication::exit(3);
            return;
        }
        for (int i = 0; i < count; ++i)
            r->sendText(u"%1 %2"_s.arg(parser.value(prefix)).arg(i));
    });
    return app.exec();
}
