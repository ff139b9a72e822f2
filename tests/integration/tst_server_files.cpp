// File sharing against the real server binary: upload and download over HTTP on the
// WebSocket's port, resume after a cut and after kill -9, the content's SHA-256 computed
// while the body is written (one PATCH, many, across a restart), the file event, who may read a
// file, limits (413, 429, 507), thumbnails (EXIF orientation, the decompression bomb),
// what is served as an attachment, the garbage collector, and the admin commands files list
// and files usage run on the stopped server's store.
#include "fixtures.h"
#include "httpclient.h"
#include "protocol/names.h"

#include <QBuffer>
#include <QCryptographicHash>
#include <QDateTime>
#include <QDir>
#include <QDirIterator>
#include <QImage>
#include <QRandomGenerator>
#include <QTcpSocket>
#include <QTest>
#include <QtEndian>
#include <sys/mount.h>
#include <unistd.h>
#include <zlib.h>

using namespace confab;
using namespace confab::testing;
using namespace Qt::StringLiterals;

namespace {

QByteArray randomBytes(qsizetype n, quint32 seed)
{
    QByteArray b(n, Qt::Uninitialized);
    QRandomGenerator gen(seed);
    for (qsizetype i = 0; i < n; ++i)
        b[i] = char(gen.generate() & 0xff);
    return b;
}

QByteArray sha256Hex(const QByteArray &b)
{
    return QCryptographicHash::hash(b, QCryptographicHash::Sha256).toHex();
}

// A PNG chunk with its CRC.
QByteArray pngChunk(const char *type, const QByteArray &data)
{
    QByteArray c;
    quint32 len = qToBigEndian(quint32(data.size()));
    c.append(reinterpret_cast<const char *>(&len), 4);
    const QByteArray typed = QByteArray(type) + data;
    c += typed;
    quint32 crc = qToBigEndian(quint32(
        ::crc32(0, reinterpret_cast<const Bytef *>(typed.constData()), uInt(typed.size()))));
    c.append(reinterpret_cast<const char *>(&crc), 4);
    return c;
}

// A valid PNG header that claims width x height pixels, with a tiny compressed body: a
// decompression bomb's shape.
QByteArray bombPng(quint32 width, quint32 height)
{
    QByteArray ihdr;
    const quint32 w = qToBigEndian(width), h = qToBigEndian(height);
    ihdr.append(reinterpret_cast<const char *>(&w), 4);
    ihdr.append(reinterpret_cast<const char *>(&h), 4);
    ihdr += QByteArray::fromHex("0802000000"); // 8 bit RGB, no interlace
    QByteArray zeros(64 * 1024, '\0');
    QByteArray packed(compressBound(uLong(zeros.size())), '\0');
    uLongf packedSize = uLongf(packed.size());
    ::compress(reinterpret_cast<Bytef *>(packed.data()), &packedSize,
               reinterpret_cast<const Bytef *>(zeros.constData()), uLong(zeros.size()));
    packed.resize(qsizetype(packedSize));
    return QByteArray::fromHex("89504e470d0a1a0a") + pngChunk("IHDR", ihdr) +
           pngChunk("IDAT", packed) + pngChunk("IEND", {});
}

QByteArray encoded(const QImage &image, const char *format, int quality = -1)
{
    QByteArray bytes;
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::WriteOnly);
    image.save(&buffer, format, quality);
    return bytes;
}

// A JPEG of width x height with an EXIF block saying "rotate 90 degrees clockwise"
// (orientation 6), so it shows as height x width.
QByteArray rotatedJpeg(int width, int height)
{
    QImage image(width, height, QImage::Format_RGB32);
    image.fill(Qt::darkCyan);
    const QByteArray jpeg = encoded(image, "jpeg", 90);
    const QByteArray tiff = QByteArray::fromHex("4d4d002a00000008"         // big endian, IFD at 8
                                                "0001"                     // one entry
                                                "011200030000000100060000" // orientation 6
                                                "00000000");               // no next IFD
    const QByteArray payload = QByteArray("Exif\0\0", 6) + tiff;
    QByteArray app1 = QByteArray::fromHex("ffe1");
    const quint16 len = qToBigEndian(quint16(payload.size() + 2));
    app1.append(reinterpret_cast<const char *>(&len), 2);
    app1 += payload;
    return jpeg.left(2) + app1 + jpeg.mid(2);
}

int blobCount(const QString &filesDir)
{
    int n = 0;
    QDirIterator it(filesDir + u"/blobs"_s, QDir::Files, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        it.next();
        ++n;
    }
    return n;
}

// CPU time (clock ticks, user + system) and nice value of the server's thread called
// name, from /proc; ticks -1 when there is no such thread.
struct ThreadUse
{
    qint64 ticks = -1;
    int nice = 0;
};
ThreadUse threadUse(qint64 pid, const QByteArray &name)
{
    ThreadUse use;
    const QString tasks = u"/proc/%1/task"_s.arg(pid);
    for (const QString &tid : QDir(tasks).entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        QFile f(tasks + u'/' + tid + u"/stat"_s);
        if (!f.open(QIODevice::ReadOnly))
            continue;
        const QByteArray stat = f.readAll();
        const qsizetype open = stat.indexOf('('), close = stat.lastIndexOf(')');
        if (open < 0 || close < open || stat.mid(open + 1, close - open - 1) != name)
            continue;
        // After "pid (comm) ": state is field 3; utime 14, stime 15, nice 19.
        const QList<QByteArray> fields = stat.mid(close + 2).split(' ');
        use.ticks = fields.value(11).toLongLong() + fields.value(12).toLongLong();
        use.nice = fields.value(16).toInt();
    }
    return use;
}

} // namespace

class TestServerFiles : public ServerTest
{
    Q_OBJECT

private slots:
    void cleanup() { stopServer(); }

