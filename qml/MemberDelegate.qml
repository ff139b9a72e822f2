import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Confab.Ui

// One member: avatar with a presence dot, display name and user name. Clicking starts a
// direct message.
ItemDelegate {
    id: root

    required property string user
    required property string displayName
    required property string presence // "online", "away", "offline"; "unknown" while offline
    property bool focused: false

    readonly property string presenceText: root.presence === "online" ? qsTr("online")
                                           : root.presence === "away" ? qsTr("away")
                                           : root.presence === "unknown" ? qsTr("presence unknown") : qsTr("offline")

    height: 44
    leftPadding: 12
    highlighted: root.focused
    Accessible.name: qsTr("%1, %2").arg(root.displayName || root.user).arg(root.presenceText)
    ToolTip.visible: hovered
    ToolTip.delay: 600
    ToolTip.text: qsTr("Message %1").arg(root.displayName || root.user)

    background: Rectangle {
        color: root.highlighted ? Theme.highlight : root.hovered ? Theme.hover : "transparent"
    }

    contentItem: RowLayout {
        spacing: 8
        opacity: root.presence === "offline" || root.presence === "unknown" ? 0.6 : 1

        AvatarPane {
            name: root.displayName
            user: root.user
            size: 28

            Rectangle {
                width: 10
                height: 10
                radius: 5
                anchors.right: parent.right
                anchors.bottom: parent.bottom
                color: root.presence === "online" ? Theme.online : root.presence === "away" ? Theme.away : Theme.mutedText
                border.color: Theme.alternateBase
                border.width: 2
            }
        }
        ColumnLayout {
            spacing: 0
            Layout.fillWidth: true

            Label {
                text: root.displayName || root.user
                color: Theme.text
                elide: Text.ElideRight
                Layout.fillWidth: true
            }
            Label {
                text: "@" + root.user + " · " + root.presenceText
                color: Theme.mutedText
                font.pixelSize: 11
                elide: Text.ElideRight
                Layout.fillWidth: true
            }
        }
    }
}
