// Replays the decoder fuzzer's seed corpus and crash reproducers (tests/fuzz/corpus)
// through the fuzz target's checks, so every build runs them without libFuzzer.
//
// File name prefixes state what each seed is meant to be:
//   client-*  decodes as a client message      server-*  decodes as a server message
//   bad-*     rejected by both decoders         crash-*   found by the fuzzer; checks only
#include "fuzz_decoder.h"

#include "protocol/codec.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QTest>
#include <algorithm>

using namespace confab::protocol;
using namespace Qt::StringLiterals;

class TestFuzzCorpus : public QObject
{
    Q_OBJECT

private slots:
    void corpusIsThere();
    void replay_data();
    void replay();

private:
    static QStringList corpusFiles();
};

QStringList TestFuzzCorpus::corpusFiles()
{
    return QDir(QStringLiteral(CONFAB_FUZZ_CORPUS_DIR)).entryList(QDir::Files, QDir::Name);
}

void TestFuzzCorpus::corpusIsThere()
{
    const QStringList files = corpusFiles();
    QVERIFY2(files.size() >= 50, qPrintable(u"only %1 files in "_s.arg(files.size()) +
                                            QStringLiteral(CONFAB_FUZZ_CORPUS_DIR)));
    for (const char *prefix : {"client-", "server-", "bad-"}) {
        QVERIFY2(std::any_of(files.cbegin(), files.cend(),
                             [&](const QString &f) { return f.startsWith(QLatin1String(prefix)); }),
                 prefix);
    }
}

void TestFuzzCorpus::replay_data()
{
    QTest::addColumn<QString>("path");
    const QDir dir(QStringLiteral(CONFAB_FUZZ_CORPUS_DIR));
    for (const QString &file : corpusFiles())
        QTest::addRow("%s", qPrintable(file)) << dir.filePath(file);
}

void TestFuzzCorpus::replay()
{
    QFETCH(QString, path);
    QFile file(path);
    QVERIFY2(file.open(QIODevice::ReadOnly), qPrintable(file.errorString()));
    const QByteArray data = file.readAll();

    const QString failure = confab::fuzz::checkDecoderInput(
        reinterpret_cast<const std::uint8_t *>(data.constData()), std::size_t(data.size()));
    QVERIFY2(failure.isEmpty(), qPrintable(failure));

    const QString name = QFileInfo(path).fileName();
    const ClientDecodeResult client = decodeClientMessage(data);
    const ServerDecodeResult server = decodeServerMessage(data);
    if (name.startsWith("client-"_L1))
        QVERIFY2(client.ok(), qPrintable(client.error.message));
    else if (name.startsWith("server-"_L1))
        QVERIFY2(server.ok(), qPrintable(server.error.message));
    else if (name.startsWith("bad-"_L1))
        QVERIFY2(!client.ok() && !server.ok(), "a bad-* seed decodes");
}

QTEST_GUILESS_MAIN(TestFuzzCorpus)
#include "tst_fuzz_corpus.moc"
