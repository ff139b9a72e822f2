import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Confab.Core
import Confab.Ui

// Start (or open) a direct conversation with a user.
FormDialog {
    id: root

    property ClientSession session

    objectName: "directMessageDialog"
    width: 380
    title: qsTr("Message someone")
    standardButtons: Dialog.Ok | Dialog.Cancel
    Component.onCompleted: standardButton(Dialog.Ok).text = qsTr("Open")

    onAboutToShow: {
        userField.text = ""
        userField.forceActiveFocus()
    }
    onAccepted: root.session.openDirect(userField.text)

    ColumnLayout {
        anchors.fill: parent

        Label {
            text: qsTr("User name")
            color: Theme.text
        }
        TextField {
            id: userField

            objectName: "directUser"
            Layout.fillWidth: true
            placeholderText: qsTr("e.g. bob")
            Accessible.name: qsTr("User name")
            onAccepted: if (text !== "") root.accept()
        }
    }
}
