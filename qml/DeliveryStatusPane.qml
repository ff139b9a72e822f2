import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Confab.Ui

// Under one of the user's messages the server has not stored yet: "Sending…", or why
// it failed with Retry and Discard.
RowLayout {
    id: root

    property bool failed: false
    property string errorText
    signal retryClicked
    signal discardClicked

    objectName: "deliveryStatus"
    spacing: 8

    Label {
        objectName: "deliveryText"
        text: root.failed ? (root.errorText !== "" ? qsTr("Not sent: %1").arg(root.errorText) : qsTr("Not sent"))
                          : qsTr("Sending…")
        color: root.failed ? Theme.error : Theme.mutedText
        font.pixelSize: 12
        elide: Text.ElideRight
        Layout.fillWidth: root.failed
    }
    Button {
        objectName: "retryButton"
        visible: root.failed
        text: qsTr("Retry")
        flat: true
        onClicked: root.retryClicked()
    }
    Button {
        objectName: "discardButton"
        visible: root.failed
        text: qsTr("Discard")
        flat: true
        onClicked: root.discardClicked()
    }
}
