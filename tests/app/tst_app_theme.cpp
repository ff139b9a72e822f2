// Light and dark following the system: the app's Theme reads the freedesktop appearance
// portal (org.freedesktop.portal.Settings, color-scheme) and follows its changes. On a
// private session bus (dbus-run-session) where the test plays the portal.
#include "app/theme.h"

#include <QDBusConnection>
#include <QDBusMessage>
#include <QDBusVariant>
#include <QSignalSpy>
#include <QTest>

using namespace Qt::StringLiterals;

namespace {
const QString kPath = u"/org/freedesktop/portal/desktop"_s;
const QString kInterface = u"org.freedesktop.portal.Settings"_s;
} // namespace

// The portal's Settings interface with one setting, color-scheme (0 none, 1 dark, 2 light).
class FakePortal : public QObject
{
    Q_OBJECT
    Q_CLASSINFO("D-Bus Interface", "org.freedesktop.portal.Settings")

public:
    uint scheme = 0;

    // A connection of its own, as a real portal is another process.
    static QDBusConnection bus()
    {
        return QDBusConnection::connectToBus(QDBusConnection::SessionBus, u"portal"_s);
    }

    void change(uint value)
    {
        scheme = value;
        QDBusMessage signal = QDBusMessage::createSignal(kPath, kInterface, u"SettingChanged"_s);
        signal << u"org.freedesktop.appearance"_s << u"color-scheme"_s
               << QVariant::fromValue(QDBusVariant(value));
        bus().send(signal);
    }

public slots:
    // The real portal wraps the value twice (a variant in the variant).
    QDBusVariant Read(const QString &ns, const QString &key)
    {
        if (ns != u"org.freedesktop.appearance"_s || key != u"color-scheme"_s)
            return QDBusVariant(QVariant());
        return QDBusVariant(QVariant::fromValue(QDBusVariant(scheme)));
    }
};

class TestAppTheme : public QObject
{
    Q_OBJECT

    FakePortal m_portal;

private slots:
    void initTestCase()
    {
        if (qEnvironmentVariable("CONFAB_PRIVATE_BUS") != u"1"_s)
            QSKIP("runs only on a private session bus (ctest runs it under dbus-run-session)");
        QVERIFY(
            FakePortal::bus().registerObject(kPath, &m_portal, QDBusConnection::ExportAllSlots));
        QVERIFY(FakePortal::bus().registerService(u"org.freedesktop.portal.Desktop"_s));
    }

    void followsThePortal()
    {
        m_portal.scheme = 1;
        confab::app::Theme theme;
        QCOMPARE(theme.mode(), u"system"_s);
        QTRY_VERIFY(theme.dark());
        const QColor darkWindow = theme.window();

        QSignalSpy changed(&theme, &confab::app::Theme::changed);
        m_portal.change(2);
        QTRY_VERIFY(!theme.dark());
        QVERIFY(changed.size() >= 1);
        QVERIFY(theme.window() != darkWindow);
        QVERIFY(theme.text().lightness() < theme.window().lightness());

        m_portal.change(1);
        QTRY_VERIFY(theme.dark());
        QVERIFY(theme.text().lightness() > theme.window().lightness());
    }

    void aChoiceOverridesTheSystem()
    {
        m_portal.scheme = 1;
        confab::app::Theme theme;
        QTRY_VERIFY(theme.systemDark());
        theme.setMode(u"light"_s);
        QVERIFY(!theme.dark());
        m_portal.change(2);
        QTRY_VERIFY(!theme.systemDark());
        theme.setMode(u"dark"_s);
        QVERIFY(theme.dark());
        theme.setMode(u"system"_s);
        QVERIFY(!theme.dark());
    }

    void userColoursAreStableAndReadable()
    {
        confab::app::Theme theme;
        QCOMPARE(theme.userColor(u"bob"_s, false), theme.userColor(u"bob"_s, false));
        QVERIFY(theme.userColor(u"bob"_s, false) != theme.userColor(u"carol"_s, false));
        // Names on dark backgrounds are light, on light ones dark.
        QVERIFY(theme.userColor(u"bob"_s, true).lightness() > 128);
        QVERIFY(theme.userColor(u"bob"_s, false).lightness() < 128);
    }
};

QTEST_MAIN(TestAppTheme)
#include "tst_app_theme.moc"
