// The search index's migration on a store that already holds events: the backfill runs in
// batches on the real writer while new edits and deletes arrive, and leaves exactly the
// current text of each message in the index (SQLite FTS5; the _pg variant: tsvector).
#include "store/database.h"
#include "store/reader.h"
#include "store/writer.h"
#include "tst_store_support.h"

#include <QDir>
#include <QFileInfo>
#include <QRegularExpression>
#include <QSemaphore>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace confab::server;
using confab::protocol::Event;
using confab::protocol::EventKind;
using confab::testing::SideConnection;
using confab::testing::StoreFixture;

namespace {

Event edit(qint64 seq, qint64 target, const QString &body)
{
    Event e;
    e.room = u"general"_s;
    e.seq = seq;
    e.ts = 1000 * seq;
    e.from = u"alice"_s;
    e.kind = EventKind::Edit;
    e.target = target;
    e.body = body;
    return e;
}

// Runs op on the writer and waits for it; its status.
WriteStatus run(StoreWriter &writer, WriteOp op)
{
    QSemaphore done;
    WriteStatus status = WriteStatus::Failed;
    writer.enqueue(std::move(op), [&](WriteStatus s) {
        status = s;
        done.release();
    });
    done.acquire();
    return status;
}

} // namespace

class TestStoreSearch : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<StoreFixture> m_store;

    QList<qint64> found(const StoreReader &reader, const QString &text, bool *indexing = nullptr)
    {
        const auto parsed = confab::search::parseQuery(text, 0);
        const auto *query = std::get_if<confab::search::Query>(&parsed);
        if (!query)
            return {-1};
        SearchPlan plan;
        plan.query = *query;
        plan.user = u"alice"_s;
        plan.rooms = {u"general"_s};
        QString error;
        const SearchOutcome out = reader.search(plan, 5000, &error);
        if (!error.isEmpty())
            qWarning().noquote() << error;
        if (indexing)
            *indexing = out.indexing;
        QList<qint64> seqs;
        for (const auto &h : out.hits)
            seqs.append(h.seq);
        return seqs;
    }

private slots:
    void init()
    {
        QTest::failOnWarning(QRegularExpression(u"QSql"_s));
        m_store = std::make_unique<StoreFixture>();
        QVERIFY2(m_store->isValid(), qPrintable(m_store->error()));
    }
    void cleanup() { m_store.reset(); }

    void migrationIndexesAnExistingStore()
    {
        QString error;
        if (!m_store->isPostgres())
            QVERIFY(QDir().mkpath(QFileInfo(m_store->config().path).absolutePath()));
        {
            const QString name = Database::uniqueConnectionName(u"v6"_s);
            QVERIFY2(Database::open(m_store->config(), name, &error), qPrintable(error));
            QVERIFY2(Database::migrate(QSqlDatabase::database(name, false), 6, &error),
                     qPrintable(error));
            Database::close(name);
        }
        {
            SideConnection side(m_store->config());
            const QStringList rows = {
                u"(1, 'join', '', NULL, NULL)"_s,
                u"(2, 'text', 'alpha report', NULL, NULL)"_s,
                u"(3, 'text', 'beta tpyo', NULL, NULL)"_s,
                u"(4, 'edit', 'beta fixed', 3, NULL)"_s,
                u"(5, 'text', 'gamma soon gone', NULL, NULL)"_s,
                u"(6, 'delete', '', 5, NULL)"_s,
                u"(7, 'text', 'alpha again', NULL, NULL)"_s,
                u"(8, 'file', '', NULL, 'f0000000000000000000000000000001')"_s,
                u"(9, 'react', '', 2, NULL)"_s,
            };
            QVERIFY2(side.exec(u"INSERT INTO rooms (id, name, kind, created_at)"
                               " VALUES ('general', 'general', 'channel', 1)"_s),
                     qPrintable(side.error()));
            QVERIFY2(side.exec(u"INSERT INTO files (id, sha256, size, mime, name, uploader,"
                               " created_at, posted) VALUES ('f0000000000000000000000000000001',"
                               " 'ab', 3, 'application/pdf', 'q3-report.pdf', 'alice', 1, 1)"_s),
                     qPrintable(side.error()));
            for (const QString &row : rows) {
                QVERIFY2(side.exec(u"INSERT INTO events (room, ts, sender, seq, kind, body,"
                                   " target, file_id) VALUES ('general', 1, 'alice', %1)"_s.arg(
                                       row.mid(1, row.size() - 2))),
                         qPrintable(side.error()));
            }
        }
        QVERIFY2(Database::initialize(m_store->config(), nullptr, &error), qPrintable(error));
        StoreReader reader(m_store->config());
        QCOMPARE(reader.searchIndexComplete(&error), std::optional<bool>(false));
        bool indexing = false;
        QCOMPARE(found(reader, u"alpha"_s, &indexing), QList<qint64>{});
        QVERIFY(indexing);

        StoreWriter writer(m_store->config());
        QVERIFY2(writer.start(&error), qPrintable(error));
        auto progress = std::make_shared<SearchBackfill>();
        QCOMPARE(run(writer, IndexSearchBatch{3, progress}), WriteStatus::Committed);
        QVERIFY(!progress->complete);
        // Edits while the backfill runs: of a message it did index, and of one it did not
        // reach yet; a delete of one it indexed.
        QCOMPARE(run(writer, AppendEvent{edit(10, 2, u"delta report"_s)}), WriteStatus::Committed);
        QCOMPARE(run(writer, AppendEvent{edit(11, 7, u"epsilon again"_s)}), WriteStatus::Committed);
        int batches = 1;
        while (!progress->complete && batches < 20) {
            QCOMPARE(run(writer, IndexSearchBatch{3, progress}), WriteStatus::Committed);
            ++batches;
        }
        QVERIFY(progress->complete);
        QVERIFY(batches > 2);
        QCOMPARE(reader.searchIndexComplete(&error), std::optional<bool>(true));
        // Idempotent once complete.
        QCOMPARE(run(writer, IndexSearchBatch{3, progress}), WriteStatus::Committed);
        QVERIFY(progress->complete);

        QCOMPARE(found(reader, u"alpha"_s, &indexing), QList<qint64>{});
        QVERIFY(!indexing);
        QCOMPARE(found(reader, u"delta"_s), QList<qint64>{2});
        QCOMPARE(found(reader, u"epsilon"_s), QList<qint64>{7});
        QCOMPARE(found(reader, u"beta"_s), QList<qint64>{3});
        QCOMPARE(found(reader, u"tpyo"_s), QList<qint64>{});
        QCOMPARE(found(reader, u"gamma"_s), QList<qint64>{});
        QCOMPARE(found(reader, u"report"_s), (QList<qint64>{2, 8}));
        // And it stays right for what comes after.
        Event del;
        del.room = u"general"_s;
        del.seq = 12;
        del.ts = 12000;
        del.from = u"alice"_s;
        del.kind = EventKind::Delete;
        del.target = 2;
        QCOMPARE(run(writer, AppendEvent{del}), WriteStatus::Committed);
        QCOMPARE(found(reader, u"report"_s), QList<qint64>{8});
        writer.stop();
    }
};

QTEST_MAIN(TestStoreSearch)
#include "tst_store_search.moc"
