import QtQuick
import QtQuick.Controls
import QtTest
import Confab.Ui

// The composer's keys: Enter sends, Shift+Enter adds a line, Up in an empty composer
// edits the last message, Esc cancels a reply or an edit. The room's Composer is a
// stand-in with the same properties.
Item {
    id: root

    width: 600
    height: 400

    Component {
        id: stubComponent

        QtObject {
            property string text: ""
            property real replyTo: 0
            property real editTarget: 0
            property bool editing: editTarget > 0
            property int cancels: 0

            function cancel() {
                cancels++
                editTarget = 0
                replyTo = 0
            }
        }
    }

    Component {
        id: composerComponent

        ComposerPane {
            width: 500
            y: 300
        }
    }

    SignalSpy {
        id: sendSpy

        signalName: "sendRequested"
    }
    SignalSpy {
        id: editSpy

        signalName: "editLastRequested"
    }

    TestCase {
        name: "Composer"
        when: windowShown

        property QtObject stub
        property Item pane

        function init() {
            stub = createTemporaryObject(stubComponent, root)
            pane = createTemporaryObject(composerComponent, root, {composer: stub})
            sendSpy.target = pane
            editSpy.target = pane
            sendSpy.clear()
            editSpy.clear()
            pane.focusInput()
            verify(pane.input.activeFocus)
        }

        function test_typingGoesToTheComposer() {
            keyClick("h")
            keyClick("i")
            compare(pane.input.text, "hi")
            compare(stub.text, "hi")
        }

        function test_composerTextShowsInTheField() {
            stub.text = "a draft from before"
            compare(pane.input.text, "a draft from before")
            compare(pane.input.cursorPosition, pane.input.length)
        }

        function test_enterSends() {
            keyClick("o")
            keyClick("k")
            keyClick(Qt.Key_Return)
            compare(sendSpy.count, 1)
            compare(pane.input.text, "ok") // the room clears it once the message is queued
        }

        function test_enterOnNothingSendsNothing() {
            keyClick(Qt.Key_Return)
            keyClick(Qt.Key_Space)
            keyClick(Qt.Key_Enter)
            compare(sendSpy.count, 0)
        }

        function test_shiftEnterStartsANewLine() {
            keyClick("a")
            keyClick(Qt.Key_Return, Qt.ShiftModifier)
            keyClick("b")
            compare(pane.input.text, "a\nb")
            compare(sendSpy.count, 0)
        }

        function test_upInAnEmptyComposerEditsTheLastMessage() {
            keyClick(Qt.Key_Up)
            compare(editSpy.count, 1)
        }

        function test_upWithTextMovesTheCursor() {
            keyClick("x")
            keyClick(Qt.Key_Up)
            compare(editSpy.count, 0)
        }

        function test_escapeCancelsAReply() {
            stub.replyTo = 42
            compare(pane.replyTo, 42)
            keyClick(Qt.Key_Escape)
            compare(stub.cancels, 1)
            compare(pane.replyTo, 0)
        }

        function test_escapeCancelsAnEdit() {
            stub.editTarget = 7
            verify(pane.editing)
            keyClick(Qt.Key_Escape)
            compare(stub.cancels, 1)
            verify(!pane.editing)
        }

        function test_escapeWithNothingToCancel() {
            keyClick(Qt.Key_Escape)
            compare(stub.cancels, 0)
        }

        function test_contextLineShowsReplyAndEdit() {
            const line = findChild(pane, "composerContext")
            verify(line)
            verify(!line.visible)
            pane.replyPreview = "Bob: hello"
            stub.replyTo = 3
            tryVerify(() => line.visible)
            compare(line.text, "Replying to Bob: hello")
            stub.replyTo = 0
            stub.editTarget = 3
            compare(line.text, "Editing your message")
        }

        function test_sendButtonFollowsTheText() {
            const send = findChild(pane, "sendButton")
            verify(!send.enabled)
            keyClick("y")
            verify(send.enabled)
            mouseClick(send)
            compare(sendSpy.count, 1)
        }
    }
}
