// Not "pragma ComponentBehavior: Bound": Qt 6.4's Loader refuses to create bound inline
// components ("Cannot instantiate bound component outside its creation context").
import QtQuick
import QtQuick.Controls
import Confab.Ui

// A room change in the timeline: someone joined or left, or set the topic.
Item {
    id: root

    required property real seq
    required property string kind
    required property string sender
    required property string senderName
    required property string body
    required property date timestamp
    required property bool showDay

    property bool showDivider: false

    objectName: "stateEventDelegate"
    implicitHeight: column.implicitHeight
    height: implicitHeight
    Accessible.role: Accessible.ListItem
    Accessible.name: line.text

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

        Text {
            id: line

            x: 64
            width: parent.width - x - 16
            topPadding: 3
            bottomPadding: 3
            wrapMode: Text.Wrap
            textFormat: Text.PlainText
            color: Theme.mutedText
            font.pixelSize: 12
            text: {
                switch (root.kind) {
                case "join":
                    return qsTr("%1 joined · %2").arg(root.senderName).arg(Ui.timeLabel(root.timestamp))
                case "leave":
                    return qsTr("%1 left · %2").arg(root.senderName).arg(Ui.timeLabel(root.timestamp))
                case "topic":
                    return root.body === "" ? qsTr("%1 cleared the topic").arg(root.senderName)
                                            : qsTr("%1 set the topic: %2").arg(root.senderName).arg(root.body)
                }
                return ""
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
