import QtQuick
import QtQuick.Controls
import QtTest
import Confab.Ui

// @name and :emoji: completion in the composer: Tab or Enter takes the selection, the
// arrows move it, Esc closes the list; and the Completer's rules on their own.
Item {
    id: root

    width: 600
    height: 400

    ListModel {
        id: memberModel

        ListElement { user: "bob"; displayName: "Bob Stone" }
        ListElement { user: "bea"; displayName: "Beatrice Ng" }
        ListElement { user: "carol"; displayName: "Carol Diaz" }
    }

    Component {
        id: stubComponent

        QtObject {
            property string text: ""
            property real replyTo: 0
            property bool editing: false
            function cancel() {}
        }
    }

    Component {
        id: composerComponent

        ComposerPane {
            width: 500
            y: 300
            members: memberModel
        }
    }

    Component {
        id: completerComponent

        Completer {
            members: memberModel
        }
    }

    SignalSpy {
        id: sendSpy

        signalName: "sendRequested"
    }

    TestCase {
        name: "Completion"
        when: windowShown

        property Item pane

        function init() {
            pane = createTemporaryObject(composerComponent, root,
                                         {composer: createTemporaryObject(stubComponent, root)})
            sendSpy.target = pane
            sendSpy.clear()
            pane.focusInput()
        }

        function type(text) {
            for (const c of text)
                keyClick(c)
        }

        function test_atOpensTheMembers() {
            type("hi @b")
            verify(pane.completing)
            const popup = findChild(pane, "completionPopup")
            tryVerify(() => popup.visible)
        }

        function test_tabTakesTheFirst() {
            type("hi @b")
            keyClick(Qt.Key_Tab)
            compare(pane.input.text, "hi @bob ")
            compare(pane.input.cursorPosition, 8)
            verify(!pane.completing)
        }

        function test_downThenEnterTakesTheSecond() {
            type("@b")
            keyClick(Qt.Key_Down)
            keyClick(Qt.Key_Return)
            compare(pane.input.text, "@bea ")
            compare(sendSpy.count, 0) // Enter took the name, it did not send
        }

        function test_upWrapsAround() {
            type("@b")
            keyClick(Qt.Key_Up)
            keyClick(Qt.Key_Tab)
            compare(pane.input.text, "@bea ")
        }

        function test_displayNameMatches() {
            type("@diaz")
            verify(pane.completing)
            keyClick(Qt.Key_Tab)
            compare(pane.input.text, "@carol ")
        }

        function test_escapeClosesAndTypingReopens() {
            type("@c")
            verify(pane.completing)
            keyClick(Qt.Key_Escape)
            verify(!pane.completing)
            keyClick("a")
            verify(pane.completing)
        }

        function test_emojiByShortcode() {
            type("ship it :tad")
            verify(pane.completing)
            keyClick(Qt.Key_Tab)
            compare(pane.input.text, "ship it 🎉 ")
        }

        function test_timesAndSmileysDoNotComplete() {
            type("at 10:30 :)")
            verify(!pane.completing)
        }

        function test_completerRules() {
            const c = createTemporaryObject(completerComponent, root)
            c.text = "@"
            c.cursorPosition = 1
            compare(c.count, 4) // three members and @room
            compare(c.mode, Completer.User)
            c.text = "mail@bob"
            c.cursorPosition = 8
            compare(c.count, 0) // an @ inside a word is no mention
            c.text = "@roo"
            c.cursorPosition = 4
            compare(c.count, 1)
            const r = c.accept()
            compare(r.text, "@room ")
            c.text = ":+1"
            c.cursorPosition = 3
            compare(c.mode, Completer.Emoji)
            compare(c.accept().text, "👍 ")
        }

        function test_completesInTheMiddleOfText() {
            const c = createTemporaryObject(completerComponent, root)
            c.text = "hey @ca how are you"
            c.cursorPosition = 7
            verify(c.active)
            const r = c.accept()
            compare(r.text, "hey @carol how are you")
            compare(r.cursorPosition, 11)
        }
    }
}
