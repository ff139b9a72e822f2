import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Confab.Core
import Confab.Ui

// A new channel: its name, whether it is private (invite only), its topic.
FormDialog {
    id: root

    property ClientSession session

    objectName: "createRoomDialog"
    width: 420
    title: qsTr("Create a channel")
    standardButtons: Dialog.Ok | Dialog.Cancel
    Component.onCompleted: standardButton(Dialog.Ok).text = qsTr("Create")

    onAboutToShow: {
        nameField.text = ""
        topicField.text = ""
        privateBox.checked = false
        nameField.forceActiveFocus()
    }
    onAccepted: root.session.createRoom(nameField.text, privateBox.checked, topicField.text)

    ColumnLayout {
        anchors.fill: parent
        spacing: 6

        Label {
            text: qsTr("Name")
            color: Theme.text
        }
        TextField {
            id: nameField

            objectName: "createRoomName"
            Layout.fillWidth: true
            placeholderText: qsTr("e.g. design-reviews")
            validator: RegularExpressionValidator {
                regularExpression: /[a-z0-9_-]{0,40}/
            }
            Accessible.name: qsTr("Channel name")
            onAccepted: if (text !== "") root.accept()
        }
        Label {
            text: qsTr("Lower-case letters, digits, '-' and '_'.")
            color: Theme.mutedText
            font.pixelSize: 12
        }
        Label {
            text: qsTr("Topic (optional)")
            color: Theme.text
            Layout.topMargin: 6
        }
        TextField {
            id: topicField

            objectName: "createRoomTopic"
            Layout.fillWidth: true
            Accessible.name: qsTr("Topic")
            onAccepted: if (nameField.text !== "") root.accept()
        }
        CheckBox {
            id: privateBox

            objectName: "createRoomPrivate"
            text: qsTr("Private: only people you invite can join")
        }
    }
}
