pragma ComponentBehavior: Bound
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Confab.Core
import Confab.Ui

// What can be done to a message, by mouse or keyboard: the context menu, the reaction
// picker, the delete confirmation, and the keys of a selected message (R reply, E edit,
// Del delete, + react, Ctrl+C copy, Menu for the menu, Esc back to the composer).
Item {
    id: root

    property Room room
    property ListView view
    signal focusComposerRequested

    function reply(seq) {
        root.room.composer.startReply(seq)
        root.focusComposerRequested()
    }

    function edit(seq, body) {
        root.room.composer.startEdit(seq, body)
        root.focusComposerRequested()
    }

    function remove(seq) {
        confirmDelete.seq = seq
        confirmDelete.open()
    }

    function pickReaction(seq, anchor) {
        picker.seq = seq
        picker.parent = anchor
        picker.x = anchor.width - picker.width
        picker.y = anchor.height + 2
        picker.open()
    }

    function openMenu(item) {
        menu.target = item
        menu.popup(item, Math.min(item.width - menu.width, 64), 24)
    }

    function isMessage(item) {
        return item !== null && item.objectName === "messageDelegate"
    }

    function handleKey(event) {
        const item = root.view.currentItem
        if (event.key === Qt.Key_Escape) {
            root.view.currentIndex = -1
            root.focusComposerRequested()
            event.accepted = true
            return
        }
        if (!root.isMessage(item) || !item.delivered || item.deleted)
            return
        if (event.key === Qt.Key_R && event.modifiers === Qt.NoModifier) {
            root.reply(item.seq)
        } else if (event.key === Qt.Key_E && event.modifiers === Qt.NoModifier && item.mine
                   && item.kind === "text") {
            root.edit(item.seq, item.body)
        } else if (event.key === Qt.Key_Delete && item.mine) {
            root.remove(item.seq)
        } else if (event.key === Qt.Key_Plus || event.text === "+") {
            root.pickReaction(item.seq, item)
        } else if (event.key === Qt.Key_C && (event.modifiers & Qt.ControlModifier)) {
            Ui.copyText(item.body)
        } else if (event.key === Qt.Key_Menu || (event.key === Qt.Key_F10 && (event.modifiers & Qt.ShiftModifier))) {
            root.openMenu(item)
        } else {
            return
        }
        event.accepted = true
    }

    Menu {
        id: menu

        property Item target
        readonly property bool usable: root.isMessage(menu.target) && menu.target.delivered && !menu.target.deleted

        objectName: "messageMenu"

        MenuItem {
            text: qsTr("Reply")
            enabled: menu.usable
            onTriggered: root.reply(menu.target.seq)
        }
        MenuItem {
            text: qsTr("React…")
            enabled: menu.usable
            onTriggered: root.pickReaction(menu.target.seq, menu.target)
        }
        MenuItem {
            text: qsTr("Copy text")
            enabled: root.isMessage(menu.target) && !menu.target.deleted
            onTriggered: Ui.copyText(menu.target.body)
        }
        MenuItem {
            text: qsTr("Edit")
            visible: menu.usable && menu.target.mine && menu.target.kind === "text"
            height: visible ? implicitHeight : 0
            onTriggered: root.edit(menu.target.seq, menu.target.body)
        }
        MenuItem {
            text: qsTr("Delete…")
            visible: menu.usable && menu.target.mine
            height: visible ? implicitHeight : 0
            onTriggered: root.remove(menu.target.seq)
        }
    }

    Popup {
        id: picker

        property real seq: 0

        objectName: "reactionPicker"
        padding: 4
        focus: true

        Row {
            spacing: 2

            Repeater {
                model: Ui.quickReactions

                delegate: ToolButton {
                    id: emojiButton

                    required property string modelData
                    required property int index

                    objectName: "pick_" + emojiButton.index
                    text: emojiButton.modelData
                    font.pixelSize: 18
                    focus: emojiButton.index === 0
                    Accessible.name: qsTr("React with %1").arg(emojiButton.modelData)
                    Keys.onRightPressed: emojiButton.nextItemInFocusChain(true).forceActiveFocus()
                    Keys.onLeftPressed: emojiButton.nextItemInFocusChain(false).forceActiveFocus()
                    onClicked: {
                        root.room.react(picker.seq, emojiButton.modelData)
                        picker.close()
                    }
                }
            }
        }
    }

    FormDialog {
        id: confirmDelete

        property real seq: 0

        objectName: "confirmDeleteDialog"
        title: qsTr("Delete this message?")
        standardButtons: Dialog.Cancel | Dialog.Ok
        Component.onCompleted: standardButton(Dialog.Ok).text = qsTr("Delete")

        Label {
            text: qsTr("It is removed for everyone in the room.")
            color: Theme.text
        }
        onAccepted: root.room.remove(confirmDelete.seq)
    }
}
