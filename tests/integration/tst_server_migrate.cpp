// confab-server migrate-store: a populated SQLite store copied into an empty one (a fresh
// PostgreSQL database in the _pg variant, another SQLite file otherwise), every table row
// for row, the epoch kept; the real server then runs on the copy and a client resumes
// where it was, with no gap, its resent message answered from the idempotency record and
// the next seq following on. A target that holds data is refused.
#include "fixtures.h"
#include "httpclient.h"

#include <QDirIterator>
#include <QSqlError>
#include <QSqlQuery>
#include <QSqlRecord>
#include <QUuid>

using namespace confab;
using namespace confab::testing;
using namespace Qt::StringLiterals;

namespace {

const QStringList kTables = {u"meta"_s,          u"users"_s,   u"tokens"_s,   u"rooms"_s,
                             u"members"_s,       u"invites"_s, u"events"_s,   u"read_markers"_s,
                             u"token_changes"_s, u"files"_s,   u"file_refs"_s};

// Every row of every table as text, sorted, so two stores on different back ends compare.
// The search index is left out (each store builds its own): SQLite's FTS5 tables,
// PostgreSQL's events.search column, and the index's progress in meta.
QMap<QString, QStringList> dumpStore(const QString &dbUrl, QString *error)
{
    const QString name = u"dump-"_s + QUuid::createUuid().toString(QUuid::Id128);
    QMap<QString, QStringList> dump;
    {
        QSqlDatabase db = openStore(dbUrl, dbUrl.startsWith("postgres"_L1), name, error);
        if (db.isOpen()) {
            QStringList tables = db.tables();
            tables.removeIf([](const QString &t) {
                return t.startsWith("sqlite_"_L1) || t.startsWith("search_index"_L1);
            });
            tables.sort();
            QStringList expected = kTables;
            expected.sort();
            if (tables != expected)
                *error = u"tables: "_s + tables.join(u',');
            for (const QString &table : std::as_const(tables)) {
                QStringList columns;
                const QSqlRecord record = db.record(table);
                for (int i = 0; i < record.count(); ++i) {
                    if (table != "events"_L1 || record.fieldName(i) != "search"_L1)
                        columns.append(record.fieldName(i));
                }
                columns.sort();
                QSqlQuery q(db);
                if (!q.exec(u"SELECT %1 FROM %2"_s.arg(columns.join(u", "_s), table))) {
                    *error = q.lastError().text();
                    break;
                }
                QStringList rows;
                while (q.next()) {
                    if (table == "meta"_L1 &&
                        q.value(columns.indexOf(u"key"_s)).toString().startsWith("search_"_L1))
                        continue;
                    QStringList values;
                    for (int i = 0; i < columns.size(); ++i)
                        values.append(q.isNull(i) ? u"NULL"_s : q.value(i).toString());
                    rows.append(values.join(u'|'));
                }
                rows.sort();
                dump.insert(table, rows);
            }
        }
        db.close();
    }
    QSqlDatabase::removeDatabase(name);
    return dump;
}

QList<protocol::Event> collect(TestClient &c, const QString &room, int count)
{
    QList<protocol::Event> got;
    QElapsedTimer t;
    t.start();
    while (got.size() < count && t.elapsed() < 20000) {
        got += c.takeEvents(room);
        if (got.size() < count)
            QTest::qWait(10);
    }
    return got;
}

bool isError(const std::optional<protocol::ServerMessage> &m)
{
    return !m || std::holds_alternative<protocol::Error>(*m);
}

} // namespace

class TestServerMigrate : public QObject
{
    Q_OBJECT

private slots:
    void populatedStoreMovesWithoutGap()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString source = dir.filePath(u"confab.db"_s);
        ServerProcess server(source, {u"--rate"_s, u"0"_s});
        QVERIFY(server.start());

        TestClient alice;
        QVERIFY(alice.connectTo(server.url()));
        const auto aliceWelcome = alice.registerUser(u"alice"_s, u"alice-password"_s);
        QVERIFY(aliceWelcome);
        auto bob = connectUser(server, u"bob"_s);
        QVERIFY(bob);
        QVERIFY(connectUser(server, u"carol"_s));

