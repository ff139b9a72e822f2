// Files through the client core against the real confab-server: an attached file
// uploads from the outbox and is posted once, the other member downloads the same bytes
// and the thumbnail; an upload cut by a killed server and a restarted app goes on from
// the server's offset and is delivered exactly once; a file changed on disk is refused,
// one over the server's limit fails with its message without holding back the room, a
// pasted image is the outbox's own copy; the download cache stays under its size.
#include "clientfixture.h"
#include "fixtures.h"
#include "httpclient.h"
#include "net/uploader.h"
#include "protocol/names.h"

#include <QCryptographicHash>
#include <QFile>
#include <QImage>
#include <QRandomGenerator>
#include <QSignalSpy>

using namespace confab;
using namespace confab::testing;
using namespace Qt::StringLiterals;
using client::ClientSession;
using client::Room;
using client::TimelineModel;

namespace {
QByteArray randomBytes(qsizetype size, quint32 seed)
{
    QByteArray bytes(size, Qt::Uninitialized);
    QRandomGenerator gen(seed);
    gen.fillRange(reinterpret_cast<quint32 *>(bytes.data()), size / 4);
    return bytes;
}

bool writeFile(const QString &path, const QByteArray &bytes)
{
    QFile f(path);
    return f.open(QIODevice::WriteOnly) && f.write(bytes) == bytes.size();
}

QByteArray readFile(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

// The file rows of a timeline (delivered, oldest first): their file objects.
QList<QVariantMap> fileRows(const TimelineModel *t)
{
    QList<QVariantMap> out;
    for (int row = t->rowCount() - 1; row >= t->pendingCount(); --row) {
        const QModelIndex i = t->index(row);
        if (t->data(i, TimelineModel::KindRole).toString() == u"file"_s)
            out.append(t->data(i, TimelineModel::FileRole).toMap());
    }
    return out;
}

QVariant pendingRole(const TimelineModel *t, int role)
{
    return t->pendingCount() > 0 ? t->data(t->index(0), role) : QVariant();
}
} // namespace

class TestClientFiles : public ServerTest
{
    Q_OBJECT

    QTemporaryDir m_files; // what the users attach

    QString localFile(const QString &name, const QByteArray &bytes)
    {
        const QString path = m_files.filePath(name);
        return writeFile(path, bytes) ? path : QString();
    }

    void startChat(Chat &chat)
    {
        testing::startChat(chat, m_server->url());
        if (chat.ra && chat.rb) {
            chat.ra->open();
            chat.rb->open();
        }
    }

    // Fetches a file into the session's cache; its bytes.
    static QByteArray download(ClientSession *s, const QString &fileId)
    {
        QSignalSpy fetched(s->files(), &client::FileCache::fetched);
        s->files()->fetch(fileId);
        if (!QTest::qWaitFor([&] { return !s->files()->localPath(fileId).isEmpty(); }, 15000))
            return {};
        return readFile(s->files()->localPath(fileId));
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_files.isValid());
        qputenv("CONFAB_NO_DESKTOP_OPEN", "1");
    }

    void cleanup() { stopServer(); }