    void roundTrip();
    void resumeAfterCuts();
    void resumeAfterKill9();
    void newRequestTakesOver();
    void transfersRunOnTheirOwnThread();
    void hashWhileWriting();
    void onlyMembersRead();
    void limits();
    void diskFull();
    void thumbnails();
    void decompressionBomb();
    void activeContentIsAnAttachment();
    void deleteAndCollect();
    void adminListAndUsage();

private:
    // alice in #general with a token; bob (member) and carol (not a member) optional.
    struct Team
    {
        std::unique_ptr<TestClient> alice, bob, carol;
        QString aliceToken, bobToken, carolToken;
    };
    Team team(bool withOthers);
    std::optional<protocol::Event> post(TestClient &c, const QString &fileId,
                                        const QString &clientMsgId);
    // Deletes the message at seq in #general; true once the delete is acked.
    bool unpost(TestClient &c, qint64 seq, const QString &clientMsgId);
};

TestServerFiles::Team TestServerFiles::team(bool withOthers)
{
    Team t;
    auto connect = [this](const QString &user, QString *token) {
        auto c = std::make_unique<TestClient>();
        if (!c->connectTo(m_server->url()))
            return std::unique_ptr<TestClient>();
        const auto w = c->registerUser(user, user + u"-password"_s);
        if (!w)
            return std::unique_ptr<TestClient>();
        *token = w->token;
        return c;
    };
    t.alice = connect(u"alice"_s, &t.aliceToken);
    if (!t.alice || !createRoom(*t.alice, u"general"_s))
        return {};
    if (withOthers) {
        t.bob = connect(u"bob"_s, &t.bobToken);
        t.carol = connect(u"carol"_s, &t.carolToken);
        if (!t.bob || !t.carol || !joinRoom(*t.bob, u"general"_s))
            return {};
    }
    return t;
}

std::optional<protocol::Event> TestServerFiles::post(TestClient &c, const QString &fileId,
                                                     const QString &clientMsgId)
{
    const qint64 id = c.nextId();
    c.sendMessage(fileMessage(u"general"_s, fileId, clientMsgId, id));
    if (!replyAs<protocol::Ack>(c, id))
        return std::nullopt;
    return c.waitForType<protocol::Event>(
        10000, [&](const protocol::Event &e) { return e.clientMsgId == clientMsgId; });
}

bool TestServerFiles::unpost(TestClient &c, qint64 seq, const QString &clientMsgId)
{
    protocol::SendRequest del;
    del.id = c.nextId();
    del.room = u"general"_s;
    del.clientMsgId = clientMsgId;
    del.kind = protocol::EventKind::Delete;
    del.target = seq;
    c.sendMessage(del);
    return replyAs<protocol::Ack>(c, *del.id).has_value();
}

void TestServerFiles::roundTrip()
{
    startServer();
    Team t = team(true);
    QVERIFY(t.alice && t.bob);
    const quint16 port = m_server->port();
    const QByteArray content = randomBytes(3 * 1024 * 1024 + 17, 1);
    const HttpReply done = uploadFile(port, t.aliceToken, u"report 2026 (final).pdf"_s, content);
    QCOMPARE(done.status, 201);
    const QJsonObject file = done.json().value("file"_L1).toObject();
    const QString fileId = file.value("id"_L1).toString();
    QVERIFY(protocol::isValidFileId(fileId));
    QCOMPARE(file.value("size"_L1).toInteger(), content.size());
    QCOMPARE(file.value("name"_L1).toString(), u"report 2026 (final).pdf"_s);

    const std::optional<protocol::Event> e = post(*t.alice, fileId, u"f1"_s);
    QVERIFY(e && e->file);
    QCOMPARE(e->kind, protocol::EventKind::File);
    QCOMPARE(e->file->id, fileId);
    QCOMPARE(e->file->size, content.size());
    // Random bytes say nothing of their type: the name decides.
    QCOMPARE(e->file->mime, u"application/pdf"_s);
    // bob receives the same event, and reads the bytes.
    const auto seen = t.bob->waitForType<protocol::Event>(
        10000, [&](const protocol::Event &ev) { return ev.kind == protocol::EventKind::File; });
    QVERIFY(seen);
    QCOMPARE(*seen->file, *e->file);
    const HttpReply got = httpWithToken(port, "GET", "/files/" + fileId.toLatin1(), t.bobToken);
    QCOMPARE(got.status, 200);
    QCOMPARE(sha256Hex(got.body), sha256Hex(content));
    QCOMPARE(got.header("etag"), '"' + sha256Hex(content) + '"');
    QCOMPARE(got.header("x-content-type-options"), QByteArray("nosniff"));
    // Ranges: the middle, the tail, and one past the end.
    const HttpReply part = httpWithToken(port, "GET", "/files/" + fileId.toLatin1(), t.bobToken,
                                         {{"Range", "bytes=1000-1999"}});
    QCOMPARE(part.status, 206);
    QCOMPARE(part.body, content.mid(1000, 1000));
    QCOMPARE(part.header("content-range"), "bytes 1000-1999/" + QByteArray::number(content.size()));
    const HttpReply tail = httpWithToken(port, "GET", "/files/" + fileId.toLatin1(), t.bobToken,
                                         {{"Range", "bytes=-10"}});
    QCOMPARE(tail.body, content.right(10));
    const HttpReply past =
        httpWithToken(port, "GET", "/files/" + fileId.toLatin1(), t.bobToken,
                      {{"Range", "bytes=" + QByteArray::number(content.size()) + "-"}});
    QCOMPARE(past.status, 416);
    const HttpReply head = httpWithToken(port, "HEAD", "/files/" + fileId.toLatin1(), t.bobToken);
    QCOMPARE(head.status, 200);
    QCOMPARE(head.header("content-length"), QByteArray::number(content.size()));
    QVERIFY(head.body.isEmpty());

    // The same client_msg_id again: the same seq, no second event.
    const qint64 id = t.alice->nextId();
    t.alice->sendMessage(fileMessage(u"general"_s, fileId, u"f1"_s, id));
    const auto ack = replyAs<protocol::Ack>(*t.alice, id);
    QVERIFY(ack);
    QCOMPARE(ack->seq, e->seq);
    QVERIFY(!t.bob->receivesWithin(
        [](const protocol::ServerMessage &m) {
            const auto *ev = std::get_if<protocol::Event>(&m);
            return ev && ev->kind == protocol::EventKind::File;
        },
        300));
    // History carries the file too, after a restart.
    QCOMPARE(m_server->terminate(), 0);
    QVERIFY(m_server->start());
    TestClient again;
    QVERIFY(again.connectTo(m_server->url()));
    QVERIFY(again.resume(t.bobToken));
    const qint64 hid = again.nextId();
    again.sendMessage(protocol::HistoryRequest{hid, u"general"_s, std::nullopt, std::nullopt, 50});
    const auto history = replyAs<protocol::HistoryReply>(again, hid);
    QVERIFY(history);
    QVERIFY(std::any_of(history->events.cbegin(), history->events.cend(),
                        [&](const protocol::Event &ev) { return ev.file == e->file; }));
    // Identical content uploaded again is stored once.
    QCOMPARE(uploadFile(m_server->port(), t.bobToken, u"copy.bin"_s, content).status, 201);
    QCOMPARE(blobCount(m_server->filesDir()), 1);
}

