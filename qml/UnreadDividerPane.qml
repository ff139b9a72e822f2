import QtQuick
import QtQuick.Controls
import Confab.Ui

// The line above the first message the user had not read when the room was opened.
Item {
    id: root

    objectName: "unreadDivider"
    implicitHeight: 24
    Accessible.role: Accessible.Separator
    Accessible.name: label.text

    Rectangle {
        anchors.verticalCenter: parent.verticalCenter
        x: 16
        width: parent.width - 32
        height: 1
        color: Theme.mention
    }
    Rectangle {
        anchors.right: parent.right
        anchors.rightMargin: 24
        anchors.verticalCenter: parent.verticalCenter
        width: label.implicitWidth + 12
        height: label.implicitHeight
        color: Theme.window

        Text {
            id: label

            anchors.centerIn: parent
            text: qsTr("New messages")
            color: Theme.mention
            font.pixelSize: 11
            font.bold: true
        }
    }
}
