// TimelineModel under QAbstractItemModelTester: pending rows replaced in place, live rows
// inserted one at a time, older pages at the far end, edits/deletes/reactions on their
// target, replies, day boundaries, grouping and the read marker.
#include "models/timelinemodel.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QTest>
#include <memory>

using namespace confab;
using namespace confab::client;
using namespace Qt::StringLiterals;
using Tester = QAbstractItemModelTester;

namespace {
constexpr qint64 kDay0 = 1767225600000; // 2026-01-01 00:00 UTC

protocol::Event ev(qint64 seq, const QString &from = u"bob"_s, const QString &body = {},
                   qint64 ts = 0)
{
    protocol::Event e;
    e.room = u"general"_s;
    e.seq = seq;
    e.ts = ts ? ts : kDay0 + 12 * 3600 * 1000 + seq * 1000;
    e.from = from;
    e.body = body.isEmpty() ? u"m%1"_s.arg(seq) : body;
    return e;
}

protocol::Event annotation(qint64 seq, protocol::EventKind kind, qint64 target,
                           const QString &from = u"bob"_s)
{
    protocol::Event e = ev(seq, from);
    e.kind = kind;
    e.target = target;
    return e;
}

OutboxEntry pending(qint64 ordinal, const QString &body)
{
    OutboxEntry e;
    e.ordinal = ordinal;
    e.clientMsgId = u"cm-%1"_s.arg(ordinal);
    e.room = u"general"_s;
    e.body = body;
    e.createdMs = kDay0 + 13 * 3600 * 1000;
    return e;
}

QVariant at(const TimelineModel &m, int row, int role)
{
    return m.data(m.index(row), role);
}
} // namespace

class TestClientTimeline : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<TimelineModel> m_model;
    std::unique_ptr<Tester> m_tester;

