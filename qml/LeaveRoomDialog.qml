import QtQuick
import QtQuick.Controls
import Confab.Core
import Confab.Ui

// Confirm leaving the open room.
FormDialog {
    id: root

    property ClientSession session
    property Room room

    objectName: "leaveRoomDialog"
    width: 400
    title: root.room ? qsTr("Leave %1?").arg(root.room.isDirect ? root.room.name : "#" + root.room.name) : ""
    standardButtons: Dialog.Ok | Dialog.Cancel
    Component.onCompleted: standardButton(Dialog.Ok).text = qsTr("Leave")
    onAccepted: root.session.leaveRoom(root.room.roomId)

    Label {
        width: parent.width
        wrapMode: Text.Wrap
        color: Theme.text
        text: root.room && root.room.isPrivate ? qsTr("It is private: you need a new invite to come back.")
                                               : qsTr("You can join again at any time.")
    }
}
