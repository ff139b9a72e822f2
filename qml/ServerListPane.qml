pragma ComponentBehavior: Bound
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Confab.Core
import Confab.Ui

// The servers the connect page offers: recent ones (with the user last logged in there)
// and those heard on the LAN. Choosing one fills the form.
ColumnLayout {
    id: root

    signal serverChosen(string url, string user)

    spacing: 8

    Label {
        text: qsTr("Servers")
        font.bold: true
        color: Theme.text
    }

    ListView {
        id: serverList

        objectName: "serverList"
        Layout.fillWidth: true
        Layout.preferredHeight: Math.min(contentHeight, 5 * 40)
        clip: true
        model: App.servers
        activeFocusOnTab: count > 0
        keyNavigationEnabled: true
        Accessible.role: Accessible.List
        Accessible.name: qsTr("Servers")

        delegate: ItemDelegate {
            id: serverRow

            required property url url
            required property string name
            required property string user
            required property bool discovered
            required property bool tls

            width: ListView.view.width
            text: (serverRow.user ? qsTr("%1 as %2").arg(serverRow.name).arg(serverRow.user) : serverRow.name)
                  + (serverRow.discovered ? qsTr("  · on this network") : "")
                  + (serverRow.tls ? qsTr("  · secure") : "")
            highlighted: ListView.isCurrentItem && serverList.activeFocus
            Accessible.name: qsTr("Use server %1").arg(serverRow.name)
            onClicked: root.serverChosen(serverRow.url.toString(), serverRow.user)
            Keys.onReturnPressed: clicked()
        }
    }

    Label {
        visible: serverList.count === 0
        text: qsTr("No servers heard on this network yet. Enter an address below.")
        color: Theme.mutedText
        wrapMode: Text.Wrap
        Layout.fillWidth: true
    }
}
