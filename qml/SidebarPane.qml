pragma ComponentBehavior: Bound
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Confab.Core
import Confab.Ui

// The room list: the account, the switcher, then the sections Channels and Direct
// messages, each with its + button.
Pane {
    id: root

    required property ClientSession session
    // The link's state: the presence line says "Offline" while the banner does, never
    // "Online" beside it.
    required property ConnectionStatus status
    signal roomChosen(string roomId)
    signal createRoomRequested
    signal joinRoomRequested
    signal directMessageRequested
    signal switcherRequested
    signal settingsRequested

    padding: 0
    palette.buttonText: Theme.sidebarText
    palette.windowText: Theme.sidebarText
    background: Rectangle {
        color: Theme.sidebar
    }

    component SectionHeader: RowLayout {
        id: header

        property string title
        property string addName
        signal addClicked

        Layout.fillWidth: true
        Layout.leftMargin: 16
        Layout.rightMargin: 8
        Layout.topMargin: 12

        Label {
            text: header.title
            color: Theme.sidebarMuted
            font.pixelSize: 12
            font.bold: true
            font.capitalization: Font.AllUppercase
            Layout.fillWidth: true
        }
        ToolButton {
            text: "+"
            font.pixelSize: 16
            implicitWidth: 28
            implicitHeight: 28
            Accessible.name: header.addName
            ToolTip.visible: hovered
            ToolTip.text: header.addName
            onClicked: header.addClicked()
        }
    }

    component RoomList: ListView {
        id: list

        Layout.fillWidth: true
        Layout.preferredHeight: contentHeight
        interactive: false
        keyNavigationEnabled: true
        activeFocusOnTab: count > 0
        currentIndex: -1
        delegate: RoomListDelegate {
            width: ListView.view.width
            current: root.session && root.session.currentRoom !== null
                     && root.session.currentRoom.roomId === roomId
            focused: ListView.isCurrentItem && list.activeFocus
            onClicked: root.roomChosen(roomId)
        }
        Keys.onReturnPressed: {
            const r = list.model.roomAt(list.currentIndex)
            if (r)
                root.roomChosen(r.roomId)
        }
        onActiveFocusChanged: if (activeFocus && currentIndex < 0) currentIndex = 0
    }

    ColumnLayout {
        anchors.fill: parent
        spacing: 0

        RowLayout {
            Layout.fillWidth: true
            Layout.margins: 12
            spacing: 8

            AvatarPane {
                name: root.session ? root.session.displayName : ""
                user: root.session ? root.session.userName : ""
                size: 32
            }
            ColumnLayout {
                spacing: 0
                Layout.fillWidth: true

                Label {
                    objectName: "accountName"
                    text: root.session ? root.session.displayName : ""
                    color: Theme.sidebarText
                    font.bold: true
                    elide: Text.ElideRight
                    Layout.fillWidth: true
                }
                Label {
                    objectName: "accountPresence"
                    text: {
                        if (!root.session)
                            return ""
                        let presence
                        switch (root.status.kind) {
                        case ConnectionStatus.Offline:
                            presence = qsTr("Offline")
                            break
                        case ConnectionStatus.Connecting:
                            presence = qsTr("Connecting…")
                            break
                        default:
                            presence = root.session.away ? qsTr("Away") : qsTr("Online")
                        }
                        return presence + (App.doNotDisturb ? qsTr(" · Do not disturb") : "")
                    }
                    color: Theme.sidebarMuted
                    font.pixelSize: 12
                    elide: Text.ElideRight
                    Layout.fillWidth: true
                }
            }
            ToolButton {
                objectName: "accountMenuButton"
                text: "⋯"
                Accessible.name: qsTr("Account menu")
                ToolTip.visible: hovered
                ToolTip.text: qsTr("Account menu")
                onClicked: accountMenu.popup()

                Menu {
                    id: accountMenu

                    MenuItem {
                        text: qsTr("Away")
                        checkable: true
                        checked: root.session && root.session.away
                        onTriggered: root.session.away = checked
                    }
                    MenuItem {
                        text: qsTr("Do not disturb")
                        checkable: true
                        checked: App.doNotDisturb
                        onTriggered: App.doNotDisturb = checked
                    }
                    MenuSeparator {}
                    MenuItem {
                        text: qsTr("Settings…")
                        onTriggered: root.settingsRequested()
                    }
                    MenuItem {
                        text: qsTr("Log out")
                        onTriggered: App.logOut()
                    }
                    MenuItem {
                        text: qsTr("Quit")
                        onTriggered: App.quit()
                    }
                }
            }
        }

        Button {
            objectName: "switcherButton"
            Layout.fillWidth: true
            Layout.leftMargin: 12
            Layout.rightMargin: 12
            text: qsTr("Jump to a room…  Ctrl+K")
            flat: true
            palette.buttonText: Theme.sidebarMuted
            background: Rectangle {
                radius: 6
                color: Qt.rgba(1, 1, 1, 0.08)
            }
            onClicked: root.switcherRequested()
        }

        ScrollView {
            Layout.fillWidth: true
            Layout.fillHeight: true
            contentWidth: availableWidth
            clip: true

            ColumnLayout {
                width: parent.width
                spacing: 2

                SectionHeader {
                    title: qsTr("Channels")
                    addName: qsTr("Create or join a channel")
                    onAddClicked: channelMenu.popup()

                    Menu {
                        id: channelMenu

                        MenuItem {
                            text: qsTr("Create a channel…")
                            onTriggered: root.createRoomRequested()
                        }
                        MenuItem {
                            text: qsTr("Join a channel…")
                            onTriggered: root.joinRoomRequested()
                        }
                    }
                }
                RoomList {
                    objectName: "channelList"
                    Accessible.name: qsTr("Channels")
                    model: RoomFilter {
                        sourceModel: root.session ? root.session.rooms : null
                        section: RoomFilter.Channels
                    }
                }

                SectionHeader {
                    title: qsTr("Direct messages")
                    addName: qsTr("Message someone")
                    onAddClicked: root.directMessageRequested()
                }
                RoomList {
                    objectName: "directList"
                    Accessible.name: qsTr("Direct messages")
                    model: RoomFilter {
                        sourceModel: root.session ? root.session.rooms : null
                        section: RoomFilter.Direct
                    }
                }
                Item {
                    Layout.preferredHeight: 12
                }
            }
        }
    }
}
