pragma ComponentBehavior: Bound
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Confab.Core
import Confab.Ui

// Join a public channel: pick one of those the server lists that this user is not in
// (fetched again each time the dialog opens), or type a name.
FormDialog {
    id: root

    property ClientSession session

    objectName: "joinRoomDialog"
    width: 420
    title: qsTr("Join a channel")
    standardButtons: Dialog.Ok | Dialog.Cancel
    Component.onCompleted: standardButton(Dialog.Ok).text = qsTr("Join")

    function join(name) {
        if (name === "")
            return
        root.session.joinRoom(name)
        root.close()
    }

    onAboutToShow: {
        nameField.text = ""
        if (root.session)
            root.session.refreshRooms()
        nameField.forceActiveFocus()
    }
    onAccepted: root.session.joinRoom(nameField.text)

    RoomFilter {
        id: available

        sourceModel: root.session ? root.session.rooms : null
        section: RoomFilter.Channels
        membership: RoomFilter.NotJoined
        text: nameField.text
    }

    ColumnLayout {
        anchors.fill: parent
        spacing: 6

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
            Keys.onDownPressed: if (channels.count > 0) channels.forceActiveFocus()
            onAccepted: if (text !== "") root.accept()
        }
        Label {
            text: available.count > 0 ? qsTr("Channels you can join") : qsTr("No other public channel to join.")
            color: Theme.mutedText
            font.pixelSize: 12
            Layout.topMargin: 6
        }
        ListView {
            id: channels

            objectName: "joinRoomList"
            model: available
            clip: true
            visible: available.count > 0
            Layout.fillWidth: true
            Layout.preferredHeight: Math.min(contentHeight, 220)
            keyNavigationEnabled: true
            Accessible.role: Accessible.List
            Accessible.name: qsTr("Channels you can join")
            Keys.onReturnPressed: root.join(available.roomAt(currentIndex).roomId)
            Keys.onEnterPressed: root.join(available.roomAt(currentIndex).roomId)

            delegate: ItemDelegate {
                id: entry

                required property int index
                required property string roomId
                required property string name
                required property string topic

                objectName: "joinRoom_" + entry.roomId
                width: ListView.view.width
                highlighted: ListView.isCurrentItem && channels.activeFocus
                Accessible.name: qsTr("Join #%1").arg(entry.name)
                onClicked: root.join(entry.roomId)

                contentItem: ColumnLayout {
                    spacing: 0

                    Label {
                        text: "#" + entry.name
                        color: Theme.text
                        font.bold: true
                        elide: Text.ElideRight
                        Layout.fillWidth: true
                    }
                    Label {
                        visible: entry.topic !== ""
                        text: entry.topic
                        color: Theme.mutedText
                        font.pixelSize: 12
                        elide: Text.ElideRight
                        Layout.fillWidth: true
                    }
                }
            }
        }
    }
}
