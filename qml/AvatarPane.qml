import QtQuick
import QtQuick.Controls
import Confab.Ui

// A user's initials on their colour.
Rectangle {
    id: root

    property string name
    property string user
    property int size: 36

    implicitWidth: root.size
    implicitHeight: root.size
    width: root.size
    height: root.size
    radius: root.size / 2
    // The darker variant in both themes: white initials stay readable.
    color: Theme.userColor(root.user, false)
    Accessible.ignored: true

    Text {
        anchors.centerIn: parent
        text: Ui.initials(root.name || root.user)
        color: "white"
        font.pixelSize: root.size * 0.4
        font.bold: true
    }
}
