#include "logging.h"

namespace confab::client {

Q_LOGGING_CATEGORY(lcNet, "confab.client.net", QtInfoMsg)
Q_LOGGING_CATEGORY(lcSession, "confab.client.session", QtInfoMsg)
Q_LOGGING_CATEGORY(lcStore, "confab.client.store", QtInfoMsg)
Q_LOGGING_CATEGORY(lcAccount, "confab.client.account", QtInfoMsg)
Q_LOGGING_CATEGORY(lcModels, "confab.client.models", QtInfoMsg)

QString logSafe(const QString &text)
{
    QString out;
    out.reserve(text.size());
    for (const QChar c : text) {
        if (c.unicode() < 0x20 || c.unicode() == 0x7f)
            out += QStringLiteral("\\x%1").arg(c.unicode(), 2, 16, QLatin1Char('0'));
        else
            out += c;
    }
    return out;
}

} // namespace confab::client
