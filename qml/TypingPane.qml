import QtQuick
import QtQuick.Controls
import Confab.Ui

// "Alice is typing…" under the timeline; keeps its height so nothing jumps.
Item {
    id: root

    // The room's TypingModel (displayNames).
    property QtObject typing
    readonly property var names: root.typing ? root.typing.displayNames : []

    objectName: "typingIndicator"
    implicitHeight: 18

    Label {
        x: 16
        width: parent.width - 32
        elide: Text.ElideRight
        color: Theme.mutedText
        font.pixelSize: 12
        font.italic: true
        Accessible.role: Accessible.StaticText
        text: root.names.length === 0 ? ""
              : root.names.length === 1 ? qsTr("%1 is typing…").arg(root.names[0])
              : root.names.length === 2 ? qsTr("%1 and %2 are typing…").arg(root.names[0]).arg(root.names[1])
              : qsTr("Several people are typing…")
    }
}
