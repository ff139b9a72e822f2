// confab-client-probe: the client core as a process of its own, for the test that kills
// it with -9. It opens the account in --dir, queues --send messages in --room (numbered
// "<prefix> i"), prints "queued N" once all of them are in the outbox file, and then
// waits to be killed.
#include "clientfixture.h"

#include <QCommandLineParser>
#include <QCoreApplication>
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
    parser.addOptions({dir, url, user, room, send, prefix});
    parser.process(app);
    client::FileTokenStore tokens(testTokenFile(parser.value(dir)));
    client::ClientSession session(
        testSessionOptions(parser.value(dir), QUrl(parser.value(url)), parser.value(user)),
        &tokens);
    if (!session.start())
        return 2;
    const int count = parser.value(send).toInt();
    int written = 0;
    QObject::connect(session.outbox(), &client::Outbox::written, &app, [&] {
        if (++written == count) {
            std::printf("queued %d\n", count);
            std::fflush(stdout);
        }
    });
    QObject::connect(&session, &client::ClientSession::cacheLoaded, &app, [&] {
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