    void attachUploadPostAndDownload()
    {
        startServer();
        Chat chat;
        startChat(chat);
        if (QTest::currentTestFailed())
            return;
        const QByteArray data = randomBytes(3 << 20, 1);
        const QString path = localFile(u"report data.bin"_s, data);
        QImage image(1600, 900, QImage::Format_RGB32);
        image.fill(QColor(30, 120, 200));
        const QString imagePath = m_files.filePath(u"screenshot.png"_s);
        QVERIFY(image.save(imagePath));

        QVERIFY(chat.ra->sendFile(QUrl::fromLocalFile(path).toString(), u"the numbers"_s));
        // At once a pending row of kind file, with the name and size it will have.
        QCOMPARE(chat.ra->timeline()->pendingCount(), 1);
        const QVariantMap pending =
            pendingRole(chat.ra->timeline(), TimelineModel::FileRole).toMap();
        QCOMPARE(pending.value(u"name"_s).toString(), u"report data.bin"_s);
        QCOMPARE(pending.value(u"size"_s).toLongLong(), data.size());
        QVERIFY(chat.ra->sendFile(imagePath));
        QVERIFY(chat.ra->sendText(u"both are up"_s));

        QTRY_COMPARE_WITH_TIMEOUT(chat.a->outboxCount(), 0, 20000);
        QTRY_COMPARE_WITH_TIMEOUT(fileRows(chat.rb->timeline()).size(), 2, 10000);
        // Each is posted when its upload is complete (the smaller image may come first).
        const QList<QVariantMap> files = fileRows(chat.rb->timeline());
        const bool binFirst = files[0].value(u"name"_s) == u"report data.bin"_s;
        const QVariantMap bin = files[binFirst ? 0 : 1];
        const QVariantMap png = files[binFirst ? 1 : 0];
        QCOMPARE(bin.value(u"name"_s).toString(), u"report data.bin"_s);
        QCOMPARE(bin.value(u"size"_s).toLongLong(), data.size());
        QCOMPARE(bin.value(u"image"_s).toBool(), false);
        QCOMPARE(png.value(u"mime"_s).toString(), u"image/png"_s);
        QCOMPARE(png.value(u"width"_s).toInt(), 1600);
        QCOMPARE(png.value(u"height"_s).toInt(), 900);
        QVERIFY(png.value(u"image"_s).toBool());
        QVERIFY(bodies(chat.rb->timeline()).contains(u"both are up"_s));

        // Bob's copy is alice's file, byte for byte; the thumbnail is a small image.
        QCOMPARE(download(chat.b, bin.value(u"id"_s).toString()), data);
        const QByteArray thumb = download(chat.b, png.value(u"thumb"_s).toString());
        const QImage t = QImage::fromData(thumb);
        QVERIFY(!t.isNull());
        QCOMPARE(std::max(t.width(), t.height()), 400);

        // Save goes to the named place (a second save of the same name does not
        // overwrite: downloadTarget picks another name).
        const QString target = m_files.filePath(u"saved.bin"_s);
        QSignalSpy saved(chat.b->files(), &client::FileCache::saved);
        QCOMPARE(chat.b->files()->save(bin.value(u"id"_s).toString(), u"x"_s, target), target);
        QTRY_COMPARE(saved.size(), 1);
        QCOMPARE(readFile(target), data);
        QSignalSpy opened(chat.b->files(), &client::FileCache::opened);
        chat.b->files()->open(bin.value(u"id"_s).toString(), u"report data.bin"_s);
        QTRY_COMPARE(opened.size(), 1);
        QVERIFY(opened[0][1].toString().endsWith(u"/report data.bin"_s));
        QCOMPARE(readFile(opened[0][1].toString()), data);

        // A stranger's guess of the id gets nothing.
        TestAccount carol(m_server->url(), u"carol"_s);
        ClientSession *c = online(carol);
        QVERIFY(c);
        QSignalSpy failed(c->files(), &client::FileCache::fetchFailed);
        c->files()->fetch(bin.value(u"id"_s).toString());
        QTRY_COMPARE(failed.size(), 1);
        QVERIFY(c->files()->localPath(bin.value(u"id"_s).toString()).isEmpty());
    }

