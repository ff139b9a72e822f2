import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Confab.Core
import Confab.Ui

// The app's settings: theme, do not disturb, away, close to tray.
FormDialog {
    id: root

    property ClientSession session

    objectName: "settingsDialog"
    width: 440
    title: qsTr("Settings")
    standardButtons: Dialog.Close

    ColumnLayout {
        anchors.fill: parent
        spacing: 6

        Label {
            text: qsTr("Appearance")
            font.bold: true
            color: Theme.text
        }
        RowLayout {
            spacing: 12

            RadioButton {
                objectName: "themeSystem"
                text: qsTr("Follow the system")
                checked: App.theme === "system"
                onToggled: App.theme = "system"
            }
            RadioButton {
                objectName: "themeLight"
                text: qsTr("Light")
                checked: App.theme === "light"
                onToggled: App.theme = "light"
            }
            RadioButton {
                objectName: "themeDark"
                text: qsTr("Dark")
                checked: App.theme === "dark"
                onToggled: App.theme = "dark"
            }
        }

        Label {
            text: qsTr("Notifications")
            font.bold: true
            color: Theme.text
            Layout.topMargin: 8
        }
        CheckBox {
            objectName: "dndBox"
            text: qsTr("Do not disturb: no desktop notifications")
            checked: App.doNotDisturb
            onToggled: App.doNotDisturb = checked
        }
        CheckBox {
            text: qsTr("Show me as away")
            checked: root.session !== null && root.session.away
            onToggled: root.session.away = checked
        }

        Label {
            text: qsTr("Window")
            font.bold: true
            color: Theme.text
            Layout.topMargin: 8
        }
        CheckBox {
            text: qsTr("Closing the window keeps Confab in the tray")
            enabled: App.trayAvailable
            checked: App.closeToTray
            onToggled: App.closeToTray = checked
        }
        Label {
            visible: !App.trayAvailable
            text: qsTr("This desktop has no tray: closing the window quits.")
            color: Theme.mutedText
            font.pixelSize: 12
        }
        Label {
            text: qsTr("Files")
            font.bold: true
            color: Theme.text
            Layout.topMargin: 8
        }
        RowLayout {
            spacing: 8

            Label {
                text: qsTr("Keep downloaded files and previews up to")
                color: Theme.text
            }
            SpinBox {
                objectName: "fileCacheBox"
                from: 16
                to: 65536
                stepSize: 128
                editable: true
                value: App.fileCacheMb
                onValueModified: App.fileCacheMb = value
                Accessible.name: qsTr("File cache size in megabytes")
            }
            Label {
                text: qsTr("MB")
                color: Theme.text
            }
        }
        RowLayout {
            spacing: 8

            Label {
                objectName: "fileCacheUsage"
                text: root.session ? qsTr("%1 used on this computer").arg(Ui.sizeLabel(root.session.files.usedBytes)) : ""
                color: Theme.mutedText
                font.pixelSize: 12
            }
            Button {
                objectName: "clearFileCacheButton"
                text: qsTr("Clear")
                flat: true
                enabled: root.session !== null && root.session.files.usedBytes > 0
                onClicked: root.session.files.clear()
            }
        }

        Label {
            visible: App.tokenWarning !== ""
            text: App.tokenWarning
            color: Theme.mutedText
            font.pixelSize: 12
            wrapMode: Text.Wrap
            Layout.fillWidth: true
        }
    }
}
