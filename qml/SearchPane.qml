pragma ComponentBehavior: Bound
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Confab.Core
import Confab.Ui

// Search, beside the open room: the open room (Ctrl+F) or every room (Ctrl+Shift+F).
// Results come as the user types, newest first or best match first, each with its room,
// sender, date and a snippet with the words found marked. Up/Down move through them from
// the search field, Return opens one (the room jumps to that message), Escape closes.
// Offline, the cache on this computer is searched, and the pane says so.
Pane {
    id: root

    property ClientSession session
    property Room room // the open room: the scope of "This room"
    readonly property SearchModel search: root.session ? root.session.search : null
    property bool allRooms: false

    signal resultChosen(string roomId, real seq)
    signal closeRequested()

    objectName: "searchPane"
    padding: 0
    background: Rectangle {
        color: Theme.alternateBase
        Rectangle {
            width: 1
            height: parent.height
            color: Theme.border
        }
    }

    // Opens with the field focused; allRooms picks the scope.
    function start(everywhere) {
        root.allRooms = everywhere || root.room === null
        field.forceActiveFocus()
        field.selectAll()
        root.run()
    }

    function run() {
        if (!root.search)
            return
        root.search.search(field.text, root.allRooms || !root.room ? "" : root.room.roomId,
                           order.currentIndex === 1)
        list.currentIndex = 0
    }

    function openCurrent() {
        const row = list.currentIndex >= 0 ? list.currentIndex : 0
        const hit = root.search ? root.search.resultAt(row) : {}
        if (hit.roomId !== undefined)
            root.resultChosen(hit.roomId, hit.seq)
    }

    Binding {
        target: root.search
        property: "highlightColor"
        value: Theme.searchHit
        when: root.search !== null
    }

    Timer {
        id: typing

        interval: 250
        onTriggered: root.run()
    }

    ColumnLayout {
        anchors.fill: parent
        anchors.leftMargin: 1
        spacing: 0

        RowLayout {
            Layout.fillWidth: true
            Layout.margins: 8
            spacing: 6

            Label {
                text: qsTr("Search")
                font.bold: true
                color: Theme.text
                Layout.fillWidth: true
            }
            ComboBox {
                id: scope

                objectName: "searchScope"
                model: root.room ? [qsTr("This room"), qsTr("All rooms")] : [qsTr("All rooms")]
                currentIndex: root.allRooms || !root.room ? model.length - 1 : 0
                Accessible.name: qsTr("Where to search")
                onActivated: index => {
                    root.allRooms = index === model.length - 1
                    root.run()
                }
            }
            ToolButton {
                text: "✕"
                Accessible.name: qsTr("Close search")
                onClicked: root.closeRequested()
            }
        }

        TextField {
            id: field

            objectName: "searchField"
            Layout.fillWidth: true
            Layout.leftMargin: 8
            Layout.rightMargin: 8
            placeholderText: root.allRooms || !root.room ? qsTr("Search all rooms")
                             : root.room.isDirect ? qsTr("Search the messages with %1").arg(root.room.name)
                             : qsTr("Search #%1").arg(root.room.name)
            selectByMouse: true
            Accessible.name: qsTr("Search messages")
            onTextEdited: typing.restart()
            Keys.onPressed: event => {
                if (event.key === Qt.Key_Down) {
                    list.incrementCurrentIndex()
                    event.accepted = true
                } else if (event.key === Qt.Key_Up) {
                    list.decrementCurrentIndex()
                    event.accepted = true
                } else if (event.key === Qt.Key_Return || event.key === Qt.Key_Enter) {
                    if (typing.running) {
                        typing.stop()
                        root.run()
                    } else {
                        root.openCurrent()
                    }
                    event.accepted = true
                } else if (event.key === Qt.Key_Escape) {
                    root.closeRequested()
                    event.accepted = true
                }
            }
        }

        RowLayout {
            Layout.fillWidth: true
            Layout.leftMargin: 8
            Layout.rightMargin: 8
            spacing: 6

            Label {
                objectName: "searchStatus"
                Layout.fillWidth: true
                wrapMode: Text.Wrap
                font.pixelSize: 12
                color: root.search && root.search.errorText !== "" ? Theme.error : Theme.mutedText
                text: {
                    const s = root.search
                    if (!s || s.query === "")
                        return qsTr("Words, \"a phrase\", -without, from:name, in:#room, has:file, has:link, is:mention, before:/after: 2026-12-01")
                    if (s.errorText !== "")
                        return s.errorText
                    if (s.busy && s.count === 0)
                        return qsTr("Searching…")
                    if (s.count === 0 && s.searched)
                        return qsTr("No messages match.")
                    return s.canLoadMore || s.busy ? qsTr("%1+ messages").arg(s.count)
                                                   : s.count === 1 ? qsTr("1 message")
                                                                   : qsTr("%1 messages").arg(s.count)
                }
            }
            ComboBox {
                id: order

                objectName: "searchOrder"
                model: [qsTr("Newest"), qsTr("Best match")]
                Accessible.name: qsTr("Order of the results")
                onActivated: root.run()
            }
        }

        Label {
            objectName: "searchOffline"
            visible: root.search !== null && root.search.offline && root.search.searched
            Layout.fillWidth: true
            Layout.topMargin: 6
            padding: 6
            wrapMode: Text.Wrap
            font.pixelSize: 12
            text: qsTr("Results from this device only: the server cannot be reached.")
            color: Theme.text
            background: Rectangle {
                color: Theme.warningBackground
            }
        }
        Label {
            visible: root.search !== null && !root.search.offline
                     && (root.search.indexing || root.search.timedOut)
            Layout.fillWidth: true
            Layout.topMargin: 6
            padding: 6
            wrapMode: Text.Wrap
            font.pixelSize: 12
            text: root.search && root.search.timedOut
                  ? qsTr("The search took too long: these are the messages found so far.")
                  : qsTr("Older messages are still being indexed: some may be missing.")
            color: Theme.text
            background: Rectangle {
                color: Theme.infoBackground
            }
        }

        ListView {
            id: list

            objectName: "searchResults"
            Layout.fillWidth: true
            Layout.fillHeight: true
            Layout.topMargin: 6
            clip: true
            model: root.search
            currentIndex: 0
            keyNavigationEnabled: true
            Accessible.role: Accessible.List
            Accessible.name: qsTr("Search results")
            onAtYEndChanged: if (atYEnd && root.search && root.search.canLoadMore) root.search.loadMore()
            Keys.onReturnPressed: root.openCurrent()

            delegate: ItemDelegate {
                id: hit

                required property int index
                required property string roomName
                required property string senderName
                required property date timestamp
                required property string snippetHtml
                required property string fileName
                required property bool edited

                width: ListView.view.width
                highlighted: ListView.isCurrentItem
                // The timeline's own selection colour: the names and dates keep their
                // colours readable on it.
                background: Rectangle {
                    color: hit.highlighted ? Theme.highlight : hit.hovered ? Theme.hover : "transparent"
                }
                Accessible.name: hit.senderName + " " + hit.roomName + ": " + snippetText.text
                onClicked: {
                    list.currentIndex = hit.index
                    root.openCurrent()
                }

                contentItem: ColumnLayout {
                    spacing: 2

                    RowLayout {
                        spacing: 6
                        Layout.fillWidth: true

                        Label {
                            text: hit.roomName
                            font.bold: true
                            font.pixelSize: 12
                            color: Theme.text
                            elide: Text.ElideRight
                            Layout.maximumWidth: hit.width * 0.45
                        }
                        Label {
                            text: hit.senderName
                            font.pixelSize: 12
                            color: Theme.userColor(hit.senderName, Theme.dark)
                            elide: Text.ElideRight
                            Layout.fillWidth: true
                        }
                        Label {
                            text: Ui.dayLabel(hit.timestamp) + " " + Ui.timeLabel(hit.timestamp)
                            font.pixelSize: 11
                            color: Theme.mutedText
                        }
                    }
                    Label {
                        id: snippetText

                        objectName: "searchSnippet"
                        Layout.fillWidth: true
                        textFormat: Text.RichText
                        text: (hit.fileName !== "" ? "📎 " + hit.fileName.replace(/&/g, "&amp;").replace(/</g, "&lt;")
                                                     + (hit.snippetHtml !== "" ? " — " : "") : "")
                              + hit.snippetHtml + (hit.edited ? " <span style=\"color:" + Theme.mutedText + "\">" + qsTr("(edited)") + "</span>" : "")
                        wrapMode: Text.Wrap
                        maximumLineCount: 3
                        elide: Text.ElideRight
                        color: Theme.text
                    }
                }
            }
            ScrollBar.vertical: ScrollBar {}
        }
    }
}