void TestServerFiles::resumeAfterCuts()
{
    startServer();
    Team t = team(false);
    QVERIFY(t.alice);
    const quint16 port = m_server->port();
    const QByteArray content = randomBytes(2 * 1024 * 1024 + 5, 2);
    const QString id = createUpload(port, t.aliceToken, u"big.bin"_s, content.size());
    QVERIFY(!id.isEmpty());
    QRandomGenerator gen(7);
    qint64 offset = 0;
    int cuts = 0;
    while (offset < content.size()) {
        const QByteArray rest = content.mid(offset);
        if (cuts < 5) {
            // Cut the connection at a random byte of the rest; the server keeps what came.
            const qsizetype cut = qsizetype(gen.bounded(quint32(rest.size())));
            patchUpload(port, t.aliceToken, id, offset, rest, cut);
            ++cuts;
            const HttpReply status =
                httpWithToken(port, "GET", "/uploads/" + id.toLatin1(), t.aliceToken);
            QCOMPARE(status.status, 200);
            const qint64 now = status.header("upload-offset").toLongLong();
            QVERIFY2(now >= offset && now <= offset + cut,
                     qPrintable(u"offset %1 after a cut at %2"_s.arg(now).arg(offset + cut)));
            offset = now;
            // A PATCH at a wrong offset is refused and says where to go on.
            const HttpReply wrong = patchUpload(port, t.aliceToken, id, offset + 1, "x");
            QCOMPARE(wrong.status, 409);
            QCOMPARE(wrong.header("upload-offset").toLongLong(), offset);
            continue;
        }
        const HttpReply done = patchUpload(port, t.aliceToken, id, offset, rest);
        QCOMPARE(done.status, 201);
        offset = content.size();
    }
    const std::optional<protocol::Event> e = post(*t.alice, id, u"r1"_s);
    QVERIFY(e);
    const HttpReply got = httpWithToken(port, "GET", "/files/" + id.toLatin1(), t.aliceToken);
    QCOMPARE(sha256Hex(got.body), sha256Hex(content));
    // The hash the server kept feeding across the cuts is the content's.
    QCOMPARE(got.header("etag"), '"' + sha256Hex(content) + '"');
}

void TestServerFiles::resumeAfterKill9()
{
    startServer();
    Team t = team(false);
    QVERIFY(t.alice);
    const QByteArray content = randomBytes(4 * 1024 * 1024, 3);
    const QString id = createUpload(m_server->port(), t.aliceToken, u"k.bin"_s, content.size());
    QVERIFY(!id.isEmpty());
    // Half of it, then the server dies in the middle of the request.
    {
        QTcpSocket s;
        s.connectToHost(QHostAddress::LocalHost, m_server->port());
        QVERIFY(s.waitForConnected());
        s.write("PATCH /uploads/" + id.toLatin1() +
                " HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " + t.aliceToken.toLatin1() +
                "\r\nUpload-Offset: 0\r\nContent-Length: " + QByteArray::number(content.size()) +
                "\r\n\r\n");
        s.write(content.left(content.size() / 2));
        QVERIFY(QTest::qWaitFor([&] { return s.bytesToWrite() == 0; }));
        QTest::qWait(300);
        m_server->kill9();
    }
    QVERIFY(m_server->start());
    const HttpReply status =
        httpWithToken(m_server->port(), "GET", "/uploads/" + id.toLatin1(), t.aliceToken);
    QCOMPARE(status.status, 200);
    const qint64 offset = status.header("upload-offset").toLongLong();
    QVERIFY2(offset > 0 && offset <= content.size() / 2, status.body.constData());
    const HttpReply done =
        patchUpload(m_server->port(), t.aliceToken, id, offset, content.mid(offset));
    QCOMPARE(done.status, 201);
    TestClient alice;
    QVERIFY(alice.connectTo(m_server->url()));
    QVERIFY(alice.resume(t.aliceToken));
    QVERIFY(post(alice, id, u"k1"_s));
    const HttpReply got =
        httpWithToken(m_server->port(), "GET", "/files/" + id.toLatin1(), t.aliceToken);
    QCOMPARE(sha256Hex(got.body), sha256Hex(content));
    // The new process never saw the first half: it hashed the part again.
    QCOMPARE(got.header("etag"), '"' + sha256Hex(content) + '"');
    // Finished: asking again answers with the file, and its bytes are not stored twice.
    const HttpReply after =
        httpWithToken(m_server->port(), "GET", "/uploads/" + id.toLatin1(), t.aliceToken);
    QCOMPARE(after.status, 200);
    QCOMPARE(after.json().value("file"_L1).toObject().value("id"_L1).toString(), id);
}

