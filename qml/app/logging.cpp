#include "logging.h"

namespace confab::app {

Q_LOGGING_CATEGORY(lcApp, "confab.app", QtInfoMsg)
Q_LOGGING_CATEGORY(lcNotify, "confab.app.notify", QtInfoMsg)
Q_LOGGING_CATEGORY(lcAutomation, "confab.app.automation", QtInfoMsg)

} // namespace confab::app
