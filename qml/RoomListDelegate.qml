pragma ComponentBehavior: Bound
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Confab.Ui

// One room in the sidebar: # name or the other person, bold while unread, a badge with
// the mentions (accent) or the unread count, dimmed when muted.
ItemDelegate {
    id: root

    required property string roomId
    required property string name
    required property bool isDirect
    required property int unreadCount
    required property int mentionCount
    required property bool muted
    property bool current: false
    property bool focused: false

    objectName: "room_" + root.roomId
    height: 32
    leftPadding: 16
    rightPadding: 12
    opacity: root.muted && !root.current ? 0.55 : 1.0
    Accessible.name: root.mentionCount > 0
                     ? (root.mentionCount === 1 ? qsTr("%1, 1 mention").arg(root.name) : qsTr("%1, %2 mentions").arg(root.name).arg(root.mentionCount))
                     : root.unreadCount > 0 && !root.muted
                       ? qsTr("%1, %2 unread").arg(root.name).arg(root.unreadCount)
                       : root.name

    background: Rectangle {
        color: root.current ? Theme.sidebarSelected
                            : root.focused || root.hovered ? Qt.rgba(1, 1, 1, 0.08) : "transparent"
        radius: 6
        anchors.fill: parent
        anchors.leftMargin: 6
        anchors.rightMargin: 6
        border.width: root.focused ? 1 : 0
        border.color: Theme.accent
    }

    contentItem: RowLayout {
        spacing: 6

        Label {
            text: root.isDirect ? "@" : "#"
            color: Theme.sidebarMuted
            Layout.preferredWidth: 12
        }
        Label {
            text: root.name
            elide: Text.ElideRight
            color: root.current || root.unreadCount > 0 && !root.muted ? Theme.sidebarText : Theme.sidebarMuted
            font.bold: root.unreadCount > 0 && !root.muted
            Layout.fillWidth: true
        }
        Label {
            visible: root.muted
            text: qsTr("muted")
            color: Theme.sidebarMuted
            font.pixelSize: 11
        }
        BadgePane {
            objectName: "badge_" + root.roomId
            visible: count > 0
            count: root.mentionCount > 0 ? root.mentionCount : root.muted ? 0 : root.unreadCount
            mention: root.mentionCount > 0
        }
    }
}
