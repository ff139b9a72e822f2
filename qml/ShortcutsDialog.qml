pragma ComponentBehavior: Bound
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Confab.Ui

// Ctrl+/: every keyboard shortcut of the app.
FormDialog {
    id: root

    objectName: "shortcutsDialog"
    width: 520
    height: Math.min(parent.height * 0.85, 600)
    title: qsTr("Keyboard shortcuts")
    standardButtons: Dialog.Close

    readonly property var shortcuts: [
        [qsTr("Ctrl+K"), qsTr("Jump to a room")],
        [qsTr("Ctrl+F"), qsTr("Search this room")],
        [qsTr("Ctrl+Shift+F"), qsTr("Search all rooms")],
        [qsTr("Alt+Shift+Down / Up"), qsTr("Next / previous room with unread messages")],
        [qsTr("Ctrl+N"), qsTr("Create a channel")],
        [qsTr("Ctrl+J"), qsTr("Join a channel")],
        [qsTr("Ctrl+D"), qsTr("Message someone")],
        [qsTr("Ctrl+M"), qsTr("Show or hide members")],
        [qsTr("Ctrl+,"), qsTr("Settings")],
        [qsTr("Ctrl+/"), qsTr("This list")],
        [qsTr("Enter"), qsTr("Send the message")],
        [qsTr("Shift+Enter"), qsTr("New line")],
        [qsTr("Up (empty composer)"), qsTr("Edit your last message")],
        [qsTr("Esc"), qsTr("Cancel the reply or edit")],
        [qsTr("@ / :"), qsTr("Complete a name or an emoji (Tab or Enter takes it)")],
        [qsTr("Shift+PgUp"), qsTr("Jump to the first unread message")],
        [qsTr("Shift+PgDown, Ctrl+End"), qsTr("Jump to the latest message")],
        [qsTr("PgUp / PgDown"), qsTr("Scroll the messages")],
        [qsTr("Tab to the messages, then Up / Down"), qsTr("Select a message")],
        [qsTr("R / E / Del / +"), qsTr("Reply to, edit, delete, react to the selected message")],
        [qsTr("Ctrl+C"), qsTr("Copy the selected message")],
        [qsTr("Menu, Shift+F10"), qsTr("Actions of the selected message")],
        [qsTr("Ctrl+Q"), qsTr("Quit")]
    ]

    ListView {
        anchors.fill: parent
        clip: true
        model: root.shortcuts
        Accessible.role: Accessible.List
        Accessible.name: qsTr("Keyboard shortcuts")
        ScrollBar.vertical: ScrollBar {}

        delegate: RowLayout {
            id: line

            required property var modelData

            width: ListView.view.width - 12
            spacing: 12
            Accessible.role: Accessible.ListItem
            Accessible.name: line.modelData[0] + ": " + line.modelData[1]

            Label {
                text: line.modelData[0]
                font.family: "monospace"
                color: Theme.text
                Layout.preferredWidth: 200
                Layout.topMargin: 4
                wrapMode: Text.Wrap
            }
            Label {
                text: line.modelData[1]
                color: Theme.mutedText
                wrapMode: Text.Wrap
                Layout.fillWidth: true
                Layout.topMargin: 4
            }
        }
    }
}