    void uploadCutByServerAndAppRestartIsDeliveredOnce()
    {
        startServer();
        Chat chat;
        startChat(chat);
        if (QTest::currentTestFailed())
            return;
        const QByteArray data = randomBytes(96 << 20, 2);
        const QString path = localFile(u"big.bin"_s, data);
        QSignalSpy progress(chat.a->uploader(), &client::Uploader::progress);
        QVERIFY(chat.ra->sendFile(path));
        // Some of it is through: the server is frozen (the bytes in flight stay in the
        // socket buffers), then killed.
        QTRY_VERIFY_WITH_TIMEOUT(!progress.isEmpty() && progress.last()[1].toLongLong() > (4 << 20),
                                 20000);
        m_server->pause();
        const QString token = chat.a->connection()->auth().token;
        m_server->kill9();
        QTRY_VERIFY(!isOnline(chat.a));
        QCOMPARE(chat.a->outbox()->entries().size(), 1);
        const QString uploadId = chat.a->outbox()->entries()[0].uploadId;
        QVERIFY(protocol::isValidFileId(uploadId));

        // The app quits while the server is down, and starts again after it is back.
        chat.alice->stopSession();
        QVERIFY(m_server->start());
        const HttpReply status =
            httpWithToken(m_server->port(), "GET", "/uploads/" + uploadId.toLatin1(), token);
        QCOMPARE(status.status, 200);
        const qint64 held = qint64(status.json().value(u"offset"_s).toDouble());
        QVERIFY2(held > 0 && held < data.size(), qPrintable(QString::number(held)));

        chat.a = chat.alice->startSession();
        QVERIFY(chat.a);
        QCOMPARE(chat.a->outbox()->entries().size(), 1);
        QCOMPARE(chat.a->outbox()->entries()[0].uploadId, uploadId);
        QSignalSpy resumed(chat.a->uploader(), &client::Uploader::progress);
        chat.a->connectToServer();
        QTRY_COMPARE_WITH_TIMEOUT(chat.a->outboxCount(), 0, 60000);
        // It went on from where the server stood, not from 0.
        QVERIFY(!resumed.isEmpty());
        QVERIFY(resumed.first()[1].toLongLong() >= held);

        QTRY_COMPARE_WITH_TIMEOUT(fileRows(chat.rb->timeline()).size(), 1, 10000);
        QTest::qWait(500); // a duplicate would arrive now
        const QList<QVariantMap> files = fileRows(chat.rb->timeline());
        QCOMPARE(files.size(), 1);
        QCOMPARE(files[0].value(u"id"_s).toString(), uploadId);
        QCOMPARE(files[0].value(u"size"_s).toLongLong(), data.size());
        QCOMPARE(QCryptographicHash::hash(download(chat.b, uploadId), QCryptographicHash::Sha256),
                 QCryptographicHash::hash(data, QCryptographicHash::Sha256));
        QVERIFY(contiguous(chat.rb->timeline()->seqs()));
    }

    void changedFileIsRefusedAndCancelRemoves()
    {
        startServer();
        Chat chat;
        startChat(chat);
        if (QTest::currentTestFailed())
            return;
        QCOMPARE(m_server->terminate(), 0);
        QTRY_VERIFY(!isOnline(chat.a));
        const QString path = localFile(u"notes.txt"_s, "first version\n");
        QVERIFY(chat.ra->sendFile(path));
        const QString other = localFile(u"other.txt"_s, "not sent\n");
        QVERIFY(chat.ra->sendFile(other));
        QCOMPARE(chat.a->outboxCount(), 2);
        QVERIFY(writeFile(path, "second version, longer\n"));
        // Cancelled while it waits: gone from the outbox and the timeline.
        const QString otherId = chat.a->outbox()->entries()[1].clientMsgId;
        QVERIFY(chat.ra->cancelUpload(otherId));
        QCOMPARE(chat.a->outboxCount(), 1);
        QCOMPARE(chat.ra->timeline()->pendingCount(), 1);

        QVERIFY(m_server->start());
        QTRY_COMPARE_WITH_TIMEOUT(pendingRole(chat.ra->timeline(), TimelineModel::DeliveryRole)
                                      .value<TimelineModel::Delivery>(),
                                  TimelineModel::Delivery::Failed, 20000);
        QVERIFY(pendingRole(chat.ra->timeline(), TimelineModel::ErrorTextRole)
                    .toString()
                    .contains(u"changed"_s));
        // A missing file says so too, and neither holds back a message after it.
        QVERIFY(chat.ra->sendText(u"after the refused ones"_s));
        QTRY_VERIFY_WITH_TIMEOUT(bodies(chat.rb->timeline()).contains(u"after the refused ones"_s),
                                 10000);
        QVERIFY(fileRows(chat.rb->timeline()).isEmpty());
        QVERIFY(chat.ra->discard(chat.a->outbox()->entries()[0].clientMsgId));
        QCOMPARE(chat.a->outboxCount(), 0);
        QVERIFY(QFile::exists(path)); // the user's own file is never touched
    }

