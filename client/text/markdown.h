#pragma once

#include <QString>

namespace confab::client {

// Markdown (CommonMark + GitHub's strikethrough, autolinks and tables) to HTML that is
// safe to show: raw HTML and dangerous link schemes are dropped by cmark-gfm's safe
// mode. Soft line breaks become <br>, as chat users expect.
QString markdownToHtml(const QString &markdown);

// The text without Markdown syntax, for notifications and reply quotes.
QString markdownToPlain(const QString &markdown);

} // namespace confab::client
