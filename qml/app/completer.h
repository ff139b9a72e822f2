#pragma once

#include <QAbstractListModel>
#include <QPointer>
#include <QtQml/qqmlregistration.h>

namespace confab::app {

// Completion for the composer: "@na" offers the room's members (by user name or display
// name, plus @room) and ":sm" offers emoji by shortcode. It is the list the popup shows;
// the composer feeds it the text and cursor, moves the selection with next()/previous()
// and takes the result of accept(). Any model with "user" and "displayName" roles can
// be the member list.
class Completer : public QAbstractListModel
{
    Q_OBJECT
    QML_ELEMENT
    Q_PROPERTY(QString text READ text WRITE setText NOTIFY inputChanged)
    Q_PROPERTY(int cursorPosition READ cursorPosition WRITE setCursorPosition NOTIFY inputChanged)
    Q_PROPERTY(QAbstractItemModel *members READ members WRITE setMembers NOTIFY membersChanged)
    Q_PROPERTY(bool active READ active NOTIFY resultsChanged)
    Q_PROPERTY(Mode mode READ mode NOTIFY resultsChanged)
    Q_PROPERTY(int count READ count NOTIFY resultsChanged)
    Q_PROPERTY(int currentIndex READ currentIndex WRITE setCurrentIndex NOTIFY currentIndexChanged)

public:
    enum class Mode { None, User, Emoji };
    Q_ENUM(Mode)
    enum Role { LabelRole = Qt::UserRole + 1, DetailRole, InsertionRole };
    Q_ENUM(Role)

    explicit Completer(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role) const override;
    QHash<int, QByteArray> roleNames() const override;

    QString text() const { return m_text; }
    void setText(const QString &text);
    int cursorPosition() const { return m_cursor; }
    void setCursorPosition(int position);
    QAbstractItemModel *members() const { return m_members; }
    void setMembers(QAbstractItemModel *members);
    bool active() const { return !m_rows.isEmpty(); }
    Mode mode() const { return m_rows.isEmpty() ? Mode::None : m_mode; }
    int count() const { return int(m_rows.size()); }
    int currentIndex() const { return m_current; }
    void setCurrentIndex(int index);

    Q_INVOKABLE void next();
    Q_INVOKABLE void previous();
    // Hides the list until the text changes (Esc).
    Q_INVOKABLE void dismiss();
    // The text with the current candidate in place of the typed prefix, and where the
    // cursor goes: {"text": ..., "cursorPosition": ...}. Empty when inactive.
    Q_INVOKABLE QVariantMap accept();

    static constexpr int kMaxResults = 8;

signals:
    void inputChanged();
    void membersChanged();
    void resultsChanged();
    void currentIndexChanged();

private:
    struct Row
    {
        QString label;
        QString detail;
        QString insertion;
    };
    void refresh();
    QList<Row> userRows(const QString &prefix) const;
    QList<Row> emojiRows(const QString &prefix) const;

    QString m_text;
    int m_cursor = 0;
    QPointer<QAbstractItemModel> m_members;
    QList<Row> m_rows;
    Mode m_mode = Mode::None;
    int m_tokenStart = -1; // where the @ or : is
    int m_current = 0;
    bool m_dismissed = false;
};

} // namespace confab::app
