import QtQuick
import QtQuick.Controls
import Confab.Ui

// What every dialog of the app shares: modal, centred in the window, the same padding
// and a title that lines up with the content.
Dialog {
    id: root

    parent: Overlay.overlay
    x: Math.round((parent.width - width) / 2)
    y: Math.round((parent.height - height) / 2)
    modal: true
    padding: 20
    topPadding: 12

    header: Label {
        text: root.title
        visible: root.title !== ""
        font.bold: true
        font.pixelSize: 16
        color: Theme.text
        elide: Text.ElideRight
        leftPadding: 20
        rightPadding: 20
        topPadding: 18
        bottomPadding: 4
    }

    background: Rectangle {
        color: Theme.base
        border.color: Theme.border
        radius: 8
    }

    Overlay.modal: Rectangle {
        color: Qt.rgba(0, 0, 0, Theme.dark ? 0.5 : 0.3)
    }

    // The buttons (standard or a dialog's own) sit inside the same margins as the rest.
    onFooterChanged: if (root.footer) root.footer.padding = 14
    Component.onCompleted: if (root.footer) root.footer.padding = 14
}
