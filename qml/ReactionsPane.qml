pragma ComponentBehavior: Bound
import QtQuick
import QtQuick.Controls
import Confab.Ui

// The reactions under a message: emoji and count, highlighted where the user reacted;
// clicking one adds or removes the user's.
Flow {
    id: root

    // [{emoji, count, you, users}] from the timeline's reactions role.
    property var reactions: []
    signal toggled(string emoji)

    spacing: 4
    topPadding: 2

    Repeater {
        model: root.reactions

        delegate: AbstractButton {
            id: chip

            required property var modelData

            objectName: "reaction_" + chip.modelData.emoji
            implicitHeight: 24
            implicitWidth: chipLabel.implicitWidth + 16
            checkable: false
            Accessible.name: chip.modelData.you
                             ? qsTr("%1, %2 (including you). Remove yours").arg(chip.modelData.emoji).arg(chip.modelData.count)
                             : qsTr("%1, %2. Add yours").arg(chip.modelData.emoji).arg(chip.modelData.count)
            ToolTip.visible: hovered
            ToolTip.delay: 400
            ToolTip.text: chip.modelData.users.join(", ")
            onClicked: root.toggled(chip.modelData.emoji)

            background: Rectangle {
                radius: 12
                color: chip.modelData.you ? Theme.reactionMine : Theme.reaction
                border.color: chip.modelData.you ? Theme.accent : (chip.hovered ? Theme.border : "transparent")
            }
            contentItem: Text {
                id: chipLabel

                text: chip.modelData.emoji + " " + chip.modelData.count
                color: Theme.text
                horizontalAlignment: Text.AlignHCenter
                verticalAlignment: Text.AlignVCenter
            }
        }
    }
}
