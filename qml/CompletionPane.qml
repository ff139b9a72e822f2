pragma ComponentBehavior: Bound
import QtQuick
import QtQuick.Controls
import Confab.Ui

// The completion list above the composer; the composer's keys drive it.
Popup {
    id: root

    required property Completer completer
    required property Item anchorItem
    signal activated

    objectName: "completionPopup"
    parent: root.anchorItem
    visible: root.completer.active
    y: -height - 6
    x: 8
    width: 320
    padding: 4
    closePolicy: Popup.NoAutoClose
    focus: false

    background: Rectangle {
        color: Theme.base
        border.color: Theme.border
        radius: 6
    }

    contentItem: ListView {
        id: list

        objectName: "completionList"
        implicitHeight: contentHeight
        model: root.completer
        currentIndex: root.completer.currentIndex
        interactive: false
        Accessible.role: Accessible.List
        Accessible.name: qsTr("Suggestions")

        delegate: ItemDelegate {
            id: row

            required property string label
            required property string detail
            required property int index

            width: ListView.view.width
            height: 30
            highlighted: row.index === root.completer.currentIndex
            Accessible.name: row.label + " " + row.detail
            onClicked: {
                root.completer.currentIndex = row.index
                root.activated()
            }
            contentItem: Row {
                spacing: 8
                Label {
                    text: row.label
                    color: row.highlighted ? Theme.accentText : Theme.text
                    font.bold: true
                }
                Label {
                    text: row.detail
                    color: row.highlighted ? Theme.accentText : Theme.mutedText
                }
            }
        }
    }
}
