pragma ComponentBehavior: Bound
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Confab.Core
import Confab.Ui

// Ctrl+K: type part of a room's name, arrows to choose, Enter to open.
FormDialog {
    id: root

    property ClientSession session
    signal roomChosen(string roomId)

    objectName: "roomSwitcher"
    y: parent.height * 0.15
    width: 460
    padding: 12
    title: qsTr("Jump to a room")

    function choose(row) {
        const r = filter.roomAt(row)
        if (r) {
            root.close()
            root.roomChosen(r.roomId)
        }
    }

    onAboutToShow: {
        field.text = ""
        list.currentIndex = 0
        field.forceActiveFocus()
    }

    RoomFilter {
        id: filter

        sourceModel: root.session ? root.session.rooms : null
        text: field.text
        onCountChanged: list.currentIndex = 0
    }

    ColumnLayout {
        anchors.fill: parent
        spacing: 6

        TextField {
            id: field

            objectName: "switcherField"
            Layout.fillWidth: true
            placeholderText: qsTr("Room or person")
            Accessible.name: qsTr("Room name")
            Keys.onDownPressed: list.incrementCurrentIndex()
            Keys.onUpPressed: list.decrementCurrentIndex()
            onAccepted: root.choose(list.currentIndex)
        }

        ListView {
            id: list

            objectName: "switcherList"
            Layout.fillWidth: true
            Layout.preferredHeight: Math.min(contentHeight, 320)
            clip: true
            model: filter
            Accessible.role: Accessible.List
            Accessible.name: qsTr("Rooms")

            delegate: ItemDelegate {
                id: row

                required property int index
                required property string name
                required property bool isDirect
                required property int unreadCount
                required property int mentionCount

                width: ListView.view.width
                highlighted: ListView.isCurrentItem
                text: (row.isDirect ? "@ " : "# ") + row.name
                onClicked: root.choose(row.index)

                BadgePane {
                    anchors.right: parent.right
                    anchors.rightMargin: 10
                    anchors.verticalCenter: parent.verticalCenter
                    visible: count > 0
                    count: row.mentionCount > 0 ? row.mentionCount : row.unreadCount
                    mention: row.mentionCount > 0
                }
            }
        }

        Label {
            visible: list.count === 0
            text: qsTr("No room matches.")
            color: Theme.mutedText
        }
    }
}
