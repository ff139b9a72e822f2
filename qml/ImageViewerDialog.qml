import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Confab.Core
import Confab.Ui

// An image at full size over the whole window: fitted first, the thumbnail standing in
// while the file loads; the wheel, + and - zoom (0 fits again), dragging pans, Esc or a
// click outside closes. Save keeps it in the Downloads folder.
Popup {
    id: root

    property FileCache cache: null
    property string fileId
    property string thumbId
    property string name
    property int imageWidth: 1
    property int imageHeight: 1
    // 0: fit the window; otherwise the scale of the image's own pixels.
    property real zoom: 0
    readonly property real fitScale: Math.min(1, (flick.width - 32) / root.imageWidth,
                                              (flick.height - 32) / root.imageHeight)
    readonly property real shownScale: root.zoom > 0 ? root.zoom : root.fitScale

    function show(id, thumb, fileName, w, h) {
        root.fileId = id
        root.thumbId = thumb
        root.name = fileName
        root.imageWidth = Math.max(1, w)
        root.imageHeight = Math.max(1, h)
        root.zoom = 0
        root.open()
    }

    function zoomBy(factor) {
        root.zoom = Math.max(0.05, Math.min(8, root.shownScale * factor))
    }

    objectName: "imageViewer"
    parent: Overlay.overlay
    x: 0
    y: 0
    width: parent ? parent.width : 800
    height: parent ? parent.height : 600
    modal: true
    focus: true
    padding: 0
    closePolicy: Popup.CloseOnEscape
    background: Rectangle {
        color: Qt.rgba(0, 0, 0, 0.88)
    }

    CachedFile {
        id: full

        cache: root.opened ? root.cache : null
        fileId: root.opened ? root.fileId : ""
    }
    CachedFile {
        id: thumb

        cache: root.opened ? root.cache : null
        fileId: root.opened ? root.thumbId : ""
    }

    contentItem: Item {
        focus: true
        Keys.onPressed: event => {
            if (event.key === Qt.Key_Plus || event.key === Qt.Key_Equal) {
                root.zoomBy(1.25)
                event.accepted = true
            } else if (event.key === Qt.Key_Minus) {
                root.zoomBy(0.8)
                event.accepted = true
            } else if (event.key === Qt.Key_0) {
                root.zoom = 0
                event.accepted = true
            }
        }

        Flickable {
            id: flick

            anchors.fill: parent
            anchors.topMargin: bar.height
            contentWidth: Math.max(width, root.imageWidth * root.shownScale)
            contentHeight: Math.max(height, root.imageHeight * root.shownScale)
            clip: true
            boundsBehavior: Flickable.StopAtBounds

            TapHandler {
                onTapped: eventPoint => {
                    const p = frame.mapFromItem(flick.contentItem, eventPoint.position)
                    if (p.x < 0 || p.y < 0 || p.x > frame.width || p.y > frame.height)
                        root.close()
                }
            }

            Item {
                id: frame

                width: root.imageWidth * root.shownScale
                height: root.imageHeight * root.shownScale
                x: (flick.contentWidth - width) / 2
                y: (flick.contentHeight - height) / 2

                Image {
                    anchors.fill: parent
                    visible: fullImage.status !== Image.Ready
                    source: thumb.url
                    fillMode: Image.PreserveAspectFit
                    asynchronous: true
                }
                Image {
                    id: fullImage

                    objectName: "viewerImage"
                    anchors.fill: parent
                    source: full.url
                    fillMode: Image.PreserveAspectFit
                    asynchronous: true
                    cache: false
                    mipmap: true
                    // Decoded no larger than the screen can show (a 24 MP photo is 96 MB).
                    sourceSize.width: Math.min(root.imageWidth, Math.max(frame.width, flick.width) * Screen.devicePixelRatio)
                }
            }

            WheelHandler {
                onWheel: event => root.zoomBy(event.angleDelta.y > 0 ? 1.15 : 1 / 1.15)
            }
        }

        ProgressBar {
            anchors.centerIn: parent
            width: 240
            visible: full.loading
            from: 0
            to: 1
            value: full.progress
        }
        Label {
            anchors.centerIn: parent
            visible: full.errorText !== ""
            text: qsTr("Not loaded: %1").arg(full.errorText)
            color: "white"
        }

        Rectangle {
            id: bar

            width: parent.width
            height: barRow.implicitHeight + 12
            color: Qt.rgba(0.08, 0.08, 0.09, 0.96)

            RowLayout {
                id: barRow

                anchors.fill: parent
                anchors.leftMargin: 16
                anchors.rightMargin: 8
                spacing: 4

                Label {
                    objectName: "viewerName"
                    text: root.name
                    color: "white"
                    font.bold: true
                    elide: Text.ElideMiddle
                    Layout.fillWidth: true
                }
                Label {
                    text: Math.round(root.shownScale * 100) + " %"
                    color: "#d0d0d0"
                }
                ToolButton {
                    text: "−"
                    palette.buttonText: "white"
                    Accessible.name: qsTr("Zoom out")
                    onClicked: root.zoomBy(0.8)
                }
                ToolButton {
                    text: "+"
                    palette.buttonText: "white"
                    Accessible.name: qsTr("Zoom in")
                    onClicked: root.zoomBy(1.25)
                }
                ToolButton {
                    text: qsTr("Fit")
                    palette.buttonText: "white"
                    onClicked: root.zoom = 0
                }
                ToolButton {
                    text: qsTr("1:1")
                    palette.buttonText: "white"
                    onClicked: root.zoom = 1
                }
                ToolButton {
                    objectName: "viewerSave"
                    text: qsTr("Save")
                    palette.buttonText: "white"
                    onClicked: root.cache.save(root.fileId, root.name, "")
                }
                ToolButton {
                    objectName: "viewerClose"
                    text: "✕"
                    palette.buttonText: "white"
                    Accessible.name: qsTr("Close (Esc)")
                    onClicked: root.close()
                }
            }
        }
    }
}