    void tooLargeFailsWithTheLimit()
    {
        startServer({u"--max-file-bytes"_s, u"1000"_s});
        Chat chat;
        startChat(chat);
        if (QTest::currentTestFailed())
            return;
        QVERIFY(chat.ra->sendFile(localFile(u"big.log"_s, QByteArray(5000, 'x'))));
        QVERIFY(chat.ra->sendText(u"text still goes"_s));
        QTRY_VERIFY_WITH_TIMEOUT(bodies(chat.rb->timeline()).contains(u"text still goes"_s), 10000);
        QTRY_COMPARE_WITH_TIMEOUT(pendingRole(chat.ra->timeline(), TimelineModel::DeliveryRole)
                                      .value<TimelineModel::Delivery>(),
                                  TimelineModel::Delivery::Failed, 10000);
        const QString error =
            pendingRole(chat.ra->timeline(), TimelineModel::ErrorTextRole).toString();
        QVERIFY2(error.contains(u"1000"_s) || error.contains(u"1,000"_s) ||
                     error.contains(u"KiB"_s) || error.contains(u"large"_s),
                 qPrintable(error));
        QVERIFY(!chat.ra->sendFile(m_files.filePath(u"no such file"_s)));
        QVERIFY(chat.a->actionErrorText().contains(u"no such file"_s));
    }

    void pastedImageIsTheOutboxsCopy()
    {
        startServer();
        Chat chat;
        startChat(chat);
        if (QTest::currentTestFailed())
            return;
        QImage image(320, 200, QImage::Format_ARGB32);
        image.fill(QColor(200, 40, 40, 128));
        QVERIFY(chat.ra->sendImage(image));
        QCOMPARE(chat.a->outbox()->entries().size(), 1);
        const QString copy = chat.a->outbox()->entries()[0].filePath;
        QVERIFY(copy.startsWith(chat.a->outboxFilesDir()));
        QVERIFY(QFile::exists(copy));
        QTRY_COMPARE_WITH_TIMEOUT(fileRows(chat.rb->timeline()).size(), 1, 15000);
        const QVariantMap f = fileRows(chat.rb->timeline())[0];
        QVERIFY(f.value(u"name"_s).toString().startsWith(u"Pasted image"_s));
        QCOMPARE(f.value(u"mime"_s).toString(), u"image/png"_s);
        QCOMPARE(f.value(u"width"_s).toInt(), 320);
        QTRY_VERIFY(!QFile::exists(copy)); // acked: the copy goes with the entry
    }

    void cacheStaysUnderItsSize()
    {
        startServer();
        Chat chat;
        startChat(chat);
        if (QTest::currentTestFailed())
            return;
        for (int i = 0; i < 4; ++i)
            QVERIFY(chat.ra->sendFile(
                localFile(u"part%1.bin"_s.arg(i), randomBytes(400 << 10, 10 + i))));
        QTRY_COMPARE_WITH_TIMEOUT(fileRows(chat.rb->timeline()).size(), 4, 20000);
        const QList<QVariantMap> files = fileRows(chat.rb->timeline());
        client::FileCache *cache = chat.b->files();
        cache->setMaxBytes(1300 << 10); // three of them
        for (int i = 0; i < 3; ++i) {
            QVERIFY(!download(chat.b, files[i].value(u"id"_s).toString()).isEmpty());
            QTest::qWait(20); // distinct use times
        }
        // Using the first again makes the second the least recently used one.
        QVERIFY(!cache->localPath(files[0].value(u"id"_s).toString()).isEmpty());
        QTest::qWait(20);
        QVERIFY(!download(chat.b, files[3].value(u"id"_s).toString()).isEmpty());
        QVERIFY(cache->usedBytes() <= cache->maxBytes());
        QVERIFY(cache->localPath(files[1].value(u"id"_s).toString()).isEmpty());
        QVERIFY(!cache->localPath(files[0].value(u"id"_s).toString()).isEmpty());
        QVERIFY(!cache->localPath(files[3].value(u"id"_s).toString()).isEmpty());
        // The order survives a restart of the app (the cache is read from disk).
        const qint64 used = cache->usedBytes();
        chat.bob->stopSession();
        chat.b = chat.bob->startSession();
        QVERIFY(chat.b);
        QCOMPARE(chat.b->files()->usedBytes(), used);
    }
};

QTEST_GUILESS_MAIN(TestClientFiles)
#include "tst_client_files.moc"
