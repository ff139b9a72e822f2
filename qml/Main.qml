// Not "pragma ComponentBehavior: Bound": Qt 6.4's Loader refuses to create bound inline
// components ("Cannot instantiate bound component outside its creation context").
import QtQuick
import QtQuick.Controls
import Confab.Core
import Confab.Ui

// The one window: the connect page until an account is signed in, then the main page.
ApplicationWindow {
    id: root

    objectName: "mainWindow"
    width: 1120
    height: 720
    minimumWidth: 720
    minimumHeight: 440
    visible: true
    color: Theme.window
    title: App.signedIn && App.session && App.session.currentRoom
           ? qsTr("%1 – Confab").arg(App.session.currentRoom.name) : qsTr("Confab")

    palette.window: Theme.window
    palette.windowText: Theme.text
    palette.base: Theme.base
    palette.alternateBase: Theme.alternateBase
    palette.text: Theme.text
    palette.button: Theme.button
    palette.buttonText: Theme.text
    palette.highlight: Theme.accent
    palette.highlightedText: Theme.accentText
    palette.placeholderText: Theme.mutedText
    palette.link: Theme.link
    palette.mid: Theme.border
    palette.midlight: Theme.hover
    palette.dark: Theme.border
    palette.light: Theme.base
    palette.shadow: Theme.dark ? "#000000" : "#9aa0a8"
    palette.toolTipBase: Theme.alternateBase
    palette.toolTipText: Theme.text
    palette.brightText: Theme.accentText

    Binding {
        target: Theme
        property: "mode"
        value: App.theme
    }

    Binding {
        target: App.session
        property: "windowActive"
        value: root.active && root.visible
        when: App.session !== null
    }

    Loader {
        id: page

        anchors.fill: parent
        sourceComponent: App.signedIn ? mainPage : App.restoring ? restoringPage : connectPage
    }

    Component {
        id: connectPage

        ConnectPage {}
    }

    Component {
        id: mainPage

        MainPage {
            session: App.session
        }
    }

    Component {
        id: restoringPage

        Item {
            BusyIndicator {
                anchors.centerIn: parent
                running: true
                Accessible.name: qsTr("Opening your account")
            }
        }
    }

    FingerprintDialog {
        id: fingerprint

        onAccepted: App.trustCertificate(fingerprint.fingerprint)
        onRejected: App.rejectCertificate()
    }

    // Trust on first use of a wss:// server (previous empty) or the hard warning when its
    // certificate changed; announced is what LAN discovery heard the server announce.
    function showFingerprintPrompt(server, fingerprintText, previous, announced) {
        fingerprint.server = server
        fingerprint.fingerprint = fingerprintText
        fingerprint.previousFingerprint = previous || ""
        fingerprint.announcedFingerprint = announced || ""
        fingerprint.open()
    }

    Connections {
        target: App

        function onCertificatePrompt(server, fingerprintText, previous, announced) {
            root.showFingerprintPrompt(server, fingerprintText, previous, announced)
        }
    }

    Connections {
        target: App

        function onRaiseRequested() {
            root.show()
            root.raise()
            root.requestActivate()
        }
    }

    onClosing: close => {
        root.saveGeometry()
        if (App.closeToTray && App.trayAvailable && !App.quitting) {
            close.accepted = false
            root.hide()
        }
    }

    Connections {
        target: Qt.application

        function onAboutToQuit() {
            root.saveGeometry()
        }
    }

    function saveGeometry() {
        if (root.visibility === Window.Maximized) {
            App.setSetting("window/maximized", true)
            return
        }
        App.setSetting("window/maximized", false)
        App.setSetting("window/geometry", Qt.rect(root.x, root.y, root.width, root.height))
    }

    Component.onCompleted: {
        const g = App.setting("window/geometry", undefined)
        if (g !== undefined && g.width >= root.minimumWidth && g.height >= root.minimumHeight) {
            root.x = g.x
            root.y = g.y
            root.width = g.width
            root.height = g.height
        }
        if (App.setting("window/maximized", false) === true
                || App.setting("window/maximized", "false") === "true")
            root.visibility = Window.Maximized
    }
}
