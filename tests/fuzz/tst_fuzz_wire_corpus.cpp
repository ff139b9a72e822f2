// Replays the frame and HTTP head fuzzers' corpora (tests/fuzz/corpus-frames and
// corpus-http: seeds and crash reproducers) through the fuzz targets' checks, so every
// build runs them without libFuzzer.
//
// File name prefixes state what each input is meant to be:
//   corpus-frames: ok-*        parses without an error, at least one message
//                  errNNNN-*   fails with close code NNNN (1002, 1007, 1009)
//   corpus-http:   req-*       a complete request head      part-*  an incomplete one
//                  bad-*       a malformed head (400)       big-*   over the cap (431)
//                  resp-*      a 101 the client accepts     respbad-* one it refuses
//   both:          found-*     inputs a fuzzer found that reach code the seeds do not
//                  crash-*     reproducers of what a fuzzer caught
//                              (for both, the checks only)
// The first byte of a frames input picks the parser (see wirechecks.h).
#include "wire/websocket.h"
#include "wirechecks.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QTest>

using namespace confab;
using namespace Qt::StringLiterals;

namespace {

QString corpusDir(const QString &name)
{
    return QStringLiteral(CONFAB_FUZZ_SOURCE_DIR) + u'/' + name;
}

QStringList files(const QString &name)
{
    return QDir(corpusDir(name)).entryList(QDir::Files, QDir::Name);
}

std::optional<wire::FrameParser> parsed(const QByteArray &input, qsizetype *messages)
{
    if (input.isEmpty())
        return std::nullopt;
    const auto role =
        input[0] & 1 ? wire::FrameParser::Role::Client : wire::FrameParser::Role::Server;
    wire::FrameParser parser(role, fuzz::kFrameLimits[(input[0] >> 1) & 3]);
    parser.feed(QByteArrayView(input).sliced(1));
    *messages = 0;
    while (parser.next())
        ++*messages;
    return parser;
}

} // namespace

class TestFuzzWireCorpus : public QObject
{
    Q_OBJECT

private slots:
    void corporaAreThere_data();
    void corporaAreThere();
    void replay_data();
    void replay();
};

void TestFuzzWireCorpus::corporaAreThere_data()
{
    QTest::addColumn<QString>("corpus");
    QTest::addColumn<QStringList>("prefixes");
    QTest::addRow("frames") << u"corpus-frames"_s
                            << QStringList{u"ok-"_s, u"err1002-"_s, u"err1007-"_s, u"err1009-"_s};
    QTest::addRow("http") << u"corpus-http"_s << QStringList{u"req-"_s, u"part-"_s, u"bad-"_s,
                                                             u"big-"_s, u"resp-"_s, u"respbad-"_s};
}

void TestFuzzWireCorpus::corporaAreThere()
{
    QFETCH(QString, corpus);
    QFETCH(QStringList, prefixes);
    const QStringList all = files(corpus);
    QVERIFY2(all.size() >= 20, qPrintable(u"only %1 files in "_s.arg(all.size()) + corpus));
    for (const QString &prefix : std::as_const(prefixes)) {
        QVERIFY2(std::any_of(all.cbegin(), all.cend(),
                             [&](const QString &f) { return f.startsWith(prefix); }),
                 qPrintable(prefix));
    }
}

void TestFuzzWireCorpus::replay_data()
{
    QTest::addColumn<bool>("frames");
    QTest::addColumn<QString>("path");
    for (const bool frames : {true, false}) {
        const QString corpus = frames ? u"corpus-frames"_s : u"corpus-http"_s;
        for (const QString &file : files(corpus))
            QTest::addRow("%s/%s", qPrintable(corpus), qPrintable(file))
                << frames << QDir(corpusDir(corpus)).filePath(file);
    }
}

void TestFuzzWireCorpus::replay()
{
    QFETCH(bool, frames);
    QFETCH(QString, path);
    QFile file(path);
    QVERIFY2(file.open(QIODevice::ReadOnly), qPrintable(file.errorString()));
    const QByteArray data = file.readAll();
    const auto *bytes = reinterpret_cast<const std::uint8_t *>(data.constData());
    const QString failure = frames ? fuzz::checkFrameInput(bytes, std::size_t(data.size()))
                                   : fuzz::checkHttpInput(bytes, std::size_t(data.size()));
    QVERIFY2(failure.isEmpty(), qPrintable(failure));

    const QString name = QFileInfo(path).fileName();
    if (frames) {
        qsizetype messages = 0;
        const auto parser = parsed(data, &messages);
        QVERIFY(parser);
        if (name.startsWith("ok-"_L1)) {
            QCOMPARE(parser->error(), quint16(0));
            QVERIFY(messages > 0);
        } else if (name.startsWith("err"_L1)) {
            QCOMPARE(QString::number(parser->error()), name.mid(3, 4));
        }
        return;
    }
    wire::HttpRequest request;
    const qsizetype verdict = wire::parseHttpRequest(data, &request);
    QString error;
    const qsizetype response = wire::parseHandshakeResponse(
        data, "dGhlIHNhbXBsZSBub25jZQ==", "chat, confab.v1", nullptr, &error);
    if (name.startsWith("req-"_L1))
        QVERIFY(verdict > 0);
    else if (name.startsWith("part-"_L1))
        QCOMPARE(verdict, wire::kHttpIncomplete);
    else if (name.startsWith("bad-"_L1))
        QCOMPARE(verdict, wire::kHttpMalformed);
    else if (name.startsWith("big-"_L1))
        QCOMPARE(verdict, wire::kHttpTooLarge);
    else if (name.startsWith("respbad-"_L1))
        QCOMPARE(response, qsizetype(-1));
    else if (name.startsWith("resp-"_L1))
        QVERIFY2(response > 0, qPrintable(error));
}

QTEST_GUILESS_MAIN(TestFuzzWireCorpus)
#include "tst_fuzz_wire_corpus.moc"
