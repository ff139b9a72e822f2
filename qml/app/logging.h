#pragma once

#include <QLoggingCategory>

// Every logging category of the desktop app (qml/), in one place. Enable with
// QT_LOGGING_RULES, e.g. "confab.app.*.debug=true".
namespace confab::app {

Q_DECLARE_LOGGING_CATEGORY(lcApp)        // confab.app
Q_DECLARE_LOGGING_CATEGORY(lcNotify)     // confab.app.notify
Q_DECLARE_LOGGING_CATEGORY(lcAutomation) // confab.app.automation

} // namespace confab::app