// The server hashes an upload as it writes it (and hashes the part again only when an
// upload goes on in a process that did not write its first bytes): the ETag must be the
// content's SHA-256 in every way of sending it, and equal content found equal.
void TestServerFiles::newRequestTakesOver()
{
    // A client that lost its connection asks where to go on while the server still holds
    // the old request open (it has not seen the connection go): the answer must be final,
    // so the PATCH from there is taken, not refused with 423 or 409.
    startServer();
    Team t = team(false);
    QVERIFY(t.alice);
    const quint16 port = m_server->port();
    const QByteArray content = randomBytes(3 * 1024 * 1024, 11);
    const QString id = createUpload(port, t.aliceToken, u"held.bin"_s, content.size());
    QVERIFY(!id.isEmpty());
    QTcpSocket held;
    QByteArray heldReply;
    connect(&held, &QTcpSocket::readyRead, &held, [&] { heldReply += held.readAll(); });
    held.connectToHost(QHostAddress::LocalHost, port);
    QVERIFY(held.waitForConnected(5000));
    const qsizetype sent = 700 * 1024;
    held.write("PATCH /uploads/" + id.toLatin1() + " HTTP/1.1\r\nHost: test\r\n" +
               "Authorization: Bearer " + t.aliceToken.toLatin1() +
               "\r\nUpload-Offset: 0\r\nContent-Length: " + QByteArray::number(content.size()) +
               "\r\n\r\n" + content.left(sent));
    QVERIFY(QTest::qWaitFor([&] { return held.bytesToWrite() == 0; }, 5000));
    QTest::qWait(50);

    const HttpReply status = httpWithToken(port, "GET", "/uploads/" + id.toLatin1(), t.aliceToken);
    QCOMPARE(status.status, 200);
    const qint64 offset = status.header("upload-offset").toLongLong();
    QVERIFY2(offset >= 0 && offset <= sent, qPrintable(QString::number(offset)));
    // The held request was told where the upload stands, and closed.
    QVERIFY(
        QTest::qWaitFor([&] { return held.state() == QAbstractSocket::UnconnectedState; }, 5000));
    QVERIFY2(heldReply.startsWith("HTTP/1.1 409"), heldReply.constData());
    QVERIFY(heldReply.contains("Upload-Offset: " + QByteArray::number(offset) + "\r\n"));
    // Nothing of it lands after the answer: the offset stays, and the rest from there is
    // taken at once.
    QTest::qWait(100);
    const HttpReply again = httpWithToken(port, "GET", "/uploads/" + id.toLatin1(), t.aliceToken);
    QCOMPARE(again.header("upload-offset").toLongLong(), offset);
    QCOMPARE(patchUpload(port, t.aliceToken, id, offset, content.mid(offset)).status, 201);
    const std::optional<protocol::Event> e = post(*t.alice, id, u"held"_s);
    QVERIFY(e);
    const HttpReply got = httpWithToken(port, "GET", "/files/" + id.toLatin1(), t.aliceToken);
    QCOMPARE(sha256Hex(got.body), sha256Hex(content));
    QCOMPARE(got.header("etag"), '"' + sha256Hex(content) + '"');
}

void TestServerFiles::transfersRunOnTheirOwnThread()
{
    // Plain-HTTP transfers are handed, by their request line, to a worker thread of their
    // own at the lowest CPU priority, so the chat's I/O threads go first on busy cores.
    startServer();
    Team t = team(false);
    QVERIFY(t.alice);
    const quint16 port = m_server->port();
    const ThreadUse before = threadUse(m_server->pid(), "io-transfer-0");
    QVERIFY2(before.ticks >= 0, "no io-transfer-0 thread");
    QCOMPARE(before.nice, 19);
    const QByteArray content = randomBytes(48 * 1024 * 1024, 21);
    const HttpReply up = uploadFile(port, t.aliceToken, u"bulk.bin"_s, content);
    QCOMPARE(up.status, 201);
    const QString id = up.json().value("id"_L1).toString();
    const HttpReply got = httpWithToken(port, "GET", "/files/" + id.toLatin1(), t.aliceToken);
    QCOMPARE(got.status, 200);
    QVERIFY(got.body == content);
    // 48 MB up and down cost that thread at least some CPU (the copies from and to the
    // sockets are there): the transfer ran on it.
    QVERIFY2(threadUse(m_server->pid(), "io-transfer-0").ticks > before.ticks,
             "the transfer thread did no work");
    // A request line that comes in pieces is told apart when enough of it is there.
    QTcpSocket s;
    QByteArray answer;
    connect(&s, &QTcpSocket::readyRead, &s, [&] { answer += s.readAll(); });
    s.connectToHost(QHostAddress::LocalHost, port);
    QVERIFY(s.waitForConnected(5000));
    s.write("HEAD /fi");
    QVERIFY(s.waitForBytesWritten(5000));
    QTest::qWait(100);
    s.write("les/" + id.toLatin1() + " HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer " +
            t.aliceToken.toLatin1() + "\r\n\r\n");
    QVERIFY(QTest::qWaitFor([&] { return answer.contains("\r\n\r\n"); }, 5000));
    QVERIFY2(answer.startsWith("HTTP/1.1 200"), answer.constData());
    QVERIFY(answer.toLower().contains("content-length: " + QByteArray::number(content.size())));
    stopServer();

    // --transfer-workers 0: no such thread, the transfers work on the I/O threads.
    startServer({u"--transfer-workers"_s, u"0"_s});
    Team again = team(false);
    QVERIFY(again.alice);
    QCOMPARE(threadUse(m_server->pid(), "io-transfer-0").ticks, -1);
    QCOMPARE(uploadFile(m_server->port(), again.aliceToken, u"small.bin"_s, "twelve bytes").status,
             201);
}

