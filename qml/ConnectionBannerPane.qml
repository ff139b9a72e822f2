import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Confab.Ui

// The state of the link when it is not simply online: offline (and when the next try
// is), connecting, catching up. It takes its own row above the timeline, never covers it.
Pane {
    id: root

    required property ConnectionStatus status
    signal retryRequested

    objectName: "connectionBanner"
    visible: root.status.kind !== ConnectionStatus.Online
    padding: 6
    leftPadding: 16
    Accessible.role: Accessible.AlertMessage
    Accessible.name: message.text

    background: Rectangle {
        color: root.status.kind === ConnectionStatus.Offline ? Theme.warningBackground : Theme.infoBackground
    }

    RowLayout {
        anchors.fill: parent
        spacing: 8

        BusyIndicator {
            visible: root.status.kind !== ConnectionStatus.Offline
            running: visible
            Layout.preferredWidth: 18
            Layout.preferredHeight: 18
        }
        Label {
            id: message

            objectName: "bannerText"
            color: Theme.text
            elide: Text.ElideRight
            Layout.fillWidth: true
            text: {
                switch (root.status.kind) {
                case ConnectionStatus.Offline:
                    return root.status.secondsToRetry > 0
                            ? qsTr("Offline. Reconnecting in %1 s…").arg(root.status.secondsToRetry)
                            : qsTr("Offline. Reconnecting…")
                case ConnectionStatus.Connecting:
                    return qsTr("Connecting…")
                case ConnectionStatus.CatchingUp:
                    return qsTr("Catching up on missed messages…")
                }
                return ""
            }
        }
        Label {
            visible: root.status.kind === ConnectionStatus.Offline && root.status.detail !== ""
            text: root.status.detail
            color: Theme.mutedText
            elide: Text.ElideRight
            Layout.maximumWidth: root.width * 0.35
        }
        Button {
            objectName: "retryNowButton"
            visible: root.status.kind === ConnectionStatus.Offline
            text: qsTr("Retry now")
            flat: true
            onClicked: root.retryRequested()
        }
    }
}
