import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Confab.Ui

// Trust on first use of a wss:// server: its certificate's SHA-256 fingerprint, to
// compare with what the admin published (and with what LAN discovery heard the server
// announce, a hint only: anyone on the network can announce). When a pinned certificate
// has changed it is a hard warning: the safe choice is the default and trusting needs a
// deliberate tick. Accepted: App.trustCertificate(); rejected: App.rejectCertificate().
FormDialog {
    id: root

    property string server
    property string fingerprint
    property string previousFingerprint
    property string announcedFingerprint
    readonly property bool changed: root.previousFingerprint !== ""
    readonly property bool announced: root.announcedFingerprint !== ""
    readonly property bool matchesAnnounced: root.announcedFingerprint === root.fingerprint

    objectName: "fingerprintDialog"
    width: Math.min(560, parent.width - 40)
    closePolicy: Popup.CloseOnEscape
    title: root.changed ? qsTr("Warning: the server's certificate has changed") : qsTr("Trust this server?")

    onAboutToShow: confirmBox.checked = false

    footer: DialogButtonBox {
        Button {
            objectName: "fingerprintReject"
            text: root.changed ? qsTr("Disconnect (recommended)") : qsTr("Cancel")
            DialogButtonBox.buttonRole: DialogButtonBox.RejectRole
            focus: root.changed
        }
        Button {
            objectName: "fingerprintAccept"
            text: root.changed ? qsTr("Trust the new certificate") : qsTr("Trust and connect")
            enabled: !root.changed || confirmBox.checked
            highlighted: !root.changed
            DialogButtonBox.buttonRole: DialogButtonBox.AcceptRole
        }
    }

    ColumnLayout {
        anchors.fill: parent
        spacing: 10

        Rectangle {
            visible: root.changed
            Layout.fillWidth: true
            implicitHeight: warning.implicitHeight + 20
            color: Theme.errorBackground
            border.color: Theme.error
            radius: 6

            Label {
                id: warning

                anchors.fill: parent
                anchors.margins: 10
                wrapMode: Text.Wrap
                color: Theme.error
                font.bold: true
                text: qsTr("%1 presents a different certificate than the one you trusted before. Someone may be impersonating the server. Do not continue unless its admin told you the certificate was replaced.").arg(root.server)
            }
        }

        Label {
            visible: !root.changed
            Layout.fillWidth: true
            wrapMode: Text.Wrap
            color: Theme.text
            text: qsTr("This is the first time you connect to %1. Compare its fingerprint with the one your admin published before you trust it.").arg(root.server)
        }

        Label {
            visible: root.changed
            text: qsTr("Trusted before:")
            color: Theme.mutedText
        }
        Label {
            visible: root.changed
            Layout.fillWidth: true
            text: Ui.formatFingerprint(root.previousFingerprint)
            font.family: "monospace"
            wrapMode: Text.WrapAnywhere
            color: Theme.mutedText
        }
        Label {
            text: root.changed ? qsTr("Presented now:") : qsTr("SHA-256 fingerprint:")
            color: Theme.mutedText
        }
        TextArea {
            objectName: "fingerprintText"
            Layout.fillWidth: true
            text: Ui.formatFingerprint(root.fingerprint)
            readOnly: true
            selectByMouse: true
            font.family: "monospace"
            wrapMode: TextEdit.WrapAnywhere
            color: Theme.text
            Accessible.name: qsTr("Fingerprint")
        }
        Label {
            objectName: "fingerprintAnnounced"
            visible: root.announced
            Layout.fillWidth: true
            wrapMode: Text.Wrap
            color: root.matchesAnnounced ? Theme.mutedText : Theme.error
            text: root.matchesAnnounced
                  ? qsTr("✓ The same fingerprint the server announces on this network.")
                  : qsTr("✗ Not the fingerprint announced on this network (%1…).").arg(root.announcedFingerprint.substring(0, 23))
        }
        CheckBox {
            id: confirmBox

            objectName: "fingerprintConfirm"
            visible: root.changed
            text: qsTr("I confirmed the new fingerprint with the server's admin")
        }
    }
}