void TestServerFiles::hashWhileWriting()
{
    startServer();
    Team t = team(false);
    QVERIFY(t.alice);
    quint16 port = m_server->port();
    auto expectStored = [&](const QString &id, const QByteArray &content) {
        const HttpReply got = httpWithToken(port, "GET", "/files/" + id.toLatin1(), t.aliceToken);
        QCOMPARE(got.status, 200);
        QCOMPARE(got.body.size(), content.size());
        QCOMPARE(sha256Hex(got.body), sha256Hex(content));
        QCOMPARE(got.header("etag"), '"' + sha256Hex(content) + '"');
    };
    auto fileId = [](const HttpReply &r) {
        return r.json().value("file"_L1).toObject().value("id"_L1).toString();
    };

    // One PATCH many times larger than what the server queues for its disk writer, so
    // reading pauses and resumes over and over.
    const QByteArray big = randomBytes(24 * 1024 * 1024 + 3, 20);
    const HttpReply one = uploadFile(port, t.aliceToken, u"big.bin"_s, big);
    QCOMPARE(one.status, 201);
    expectStored(fileId(one), big);

    // Many PATCHes of odd sizes, an empty one among them; each says where the upload is.
    const QByteArray pieces = randomBytes(5 * 1024 * 1024 + 11, 21);
    const QString piecesId = createUpload(port, t.aliceToken, u"pieces.bin"_s, pieces.size());
    QVERIFY(!piecesId.isEmpty());
    qint64 at = 0;
    for (const qsizetype n : {qsizetype(1), qsizetype(0), qsizetype(65537), qsizetype(1 << 20),
                              qsizetype(3 * 1024 * 1024 + 5)}) {
        const HttpReply r = patchUpload(port, t.aliceToken, piecesId, at, pieces.mid(at, n));
        QCOMPARE(r.status, 204);
        at += n;
        QCOMPARE(r.header("upload-offset").toLongLong(), at);
    }
    QCOMPARE(patchUpload(port, t.aliceToken, piecesId, at, pieces.mid(at)).status, 201);
    expectStored(piecesId, pieces);

    // Begun before a restart, finished after it in two more PATCHes.
    const QByteArray resumed = randomBytes(3 * 1024 * 1024 + 1, 22);
    const QString resumedId = createUpload(port, t.aliceToken, u"resumed.bin"_s, resumed.size());
    QVERIFY(!resumedId.isEmpty());
    QCOMPARE(patchUpload(port, t.aliceToken, resumedId, 0, resumed.left(1 << 20)).status, 204);
    QCOMPARE(m_server->terminate(), 0);
    QVERIFY(m_server->start());
    port = m_server->port();
    const HttpReply status =
        httpWithToken(port, "GET", "/uploads/" + resumedId.toLatin1(), t.aliceToken);
    QCOMPARE(status.header("upload-offset").toLongLong(), 1 << 20);
    QCOMPARE(
        patchUpload(port, t.aliceToken, resumedId, 1 << 20, resumed.mid(1 << 20, 1 << 20)).status,
        204);
    QCOMPARE(patchUpload(port, t.aliceToken, resumedId, 2 << 20, resumed.mid(2 << 20)).status, 201);
    expectStored(resumedId, resumed);

    // Equal content sent another way is found equal and kept once.
    const int blobs = blobCount(m_server->filesDir());
    QCOMPARE(blobs, 3);
    const HttpReply again = uploadFile(port, t.aliceToken, u"again.bin"_s, resumed);
    QCOMPARE(again.status, 201);
    const QString halves = createUpload(port, t.aliceToken, u"halves.bin"_s, pieces.size());
    QCOMPARE(patchUpload(port, t.aliceToken, halves, 0, pieces.left(pieces.size() / 2)).status,
             204);
    QCOMPARE(
        patchUpload(port, t.aliceToken, halves, pieces.size() / 2, pieces.mid(pieces.size() / 2))
            .status,
        201);
    QCOMPARE(blobCount(m_server->filesDir()), blobs);
    expectStored(fileId(again), resumed);
    expectStored(halves, pieces);
}

void TestServerFiles::onlyMembersRead()
{
    startServer();
    Team t = team(true);
    QVERIFY(t.alice && t.carol);
    const quint16 port = m_server->port();
    const HttpReply done = uploadFile(port, t.aliceToken, u"secret.txt"_s, "the plan\n");
    QCOMPARE(done.status, 201);
    const QByteArray id =
        done.json().value("file"_L1).toObject().value("id"_L1).toString().toLatin1();
    // Before it is posted only its uploader reads it.
    QCOMPARE(httpWithToken(port, "GET", "/files/" + id, t.aliceToken).status, 200);
    QCOMPARE(httpWithToken(port, "GET", "/files/" + id, t.bobToken).status, 403);
    QVERIFY(post(*t.alice, QString::fromLatin1(id), u"s1"_s));
    QCOMPARE(httpWithToken(port, "GET", "/files/" + id, t.bobToken).status, 200);
    QCOMPARE(httpWithToken(port, "GET", "/files/" + id, t.carolToken).status, 403);
    // Guessed and malformed ids look the same as a file that is not yours.
    QCOMPARE(httpWithToken(port, "GET", "/files/" + QByteArray(32, 'a'), t.carolToken).status, 403);
    QCOMPARE(httpWithToken(port, "GET", "/files/../../etc/passwd", t.carolToken).status, 403);
    // No token, a wrong one.
    HttpRequestSpec anonymous;
    anonymous.target = "/files/" + id;
    QCOMPARE(httpExchange(port, anonymous).status, 401);
    QCOMPARE(httpWithToken(port, "GET", "/files/" + id, u"not-a-token"_s).status, 401);
    // Someone else's upload cannot be posted, an unfinished one neither.
    const qint64 rid = t.carol->nextId();
    QVERIFY(joinRoom(*t.carol, u"general"_s));
    t.carol->sendMessage(fileMessage(u"general"_s, QString::fromLatin1(id), u"c1"_s, rid));
    const auto refused = errorReply(*t.carol, rid);
    QVERIFY(refused);
    QCOMPARE(refused->code, protocol::ErrorCode::Forbidden);
    const QString unfinished = createUpload(port, t.carolToken, u"half.bin"_s, 10);
    const qint64 uid = t.carol->nextId();
    t.carol->sendMessage(fileMessage(u"general"_s, unfinished, u"c2"_s, uid));
    const auto notFound = errorReply(*t.carol, uid);
    QVERIFY(notFound);
    QCOMPARE(notFound->code, protocol::ErrorCode::NotFound);
    // An upload is its uploader's only.
    QCOMPARE(httpWithToken(port, "GET", "/uploads/" + unfinished.toLatin1(), t.aliceToken).status,
             404);
    // Leaving the room takes the right away.
    const qint64 lid = t.bob->nextId();
    t.bob->sendMessage(protocol::LeaveRequest{lid, u"general"_s});
    QVERIFY(replyAs<protocol::Ok>(*t.bob, lid));
    QCOMPARE(httpWithToken(port, "GET", "/files/" + id, t.bobToken).status, 403);
}

