// Not "pragma ComponentBehavior: Bound": Qt 6.4's Loader refuses to create bound inline
// components ("Cannot instantiate bound component outside its creation context").
import QtQuick
import QtQuick.Controls
import Confab.Core
import Confab.Ui

// One message: the sender and time unless it continues the previous sender's run, the
// quoted message it replies to, the body (safe HTML from the core, selectable), edited
// and deleted states, reactions, and for the user's own unsent messages their state
// with retry / discard. Day separators and the "new messages" divider ride along.
Item {
    id: root

    required property int index
    required property real seq
    required property string clientMsgId
    required property string sender
    required property string senderName
    required property string body
    required property string html
    required property date timestamp
    required property bool showDay
    required property bool grouped
    required property bool edited
    required property bool deleted
    required property real replyTo
    required property string replySender
    required property string replyBody
    required property var reactions
    required property int delivery // TimelineModel.Delivery: 0 delivered, 1 pending, 2 failed
    required property string errorText
    required property bool mine
    required property string kind
    required property var file
    required property url localUrl
    required property real uploadProgress

    // The session's FileCache, for the files of file messages.
    property FileCache files: null

    property bool showDivider: false
    property bool current: false
    // The message a jump landed on: marked, then the mark fades.
    property bool flash: false
    property bool mentionsMe: false
    readonly property bool delivered: root.delivery === 0
    // cmark ends a code block (and the document) with a newline: an empty last line or a
    // trailing space in Qt's rich text, so they go.
    readonly property string richBody: root.deleted ? "" : Theme.messageStyle
        + root.html.replace(/\n<\/code><\/pre>/g, "</code></pre>").trim()
    readonly property bool hovered: hover.hovered

    signal replyClicked(real seq)
    signal reactionToggled(real seq, string emoji)
    signal reactionPickerRequested(real seq, Item anchor)
    signal replyRequested(real seq)
    signal editRequested(real seq, string body)
    signal deleteRequested(real seq)
    signal menuRequested(Item item)
    signal retryRequested(string clientMsgId)
    signal discardRequested(string clientMsgId)
    signal imageRequested(string fileId, string thumbId, string name, int imageWidth, int imageHeight)

    objectName: "messageDelegate"
    implicitHeight: column.implicitHeight
    height: implicitHeight
    Accessible.role: Accessible.ListItem
    Accessible.name: root.deleted ? qsTr("%1: message deleted").arg(root.senderName)
                                  : qsTr("%1 at %2: %3").arg(root.senderName).arg(Ui.timeLabel(root.timestamp)).arg(root.body)

    HoverHandler {
        id: hover
    }
    TapHandler {
        acceptedButtons: Qt.RightButton
        onTapped: root.menuRequested(root)
    }

    Column {
        id: column

        width: root.width

        Loader {
            active: root.showDay
            visible: active
            width: parent.width
            sourceComponent: DaySeparatorPane {
                when: root.timestamp
            }
        }

        Item {
            id: row

            width: parent.width
            height: content.implicitHeight + (root.grouped ? 4 : 12)

            Rectangle {
                anchors.fill: parent
                color: root.current ? Theme.highlight : root.mentionsMe ? Theme.mentionBackground
                                    : root.hovered ? Theme.hover : "transparent"
                Rectangle {
                    visible: root.mentionsMe
                    width: 3
                    height: parent.height
                    color: Theme.mention
                }
            }

            Rectangle {
                objectName: "jumpFlash"
                anchors.fill: parent
                color: Theme.searchHit
                opacity: root.flash ? 0.9 : 0
                Behavior on opacity {
                    NumberAnimation {
                        duration: root.flash ? 0 : 1500
                    }
                }
            }

            AvatarPane {
                visible: !root.grouped
                x: 16
                y: 8
                name: root.senderName
                user: root.sender
                size: 36
            }

            Text {
                visible: root.grouped && root.hovered
                x: 8
                width: 50
                y: 4
                horizontalAlignment: Text.AlignRight
                text: Ui.timeLabel(root.timestamp)
                color: Theme.mutedText
                font.pixelSize: 10
            }

            Column {
                id: content

                x: 64
                y: root.grouped ? 2 : 6
                width: parent.width - x - 16
                spacing: 2

                Row {
                    visible: !root.grouped
                    spacing: 8

                    Text {
                        id: senderLabel

                        text: root.senderName
                        font.bold: true
                        color: Theme.userColor(root.sender, Theme.dark)
                    }
                    Text {
                        text: Ui.timeLabel(root.timestamp)
                        color: Theme.mutedText
                        font.pixelSize: 11
                        anchors.baseline: senderLabel.baseline
                    }
                }

                Loader {
                    active: root.replyTo > 0
                    visible: active
                    width: parent.width
                    sourceComponent: ReplyQuotePane {
                        sender: root.replySender
                        body: root.replyBody
                        onClicked: root.replyClicked(root.replyTo)
                    }
                }

                Loader {
                    active: root.kind === "file" && !root.deleted && root.file !== undefined && root.file !== null
                    visible: active
                    width: parent.width
                    sourceComponent: FileMessagePane {
                        file: root.file
                        localUrl: root.localUrl
                        uploadProgress: root.uploadProgress
                        pending: root.seq === 0
                        cache: root.files
                        maxWidth: Math.min(360, parent ? parent.width : 360)
                        onOpenImage: (id, thumbId, name, w, h) => root.imageRequested(id, thumbId, name, w, h)
                        onCancelClicked: root.discardRequested(root.clientMsgId)
                    }
                }

                // A plain Text while scrolling past (the cheap row); a TextEdit for
                // selecting once the pointer is over the row or it is selected.
                Text {
                    id: bodyText

                    objectName: "messageBody"
                    visible: !root.deleted && !selectable.active && root.body !== ""
                    width: parent.width
                    textFormat: Text.RichText
                    text: root.richBody
                    wrapMode: Text.Wrap
                    color: Theme.text
                    linkColor: Theme.link
                    opacity: root.delivery === 1 ? 0.6 : 1
                    Accessible.ignored: true
                    onLinkActivated: link => Qt.openUrlExternally(link)
                }

                Loader {
                    id: selectable

                    active: !root.deleted && (root.hovered || root.current) && root.body !== ""
                    visible: active
                    width: parent.width
                    sourceComponent: TextEdit {
                        id: editBody

                        objectName: "messageBodySelectable"
                        textFormat: TextEdit.RichText
                        text: root.richBody
                        readOnly: true
                        selectByMouse: true
                        persistentSelection: false
                        wrapMode: TextEdit.Wrap
                        color: Theme.text
                        selectionColor: Theme.accent
                        selectedTextColor: Theme.accentText
                        opacity: root.delivery === 1 ? 0.6 : 1
                        activeFocusOnPress: false
                        Accessible.ignored: true
                        onLinkActivated: link => Qt.openUrlExternally(link)
                        HoverHandler {
                            enabled: editBody.hoveredLink !== ""
                            cursorShape: Qt.PointingHandCursor
                        }
                    }
                }

                Text {
                    visible: root.deleted
                    text: qsTr("This message was deleted.")
                    font.italic: true
                    color: Theme.mutedText
                }

                Text {
                    objectName: "editedLabel"
                    visible: root.edited && !root.deleted
                    text: qsTr("(edited)")
                    color: Theme.mutedText
                    font.pixelSize: 11
                }

                Loader {
                    active: root.reactions.length > 0 && !root.deleted
                    visible: active
                    width: parent.width
                    sourceComponent: ReactionsPane {
                        reactions: root.reactions
                        onToggled: emoji => root.reactionToggled(root.seq, emoji)
                    }
                }

                Loader {
                    active: !root.delivered
                    visible: active
                    width: parent.width
                    sourceComponent: DeliveryStatusPane {
                        failed: root.delivery === 2
                        errorText: root.errorText
                        onRetryClicked: root.retryRequested(root.clientMsgId)
                        onDiscardClicked: root.discardRequested(root.clientMsgId)
                    }
                }
            }

            Loader {
                active: (root.hovered || root.current) && root.delivered && !root.deleted
                anchors.right: parent.right
                anchors.rightMargin: 16
                y: -8
                z: 2
                sourceComponent: MessageToolbarPane {
                    mine: root.mine
                    onReactClicked: anchor => root.reactionPickerRequested(root.seq, anchor)
                    onReplyClicked: root.replyRequested(root.seq)
                    canEdit: root.kind === "text"
                    onEditClicked: root.editRequested(root.seq, root.body)
                    onDeleteClicked: root.deleteRequested(root.seq)
                    onMoreClicked: root.menuRequested(root)
                }
            }
        }

        Loader {
            active: root.showDivider
            visible: active
            width: parent.width
            sourceComponent: UnreadDividerPane {}
        }
    }
}
