import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Confab.Ui

// The actions on a hovered or selected message: react, reply, and for the user's own
// messages edit and delete; the rest in the menu.
Pane {
    id: root

    property bool mine: false
    property bool canEdit: true
    signal reactClicked(Item anchor)
    signal replyClicked
    signal editClicked
    signal deleteClicked
    signal moreClicked

    objectName: "messageToolbar"
    padding: 2
    background: Rectangle {
        color: Theme.base
        border.color: Theme.border
        radius: 6
    }

    component Action: ToolButton {
        id: action

        property string tip
        implicitWidth: 30
        implicitHeight: 28
        Accessible.name: action.tip
        ToolTip.visible: hovered
        ToolTip.delay: 300
        ToolTip.text: action.tip
    }

    RowLayout {
        spacing: 0

        Action {
            id: react

            objectName: "reactAction"
            text: "☺"
            tip: qsTr("React")
            onClicked: root.reactClicked(react)
        }
        Action {
            objectName: "replyAction"
            text: "↩"
            tip: qsTr("Reply (R)")
            onClicked: root.replyClicked()
        }
        Action {
            objectName: "editAction"
            visible: root.mine && root.canEdit
            text: "✎"
            tip: qsTr("Edit (E)")
            onClicked: root.editClicked()
        }
        Action {
            objectName: "deleteAction"
            visible: root.mine
            text: "🗑"
            tip: qsTr("Delete (Del)")
            onClicked: root.deleteClicked()
        }
        Action {
            objectName: "moreAction"
            text: "⋯"
            tip: qsTr("More")
            onClicked: root.moreClicked()
        }
    }
}
