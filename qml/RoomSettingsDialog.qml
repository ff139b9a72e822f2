import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Confab.Core
import Confab.Ui

// Notifications of the open room: when to notify, and mute.
FormDialog {
    id: root

    property Room room

    objectName: "roomSettingsDialog"
    width: 420
    title: root.room ? qsTr("Notifications for %1").arg(root.room.name) : ""
    standardButtons: Dialog.Close

    ColumnLayout {
        anchors.fill: parent
        spacing: 4

        RadioButton {
            objectName: "notifyDefault"
            text: root.room && root.room.isDirect ? qsTr("Default (every message)") : qsTr("Default (mentions only)")
            checked: root.room !== null && root.room.notifyLevel === Room.Default
            onToggled: root.room.notifyLevel = Room.Default
        }
        RadioButton {
            objectName: "notifyAll"
            text: qsTr("Every message")
            checked: root.room !== null && root.room.notifyLevel === Room.All
            onToggled: root.room.notifyLevel = Room.All
        }
        RadioButton {
            objectName: "notifyMentions"
            text: qsTr("Mentions only")
            checked: root.room !== null && root.room.notifyLevel === Room.Mentions
            onToggled: root.room.notifyLevel = Room.Mentions
        }
        RadioButton {
            objectName: "notifyNever"
            text: qsTr("Never")
            checked: root.room !== null && root.room.notifyLevel === Room.Never
            onToggled: root.room.notifyLevel = Room.Never
        }
        CheckBox {
            objectName: "muteBox"
            Layout.topMargin: 8
            text: qsTr("Mute: no notifications, no unread count, dimmed in the list")
            checked: root.room !== null && root.room.muted
            onToggled: root.room.muted = checked
        }
    }
}
