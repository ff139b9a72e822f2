import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Confab.Ui

// The message a reply answers, quoted small above it; clicking jumps to it.
Item {
    id: root

    property string sender
    property string body
    signal clicked

    objectName: "replyQuote"
    implicitHeight: quote.implicitHeight + 4
    Accessible.role: Accessible.Button
    Accessible.name: qsTr("In reply to %1: %2. Show it").arg(root.sender).arg(root.body)

    Rectangle {
        width: 3
        height: quote.implicitHeight
        radius: 1
        color: Theme.quoteBar
    }

    Text {
        id: quote

        x: 10
        width: parent.width - 10
        textFormat: Text.PlainText
        elide: Text.ElideRight
        maximumLineCount: 2
        wrapMode: Text.Wrap
        color: Theme.mutedText
        font.pixelSize: 12
        text: root.sender !== "" ? qsTr("%1: %2").arg(root.sender).arg(root.body || qsTr("(deleted)"))
                                 : qsTr("In reply to an older message")
    }

    MouseArea {
        anchors.fill: parent
        cursorShape: Qt.PointingHandCursor
        onClicked: root.clicked()
    }
}
