// Markdown to safe HTML, and what counts as a mention.
#include "session/mentions.h"
#include "text/markdown.h"

#include <QTest>

using namespace confab::client;
using namespace Qt::StringLiterals;

class TestClientText : public QObject
{
    Q_OBJECT

private slots:
    void markdown_data()
    {
        QTest::addColumn<QString>("markdown");
        QTest::addColumn<QString>("contains");
        QTest::addColumn<QString>("absent");
        QTest::addRow("bold") << u"hello **team**"_s << u"<strong>team</strong>"_s << u"**"_s;
        QTest::addRow("code") << u"run `make`"_s << u"<code>make</code>"_s << u"`"_s;
        QTest::addRow("strike") << u"~~old~~ new"_s << u"<del>old</del>"_s << u"~~"_s;
        QTest::addRow("autolink") << u"see https://example.org/x"_s
                                  << u"<a href=\"https://example.org/x\">"_s << u"<script"_s;
        QTest::addRow("raw html dropped")
            << u"hi\n\n<script>alert(1)</script>"_s << u"hi"_s << u"<script"_s;
        QTest::addRow("inline html dropped")
            << u"a <img src=x onerror=alert(1)> b"_s << u"a"_s << u"onerror"_s;
        QTest::addRow("javascript link dropped")
            << u"[x](javascript:alert(1))"_s << u"<a"_s << u"javascript:"_s;
        QTest::addRow("line breaks") << u"one\ntwo"_s << u"<br />"_s << u"<script"_s;
        QTest::addRow("escaped") << u"1 < 2 & 3"_s << u"1 &lt; 2 &amp; 3"_s << u"< 2"_s;
    }

    void markdown()
    {
        QFETCH(QString, markdown);
        QFETCH(QString, contains);
        QFETCH(QString, absent);
        const QString html = markdownToHtml(markdown);
        QVERIFY2(html.contains(contains), qPrintable(html));
        QVERIFY2(!html.contains(absent), qPrintable(html));
    }

    void plainText() { QCOMPARE(markdownToPlain(u"hello **team**"_s), u"hello team"_s); }

    void mentions_data()
    {
        QTest::addColumn<QString>("body");
        QTest::addColumn<bool>("mentioned");
        QTest::addRow("at name") << u"@alice look"_s << true;
        QTest::addRow("bare name") << u"thanks alice."_s << true;
        QTest::addRow("case") << u"ALICE?"_s << true;
        QTest::addRow("display name") << u"Alice Smith: see this"_s << true;
        QTest::addRow("room") << u"@room standup"_s << true;
        QTest::addRow("all") << u"hey @all"_s << true;
        QTest::addRow("inside a word") << u"malice"_s << false;
        QTest::addRow("longer name") << u"alice2 is here"_s << false;
        QTest::addRow("nobody") << u"hello team"_s << false;
        QTest::addRow("roomy") << u"@roomy"_s << false;
    }

    void mentions()
    {
        QFETCH(QString, body);
        QFETCH(bool, mentioned);
        QCOMPARE(mentionsUser(body, u"alice"_s, u"Alice Smith"_s), mentioned);
    }
};

QTEST_GUILESS_MAIN(TestClientText)
#include "tst_client_text.moc"
