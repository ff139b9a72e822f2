import QtQuick
import QtQuick.Controls
import Confab.Ui

// A count in a pill: accent red for mentions, grey for unread messages.
Rectangle {
    id: root

    property int count: 0
    property bool mention: false

    implicitWidth: Math.max(height, label.implicitWidth + 12)
    implicitHeight: 18
    radius: height / 2
    color: root.mention ? Theme.mention : Theme.unreadBadge

    Label {
        id: label

        anchors.centerIn: parent
        text: root.count > 99 ? "99+" : root.count
        color: "white"
        font.pixelSize: 11
        font.bold: true
    }
}
