import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Confab.Core
import Confab.Ui

// The file of a message. An image shows as its thumbnail at the size the file object
// gives (so the row has its final height before a byte has loaded) and opens the viewer
// on click; any other file is a card with its type, name and size, Open, Save (to the
// Downloads folder) and Save as. While the user's own file uploads: the local copy (or
// the card), a progress bar and Cancel.
Item {
    id: root

    // The file object of the row: {id, name, size, mime, width, height, thumb, image}.
    property var file: ({})
    property url localUrl
    property real uploadProgress: -1
    property bool pending: false
    property FileCache cache: null
    property real maxWidth: 360

    signal openImage(string fileId, string thumbId, string name, int imageWidth, int imageHeight)
    signal cancelClicked

    readonly property bool isImage: root.file && root.file.image === true
    readonly property real shownScale: root.isImage
        ? Math.min(1, root.maxWidth / root.file.width, 280 / root.file.height) : 1

    objectName: "fileMessage"
    implicitWidth: root.isImage ? Math.max(1, Math.round(root.file.width * root.shownScale)) : card.implicitWidth
    implicitHeight: (root.isImage ? Math.max(1, Math.round(root.file.height * root.shownScale)) : card.implicitHeight)
                    + (progressRow.visible ? progressRow.implicitHeight + 4 : 0)
                    + (saveLabel.visible ? saveLabel.implicitHeight + 2 : 0)

    CachedFile {
        id: thumb

        cache: root.isImage && !root.pending ? root.cache : null
        fileId: root.isImage && !root.pending && root.file.thumb ? root.file.thumb : ""
    }

    // What Save and Save as are doing: the cache reports by file id.
    QtObject {
        id: saveState

        property string path
        property string error
        property bool busy: false
        property real progress: 0
    }
    Connections {
        target: root.cache

        function onProgressChanged(fileId, received, total) {
            if (saveState.busy && fileId === root.file.id && total > 0)
                saveState.progress = received / total
        }
        function onSaved(fileId, path) {
            if (fileId !== root.file.id)
                return
            saveState.busy = false
            saveState.path = path
        }
        function onSaveFailed(fileId, error) {
            if (fileId !== root.file.id)
                return
            saveState.busy = false
            saveState.error = error
        }
    }
    function save(target) {
        saveState.path = ""
        saveState.error = ""
        saveState.progress = 0
        saveState.busy = true
        root.cache.save(root.file.id, root.file.name, target)
    }

    Rectangle {
        id: imageBox

        visible: root.isImage
        width: root.isImage ? Math.round(root.file.width * root.shownScale) : 0
        height: root.isImage ? Math.round(root.file.height * root.shownScale) : 0
        radius: 6
        color: Theme.alternateBase
        border.color: Theme.border
        clip: true

        Image {
            id: image

            objectName: "fileImage"
            anchors.fill: parent
            source: root.pending ? root.localUrl : thumb.url
            sourceSize.width: imageBox.width * 2
            fillMode: Image.PreserveAspectFit
            asynchronous: true
            cache: false
            opacity: root.pending ? 0.7 : 1
            Accessible.role: Accessible.Graphic
            Accessible.name: root.file ? root.file.name : ""
        }
        BusyIndicator {
            anchors.centerIn: parent
            running: visible
            visible: image.status !== Image.Ready && thumb.errorText === "" && !root.pending
        }
        Label {
            anchors.centerIn: parent
            width: parent.width - 16
            visible: thumb.errorText !== ""
            text: qsTr("Image not loaded: %1").arg(thumb.errorText)
            wrapMode: Text.Wrap
            horizontalAlignment: Text.AlignHCenter
            color: Theme.mutedText
            font.pixelSize: 11
        }
        MouseArea {
            anchors.fill: parent
            enabled: !root.pending
            cursorShape: Qt.PointingHandCursor
            onClicked: root.openImage(root.file.id, root.file.thumb, root.file.name,
                                      root.file.width, root.file.height)
        }
    }

    Rectangle {
        id: card

        objectName: "fileCard"
        visible: !root.isImage
        implicitWidth: Math.min(root.maxWidth + 160, cardRow.implicitWidth + 24)
        implicitHeight: cardRow.implicitHeight + 16
        width: implicitWidth
        height: implicitHeight
        radius: 6
        color: Theme.alternateBase
        border.color: Theme.border

        RowLayout {
            id: cardRow

            anchors.fill: parent
            anchors.margins: 8
            anchors.leftMargin: 12
            spacing: 10

            Label {
                text: Ui.fileIcon(root.file ? root.file.mime : "")
                font.pixelSize: 26
                Accessible.ignored: true
            }
            ColumnLayout {
                spacing: 0
                Layout.fillWidth: true
                Layout.minimumWidth: Math.min(fileNameLabel.implicitWidth, 180)
                Layout.maximumWidth: 260

                Label {
                    id: fileNameLabel

                    objectName: "fileName"
                    text: root.file ? root.file.name : ""
                    color: Theme.text
                    font.bold: true
                    elide: Text.ElideMiddle
                    Layout.fillWidth: true
                }
                Label {
                    text: root.file ? Ui.sizeLabel(root.file.size) : ""
                    color: Theme.mutedText
                    font.pixelSize: 11
                }
            }
            Button {
                objectName: "fileOpenButton"
                visible: !root.pending
                text: qsTr("Open")
                flat: true
                onClicked: root.cache.open(root.file.id, root.file.name)
            }
            Button {
                objectName: "fileSaveButton"
                visible: !root.pending
                text: qsTr("Save")
                flat: true
                ToolTip.visible: hovered
                ToolTip.text: qsTr("Save to %1").arg(root.cache ? root.cache.downloadTarget(root.file.name) : "")
                onClicked: root.save("")
            }
            Button {
                objectName: "fileSaveAsButton"
                visible: !root.pending
                text: qsTr("Save as…")
                flat: true
                onClicked: {
                    const target = Ui.chooseSaveTarget(root.file.name)
                    if (target !== "")
                        root.save(target)
                }
            }
        }
    }

    RowLayout {
        id: progressRow

        visible: root.pending && root.uploadProgress < 1 || saveState.busy
        y: (root.isImage ? imageBox.height : card.height) + 4
        width: Math.max(imageBox.width, card.width, 240)
        spacing: 8

        ProgressBar {
            objectName: "uploadProgress"
            from: 0
            to: 1
            value: saveState.busy ? saveState.progress : Math.max(0, root.uploadProgress)
            indeterminate: !saveState.busy && root.uploadProgress < 0
            Layout.fillWidth: true
            Layout.minimumWidth: 160
        }
        Label {
            text: saveState.busy ? qsTr("Downloading %1%").arg(Math.round(saveState.progress * 100))
                  : root.uploadProgress < 0 ? qsTr("Waiting to upload")
                  : qsTr("%1 of %2").arg(Ui.sizeLabel(root.uploadProgress * root.file.size)).arg(Ui.sizeLabel(root.file.size))
            color: Theme.mutedText
            font.pixelSize: 11
        }
        Button {
            objectName: "cancelUploadButton"
            visible: root.pending
            text: qsTr("Cancel")
            flat: true
            onClicked: root.cancelClicked()
        }
    }

    Label {
        id: saveLabel

        objectName: "fileSavedLabel"
        visible: saveState.path !== "" || saveState.error !== ""
        y: (root.isImage ? imageBox.height : card.height) + (progressRow.visible ? progressRow.implicitHeight + 8 : 2)
        text: saveState.error !== "" ? qsTr("Not saved: %1").arg(saveState.error)
                                     : qsTr("Saved to %1").arg(saveState.path)
        color: saveState.error !== "" ? Theme.error : Theme.mutedText
        font.pixelSize: 11
        elide: Text.ElideMiddle
        width: Math.max(imageBox.width, card.width)
    }
}