private slots:
    void init()
    {
        m_model = std::make_unique<TimelineModel>(
            u"alice"_s, [](const QString &u) { return u == u"bob"_s ? u"Bob"_s : u; });
        m_tester = std::make_unique<Tester>(m_model.get(), Tester::FailureReportingMode::QtTest);
    }
    void cleanup()
    {
        m_tester.reset();
        m_model.reset();
    }

    void liveEventsAreSingleInserts()
    {
        QSignalSpy inserted(m_model.get(), &QAbstractItemModel::rowsInserted);
        QSignalSpy reset(m_model.get(), &QAbstractItemModel::modelReset);
        for (qint64 s = 1; s <= 5; ++s)
            m_model->appendEvents({ev(s)});
        QCOMPARE(inserted.size(), 5);
        QCOMPARE(reset.size(), 0);
        QCOMPARE(m_model->rowCount(), 5);
        QCOMPARE(at(*m_model, 0, TimelineModel::SeqRole).toLongLong(), 5); // newest first
        QCOMPARE(at(*m_model, 0, TimelineModel::SenderNameRole).toString(), u"Bob"_s);
        // A duplicate (replay overlap) changes nothing.
        m_model->appendEvents({ev(5)});
        QCOMPARE(m_model->rowCount(), 5);
    }

    void pendingRowBecomesTheEventInPlace_data()
    {
        QTest::addColumn<int>("confirm"); // which pending (by ordinal) the server stores first
        QTest::addRow("oldest first") << 1;
        QTest::addRow("a later one first") << 3;
    }

    void pendingRowBecomesTheEventInPlace()
    {
        QFETCH(int, confirm);
        m_model->appendEvents({ev(1), ev(2)});
        for (int i = 1; i <= 3; ++i)
            m_model->addPending(pending(i, u"p%1"_s.arg(i)));
        QCOMPARE(m_model->rowCount(), 5);
        QCOMPARE(m_model->pendingCount(), 3);
        QCOMPARE(at(*m_model, 0, TimelineModel::BodyRole).toString(), u"p3"_s);
        QCOMPARE(at(*m_model, 0, TimelineModel::DeliveryRole).value<TimelineModel::Delivery>(),
                 TimelineModel::Delivery::Pending);
        QSignalSpy inserted(m_model.get(), &QAbstractItemModel::rowsInserted);
        QSignalSpy removed(m_model.get(), &QAbstractItemModel::rowsRemoved);
        protocol::Event mine = ev(3, u"alice"_s, u"p%1"_s.arg(confirm));
        mine.clientMsgId = u"cm-%1"_s.arg(confirm);
        m_model->appendEvents({mine});
        // One row for one message, all the way through.
        QCOMPARE(inserted.size(), 0);
        QCOMPARE(removed.size(), 0);
        QCOMPARE(m_model->rowCount(), 5);
        QCOMPARE(m_model->pendingCount(), 2);
        const int row = m_model->rowOfSeq(3);
        QCOMPARE(row, 2);
        QCOMPARE(at(*m_model, row, TimelineModel::BodyRole).toString(), u"p%1"_s.arg(confirm));
        QCOMPARE(at(*m_model, row, TimelineModel::DeliveryRole).value<TimelineModel::Delivery>(),
                 TimelineModel::Delivery::Delivered);
        QCOMPARE(at(*m_model, row, TimelineModel::MineRole).toBool(), true);
    }

    void failedRowsShowTheirReason()
    {
        OutboxEntry p = pending(1, u"too big"_s);
        m_model->addPending(p);
        p.state = OutboxEntry::State::Failed;
        p.errorText = u"too large"_s;
        m_model->updatePending(p);
        QCOMPARE(at(*m_model, 0, TimelineModel::DeliveryRole).value<TimelineModel::Delivery>(),
                 TimelineModel::Delivery::Failed);
        QCOMPARE(at(*m_model, 0, TimelineModel::ErrorTextRole).toString(), u"too large"_s);
        m_model->removePending(p.clientMsgId);
        QCOMPARE(m_model->rowCount(), 0);
    }

    void olderPagesGoToTheFarEnd()
    {
        m_model->appendEvents({ev(101), ev(102)});
        QSignalSpy inserted(m_model.get(), &QAbstractItemModel::rowsInserted);
        QList<protocol::Event> page;
        for (qint64 s = 51; s <= 100; ++s)
            page.append(ev(s));
        m_model->prependEvents(page, false);
        QCOMPARE(inserted.size(), 1);
        QCOMPARE(inserted[0][1].toInt(), 2);
        QCOMPARE(inserted[0][2].toInt(), 51);
        QCOMPARE(m_model->rowCount(), 52);
        QCOMPARE(m_model->oldestSeq(), 51);
        QVERIFY(!m_model->atBeginning());
        m_model->prependEvents({ev(50)}, true);
        QVERIFY(m_model->atBeginning());
        QVERIFY(!m_model->canFetchMore({}));
    }

    void editsDeletesReactionsChangeTheirTarget()
    {
        m_model->appendEvents({ev(1, u"bob"_s, u"first"_s), ev(2, u"bob"_s, u"second"_s)});
        QSignalSpy changed(m_model.get(), &QAbstractItemModel::dataChanged);
        protocol::Event edit = annotation(3, protocol::EventKind::Edit, 1);
        edit.body = u"first, **fixed**"_s;
        m_model->appendEvents({edit});
        QCOMPARE(m_model->rowCount(), 2); // not a row of its own
        QVERIFY(!changed.isEmpty());
        const int row1 = m_model->rowOfSeq(1);
        QCOMPARE(at(*m_model, row1, TimelineModel::BodyRole).toString(), u"first, **fixed**"_s);
        QVERIFY(at(*m_model, row1, TimelineModel::HtmlRole).toString().contains(u"<strong>"_s));
        QVERIFY(at(*m_model, row1, TimelineModel::EditedRole).toBool());
        for (const auto &[seq, from, removed] :
             {std::tuple{4, u"bob"_s, false}, std::tuple{5, u"alice"_s, false},
              std::tuple{6, u"carol"_s, false}, std::tuple{7, u"carol"_s, true}}) {
            protocol::Event r = annotation(seq, protocol::EventKind::React, 2, from);
            r.emoji = u"👍"_s;
            r.removed = removed;
            m_model->appendEvents({r});
        }
        const QVariantList reactions =
            at(*m_model, m_model->rowOfSeq(2), TimelineModel::ReactionsRole).toList();
        QCOMPARE(reactions.size(), 1);
        const QVariantMap thumbs = reactions[0].toMap();
        QCOMPARE(thumbs[u"emoji"_s].toString(), u"👍"_s);
        QCOMPARE(thumbs[u"count"_s].toInt(), 2);
        QCOMPARE(thumbs[u"you"_s].toBool(), true);
        m_model->appendEvents({annotation(8, protocol::EventKind::Delete, 2)});
        QVERIFY(at(*m_model, m_model->rowOfSeq(2), TimelineModel::DeletedRole).toBool());
        QCOMPARE(at(*m_model, m_model->rowOfSeq(2), TimelineModel::BodyRole).toString(), QString());
    }

    void ownChangesShowWhileQueued()
    {
        m_model->appendEvents({ev(1, u"alice"_s, u"tpyo"_s), ev(2, u"bob"_s, u"hi"_s)});
        OutboxEntry edit = pending(10, u"typo"_s);
        edit.kind = protocol::EventKind::Edit;
        edit.target = 1;
        OutboxEntry react = pending(11, QString());
        react.kind = protocol::EventKind::React;
        react.target = 2;
        react.emoji = u"🎉"_s;
        m_model->addPending(edit);
        m_model->addPending(react);
        QCOMPARE(m_model->rowCount(), 2); // changes are not rows
        const int row1 = m_model->rowOfSeq(1), row2 = m_model->rowOfSeq(2);
        QCOMPARE(at(*m_model, row1, TimelineModel::BodyRole).toString(), u"typo"_s);
        QVERIFY(at(*m_model, row1, TimelineModel::EditedRole).toBool());
        QVERIFY(at(*m_model, row1, TimelineModel::PendingChangeRole).toBool());
        const QVariantList reactions = at(*m_model, row2, TimelineModel::ReactionsRole).toList();
        QCOMPARE(reactions.size(), 1);
        QCOMPARE(reactions[0].toMap()[u"you"_s].toBool(), true);
        // Refused: the row shows the server's state again and says what failed.
        react.state = OutboxEntry::State::Failed;
        react.errorText = u"slow down"_s;
        m_model->updatePending(react);
        QCOMPARE(at(*m_model, row2, TimelineModel::ReactionsRole).toList().size(), 0);
        const QVariantList failed = at(*m_model, row2, TimelineModel::FailedChangesRole).toList();
        QCOMPARE(failed.size(), 1);
        QCOMPARE(failed[0].toMap()[u"errorText"_s].toString(), u"slow down"_s);
        m_model->removePending(react.clientMsgId); // discarded
        QCOMPARE(at(*m_model, row2, TimelineModel::FailedChangesRole).toList().size(), 0);
        // The server's edit with the same client_msg_id takes over.
        protocol::Event stored = annotation(3, protocol::EventKind::Edit, 1, u"alice"_s);
        stored.body = u"typo"_s;
        stored.clientMsgId = edit.clientMsgId;
        m_model->appendEvents({stored});
        QVERIFY(!at(*m_model, row1, TimelineModel::PendingChangeRole).toBool());
        QCOMPARE(at(*m_model, row1, TimelineModel::BodyRole).toString(), u"typo"_s);
        QVERIFY(at(*m_model, row1, TimelineModel::HtmlRole).toString().contains(u"typo"_s));
    }

    void annotationsWaitForTargetsPagedInLater()
    {
        protocol::Event edit = annotation(20, protocol::EventKind::Edit, 5);
        edit.body = u"edited before we saw it"_s;
        m_model->appendEvents({ev(19), edit, ev(21)});
        m_model->prependEvents({ev(5), ev(6)}, false);
        QCOMPARE(at(*m_model, m_model->rowOfSeq(5), TimelineModel::BodyRole).toString(),
                 u"edited before we saw it"_s);
    }

    void repliesQuoteTheirTarget()
    {
        protocol::Event reply = ev(2, u"alice"_s, u"yes"_s);
        reply.replyTo = 1;
        m_model->appendEvents({ev(1, u"bob"_s, u"lunch **now**?"_s), reply});
        QCOMPARE(at(*m_model, 0, TimelineModel::ReplyToRole).toLongLong(), 1);
        QCOMPARE(at(*m_model, 0, TimelineModel::ReplySenderRole).toString(), u"Bob"_s);
        QCOMPARE(at(*m_model, 0, TimelineModel::ReplyBodyRole).toString(), u"lunch now?"_s);
    }

    void dayBoundariesAndGrouping()
    {
        const qint64 noon = kDay0 + 12 * 3600 * 1000;
        const qint64 nextDay = kDay0 + 36 * 3600 * 1000;
        m_model->appendEvents({ev(1, u"bob"_s, {}, noon), ev(2, u"bob"_s, {}, noon + 60000),
                               ev(3, u"alice"_s, {}, noon + 120000),
                               ev(4, u"alice"_s, {}, nextDay)});
        // rows: 0 = seq 4, 1 = seq 3, 2 = seq 2, 3 = seq 1
        QCOMPARE(at(*m_model, 3, TimelineModel::ShowDayRole).toBool(), true);
        QCOMPARE(at(*m_model, 2, TimelineModel::ShowDayRole).toBool(), false);
        QCOMPARE(at(*m_model, 0, TimelineModel::ShowDayRole).toBool(), true);
        QCOMPARE(at(*m_model, 2, TimelineModel::GroupedRole).toBool(), true);  // bob after bob
        QCOMPARE(at(*m_model, 1, TimelineModel::GroupedRole).toBool(), false); // alice after bob
        QCOMPARE(at(*m_model, 0, TimelineModel::GroupedRole).toBool(), false); // another day
    }

    void readMarkerMoves()
    {
        m_model->appendEvents({ev(1), ev(2), ev(3), ev(4)});
        m_model->setReadSeq(2);
        QCOMPARE(at(*m_model, m_model->rowOfSeq(2), TimelineModel::ReadMarkerRole).toBool(), true);
        QCOMPARE(at(*m_model, m_model->rowOfSeq(3), TimelineModel::ReadMarkerRole).toBool(), false);
        QSignalSpy changed(m_model.get(), &QAbstractItemModel::dataChanged);
        m_model->setReadSeq(4);
        QCOMPARE(changed.size(), 2); // the old marker row and the new one
        // Read up to the newest row: no marker to show.
        QCOMPARE(at(*m_model, 0, TimelineModel::ReadMarkerRole).toBool(), false);
        m_model->setReadSeq(3); // never backwards
        QCOMPARE(m_model->readSeq(), 4);
    }
};

QTEST_GUILESS_MAIN(TestClientTimeline)
#include "tst_client_timeline.moc"