void TestServerFiles::limits()
{
    startServer({u"--max-file-bytes"_s, u"1000"_s, u"--file-quota-bytes"_s, u"1500"_s,
                 u"--max-uploads-in-flight"_s, u"2"_s});
    Team t = team(false);
    QVERIFY(t.alice);
    const quint16 port = m_server->port();
    HttpReply r;
    QVERIFY(createUpload(port, t.aliceToken, u"big.bin"_s, 1001, &r).isEmpty());
    QCOMPARE(r.status, 413);
    QCOMPARE(r.json().value("limit"_L1).toInteger(), 1000);
    QVERIFY(r.json().value("message"_L1).toString().contains(u"1000"_s));
    QCOMPARE(uploadFile(port, t.aliceToken, u"a.bin"_s, randomBytes(900, 4)).status, 201);
    // 900 stored + 900 more is over the quota of 1500.
    QVERIFY(createUpload(port, t.aliceToken, u"b.bin"_s, 900, &r).isEmpty());
    QCOMPARE(r.status, 413);
    QCOMPARE(r.json().value("limit"_L1).toInteger(), 1500);
    // Two unfinished uploads, and a third is refused until one is cancelled.
    const QString one = createUpload(port, t.aliceToken, u"1.bin"_s, 10);
    const QString two = createUpload(port, t.aliceToken, u"2.bin"_s, 10);
    QVERIFY(!one.isEmpty() && !two.isEmpty());
    QVERIFY(createUpload(port, t.aliceToken, u"3.bin"_s, 10, &r).isEmpty());
    QCOMPARE(r.status, 429);
    QCOMPARE(r.json().value("limit"_L1).toInteger(), 2);
    QCOMPARE(httpWithToken(port, "DELETE", "/uploads/" + one.toLatin1(), t.aliceToken).status, 204);
    QVERIFY(!createUpload(port, t.aliceToken, u"3.bin"_s, 10).isEmpty());
    // A body longer than the upload, and bad names.
    const HttpReply over = patchUpload(port, t.aliceToken, two, 0, QByteArray(11, 'x'));
    QCOMPARE(over.status, 413);
    QVERIFY(createUpload(port, t.aliceToken, u"a/b"_s, 10, &r).isEmpty());
    QCOMPARE(r.status, 400);
    QVERIFY(createUpload(port, t.aliceToken, QString(), 10, &r).isEmpty());
    QCOMPARE(r.status, 400);
}

void TestServerFiles::diskFull()
{
    if (::geteuid() != 0)
        QSKIP("mounting a small tmpfs needs root");
    QTemporaryDir small;
    QVERIFY(small.isValid());
    if (::mount("tmpfs", small.path().toLocal8Bit().constData(), "tmpfs", 0, "size=1m") != 0)
        QSKIP("cannot mount a tmpfs here");
    auto unmount =
        qScopeGuard([&] { ::umount2(small.path().toLocal8Bit().constData(), MNT_DETACH); });
    startServer({u"--files-dir"_s, small.path()});
    Team t = team(false);
    QVERIFY(t.alice);
    const quint16 port = m_server->port();
    const QByteArray first = randomBytes(300 * 1024, 5);
    QCOMPARE(uploadFile(port, t.aliceToken, u"first.bin"_s, first).status, 201);
    const QByteArray big = randomBytes(2 * 1024 * 1024, 6);
    HttpReply created;
    const QString id = createUpload(port, t.aliceToken, u"big.bin"_s, big.size(), &created);
    QVERIFY(!id.isEmpty());
    const HttpReply full = patchUpload(port, t.aliceToken, id, 0, big);
    QCOMPARE(full.status, 507);
    const qint64 kept = full.header("upload-offset").toLongLong();
    QVERIFY(kept > 0 && kept < big.size());
    QCOMPARE(full.json().value("offset"_L1).toInteger(), kept);
    // What was stored before is intact, and the server still answers.
    const HttpReply list = httpWithToken(port, "GET", "/uploads/" + id.toLatin1(), t.aliceToken);
    QCOMPARE(list.header("upload-offset").toLongLong(), kept);
    QCOMPARE(httpWithToken(port, "DELETE", "/uploads/" + id.toLatin1(), t.aliceToken).status, 204);
    const HttpReply again = uploadFile(port, t.aliceToken, u"again.bin"_s, first);
    QCOMPARE(again.status, 201);
    const QByteArray againId =
        again.json().value("file"_L1).toObject().value("id"_L1).toString().toLatin1();
    QCOMPARE(sha256Hex(httpWithToken(port, "GET", "/files/" + againId, t.aliceToken).body),
             sha256Hex(first));
    stopServer();
}

void TestServerFiles::thumbnails()
{
    startServer();
    Team t = team(false);
    QVERIFY(t.alice);
    const quint16 port = m_server->port();
    const HttpReply done = uploadFile(port, t.aliceToken, u"photo.jpg"_s, rotatedJpeg(1200, 800));
    QCOMPARE(done.status, 201);
    const QJsonObject file = done.json().value("file"_L1).toObject();
    QCOMPARE(file.value("mime"_L1).toString(), u"image/jpeg"_s);
    // Shown turned: 800 wide, 1200 high.
    QCOMPARE(file.value("width"_L1).toInteger(), 800);
    QCOMPARE(file.value("height"_L1).toInteger(), 1200);
    const QByteArray thumb = file.value("thumb"_L1).toString().toLatin1();
    QVERIFY(!thumb.isEmpty());
    const HttpReply got = httpWithToken(port, "GET", "/files/" + thumb, t.aliceToken);
    QCOMPARE(got.status, 200);
    QCOMPARE(got.header("content-type"), QByteArray("image/jpeg"));
    const QImage image = QImage::fromData(got.body);
    QCOMPARE(image.size(), QSize(266, 400));
    // An image file named as something else is typed by its bytes; a PNG gets a PNG thumb
    // when it has alpha.
    QImage alpha(100, 50, QImage::Format_ARGB32);
    alpha.fill(Qt::transparent);
    const HttpReply p = uploadFile(port, t.aliceToken, u"notes.txt"_s, encoded(alpha, "png"));
    const QJsonObject pf = p.json().value("file"_L1).toObject();
    QCOMPARE(pf.value("mime"_L1).toString(), u"image/png"_s);
    QCOMPARE(pf.value("width"_L1).toInteger(), 100);
    const HttpReply pt = httpWithToken(
        port, "GET", "/files/" + pf.value("thumb"_L1).toString().toLatin1(), t.aliceToken);
    QCOMPARE(pt.header("content-type"), QByteArray("image/png"));
}

