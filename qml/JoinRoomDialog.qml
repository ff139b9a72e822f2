import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Confab.Core
import Confab.Ui

// Join a public channel by name.
FormDialog {
    id: root

    property ClientSession session

    objectName: "joinRoomDialog"
    width: 380
    title: qsTr("Join a channel")
    standardButtons: Dialog.Ok | Dialog.Cancel
    Component.onCompleted: standardButton(Dialog.Ok).text = qsTr("Join")

    onAboutToShow: {
        nameField.text = ""
        nameField.forceActiveFocus()
    }
    onAccepted: root.session.joinRoom(nameField.text)

    ColumnLayout {
        anchors.fill: parent

        Label {
            text: qsTr("Channel name")
            color: Theme.text
        }
        TextField {
            id: nameField

            objectName: "joinRoomName"
            Layout.fillWidth: true
            placeholderText: qsTr("e.g. general")
            validator: RegularExpressionValidator {
                regularExpression: /[a-z0-9_-]{0,40}/
            }
            Accessible.name: qsTr("Channel name")
            onAccepted: if (text !== "") root.accept()
        }
    }
}
