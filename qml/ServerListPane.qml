pragma ComponentBehavior: Bound
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Confab.Core
import Confab.Ui

// The servers the connect page offers: recent ones (with the user last logged in there)
// and those LAN discovery hears ("Servers on this network": name, address, a lock for
// TLS). Choosing one fills the form (a wss:// address for a TLS server).
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
        Layout.preferredHeight: Math.min(contentHeight, 6 * 48)
        clip: true
        model: App.servers
        activeFocusOnTab: count > 0
        keyNavigationEnabled: true
        Accessible.role: Accessible.List
        Accessible.name: qsTr("Servers")

        // The "section" role groups the rows; each group's first row carries its heading
        // (Qt 6.4 cannot create a section.delegate in a file with bound components).
        section.property: "section"

        delegate: Column {
            id: serverRow

            required property url url
            required property string name
            required property string user
            required property string address
            required property string section
            required property bool discovered
            required property bool recent
            required property bool tls
            readonly property bool firstOfSection: ListView.section !== ListView.previousSection

            width: ListView.view.width
            Keys.onReturnPressed: root.serverChosen(serverRow.url.toString(), serverRow.user)

            Label {
                objectName: "serverSection_" + serverRow.section
                visible: serverRow.firstOfSection
                text: serverRow.section === "recent" ? qsTr("Recent servers") : qsTr("Servers on this network")
                color: Theme.mutedText
                font.pixelSize: 12
                topPadding: 6
                bottomPadding: 2
            }

            ItemDelegate {
                objectName: "server:" + serverRow.address
                width: parent.width
                highlighted: serverRow.ListView.isCurrentItem && serverList.activeFocus
                Accessible.name: qsTr("Use server %1 at %2").arg(serverRow.name).arg(serverRow.address)
                                 + (serverRow.tls ? qsTr(", secure") : "")
                onClicked: root.serverChosen(serverRow.url.toString(), serverRow.user)

                contentItem: RowLayout {
                    spacing: 8

                    Label {
                        // A lock for wss:// (TLS), nothing for plain ws://.
                        text: serverRow.tls ? "\uD83D\uDD12" : ""
                        Layout.preferredWidth: 18
                        color: Theme.text
                        Accessible.ignored: true
                    }
                    ColumnLayout {
                        Layout.fillWidth: true
                        spacing: 0

                        Label {
                            Layout.fillWidth: true
                            text: serverRow.user ? qsTr("%1 as %2").arg(serverRow.name).arg(serverRow.user) : serverRow.name
                            font.bold: true
                            elide: Text.ElideRight
                            color: Theme.text
                        }
                        Label {
                            Layout.fillWidth: true
                            text: serverRow.address + (serverRow.recent && serverRow.discovered ? qsTr("  · on this network") : "")
                            font.pixelSize: 12
                            elide: Text.ElideRight
                            color: Theme.mutedText
                        }
                    }
                }
            }
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
