import QtQuick
import QtQuick.Controls
import QtTest
import Confab.Ui

// Every kind of timeline row as the delegates draw it: a message with its header or
// grouped under the previous one, a reply (its quote jumps), edited, deleted, with
// reactions (a click toggles), pending and failed (retry, discard), the day separator
// and the new-messages divider, the room changes (join, leave, topic), and a member's
// presence line (also unknown, while the link is down).
Item {
    id: root

    width: 700
    height: 600

    // What the timeline model gives a text row, with the defaults of a plain message.
    function message(overrides) {
        const row = {
            index: 0, seq: 10, clientMsgId: "c1", sender: "bob", senderName: "Bob Stone",
            body: "hello **there**", html: "<p>hello <strong>there</strong></p>\n",
            timestamp: new Date(2026, 0, 5, 9, 30), showDay: false, grouped: false,
            edited: false, deleted: false, replyTo: 0, replySender: "", replyBody: "",
            reactions: [], delivery: 0, errorText: "", mine: false, width: 600,
            kind: "text", file: null, localUrl: "", uploadProgress: -1
        }
        for (const k in overrides)
            row[k] = overrides[k]
        return row
    }

    Component {
        id: messageComponent

        MessageDelegate {}
    }

    Component {
        id: stateComponent

        StateEventDelegate {}
    }

    Component {
        id: memberComponent

        MemberDelegate {}
    }

    SignalSpy {
        id: spy
    }

    TestCase {
        name: "Delegates"
        when: windowShown

        function make(overrides) {
            const d = createTemporaryObject(messageComponent, root, root.message(overrides))
            verify(d)
            return d
        }

        function shown(item, name) {
            const child = findChild(item, name)
            return child !== null && child.visible
        }

        function test_plainMessage() {
            const d = make({})
            const body = findChild(d, "messageBody")
            verify(body.visible)
            verify(body.text.indexOf("<strong>there</strong>") >= 0)
            verify(!shown(d, "messageBodySelectable")) // the cheap Text until hovered
            verify(!shown(d, "replyQuote"))
            verify(!shown(d, "deliveryStatus"))
            verify(d.height > 30)
        }

        function test_groupedIsShorter() {
            const first = make({})
            const next = make({grouped: true})
            verify(next.height < first.height)
        }

        function test_replyQuoteJumps() {
            const d = make({replyTo: 4, replySender: "Alice", replyBody: "the build is green"})
            const quote = findChild(d, "replyQuote")
            verify(quote && quote.visible)
            spy.target = d
            spy.signalName = "replyClicked"
            spy.clear()
            mouseClick(quote)
            compare(spy.count, 1)
            compare(spy.signalArguments[0][0], 4)
        }

        function test_replyToAnUnloadedMessage() {
            const d = make({replyTo: 2})
            const quote = findChild(d, "replyQuote")
            verify(quote.visible)
            verify(quote.Accessible.name.length > 0)
        }

        function test_editedMessage() {
            const d = make({edited: true})
            verify(shown(d, "editedLabel"))
            verify(!shown(make({}), "editedLabel"))
        }

        function test_deletedMessage() {
            const d = make({deleted: true, body: "", html: "", reactions: [{emoji: "👍", count: 1, you: false, users: ["a"]}]})
            verify(!findChild(d, "messageBody").visible)
            verify(!shown(d, "reaction_👍")) // a deleted message keeps no reactions
            verify(d.Accessible.name.indexOf("deleted") >= 0)
        }

        function test_reactionsToggle() {
            const d = make({reactions: [{emoji: "👍", count: 2, you: true, users: ["alice", "bob"]},
                                        {emoji: "🎉", count: 1, you: false, users: ["carol"]}]})
            const party = findChild(d, "reaction_🎉")
            verify(party && party.visible)
            spy.target = d
            spy.signalName = "reactionToggled"
            spy.clear()
            mouseClick(party)
            compare(spy.count, 1)
            compare(spy.signalArguments[0][0], 10)
            compare(spy.signalArguments[0][1], "🎉")
            verify(findChild(d, "reaction_👍").Accessible.name.indexOf("including you") >= 0)
        }

        function test_pendingMessage() {
            const d = make({seq: 0, delivery: 1, mine: true})
            verify(shown(d, "deliveryStatus"))
            compare(findChild(d, "deliveryText").text, "Sending…")
            verify(!findChild(d, "retryButton").visible)
        }

        function test_imageIsSizedBeforeItLoads() {
            // 1600 x 900 shown at most 360 wide and 280 high: 360 x 203 (no cache, so
            // the thumbnail never loads, and the row is as high as it will be anyway).
            const d = make({kind: "file", body: "", html: "", file: {
                id: "a".repeat(32), name: "shot.png", size: 48213, mime: "image/png",
                width: 1600, height: 900, thumb: "b".repeat(32), image: true}})
            const pane = findChild(d, "fileMessage")
            verify(pane && pane.visible)
            compare(pane.implicitWidth, 360)
            compare(pane.implicitHeight, 203)
            verify(!shown(d, "fileCard"))
            verify(!shown(d, "messageBody")) // no caption
            const tall = make({kind: "file", body: "", html: "", file: {
                id: "a".repeat(32), name: "tall.jpg", size: 1, mime: "image/jpeg",
                width: 800, height: 1200, thumb: "b".repeat(32), image: true}})
            compare(findChild(tall, "fileMessage").implicitHeight, 280)
            compare(findChild(tall, "fileMessage").implicitWidth, 187)
        }

        function test_fileCardWithCaption() {
            const d = make({kind: "file", body: "the logs", html: "<p>the logs</p>", file: {
                id: "a".repeat(32), name: "server.log", size: 1234567, mime: "text/plain",
                width: 0, height: 0, thumb: "", image: false}})
            verify(shown(d, "fileCard"))
            compare(findChild(d, "fileName").text, "server.log")
            verify(shown(d, "fileOpenButton") && shown(d, "fileSaveButton"))
            verify(shown(d, "messageBody"))
            verify(!shown(d, "uploadProgress"))
        }

        function test_uploadShowsProgressAndCancels() {
            const d = make({kind: "file", seq: 0, delivery: 1, mine: true, body: "", html: "",
                uploadProgress: 0.25, file: {id: "", name: "big.iso", size: 4000000,
                mime: "application/octet-stream", width: 0, height: 0, thumb: "", image: false}})
            verify(shown(d, "uploadProgress"))
            compare(findChild(d, "uploadProgress").value, 0.25)
            verify(!shown(d, "fileOpenButton")) // not on the server yet
            spy.target = d
            spy.signalName = "discardRequested"
            spy.clear()
            mouseClick(findChild(d, "cancelUploadButton"))
            compare(spy.count, 1)
            compare(spy.signalArguments[0][0], "c1")
        }

        function test_failedMessageRetriesAndDiscards() {
            const d = make({seq: 0, delivery: 2, mine: true, errorText: "too large"})
            compare(findChild(d, "deliveryText").text, "Not sent: too large")
            spy.target = d
            spy.signalName = "retryRequested"
            spy.clear()
            mouseClick(findChild(d, "retryButton"))
            compare(spy.count, 1)
            compare(spy.signalArguments[0][0], "c1")
            spy.signalName = "discardRequested"
            spy.clear()
            mouseClick(findChild(d, "discardButton"))
            compare(spy.count, 1)
        }

        function test_daySeparatorAndDivider() {
            const plain = make({})
            const d = make({showDay: true, showDivider: true})
            verify(shown(d, "unreadDivider"))
            verify(d.height > plain.height + 40)
        }

        function test_mentionIsHighlighted() {
            const d = make({mentionsMe: true})
            verify(d.mentionsMe)
        }

        function test_toolbarOnHover() {
            const d = make({mine: true})
            verify(!shown(d, "messageToolbar"))
            mouseMove(d, d.width / 2, d.height / 2)
            tryVerify(() => shown(d, "messageToolbar"))
            // Hovered: the body turns selectable, with the same text.
            const selectable = findChild(d, "messageBodySelectable")
            verify(selectable && selectable.visible)
            verify(!findChild(d, "messageBody").visible)
            compare(selectable.getText(0, selectable.length), "hello there")
            verify(shown(d, "editAction"))
            spy.target = d
            spy.signalName = "replyRequested"
            spy.clear()
            mouseClick(findChild(d, "replyAction"))
            compare(spy.count, 1)
        }

        function test_noToolbarOnOthersEdit() {
            const d = make({mine: false})
            mouseMove(d, d.width / 2, d.height / 2)
            tryVerify(() => shown(d, "messageToolbar"))
            verify(!shown(d, "editAction"))
            verify(!shown(d, "deleteAction"))
        }

        function test_stateEvents_data() {
            return [
                {tag: "join", kind: "join", body: "", expect: "Bob Stone joined"},
                {tag: "leave", kind: "leave", body: "", expect: "Bob Stone left"},
                {tag: "topic", kind: "topic", body: "Ship it", expect: "Bob Stone set the topic: Ship it"},
                {tag: "topic cleared", kind: "topic", body: "", expect: "Bob Stone cleared the topic"}
            ]
        }

        function test_stateEvents(data) {
            const d = createTemporaryObject(stateComponent, root, {
                seq: 3, kind: data.kind, sender: "bob", senderName: "Bob Stone", body: data.body,
                timestamp: new Date(), showDay: false, width: 600
            })
            verify(d.Accessible.name.startsWith(data.expect))
        }

        function test_memberPresence_data() {
            return [
                {tag: "online", presence: "online", expect: "Bob Stone, online"},
                {tag: "away", presence: "away", expect: "Bob Stone, away"},
                {tag: "offline", presence: "offline", expect: "Bob Stone, offline"},
                {tag: "link down", presence: "unknown", expect: "Bob Stone, presence unknown"}
            ]
        }

        function test_memberPresence(data) {
            const d = createTemporaryObject(memberComponent, root, {
                user: "bob", displayName: "Bob Stone", presence: data.presence, width: 240
            })
            compare(d.Accessible.name, data.expect)
        }
    }
}
