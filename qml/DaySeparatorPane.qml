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
    Label {
        id: label

        anchors.centerIn: parent
        text: Ui.dayLabel(root.when)
        color: Theme.mutedText
        font.pixelSize: 12
        font.bold: true
        leftPadding: 10
        rightPadding: 10
        background: Rectangle {
            color: Theme.window
            radius: 10
            border.color: Theme.border
        }
    }
}