        QVERIFY(createRoom(alice, u"general"_s));
        QVERIFY(joinRoom(*bob, u"general"_s));
        qint64 id = alice.nextId();
        alice.sendMessage(protocol::CreateRequest{id, u"ops"_s, true, u"on call"_s});
        QVERIFY(!isError(alice.waitForReply(id)));
        id = alice.nextId();
        alice.sendMessage(protocol::InviteRequest{id, u"ops"_s, u"carol"_s});
        QVERIFY(!isError(alice.waitForReply(id)));
        id = alice.nextId();
        alice.sendMessage(protocol::DmRequest{id, u"bob"_s});
        const auto dm = replyAs<protocol::RoomReply>(alice, id);
        QVERIFY(dm);

        qint64 lastSeq = 0;
        qint64 lastAckSeq = 0;
        for (int i = 0; i < 30; ++i) {
            id = alice.nextId();
            alice.sendMessage(
                textMessage(u"general"_s, u"before %1"_s.arg(i), u"m%1"_s.arg(i), id));
            const auto ack = replyAs<protocol::Ack>(alice, id);
            QVERIFY(ack);
            lastSeq = lastAckSeq = ack->seq;
        }
        // An edit: the copy's search index must hold the new text only.
        protocol::SendRequest fix{
            alice.nextId(), u"general"_s, u"fix5"_s, protocol::EventKind::Edit, u"fixed five"_s, {},
            lastSeq - 24,   {},           {}};
        alice.sendMessage(fix);
        QVERIFY(replyAs<protocol::Ack>(alice, *fix.id));
        protocol::SendRequest reply{bob->nextId(),
                                    u"general"_s,
                                    u"e1"_s,
                                    protocol::EventKind::Text,
                                    u"a reply"_s,
                                    lastSeq,
                                    {},
                                    {},
                                    {}};
        bob->sendMessage(reply);
        QVERIFY(replyAs<protocol::Ack>(*bob, *reply.id));
        protocol::SendRequest react{
            bob->nextId(), u"general"_s, u"r1"_s, protocol::EventKind::React, {}, {},
            lastSeq - 1,   u"👍"_s,       {}};
        bob->sendMessage(react);
        const auto reactAck = replyAs<protocol::Ack>(*bob, *react.id);
        QVERIFY(reactAck);
        lastSeq = reactAck->seq;
        id = alice.nextId();
        alice.sendMessage(textMessage(dm->room.room, u"psst"_s, u"dm1"_s, id));
        QVERIFY(replyAs<protocol::Ack>(alice, id));
        // A posted file: its row and its reference move with the rest.
        const HttpReply uploaded =
            uploadFile(server.port(), aliceWelcome->token, u"notes.txt"_s, "the minutes\n");
        QCOMPARE(uploaded.status, 201);
        const protocol::SendRequest file = fileMessage(
            u"general"_s, uploaded.json().value("file"_L1).toObject().value("id"_L1).toString(),
            u"file1"_s, alice.nextId());
        alice.sendMessage(file);
        const auto fileAck = replyAs<protocol::Ack>(alice, *file.id);
        QVERIFY(fileAck);
        lastSeq = fileAck->seq;
        bob->sendMessage(protocol::ReadMarker{u"general"_s, 10});
        QVERIFY(alice.waitForType<protocol::Event>(
            10000, [&](const protocol::Event &e) { return e.kind == protocol::EventKind::React; }));
        QTest::qWait(300); // the read marker reaches the store
        QCOMPARE(runAdmin(source, {u"user"_s, u"passwd"_s, u"carol"_s, u"--password-stdin"_s},
                          "carol-new-password\n"),
                 0); // a token_changes row
        QCOMPARE(server.terminate(), 0);
        const quint16 port = server.port();