void TestServerFiles::decompressionBomb()
{
    startServer();
    Team t = team(false);
    QVERIFY(t.alice);
    const QByteArray bomb = bombPng(100000, 100000);
    QVERIFY(bomb.size() < 2048);
    const HttpReply done = uploadFile(m_server->port(), t.aliceToken, u"bomb.png"_s, bomb);
    QCOMPARE(done.status, 201);
    const QJsonObject file = done.json().value("file"_L1).toObject();
    QCOMPARE(file.value("mime"_L1).toString(), u"image/png"_s);
    QVERIFY(!file.contains("thumb"_L1));
    QVERIFY(!file.contains("width"_L1));
    QVERIFY(m_server->output().contains("claims 100000 x 100000 pixels"));
    QVERIFY(m_server->isRunning());
    HttpRequestSpec health;
    health.target = "/healthz";
    QCOMPARE(httpExchange(m_server->port(), health).status, 200);
}

void TestServerFiles::activeContentIsAnAttachment()
{
    startServer();
    Team t = team(false);
    QVERIFY(t.alice);
    const quint16 port = m_server->port();
    struct Case
    {
        QString name;
        QByteArray content;
        bool attachment;
    };
    QImage image(8, 8, QImage::Format_RGB32);
    image.fill(Qt::red);
    const QByteArray png = encoded(image, "png");
    const QList<Case> cases = {
        {u"x.svg"_s, "<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>",
         true},
        {u"page.html"_s, "<!DOCTYPE html><html><script>alert(1)</script></html>", true},
        // HTML that claims to be a PNG by its name is still not served inline.
        {u"fake.png"_s, "<html><script>alert(1)</script></html>", true},
        {u"dot.png"_s, png, false},
    };
    for (const Case &c : cases) {
        const HttpReply done = uploadFile(port, t.aliceToken, c.name, c.content);
        QCOMPARE(done.status, 201);
        const QByteArray id =
            done.json().value("file"_L1).toObject().value("id"_L1).toString().toLatin1();
        const HttpReply got = httpWithToken(port, "GET", "/files/" + id, t.aliceToken);
        QCOMPARE(got.status, 200);
        QCOMPARE(got.header("x-content-type-options"), QByteArray("nosniff"));
        const QByteArray disposition = got.header("content-disposition");
        QVERIFY2(disposition.startsWith(c.attachment ? "attachment;" : "inline;"),
                 qPrintable(c.name + u": "_s + QString::fromLatin1(disposition)));
        QCOMPARE(got.header("content-security-policy").isEmpty(), !c.attachment);
        // Typed by its bytes, not by the name it was given.
        if (c.name == "fake.png"_L1)
            QCOMPARE(got.header("content-type"), QByteArray("text/html"));
    }
}

void TestServerFiles::deleteAndCollect()
{
    startServer({u"--files-gc-grace-s"_s, u"2"_s, u"--files-gc-interval-s"_s, u"1"_s});
    Team t = team(true);
    QVERIFY(t.alice && t.bob);
    const quint16 port = m_server->port();
    const QByteArray content = randomBytes(50000, 8);
    const HttpReply done = uploadFile(port, t.aliceToken, u"gone.bin"_s, content);
    QCOMPARE(done.status, 201);
    const QString id = done.json().value("file"_L1).toObject().value("id"_L1).toString();
    const std::optional<protocol::Event> e = post(*t.alice, id, u"g1"_s);
    QVERIFY(e);
    QCOMPARE(httpWithToken(port, "GET", "/files/" + id.toLatin1(), t.bobToken).status, 200);
    // Posted: kept past the grace period.
    QTest::qWait(3000);
    QCOMPARE(blobCount(m_server->filesDir()), 1);
    // Deleted: unreadable as soon as the delete is acked, removed after the grace period.
    QVERIFY(unpost(*t.alice, e->seq, u"g2"_s));
    QCOMPARE(httpWithToken(port, "GET", "/files/" + id.toLatin1(), t.bobToken).status, 403);
    QCOMPARE(httpWithToken(port, "GET", "/files/" + id.toLatin1(), t.aliceToken).status, 403);
    QTRY_COMPARE_WITH_TIMEOUT(blobCount(m_server->filesDir()), 0, 15000);
    // An upload never posted goes the same way; one posted twice stays while one post lives.
    const HttpReply lonely = uploadFile(port, t.aliceToken, u"lonely.bin"_s, randomBytes(10, 9));
    QCOMPARE(lonely.status, 201);
    QTRY_COMPARE_WITH_TIMEOUT(blobCount(m_server->filesDir()), 0, 15000);
    const HttpReply twice = uploadFile(port, t.aliceToken, u"twice.bin"_s, randomBytes(10, 10));
    const QString twiceId = twice.json().value("file"_L1).toObject().value("id"_L1).toString();
    const auto p1 = post(*t.alice, twiceId, u"t1"_s);
    const auto p2 = post(*t.alice, twiceId, u"t2"_s);
    QVERIFY(p1 && p2);
    QVERIFY(unpost(*t.alice, p1->seq, u"t3"_s));
    QTest::qWait(3500);
    QCOMPARE(blobCount(m_server->filesDir()), 1);
    QCOMPARE(httpWithToken(port, "GET", "/files/" + twiceId.toLatin1(), t.bobToken).status, 200);
}

