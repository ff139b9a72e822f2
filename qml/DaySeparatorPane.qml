import QtQuick
import QtQuick.Controls
import Confab.Ui

// "──── Today ────" above the first message of a day.
Item {
    id: root

    property date when

    implicitHeight: 32
    Accessible.role: Accessible.Separator
    Accessible.name: label.text

    Rectangle {
        anchors.verticalCenter: parent.verticalCenter
        x: 16
        width: parent.width - 32
        height: 1
        color: Theme.border
    }
    Rectangle {
        anchors.centerIn: parent
        width: label.implicitWidth + 20
        height: label.implicitHeight + 2
        color: Theme.window
        radius: height / 2
        border.color: Theme.border

        Text {
            id: label

            anchors.centerIn: parent
            text: Ui.dayLabel(root.when)
            color: Theme.mutedText
            font.pixelSize: 12
            font.bold: true
        }
    }
}
