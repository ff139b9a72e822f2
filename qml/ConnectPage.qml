// Not "pragma ComponentBehavior: Bound": Qt 6.4's views and Loader refuse to create bound
// inline components ("Cannot instantiate bound component outside its creation context").
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Confab.Ui

// Where a team member picks a server (a recent one, one heard on this network, or an
// address typed: a bare host means ws://host:7680) and logs in or creates an account.
// Errors show under the field they are about.
Page {
    id: root

    objectName: "connectPage"
    property bool registering: modeBar.currentIndex === 1

    background: Rectangle {
        color: Theme.alternateBase
    }

    function submit() {
        if (App.busy)
            return
        if (root.registering)
            App.registerAccount(serverField.text, userField.text, passwordField.text,
                                displayNameField.text)
        else
            App.logIn(serverField.text, userField.text, passwordField.text)
    }

    function errorText(forField) {
        switch (App.loginError) {
        case App.InvalidServer:
            return forField === "server" ? qsTr("Enter a server address, such as chat.office.lan, ws://10.0.0.5:7680 or wss://10.0.0.5:7680.") : ""
        case App.Unreachable:
            return forField === "server" ? qsTr("Cannot reach the server: %1").arg(App.loginErrorDetail || qsTr("no answer")) : ""
        case App.CertificateChanged:
            return forField === "server" ? qsTr("The server's certificate has changed. Check with its admin before you trust it.") : ""
        case App.CertificateNotTrusted:
            return forField === "server" ? qsTr("You did not trust the server's certificate, so nothing was sent to it.") : ""
        case App.InvalidName:
            return forField === "user" ? qsTr("A user name is 1 to 32 letters, digits, '.', '_' or '-'.") : ""
        case App.NameTaken:
            return forField === "user" ? qsTr("That user name is taken on this server.") : ""
        case App.ShortPassword:
            return forField === "password" ? (root.registering ? qsTr("Use at least 8 characters.") : qsTr("Enter your password.")) : ""
        case App.WrongPassword:
            return forField === "password" ? qsTr("Wrong user name or password.") : ""
        case App.RegistrationClosed:
            return forField === "form" ? qsTr("This server does not let you create an account. Ask its admin for one.") : ""
        case App.SessionEnded:
            return forField === "form" ? qsTr("You were signed out. Log in again.") : ""
        case App.Other:
            return forField === "form" ? qsTr("The server said: %1").arg(App.loginErrorDetail) : ""
        }
        return ""
    }

    ScrollView {
        anchors.fill: parent
        contentWidth: availableWidth

        ColumnLayout {
            width: Math.min(440, parent.width - 48)
            x: (parent.width - width) / 2
            spacing: 16

            Item {
                Layout.preferredHeight: 24
            }

            Label {
                text: qsTr("Confab")
                font.pixelSize: 28
                font.bold: true
                color: Theme.text
                Layout.alignment: Qt.AlignHCenter
            }

            Label {
                text: qsTr("Chat with your team on this network.")
                color: Theme.mutedText
                Layout.alignment: Qt.AlignHCenter
            }

            Pane {
                Layout.fillWidth: true
                padding: 20
                background: Rectangle {
                    color: Theme.base
                    border.color: Theme.border
                    radius: 8
                }

                ColumnLayout {
                    anchors.fill: parent
                    spacing: 8

                    ServerListPane {
                        Layout.fillWidth: true
                        onServerChosen: (url, user) => {
                            serverField.text = url
                            userField.text = user
                            passwordField.forceActiveFocus()
                        }
                    }

                    TabBar {
                        id: modeBar

                        objectName: "modeBar"
                        Layout.fillWidth: true
                        Layout.topMargin: 8
                        onCurrentIndexChanged: App.clearLoginError()

                        TabButton {
                            objectName: "loginTab"
                            text: qsTr("Log in")
                        }
                        TabButton {
                            objectName: "registerTab"
                            text: qsTr("Create account")
                        }
                    }

                    Label {
                        text: qsTr("Server address")
                        color: Theme.text
                    }
                    TextField {
                        id: serverField

                        objectName: "serverField"
                        Layout.fillWidth: true
                        text: App.serverText
                        placeholderText: qsTr("chat.office.lan, ws://host:7680 or wss://host:7680")
                        inputMethodHints: Qt.ImhUrlCharactersOnly | Qt.ImhNoAutoUppercase
                        Accessible.name: qsTr("Server address")
                        onAccepted: root.submit()
                    }
                    Label {
                        objectName: "serverError"
                        visible: text !== ""
                        text: root.errorText("server")
                        color: Theme.error
                        wrapMode: Text.Wrap
                        Layout.fillWidth: true
                    }

                    Label {
                        text: qsTr("User name")
                        color: Theme.text
                    }
                    TextField {
                        id: userField

                        objectName: "userField"
                        Layout.fillWidth: true
                        text: App.userText
                        placeholderText: qsTr("e.g. alice")
                        inputMethodHints: Qt.ImhNoAutoUppercase | Qt.ImhNoPredictiveText
                        Accessible.name: qsTr("User name")
                        onAccepted: root.submit()
                    }
                    Label {
                        objectName: "userError"
                        visible: text !== ""
                        text: root.errorText("user")
                        color: Theme.error
                        wrapMode: Text.Wrap
                        Layout.fillWidth: true
                    }

                    Label {
                        visible: root.registering
                        text: qsTr("Display name (optional)")
                        color: Theme.text
                    }
                    TextField {
                        id: displayNameField

                        objectName: "displayNameField"
                        visible: root.registering
                        Layout.fillWidth: true
                        placeholderText: qsTr("e.g. Alice Martin")
                        Accessible.name: qsTr("Display name")
                        onAccepted: root.submit()
                    }

                    Label {
                        text: qsTr("Password")
                        color: Theme.text
                    }
                    TextField {
                        id: passwordField

                        objectName: "passwordField"
                        Layout.fillWidth: true
                        echoMode: TextInput.Password
                        placeholderText: root.registering ? qsTr("at least 8 characters") : ""
                        Accessible.name: qsTr("Password")
                        onAccepted: root.submit()
                    }
                    Label {
                        objectName: "passwordError"
                        visible: text !== ""
                        text: root.errorText("password")
                        color: Theme.error
                        wrapMode: Text.Wrap
                        Layout.fillWidth: true
                    }

                    Label {
                        objectName: "formError"
                        visible: text !== ""
                        text: root.errorText("form")
                        color: Theme.error
                        wrapMode: Text.Wrap
                        Layout.fillWidth: true
                    }

                    Label {
                        visible: App.tokenWarning !== ""
                        text: qsTr("Note: %1").arg(App.tokenWarning)
                        color: Theme.mutedText
                        wrapMode: Text.Wrap
                        Layout.fillWidth: true
                    }

                    RowLayout {
                        Layout.fillWidth: true
                        Layout.topMargin: 8
                        spacing: 8

                        BusyIndicator {
                            running: App.busy
                            visible: App.busy
                            Layout.preferredHeight: 28
                            Layout.preferredWidth: 28
                            Accessible.name: qsTr("Connecting")
                        }
                        Item {
                            Layout.fillWidth: true
                        }
                        Button {
                            objectName: "cancelButton"
                            visible: App.busy
                            text: qsTr("Cancel")
                            onClicked: App.cancelLogin()
                        }
                        Button {
                            objectName: "submitButton"
                            enabled: !App.busy
                            highlighted: true
                            text: root.registering ? qsTr("Create account") : qsTr("Log in")
                            onClicked: root.submit()
                        }
                    }
                }
            }
        }
    }

    // LAN discovery probes only while this page is shown.
    Component.onDestruction: App.discoveryActive = false

    Component.onCompleted: {
        App.discoveryActive = true
        if (serverField.text === "")
            serverField.forceActiveFocus()
        else if (userField.text === "")
            userField.forceActiveFocus()
        else
            passwordField.forceActiveFocus()
    }
}
