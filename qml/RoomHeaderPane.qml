pragma ComponentBehavior: Bound
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Confab.Core
import Confab.Ui

// The open room's name and topic, its member count (toggles the members pane) and its
// menu: invite, topic, notifications, leave.
ToolBar {
    id: root

    property Room room
    property bool membersShown: true
    property int memberCount: 0
    signal membersToggled
    signal inviteRequested
    signal topicRequested
    signal leaveRequested
    signal settingsRequested

    visible: root.room !== null
    padding: 8
    leftPadding: 16
    background: Rectangle {
        color: Theme.window
        Rectangle {
            anchors.bottom: parent.bottom
            width: parent.width
            height: 1
            color: Theme.border
        }
    }

    RowLayout {
        anchors.fill: parent
        spacing: 8

        Label {
            objectName: "roomTitle"
            text: root.room ? (root.room.isDirect ? root.room.name : "# " + root.room.name) : ""
            font.pixelSize: 17
            font.bold: true
            color: Theme.text
            elide: Text.ElideRight
            Layout.maximumWidth: root.width * 0.4
        }
        Label {
            visible: root.room !== null && root.room.muted
            text: qsTr("muted")
            color: Theme.mutedText
        }
        Label {
            objectName: "roomTopic"
            text: root.room ? root.room.topic : ""
            color: Theme.mutedText
            elide: Text.ElideRight
            Layout.fillWidth: true
            MouseArea {
                anchors.fill: parent
                enabled: root.room !== null && !root.room.isDirect
                cursorShape: enabled ? Qt.PointingHandCursor : Qt.ArrowCursor
                onClicked: root.topicRequested()
            }
        }
        Item {
            Layout.fillWidth: root.room === null || root.room.topic === ""
        }
        ToolButton {
            objectName: "membersButton"
            text: !root.room ? "" : root.memberCount === 1 ? qsTr("1 member") : qsTr("%1 members").arg(root.memberCount)
            checkable: true
            checked: root.membersShown
            Accessible.name: qsTr("Show members")
            ToolTip.visible: hovered
            ToolTip.text: qsTr("Members (Ctrl+M)")
            onClicked: root.membersToggled()
        }
        ToolButton {
            objectName: "roomMenuButton"
            text: "⋯"
            Accessible.name: qsTr("Room menu")
            ToolTip.visible: hovered
            ToolTip.text: qsTr("Room menu")
            onClicked: menu.popup()

            Menu {
                id: menu

                MenuItem {
                    text: qsTr("Invite someone…")
                    enabled: root.room !== null && !root.room.isDirect
                    onTriggered: root.inviteRequested()
                }
                MenuItem {
                    text: qsTr("Set the topic…")
                    enabled: root.room !== null && !root.room.isDirect
                    onTriggered: root.topicRequested()
                }
                MenuItem {
                    text: qsTr("Notifications…")
                    onTriggered: root.settingsRequested()
                }
                MenuItem {
                    text: root.room && root.room.muted ? qsTr("Unmute") : qsTr("Mute")
                    onTriggered: root.room.muted = !root.room.muted
                }
                MenuSeparator {}
                MenuItem {
                    text: qsTr("Leave the room…")
                    onTriggered: root.leaveRequested()
                }
            }
        }
    }
}
