pragma ComponentBehavior: Bound
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Confab.Core
import Confab.Ui

// Who is in the open room, online first, with their presence.
Pane {
    id: root

    property Room room
    signal directMessageRequested(string user)

    padding: 0
    background: Rectangle {
        color: Theme.alternateBase
        Rectangle {
            width: 1
            height: parent.height
            color: Theme.border
        }
    }

    readonly property int count: list.count
    onRoomChanged: if (root.room) root.room.refreshMembers()

    // Someone joined or left: the core keeps no member list of its own, ask again.
    Connections {
        target: root.room ? root.room.timeline : null

        function onRowsInserted(parent, first, last) {
            for (let row = first; row <= last; ++row) {
                const kind = root.room.timeline.data(root.room.timeline.index(row, 0), TimelineModel.KindRole)
                if (kind === "join" || kind === "leave") {
                    root.room.refreshMembers()
                    return
                }
            }
        }
    }

    // A room opened offline lists its members once the link is up.
    Connections {
        target: App.session

        function onStateChanged() {
            if (root.room && App.session.state === Connection.Online)
                root.room.refreshMembers()
        }
    }

    ColumnLayout {
        anchors.fill: parent
        spacing: 0

        Label {
            text: qsTr("Members")
            font.bold: true
            color: Theme.text
            Layout.margins: 12
        }

        ListView {
            id: list

            objectName: "membersList"
            Layout.fillWidth: true
            Layout.fillHeight: true
            clip: true
            model: root.room ? root.room.members : null
            keyNavigationEnabled: true
            activeFocusOnTab: count > 0
            Accessible.name: qsTr("Members")
            delegate: MemberDelegate {
                width: ListView.view.width
                focused: ListView.isCurrentItem && list.activeFocus
                onClicked: root.directMessageRequested(user)
            }
            ScrollBar.vertical: ScrollBar {}
        }

        Label {
            visible: list.count === 0
            parent: list
            x: 12
            text: qsTr("Nobody listed yet")
            color: Theme.mutedText
        }
    }
}
