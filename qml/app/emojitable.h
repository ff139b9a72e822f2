#pragma once

#include <QList>
#include <QString>

namespace confab::app {

struct EmojiEntry
{
    const char *shortcode; // without the colons
    const char *emoji;     // UTF-8
};

// The :shortcodes: the composer completes, in the order they are offered.
const QList<EmojiEntry> &emojiTable();

} // namespace confab::app