        QString error;
        const auto before = dumpStore(source, &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        for (const QString &table : kTables) // something to copy in every table
            QVERIFY2(!before.value(table).isEmpty(), qPrintable(table));

        TestStore target;
        QVERIFY2(target.error().isEmpty(), qPrintable(target.error()));
        QByteArray out;
        const QStringList filesDir{u"--files-dir"_s, server.filesDir()};
        QCOMPARE(runAdmin(source,
                          QStringList{u"migrate-store"_s, u"--to"_s, target.url()} + filesDir, {},
                          &out),
                 0);
        qInfo().noquote() << out;
        QVERIFY(out.contains("events: "));
        // The content stays where it is, and the command says so.
        QVERIFY2(out.contains("file content: 1 files stay in " +
                              QDir(server.filesDir()).absolutePath().toUtf8()),
                 out.constData());
        QVERIFY2(!out.contains("warning"), out.constData());
        const auto after = dumpStore(target.url(), &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        for (const QString &table : kTables)
            QCOMPARE(after.value(table), before.value(table));

        // A second run finds the target full and leaves it alone.
        QCOMPARE(runAdmin(source,
                          QStringList{u"migrate-store"_s, u"--to"_s, target.url()} + filesDir, {},
                          &out),
                 1);
        QVERIFY2(out.contains("is not empty") && out.contains("users (3 rows)"), out.constData());
        QCOMPARE(dumpStore(target.url(), &error), after);

        // The real server on the copy: alice resumes from seq 20 of general.
        ServerProcess moved(target.url(), {u"--rate"_s, u"0"_s});
        moved.setPort(port);
        QVERIFY(moved.start());
        TestClient back;
        QVERIFY(back.connectTo(moved.url()));
        const auto resumed = back.resume(aliceWelcome->token, {{u"general"_s, 20}});
        QVERIFY(resumed);
        QCOMPARE(resumed->epoch, aliceWelcome->epoch);
        const auto synced = back.waitForType<protocol::Synced>();
        QVERIFY(synced);
        const auto replay = collect(back, u"general"_s, int(lastSeq - 20));
        QCOMPARE(qint64(replay.size()), lastSeq - 20);
        for (qsizetype i = 0; i < replay.size(); ++i)
            QCOMPARE(replay[i].seq, qint64(21 + i));
        QCOMPARE(replay.at(replay.size() - 2).kind, protocol::EventKind::React);
        // The file event comes back whole: its row was copied with it.
        QCOMPARE(replay.last().kind, protocol::EventKind::File);
        QVERIFY(replay.last().file);
        QCOMPARE(replay.last().file->name, u"notes.txt"_s);
        QCOMPARE(replay.last().file->size, 12);

        // The copy's search index was built as its events went in.
        const auto search = [&](const QString &query) {
            protocol::SearchRequest r;
            r.id = back.nextId();
            r.query = query;
            r.limit = 50;
            back.sendMessage(r);
            return replyAs<protocol::SearchReply>(back, *r.id);
        };
        auto found = search(u"before"_s);
        QVERIFY(found);
        QCOMPARE(found->results.size(), 29); // "before 5" now reads "fixed five"
        QVERIFY(!found->indexing);
        found = search(u"fixed"_s);
        QVERIFY(found);
        QCOMPARE(found->results.size(), 1);
        QCOMPARE(found->results[0].seq, fix.target.value());
        QVERIFY(found->results[0].edited);
        found = search(u"notes has:file"_s);
        QVERIFY(found);
        QCOMPARE(found->results.size(), 1);
        QCOMPARE(found->results[0].file->name, u"notes.txt"_s);

        // Resending the last acked message is answered from the idempotency record.
        id = back.nextId();
        back.sendMessage(textMessage(u"general"_s, u"before 29"_s, u"m29"_s, id));
        const auto again = replyAs<protocol::Ack>(back, id);
        QVERIFY(again);
        QCOMPARE(again->seq, lastAckSeq);
        QVERIFY(back.takeEvents(u"general"_s).isEmpty());

        // Bob logs in with his password (hash copied), sees his read marker, and gets the
        // next message with the next seq.
        TestClient bob2;
        QVERIFY(bob2.connectTo(moved.url()));
        const auto bobWelcome = bob2.login(u"bob"_s, u"bob-password"_s);
        QVERIFY(bobWelcome);
        bool sawGeneral = false;
        for (const protocol::RoomInfo &r : bobWelcome->rooms) {
            if (r.room == "general"_L1) {
                sawGeneral = true;
                QCOMPARE(r.readSeq, qint64(10));
                QCOMPARE(r.lastSeq, lastSeq);
            }
        }
        QVERIFY(sawGeneral);
        id = back.nextId();
        back.sendMessage(textMessage(u"general"_s, u"after"_s, u"after"_s, id));
        const auto next = replyAs<protocol::Ack>(back, id);
        QVERIFY(next);
        QCOMPARE(next->seq, lastSeq + 1);
        QVERIFY(bob2.waitForType<protocol::Event>(10000, [&](const protocol::Event &e) {
            return e.room == "general"_L1 && e.seq == lastSeq + 1 && e.body == "after"_L1;
        }));
        // Carol's new password was copied, her old one is gone.
        TestClient carol;
        QVERIFY(carol.connectTo(moved.url()));
        QVERIFY(carol.login(u"carol"_s, u"carol-new-password"_s));
        QCOMPARE(moved.terminate(), 0);
    }

    // --files-to copies the content into a new file store, each file checked against its
    // SHA-256: a damaged one stops the command before any row is copied, a run after the
    // mend keeps what was copied already, and the server on the new store and directory
    // serves every byte.
    void fileContentMoves()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString source = dir.filePath(u"confab.db"_s);
        ServerProcess server(source, {u"--rate"_s, u"0"_s});
        QVERIFY(server.start());
        TestClient alice;
        QVERIFY(alice.connectTo(server.url()));
        const auto welcome = alice.registerUser(u"alice"_s, u"alice-password"_s);
        QVERIFY(welcome);
        QVERIFY(createRoom(alice, u"general"_s));
        QMap<QString, QByteArray> contents; // file id -> bytes
        for (int i = 0; i < 3; ++i) {
            QByteArray bytes(200 * 1024 + i, char('a' + i));
            bytes.prepend(QByteArray::number(i));
            const HttpReply up =
                uploadFile(server.port(), welcome->token, u"f%1.bin"_s.arg(i), bytes);
            QCOMPARE(up.status, 201);
            const QString id = up.json().value("id"_L1).toString();
            contents.insert(id, bytes);
            if (i < 2) { // the third is never posted: its row and content move too
                const protocol::SendRequest post =
                    fileMessage(u"general"_s, id, u"p%1"_s.arg(i), alice.nextId());
                alice.sendMessage(post);
                QVERIFY(replyAs<protocol::Ack>(alice, *post.id));
            }
        }
        QCOMPARE(server.terminate(), 0);
        QStringList blobs;
        QDirIterator it(server.filesDir() + u"/blobs"_s, QDir::Files, QDirIterator::Subdirectories);
        while (it.hasNext())
            blobs.append(it.next());
        blobs.sort(); // the order the copy takes them in: by hash
        QCOMPARE(blobs.size(), 3);

        const QString moved = dir.filePath(u"moved-files"_s);
        const QStringList from{u"--files-dir"_s, server.filesDir()};
        TestStore target;
        QVERIFY2(target.error().isEmpty(), qPrintable(target.error()));
        const QStringList migrate = QStringList{u"migrate-store"_s, u"--to"_s, target.url()} + from;
        QByteArray out;
        // The same directory as the source's is a usage error.
        QCOMPARE(
            runAdmin(source, migrate + QStringList{u"--files-to"_s, server.filesDir()}, {}, &out),
            2);
        QVERIFY2(out.contains("--files-to must name another directory"), out.constData());

        // The last content damaged on disk: the first two are copied, then the command stops.
        QFile last(blobs.last());
        QVERIFY(last.open(QIODevice::ReadWrite));
        const QByteArray good = last.readAll();
        QVERIFY(last.seek(100));
        QCOMPARE(last.write("X"), 1);
        last.close();
        QCOMPARE(runAdmin(source, migrate + QStringList{u"--files-to"_s, moved}, {}, &out), 1);
        const QString lastSha = QFileInfo(blobs.last()).fileName();
        QVERIFY2(out.contains(lastSha.toLatin1() + " in ") && out.contains("damaged on disk") &&
                     out.contains("Nothing was copied into the target store"),
                 out.constData());
        QVERIFY(!QFileInfo::exists(moved + u"/blobs/"_s + lastSha.left(2) + u'/' + lastSha));
        QVERIFY(!out.contains("events: "));

        // Mended: the run goes through, keeping the two copied before.
        QVERIFY(last.open(QIODevice::WriteOnly | QIODevice::Truncate));
        QCOMPARE(last.write(good), good.size());
        last.close();
        QCOMPARE(runAdmin(source, migrate + QStringList{u"--files-to"_s, moved}, {}, &out), 0);
        QVERIFY2(out.contains("file content: 1 copied") && out.contains("2 already there") &&
                     out.contains("events: "),
                 out.constData());

        // The server on the copy and the new directory serves every file, byte for byte
        // (the unposted one to its uploader).
        ServerProcess after(target.url(), {u"--rate"_s, u"0"_s, u"--files-dir"_s, moved});
        QVERIFY(after.start());
        for (auto c = contents.cbegin(); c != contents.cend(); ++c) {
            const HttpReply got =
                httpWithToken(after.port(), "GET", "/files/" + c.key().toLatin1(), welcome->token);
            QCOMPARE(got.status, 200);
            QCOMPARE(got.body, c.value());
        }
        QCOMPARE(after.terminate(), 0);

        // Content gone from the source is named in a warning; the rows still move.
        QVERIFY(QFile::remove(blobs.first()));
        TestStore again;
        QVERIFY2(again.error().isEmpty(), qPrintable(again.error()));
        QCOMPARE(runAdmin(source, QStringList{u"migrate-store"_s, u"--to"_s, again.url()} + from,
                          {}, &out),
                 0);
        QVERIFY2(out.contains("file content: 2 files stay in") &&
                     out.contains("warning: 1 files named in the store have no content") &&
                     out.contains(QFileInfo(blobs.first()).fileName().toLatin1()),
                 out.constData());
    }

