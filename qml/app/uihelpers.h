#pragma once

#include <QDateTime>
#include <QObject>
#include <QVariantMap>
#include <QtQml/qqmlregistration.h>

class QAbstractItemModel;

namespace confab::client {
class Room;
}

namespace confab::app {

// Small things the views ask about their models and the desktop, kept out of QML: the
// labels of day separators, the user's last message (Up edits it), where the read
// marker is, the clipboard. Works on any model with the timeline's role names, so the
// components can be tested on a ListModel. QML sees it as the singleton Ui.
class UiHelpers : public QObject
{
    Q_OBJECT
    QML_NAMED_ELEMENT(Ui)
    QML_SINGLETON
    Q_PROPERTY(QStringList quickReactions READ quickReactions CONSTANT)

public:
    using QObject::QObject;

    QStringList quickReactions() const;
    Q_INVOKABLE void copyText(const QString &text) const;
    Q_INVOKABLE QString clipboardText() const;
    // A paste into the composer that is not text: an image (attached as a PNG) or files
    // copied in a file manager (attached as they are). False: nothing of that kind, the
    // paste is ordinary text.
    Q_INVOKABLE bool pasteAttachment(confab::client::Room *room) const;
    // The file chooser of the attach button (file URLs; empty: cancelled), and Save as's.
    Q_INVOKABLE QStringList chooseFiles() const;
    Q_INVOKABLE QString chooseSaveTarget(const QString &name) const;
    // "340 bytes", "1.2 MB": sizes as people read them (decimal, like file managers).
    Q_INVOKABLE QString sizeLabel(qint64 bytes) const;
    // A glyph for a file card by MIME type.
    Q_INVOKABLE QString fileIcon(const QString &mime) const;
    // "Today", "Yesterday", a weekday within the week, else the date.
    Q_INVOKABLE QString dayLabel(const QDateTime &when) const;
    Q_INVOKABLE QString timeLabel(const QDateTime &when) const;
    Q_INVOKABLE QString fullTimeLabel(const QDateTime &when) const;
    // The newest delivered, not deleted text row of the user: {"seq", "body"}, or {}.
    Q_INVOKABLE QVariantMap lastOwnMessage(QAbstractItemModel *timeline) const;
    // The seq of the row the "new messages" divider goes under: the one just older than
    // the oldest unread message (someone else's text after readSeq); 0: none, or not
    // loaded yet.
    Q_INVOKABLE qint64 markerSeq(QAbstractItemModel *timeline, qint64 readSeq) const;
    // The row of a seq (-1 while not loaded).
    Q_INVOKABLE int rowOfSeq(QAbstractItemModel *timeline, qint64 seq) const;
    // The seq of the newest delivered row at or below a row index (for read markers).
    Q_INVOKABLE qint64 seqAtOrBelow(QAbstractItemModel *timeline, int row) const;
    // "Sender: start of the body" of a row by seq, for the composer's reply line.
    Q_INVOKABLE QString rowSummary(QAbstractItemModel *timeline, qint64 seq) const;
    // Whether a body mentions the user (the core's rule).
    Q_INVOKABLE bool mentions(const QString &body, const QString &user,
                              const QString &displayName) const;
    // A SHA-256 fingerprint (AA:BB:...) as two lines of 16 bytes, easier to compare.
    Q_INVOKABLE QString formatFingerprint(const QString &fingerprint) const;
    // The user's initials for an avatar.
    Q_INVOKABLE QString initials(const QString &name) const;
};

} // namespace confab::app
