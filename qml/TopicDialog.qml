import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Confab.Core
import Confab.Ui

// Set the open channel's topic (empty clears it).
FormDialog {
    id: root

    property Room room

    objectName: "topicDialog"
    width: 460
    title: root.room ? qsTr("Topic of #%1").arg(root.room.name) : ""
    standardButtons: Dialog.Ok | Dialog.Cancel
    Component.onCompleted: standardButton(Dialog.Ok).text = qsTr("Set topic")

    onAboutToShow: {
        topicField.text = root.room ? root.room.topic : ""
        topicField.selectAll()
        topicField.forceActiveFocus()
    }
    onAccepted: root.room.setTopic(topicField.text)

    ColumnLayout {
        anchors.fill: parent

        TextField {
            id: topicField

            objectName: "topicField"
            Layout.fillWidth: true
            placeholderText: qsTr("What this channel is about")
            Accessible.name: qsTr("Topic")
            onAccepted: root.accept()
        }
    }
}
