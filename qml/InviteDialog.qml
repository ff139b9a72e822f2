import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Confab.Core
import Confab.Ui

// Invite a user to the open channel.
FormDialog {
    id: root

    property ClientSession session
    property Room room

    objectName: "inviteDialog"
    width: 380
    title: root.room ? qsTr("Invite someone to #%1").arg(root.room.name) : ""
    standardButtons: Dialog.Ok | Dialog.Cancel
    Component.onCompleted: standardButton(Dialog.Ok).text = qsTr("Invite")

    onAboutToShow: {
        userField.text = ""
        userField.forceActiveFocus()
    }
    onAccepted: root.session.invite(root.room.roomId, userField.text)

    ColumnLayout {
        anchors.fill: parent

        Label {
            text: qsTr("User name")
            color: Theme.text
        }
        TextField {
            id: userField

            objectName: "inviteUser"
            Layout.fillWidth: true
            placeholderText: qsTr("e.g. bob")
            Accessible.name: qsTr("User name")
            onAccepted: if (text !== "") root.accept()
        }
    }
}
