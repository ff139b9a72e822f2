#pragma once

#include <QAbstractItemModel>

namespace confab::app {

// The role id of a role name in any model (-1: none). The app's helpers read models by
// role name, so they work on the core's models and on a QML ListModel alike.
inline int roleOf(const QAbstractItemModel *model, const QByteArray &name)
{
    const QHash<int, QByteArray> roles = model->roleNames();
    for (auto it = roles.cbegin(); it != roles.cend(); ++it) {
        if (it.value() == name)
            return it.key();
    }
    return -1;
}

} // namespace confab::app
