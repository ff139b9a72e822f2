#pragma once

#include <QObject>
#include <QTimer>
#include <QtQml/qqmlregistration.h>

namespace confab::client {

// What the user is writing in one room: the draft text and either a reply target or an
// edit target (never both). Every change is saved as a draft shortly after it is typed
// (draftChanged), so switching rooms or quitting loses nothing.
class Composer : public QObject
{
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("Composers belong to rooms")
    Q_PROPERTY(QString text READ text WRITE setText NOTIFY textChanged)
    Q_PROPERTY(qint64 replyTo READ replyTo NOTIFY targetChanged)
    Q_PROPERTY(qint64 editTarget READ editTarget NOTIFY targetChanged)
    Q_PROPERTY(bool editing READ editing NOTIFY targetChanged)

public:
    explicit Composer(QObject *parent = nullptr);
    ~Composer() override;

    QString text() const { return m_text; }
    void setText(const QString &text);
    qint64 replyTo() const { return m_replyTo; }
    qint64 editTarget() const { return m_editTarget; }
    bool editing() const { return m_editTarget > 0; }

    Q_INVOKABLE void startReply(qint64 seq);
    // Editing replaces the draft with the message's text; cancel() brings the draft back.
    Q_INVOKABLE void startEdit(qint64 seq, const QString &currentBody);
    Q_INVOKABLE void cancel();
    // After a send: an empty composer.
    void clear();
    // Restores a saved draft without saving it again.
    void restore(const QString &text, qint64 replyTo);
    // Saves a pending draft change now.
    void flush();

signals:
    void textChanged();
    void targetChanged();
    // The user typed (for typing notifications).
    void edited();
    // Save this draft (text, reply target); edits are not drafts.
    void draftChanged(const QString &text, qint64 replyTo);

private:
    void scheduleSave();

    QString m_text;
    QString m_savedDraft; // the draft while an edit borrows the text field
    qint64 m_replyTo = 0;
    qint64 m_editTarget = 0;
    QTimer m_saveTimer;
    bool m_dirty = false; // a change not yet handed out as draftChanged
};

} // namespace confab::client
