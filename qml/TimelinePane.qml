// Not "pragma ComponentBehavior: Bound": Qt 6.4's views and Loader refuse to create bound
// inline components ("Cannot instantiate bound component outside its creation context").
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Qt.labs.qmlmodels
import Confab.Core
import Confab.Ui

// The open room: its timeline (newest at the bottom, laid out bottom to top so older
// pages load at the far end without moving what is on screen), who is typing, and the
// composer. Keeps the "new messages" divider where the read marker was when the room
// was opened, and tells the room what has been seen.
Pane {
    id: root

    property Room room
    property ClientSession session

    objectName: "timelinePane"
    property real dividerSeq: 0
    property bool dividerFrozen: false
    // The message a jump landed on, marked for a moment.
    property real flashSeq: 0
    // After a jump the timeline shows older history: newer pages load at the bottom.
    readonly property bool detached: root.room !== null && !root.room.timeline.atNewest
    readonly property bool atLatest: (view.atYEnd || view.count === 0) && !root.detached

    padding: 0
    background: Rectangle {
        color: Theme.window
    }

    function focusComposer() {
        composer.focusInput()
    }

    // Files dropped on the room, chosen with the attach button or pasted: each is
    // uploaded from the outbox and posted when complete. The number attached.
    function attachFiles(urls) {
        if (!root.room || !root.room.member)
            return 0
        if (typeof urls === "string")
            urls = [urls]
        let attached = 0
        for (let i = 0; i < urls.length; ++i) {
            if (root.room.sendFile(urls[i].toString()))
                ++attached
        }
        if (attached > 0)
            root.jumpToLatest()
        return attached
    }

    function jumpToLatest() {
        view.currentIndex = -1
        if (root.detached) {
            root.room.jumpToNewest() // positioned when the newest page is shown
            return
        }
        view.positionViewAtBeginning()
        root.markViewed()
    }

    function jumpToFirstUnread() {
        if (root.dividerSeq > 0)
            root.jumpToSeq(root.dividerSeq)
    }

    // A reply quote, a notification or a search result: the room loads the history around
    // the message when the timeline does not hold it, then says jumped().
    function jumpToSeq(seq) {
        if (root.room && seq > 0)
            root.room.jumpTo(seq)
    }

    function showJumped(seq) {
        if (seq <= 0) {
            view.currentIndex = -1
            view.positionViewAtBeginning()
            root.markViewed()
            return
        }
        const row = Ui.rowOfSeq(root.room.timeline, seq)
        if (row < 0)
            return
        view.positionViewAtIndex(row, ListView.Center)
        view.currentIndex = row
        view.forceActiveFocus()
        root.flashSeq = seq
        flashTimer.restart()
    }

    // Whether the row of seq is wholly on screen (tests: what a jump showed).
    function shows(seq) {
        const row = root.room ? Ui.rowOfSeq(root.room.timeline, seq) : -1
        const item = row >= 0 ? view.itemAtIndex(row) : null
        return item !== null && item.y >= view.contentY
               && item.y + item.height <= view.contentY + view.height
    }

    function loadNewerIfNear() {
        if (root.detached && view.count > 0
                && view.originY + view.contentHeight - (view.contentY + view.height) < view.height)
            root.room.loadNewer()
    }

    function freezeDivider() {
        if (!root.room || root.dividerFrozen || view.count === 0)
            return
        root.dividerSeq = Ui.markerSeq(root.room.timeline, root.room.timeline.readSeq)
        root.dividerFrozen = true
    }

    // The newest row the user can see counts as read (the room checks the window is active).
    function markViewed() {
        if (!root.room || view.count === 0)
            return
        const row = view.indexAt(view.width / 2, view.contentY + view.height - 2)
        const seq = Ui.seqAtOrBelow(root.room.timeline, row < 0 ? 0 : row)
        if (seq > 0)
            root.room.viewed(seq)
    }

    function loadOlderIfNear() {
        if (root.room && view.count > 0 && view.contentY - view.originY < view.height)
            root.room.loadOlder()
    }

    onRoomChanged: {
        root.dividerFrozen = false
        root.dividerSeq = 0
        root.flashSeq = 0
        view.currentIndex = -1
        root.freezeDivider()
    }

    Connections {
        target: root.session

        function onWindowActiveChanged() {
            if (root.session.windowActive) {
                root.dividerFrozen = false
                root.freezeDivider()
                readTimer.restart()
            }
        }
    }

    // Rows inserted at the newest end while the user reads further up (a newer page after
    // a jump, a live message) would push what is on screen away: the row in the middle
    // stays where it was. The view is put back once it has taken the rows in: laying it
    // out from the model's rowsInserted itself could run before the view's own handler and
    // give new delegates the data of the wrong rows.
    property real anchorSeq: 0
    property real anchorOffset: 0
    function restoreAnchor() {
        if (root.anchorSeq <= 0 || !root.room)
            return
        view.forceLayout()
        const item = view.itemAtIndex(Ui.rowOfSeq(root.room.timeline, root.anchorSeq))
        if (item)
            view.contentY = item.y - root.anchorOffset
        root.anchorSeq = 0
    }
    Connections {
        target: root.room ? root.room.timeline : null

        function onRowsAboutToBeInserted(parent, first, last) {
            if (first !== 0 || view.count === 0 || root.atLatest || root.anchorSeq > 0)
                return
            const row = view.indexAt(view.width / 2, view.contentY + view.height / 2)
            const item = row >= 0 ? view.itemAtIndex(row) : null
            if (!item)
                return
            root.anchorSeq = Ui.seqAtOrBelow(root.room.timeline, row)
            root.anchorOffset = item.y - view.contentY
        }
        function onRowsInserted(parent, first, last) {
            if (root.anchorSeq > 0)
                Qt.callLater(root.restoreAnchor)
        }
        function onModelReset() {
            root.anchorSeq = 0
        }
    }

    Connections {
        target: root.room

        function onJumped(seq) {
            // The rows were just replaced: lay them out first.
            Qt.callLater(root.showJumped, seq)
        }
    }

    Timer {
        id: readTimer

        interval: 250
        onTriggered: {
            root.markViewed()
            root.loadOlderIfNear()
            root.loadNewerIfNear()
        }
    }

    Timer {
        id: flashTimer

        interval: 1200
        onTriggered: root.flashSeq = 0
    }

    Shortcut {
        sequence: "Shift+PgUp"
        enabled: root.visible
        onActivated: root.jumpToFirstUnread()
    }
    Shortcut {
        sequences: ["Shift+PgDown", "Ctrl+End"]
        enabled: root.visible
        onActivated: root.jumpToLatest()
    }
    Shortcut {
        sequence: "PgUp"
        enabled: root.visible
        onActivated: view.flick(0, view.height * 4)
    }
    Shortcut {
        sequence: "PgDown"
        enabled: root.visible
        onActivated: view.flick(0, -view.height * 4)
    }

    ColumnLayout {
        anchors.fill: parent
        spacing: 0

        Item {
            Layout.fillWidth: true
            Layout.fillHeight: true

            ListView {
                id: view

                objectName: "timelineView"
                anchors.fill: parent
                clip: true
                model: root.room ? root.room.timeline : null
                verticalLayoutDirection: ListView.BottomToTop
                reuseItems: true
                cacheBuffer: 2000
                currentIndex: -1
                highlightFollowsCurrentItem: false
                keyNavigationEnabled: true
                activeFocusOnTab: true
                boundsBehavior: Flickable.StopAtBounds
                Accessible.role: Accessible.List
                Accessible.name: qsTr("Messages")

                onCountChanged: {
                    root.freezeDivider()
                    readTimer.restart()
                }
                onContentYChanged: {
                    readTimer.restart()
                    root.loadOlderIfNear() // while a fling runs, not only once it rests
                    root.loadNewerIfNear()
                }

                Keys.onPressed: event => actions.handleKey(event)

                delegate: DelegateChooser {
                    role: "rowType"

                    DelegateChoice {
                        roleValue: "message"

                        MessageDelegate {
                            files: root.session ? root.session.files : null
                            onImageRequested: (id, thumbId, name, w, h) => viewer.show(id, thumbId, name, w, h)
                            width: ListView.view.width
                            showDivider: root.dividerSeq > 0 && seq === root.dividerSeq
                            current: ListView.isCurrentItem && view.activeFocus
                            flash: root.flashSeq > 0 && seq === root.flashSeq
                            mentionsMe: !mine && root.session !== null
                                        && Ui.mentions(body, root.session.userName, root.session.displayName)
                            onReplyClicked: target => root.jumpToSeq(target)
                            onReactionToggled: (target, emoji) => root.room.react(target, emoji)
                            onReactionPickerRequested: (target, anchor) => actions.pickReaction(target, anchor)
                            onReplyRequested: target => actions.reply(target)
                            onEditRequested: (target, text) => actions.edit(target, text)
                            onDeleteRequested: target => actions.remove(target)
                            onMenuRequested: item => actions.openMenu(item)
                            onRetryRequested: id => root.room.retry(id)
                            onDiscardRequested: id => root.room.discard(id)
                        }
                    }
                    DelegateChoice {
                        StateEventDelegate {
                            width: ListView.view.width
                            showDivider: root.dividerSeq > 0 && seq === root.dividerSeq
                        }
                    }
                }

                header: Item {
                    width: ListView.view ? ListView.view.width : 0
                    height: root.detached ? newerLabel.implicitHeight + 24 : 8

                    Label {
                        id: newerLabel

                        anchors.centerIn: parent
                        visible: root.detached
                        color: Theme.mutedText
                        text: qsTr("Loading newer messages…")
                    }
                }
                footer: Item {
                    width: ListView.view ? ListView.view.width : 0
                    height: olderLabel.implicitHeight + 24

                    Label {
                        id: olderLabel

                        anchors.centerIn: parent
                        color: Theme.mutedText
                        text: !root.room ? ""
                              : root.room.timeline.atBeginning ? qsTr("This is the start of %1.").arg(root.room.name)
                              : qsTr("Loading older messages…")
                    }
                }

                ScrollBar.vertical: ScrollBar {}
            }

            RoundButton {
                objectName: "jumpToUnreadButton"
                visible: root.dividerSeq > 0 && root.room !== null && root.room.unreadCount > 0
                anchors.top: parent.top
                anchors.horizontalCenter: parent.horizontalCenter
                anchors.topMargin: 8
                text: qsTr("↑ Jump to first unread (Shift+PgUp)")
                font.pixelSize: 12
                onClicked: root.jumpToFirstUnread()
            }

            RoundButton {
                objectName: "jumpToLatestButton"
                visible: !root.atLatest
                anchors.right: parent.right
                anchors.bottom: parent.bottom
                anchors.margins: 16
                text: root.detached ? qsTr("↓ Jump to newest") : qsTr("↓ Latest")
                highlighted: true
                Accessible.name: qsTr("Jump to the latest message")
                onClicked: root.jumpToLatest()
            }
        }

        TypingPane {
            typing: root.room ? root.room.typing : null
            Layout.fillWidth: true
        }

        // A public channel this user reads without being in it: join to write.
        Pane {
            objectName: "joinBar"
            visible: root.room !== null && !root.room.member
            Layout.fillWidth: true
            padding: 12
            background: Rectangle {
                color: Theme.infoBackground
            }

            RowLayout {
                anchors.fill: parent
                spacing: 12

                Label {
                    text: root.room ? qsTr("You are reading #%1 without being a member.").arg(root.room.name) : ""
                    color: Theme.text
                    elide: Text.ElideRight
                    Layout.fillWidth: true
                }
                Button {
                    objectName: "joinBarButton"
                    text: root.room ? qsTr("Join #%1").arg(root.room.name) : ""
                    highlighted: true
                    Accessible.name: text
                    onClicked: root.session.joinRoom(root.room.roomId)
                }
            }
        }

        ComposerPane {
            id: composer

            visible: root.room === null || root.room.member
            composer: root.room ? root.room.composer : null
            members: root.room ? root.room.members : null
            placeholder: root.room ? (root.room.isDirect ? qsTr("Message %1").arg(root.room.name)
                                                         : qsTr("Message #%1").arg(root.room.name)) : ""
            replyPreview: root.room && composer.replyTo > 0 ? Ui.rowSummary(root.room.timeline, composer.replyTo) : ""
            Layout.fillWidth: true
            onSendRequested: {
                if (root.room.send())
                    root.jumpToLatest()
            }
            onAttachRequested: root.attachFiles(Ui.chooseFiles())
            onPasteRequested: event => {
                if (root.room && Ui.pasteAttachment(root.room)) {
                    event.accepted = true
                    root.jumpToLatest()
                }
            }
            onEditLastRequested: {
                const last = Ui.lastOwnMessage(root.room.timeline)
                if (last.seq !== undefined)
                    root.room.composer.startEdit(last.seq, last.body)
            }
        }
    }

    DropArea {
        id: drop

        anchors.fill: parent
        enabled: root.room !== null && root.room.member
        keys: ["text/uri-list"]
        onDropped: drop => {
            if (drop.hasUrls && root.attachFiles(drop.urls) > 0)
                drop.acceptProposedAction()
        }

        Rectangle {
            objectName: "dropHint"
            anchors.fill: parent
            anchors.margins: 8
            visible: drop.containsDrag
            color: Qt.rgba(Theme.accent.r, Theme.accent.g, Theme.accent.b, 0.12)
            border.color: Theme.accent
            border.width: 2
            radius: 10

            Label {
                anchors.centerIn: parent
                text: root.room ? qsTr("Drop to send to %1").arg(root.room.isDirect ? root.room.name : "#" + root.room.name) : ""
                font.pixelSize: 18
                color: Theme.accent
            }
        }
    }

    ImageViewerDialog {
        id: viewer

        cache: root.session ? root.session.files : null
    }

    TimelineActionsPane {
        id: actions

        room: root.room
        view: view
        onFocusComposerRequested: root.focusComposer()
    }
}
