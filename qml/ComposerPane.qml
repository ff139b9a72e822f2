pragma ComponentBehavior: Bound
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Confab.Ui

// Where messages are written. Enter sends, Shift+Enter starts a new line, Up in an
// empty composer edits the last message, Esc cancels a reply or an edit; @name and
// :emoji: complete with Tab (or Enter) and the arrows. The text lives in the room's
// Composer, so drafts survive room switches and restarts.
Pane {
    id: root

    // The room's Composer (text, replyTo, editing, cancel()), or anything shaped like it.
    property QtObject composer
    // The room's members (roles user and displayName) for @ completion.
    property var members: null
    property string placeholder
    property string replyPreview
    readonly property real replyTo: root.composer ? root.composer.replyTo : 0
    readonly property bool editing: root.composer ? root.composer.editing : false
    readonly property alias completing: completer.active
    readonly property alias input: input

    signal sendRequested
    signal editLastRequested
    // The attach button; a paste (Ctrl+V) the handler may take as an attachment by
    // setting event.accepted (else the text is pasted as usual).
    signal attachRequested
    signal pasteRequested(var event)

    function focusInput() {
        input.forceActiveFocus()
    }

    function acceptCompletion() {
        const r = completer.accept()
        if (r.text === undefined)
            return
        input.text = r.text
        input.cursorPosition = r.cursorPosition
    }

    objectName: "composer"
    padding: 12
    topPadding: 4
    background: Rectangle {
        color: Theme.window
    }

    Completer {
        id: completer

        text: input.text
        cursorPosition: input.cursorPosition
        members: root.members
    }

    // The composer's text follows the room's Composer both ways (room switches, edits).
    Connections {
        target: root.composer

        function onTextChanged() {
            if (input.text !== root.composer.text) {
                input.text = root.composer.text
                input.cursorPosition = input.length
            }
        }
    }
    onComposerChanged: {
        input.text = root.composer ? root.composer.text : ""
        input.cursorPosition = input.length
    }

    ColumnLayout {
        anchors.fill: parent
        spacing: 4

        RowLayout {
            visible: root.replyTo > 0 || root.editing
            Layout.fillWidth: true
            spacing: 8

            Label {
                objectName: "composerContext"
                text: root.editing ? qsTr("Editing your message") : qsTr("Replying to %1").arg(root.replyPreview)
                color: Theme.mutedText
                font.pixelSize: 12
                elide: Text.ElideRight
                Layout.fillWidth: true
            }
            ToolButton {
                objectName: "cancelContextButton"
                text: qsTr("Cancel (Esc)")
                font.pixelSize: 12
                onClicked: root.composer.cancel()
            }
        }

        Rectangle {
            Layout.fillWidth: true
            implicitHeight: Math.min(scroll.implicitHeight, 200) + 2
            radius: 8
            color: Theme.base
            border.color: input.activeFocus ? Theme.accent : Theme.border

            ScrollView {
                id: scroll

                anchors.fill: parent
                anchors.margins: 1

                TextArea {
                    id: input

                    objectName: "composerInput"
                    placeholderText: root.placeholder
                    wrapMode: TextEdit.Wrap
                    textFormat: TextEdit.PlainText
                    background: null
                    padding: 10
                    leftPadding: 40
                    rightPadding: 60
                    color: Theme.text
                    selectByMouse: true
                    focus: true
                    Accessible.name: qsTr("Message")
                    Accessible.description: qsTr("Enter sends, Shift+Enter adds a line")

                    onTextChanged: {
                        if (root.composer && root.composer.text !== input.text)
                            root.composer.text = input.text
                    }

                    Keys.onPressed: event => {
                        if (event.matches(StandardKey.Paste)) {
                            event.accepted = false
                            root.pasteRequested(event)
                            return
                        }
                        const plain = event.modifiers === Qt.NoModifier || event.modifiers === Qt.KeypadModifier
                        if (completer.active) {
                            if (event.key === Qt.Key_Tab || ((event.key === Qt.Key_Return || event.key === Qt.Key_Enter) && plain)) {
                                root.acceptCompletion()
                                event.accepted = true
                                return
                            }
                            if (event.key === Qt.Key_Down) {
                                completer.next()
                                event.accepted = true
                                return
                            }
                            if (event.key === Qt.Key_Up) {
                                completer.previous()
                                event.accepted = true
                                return
                            }
                            if (event.key === Qt.Key_Escape) {
                                completer.dismiss()
                                event.accepted = true
                                return
                            }
                        }
                        if ((event.key === Qt.Key_Return || event.key === Qt.Key_Enter) && plain) {
                            if (input.text.trim() !== "")
                                root.sendRequested()
                            event.accepted = true
                        } else if (event.key === Qt.Key_Up && plain && input.text === "") {
                            root.editLastRequested()
                            event.accepted = true
                        } else if (event.key === Qt.Key_Escape && (root.editing || root.replyTo > 0)) {
                            root.composer.cancel()
                            event.accepted = true
                        }
                    }
                }
            }

            ToolButton {
                objectName: "attachButton"
                anchors.left: parent.left
                anchors.bottom: parent.bottom
                anchors.margins: 3
                text: "📎"
                font.pixelSize: 16
                visible: !root.editing
                focusPolicy: Qt.NoFocus
                Accessible.name: qsTr("Attach files")
                ToolTip.visible: hovered
                ToolTip.delay: 300
                ToolTip.text: qsTr("Attach files (or drop them here, or paste an image)")
                onClicked: root.attachRequested()
            }

            Button {
                objectName: "sendButton"
                anchors.right: parent.right
                anchors.bottom: parent.bottom
                anchors.margins: 5
                text: root.editing ? qsTr("Save") : qsTr("Send")
                highlighted: true
                enabled: input.text.trim() !== ""
                focusPolicy: Qt.NoFocus
                onClicked: root.sendRequested()
            }
        }
    }

    CompletionPane {
        completer: completer
        anchorItem: input
        onActivated: root.acceptCompletion()
    }
}