void TestServerFiles::adminListAndUsage()
{
    startServer();
    Team t = team(true);
    QVERIFY(t.alice && t.bob);
    const quint16 port = m_server->port();
    auto upload = [port](const QString &token, const QString &name, const QByteArray &content) {
        const HttpReply r = uploadFile(port, token, name, content);
        return r.status == 201 ? r.json().value("file"_L1).toObject().value("id"_L1).toString()
                               : QString();
    };
    // bob has the largest file and the smallest; alice's image has a thumbnail, which
    // neither command counts. carol uploads nothing.
    QImage image(600, 400, QImage::Format_RGB32);
    image.fill(Qt::darkGreen);
    const QByteArray png = encoded(image, "png");
    QVERIFY(png.size() > 900 && png.size() < 5000);
    const QString bobBig = upload(t.bobToken, u"scan.pdf"_s, randomBytes(409600, 11));
    const QString aliceBig = upload(t.aliceToken, u"slides v2.pdf"_s, randomBytes(300000, 12));
    const QString aliceGone = upload(t.aliceToken, u"gone.bin"_s, randomBytes(5000, 13));
    const QString alicePng = upload(t.aliceToken, u"chart.png"_s, png);
    const QString aliceLoose = upload(t.aliceToken, u"draft.txt"_s, randomBytes(900, 14));
    const QString bobTiny = upload(t.bobToken, u"one.bin"_s, "x");
    for (const QString &id : {bobBig, aliceBig, aliceGone, alicePng, aliceLoose, bobTiny})
        QVERIFY(!id.isEmpty());
    QVERIFY(post(*t.bob, bobBig, u"b1"_s));
    QVERIFY(post(*t.bob, bobTiny, u"b2"_s));
    QVERIFY(post(*t.alice, aliceBig, u"a1"_s));
    QVERIFY(post(*t.alice, alicePng, u"a2"_s));
    const std::optional<protocol::Event> gone = post(*t.alice, aliceGone, u"a3"_s);
    QVERIFY(gone);
    QVERIFY(unpost(*t.alice, gone->seq, u"a4"_s));
    QCOMPARE(m_server->terminate(), 0);

    // The output's lines that start with a file id (or a user), split at the tabs.
    auto rows = [](const QByteArray &out) {
        QList<QStringList> r;
        for (const QByteArray &line : out.split('\n')) {
            const QStringList fields = QString::fromUtf8(line).split(u'\t');
            if (fields.size() > 3)
                r.append(fields);
        }
        return r;
    };
    const QString url = m_store->url();
    QByteArray out;
    QCOMPARE(runAdmin(url, {u"files"_s, u"list"_s}, {}, &out), 0);
    QList<QStringList> files = rows(out);
    QCOMPARE(files.size(), 6);
    const QStringList order = {bobBig, aliceBig, aliceGone, alicePng, aliceLoose, bobTiny};
    const QStringList states = {u"posted"_s, u"posted"_s,     u"no longer posted"_s,
                                u"posted"_s, u"not posted"_s, u"posted"_s};
    const QDateTime now = QDateTime::currentDateTimeUtc();
    for (int i = 0; i < files.size(); ++i) {
        const QStringList &f = files[i];
        QCOMPARE(f.size(), 7);
        QCOMPARE(f[0], order[i]);
        QCOMPARE(f[5], states[i]);
        const QDateTime created = QDateTime::fromString(f[4], Qt::ISODate);
        QVERIFY2(created.isValid() && qAbs(created.secsTo(now)) < 600, qPrintable(f[4]));
    }
    QCOMPARE(files[0].mid(1, 3),
             (QStringList{u"400.0 KiB (409600 bytes)"_s, u"application/pdf"_s, u"bob"_s}));
    QCOMPARE(files[0][6], u"scan.pdf"_s);
    QCOMPARE(files[1][1], u"293.0 KiB (300000 bytes)"_s);
    QCOMPARE(files[1][6], u"slides v2.pdf"_s);
    QVERIFY2(files[3][1].endsWith(u"(%1 bytes)"_s.arg(png.size())), qPrintable(files[3][1]));
    QCOMPARE(files[3][2], u"image/png"_s);
    QCOMPARE(files[4][1], u"900 bytes"_s);
    QCOMPARE(files[5][1], u"1 byte"_s);
    QCOMPARE(files[5][3], u"bob"_s);

    QCOMPARE(runAdmin(url, {u"files"_s, u"list"_s, u"--limit"_s, u"2"_s}, {}, &out), 0);
    files = rows(out);
    QCOMPARE(files.size(), 2);
    QCOMPARE(files[0][0], bobBig);
    QCOMPARE(files[1][0], aliceBig);

    // Per user, the largest first, against the quota the options give.
    QCOMPARE(
        runAdmin(url, {u"files"_s, u"usage"_s, u"--file-quota-bytes"_s, u"350000"_s}, {}, &out), 0);
    QList<QStringList> usage = rows(out);
    QCOMPARE(usage.size(), 2);
    QCOMPARE(usage[0], (QStringList{u"bob"_s, u"2 files"_s, u"400.0 KiB (409601 bytes)"_s,
                                    u"117.0% of 341.8 KiB (350000 bytes), over quota"_s}));
    const qint64 aliceBytes = 300000 + 5000 + png.size() + 900;
    QCOMPARE(usage[1].mid(0, 2), (QStringList{u"alice"_s, u"4 files"_s}));
    QVERIFY2(usage[1][2].endsWith(u"(%1 bytes)"_s.arg(aliceBytes)), qPrintable(usage[1][2]));
    QCOMPARE(usage[1][3], u"%1% of 341.8 KiB (350000 bytes)"_s.arg(
                              QString::number(100.0 * double(aliceBytes) / 350000.0, 'f', 1)));
    QCOMPARE(runAdmin(url, {u"files"_s, u"usage"_s, u"--file-quota-bytes"_s, u"0"_s}, {}, &out), 0);
    usage = rows(out);
    QCOMPARE(usage.size(), 2);
    QCOMPARE(usage[0][3], u"no quota"_s);

    // Bad arguments: a usage error (2) that says what is wrong, and nothing listed.
    struct Bad
    {
        QStringList args;
        const char *message;
    };
    const QList<Bad> bad = {
        {{u"files"_s, u"list"_s, u"--limit"_s, u"0"_s}, "--limit: '0' is not a positive"},
        {{u"files"_s, u"list"_s, u"--limit"_s, u"ten"_s}, "--limit: 'ten' is not a positive"},
        {{u"files"_s, u"usage"_s, u"--limit"_s, u"3"_s}, "--limit is for files list only"},
        {{u"files"_s, u"lst"_s}, "usage: files list [--limit N], or files usage"},
        {{u"files"_s}, "usage: files list"},
        {{u"files"_s, u"list"_s, u"extra"_s}, "usage: files list"},
    };
    for (const Bad &b : bad) {
        QCOMPARE(runAdmin(url, b.args, {}, &out), 2);
        QVERIFY2(out.contains(b.message), out.constData());
        QVERIFY(rows(out).isEmpty());
    }
}

QTEST_MAIN(TestServerFiles)
#include "tst_server_files.moc"
