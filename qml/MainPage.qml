pragma ComponentBehavior: Bound
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Confab.Core
import Confab.Ui

// The window a team member lives in: rooms on the left, the open room in the middle
// (header, connection banner, timeline, composer), its members on the right.
Page {
    id: root

    objectName: "mainPage"
    required property ClientSession session
    readonly property Room room: root.session ? root.session.currentRoom : null
    property bool membersShown: App.setting("ui/membersShown", "true") === "true"
    property bool searchShown: false

    background: Rectangle {
        color: Theme.window
    }

    function openRoom(roomId) {
        App.openRoom(roomId)
        timeline.focusComposer()
    }

    function openSearch(everywhere) {
        root.searchShown = true
        searchPane.start(everywhere)
    }

    // A search result: its room opens at that message; the results stay for the next one.
    function openResult(roomId, seq) {
        if (!root.room || root.room.roomId !== roomId)
            App.openRoom(roomId)
        timeline.jumpToSeq(seq)
    }

    function nextUnread(direction) {
        const id = App.nextUnreadRoom(direction)
        if (id !== "")
            root.openRoom(id)
    }

    // A room this user just created, joined or started a DM in opens with the composer
    // focused, as one picked from the sidebar does.
    Connections {
        target: root.session

        function onRoomReady() {
            timeline.focusComposer()
        }
    }

    ConnectionStatus {
        id: status

        session: root.session
    }

    Shortcut {
        sequence: "Ctrl+K"
        onActivated: switcher.open()
    }
    Shortcut {
        sequence: StandardKey.Find
        onActivated: root.openSearch(false)
    }
    Shortcut {
        sequence: "Ctrl+Shift+F"
        onActivated: root.openSearch(true)
    }
    Shortcut {
        sequence: "Alt+Shift+Down"
        onActivated: root.nextUnread(1)
    }
    Shortcut {
        sequence: "Alt+Shift+Up"
        onActivated: root.nextUnread(-1)
    }
    Shortcut {
        sequences: ["Ctrl+/", "Ctrl+?"]
        onActivated: shortcuts.open()
    }
    Shortcut {
        sequence: "Ctrl+N"
        onActivated: createRoom.open()
    }
    Shortcut {
        sequence: "Ctrl+J"
        onActivated: joinRoom.open()
    }
    Shortcut {
        sequence: "Ctrl+D"
        onActivated: directMessage.open()
    }
    Shortcut {
        sequence: "Ctrl+M"
        onActivated: root.toggleMembers()
    }
    Shortcut {
        sequence: "Ctrl+,"
        onActivated: settings.open()
    }
    Shortcut {
        sequence: StandardKey.Quit
        onActivated: App.quit()
    }

    function toggleMembers() {
        root.membersShown = !root.membersShown
        App.setSetting("ui/membersShown", root.membersShown ? "true" : "false")
    }

    RowLayout {
        anchors.fill: parent
        spacing: 0

        SidebarPane {
            id: sidebar

            session: root.session
            status: status
            Layout.fillHeight: true
            Layout.preferredWidth: 250
            onRoomChosen: roomId => root.openRoom(roomId)
            onCreateRoomRequested: createRoom.open()
            onJoinRoomRequested: joinRoom.open()
            onDirectMessageRequested: directMessage.open()
            onSwitcherRequested: switcher.open()
            onSettingsRequested: settings.open()
        }

        ColumnLayout {
            Layout.fillWidth: true
            Layout.fillHeight: true
            spacing: 0

            RoomHeaderPane {
                room: root.room
                memberCount: members.count > 0 ? members.count : root.room ? root.room.memberCount : 0
                membersShown: root.membersShown
                Layout.fillWidth: true
                onMembersToggled: root.toggleMembers()
                onInviteRequested: invite.open()
                onTopicRequested: topic.open()
                onLeaveRequested: leave.open()
                onSettingsRequested: roomSettings.open()
            }

            ConnectionBannerPane {
                status: status
                Layout.fillWidth: true
                onRetryRequested: App.reconnectNow()
            }

            Label {
                objectName: "actionError"
                visible: text !== ""
                text: root.session ? root.session.actionErrorText : ""
                color: Theme.error
                padding: 8
                wrapMode: Text.Wrap
                Layout.fillWidth: true
                background: Rectangle {
                    color: Theme.errorBackground
                }
            }

            RowLayout {
                Layout.fillWidth: true
                Layout.fillHeight: true
                spacing: 0

                TimelinePane {
                    id: timeline

                    room: root.room
                    session: root.session
                    Layout.fillWidth: true
                    Layout.fillHeight: true
                    visible: root.room !== null
                }

                ColumnLayout {
                    visible: root.room === null
                    Layout.fillWidth: true
                    Layout.fillHeight: true

                    Label {
                        text: qsTr("No room open")
                        font.pixelSize: 20
                        color: Theme.text
                        Layout.alignment: Qt.AlignHCenter
                    }
                    Label {
                        text: qsTr("Create a room (Ctrl+N), join one (Ctrl+J) or message someone (Ctrl+D).")
                        color: Theme.mutedText
                        Layout.alignment: Qt.AlignHCenter
                    }
                }

                SearchPane {
                    id: searchPane

                    visible: root.searchShown
                    session: root.session
                    room: root.room
                    Layout.fillHeight: true
                    Layout.preferredWidth: 340
                    onResultChosen: (roomId, seq) => root.openResult(roomId, seq)
                    onCloseRequested: {
                        root.searchShown = false
                        timeline.focusComposer()
                    }
                }

                MembersPane {
                    id: members

                    visible: root.membersShown && root.room !== null && !root.searchShown
                    room: root.room
                    Layout.fillHeight: true
                    Layout.preferredWidth: 220
                    onDirectMessageRequested: user => root.session.openDirect(user)
                }
            }
        }
    }

    Connections {
        target: App

        function onJumpRequested(roomId, seq) {
            timeline.jumpToSeq(seq)
        }
    }

    CreateRoomDialog {
        id: createRoom

        session: root.session
    }
    JoinRoomDialog {
        id: joinRoom

        session: root.session
    }
    DirectMessageDialog {
        id: directMessage

        session: root.session
    }
    InviteDialog {
        id: invite

        session: root.session
        room: root.room
    }
    TopicDialog {
        id: topic

        room: root.room
    }
    LeaveRoomDialog {
        id: leave

        session: root.session
        room: root.room
    }
    RoomSettingsDialog {
        id: roomSettings

        room: root.room
    }
    RoomSwitcherDialog {
        id: switcher

        session: root.session
        onRoomChosen: roomId => root.openRoom(roomId)
    }
    ShortcutsDialog {
        id: shortcuts
    }
    SettingsDialog {
        id: settings

        session: root.session
    }
}