    // A target where a server (or an admin command) only created the empty schema is
    // empty: the copy replaces its epoch with the source's.
    void fillsTargetWithEmptySchema()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString source = dir.filePath(u"confab.db"_s);
        QCOMPARE(runAdmin(source, {u"room"_s, u"create"_s, u"general"_s}), 0);
        TestStore target;
        QVERIFY2(target.error().isEmpty(), qPrintable(target.error()));
        QCOMPARE(runAdmin(target.url(), {u"room"_s, u"list"_s}), 0);
        QByteArray out;
        QCOMPARE(runAdmin(source, {u"migrate-store"_s, u"--to"_s, target.url()}, {}, &out), 0);
        QString error;
        const auto before = dumpStore(source, &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QCOMPARE(dumpStore(target.url(), &error), before);
        QVERIFY(before.value(u"meta"_s).join(u' ').contains(u"epoch"_s));
    }

    void refusesTargetWithForeignTables()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString source = dir.filePath(u"confab.db"_s);
        QCOMPARE(runAdmin(source, {u"room"_s, u"create"_s, u"general"_s}), 0);
        TestStore target;
        QVERIFY2(target.error().isEmpty(), qPrintable(target.error()));
        QString error;
        QVERIFY2(execOnStore(target, u"CREATE TABLE accounts (id INTEGER)"_s, &error),
                 qPrintable(error));
        QByteArray out;
        QCOMPARE(runAdmin(source, {u"migrate-store"_s, u"--to"_s, target.url()}, {}, &out), 1);
        QVERIFY2(out.contains("not Confab's: accounts"), out.constData());
        QCOMPARE(runAdmin(source, {u"migrate-store"_s}, {}, &out), 2);
        QCOMPARE(runAdmin(dir.filePath(u"none.db"_s),
                          {u"migrate-store"_s, u"--to"_s, dir.filePath(u"copy.db"_s)}, {}, &out),
                 1);
        QVERIFY2(out.contains("there is no store at"), out.constData());
    }
};

QTEST_GUILESS_MAIN(TestServerMigrate)
#include "tst_server_migrate.moc"
