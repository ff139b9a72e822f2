#pragma once

#include <QSortFilterProxyModel>
#include <QtQml/qqmlregistration.h>

namespace confab::client {
class Room;
}

namespace confab::app {

// A view of a session's room list: one sidebar section (channels or direct messages)
// and/or the rooms whose name contains a text (the Ctrl+K switcher). Keeps the order of
// the source (by activity).
class RoomFilter : public QSortFilterProxyModel
{
    Q_OBJECT
    QML_ELEMENT
    Q_PROPERTY(Section section READ section WRITE setSection NOTIFY sectionChanged)
    Q_PROPERTY(QString text READ text WRITE setText NOTIFY textChanged)
    Q_PROPERTY(Membership membership READ membership WRITE setMembership NOTIFY membershipChanged)
    Q_PROPERTY(int count READ count NOTIFY countChanged)

public:
    enum class Section { All, Channels, Direct };
    Q_ENUM(Section)
    // Joined (the default): the user's own rooms. NotJoined: the public channels it can join.
    enum class Membership { Joined, NotJoined, Any };
    Q_ENUM(Membership)

    explicit RoomFilter(QObject *parent = nullptr);

    Section section() const { return m_section; }
    void setSection(Section section);
    QString text() const { return m_text; }
    void setText(const QString &text);
    Membership membership() const { return m_membership; }
    void setMembership(Membership membership);
    int count() const { return rowCount(); }
    Q_INVOKABLE confab::client::Room *roomAt(int row) const;
    Q_INVOKABLE int rowOf(const QString &roomId) const;

signals:
    void sectionChanged();
    void textChanged();
    void membershipChanged();
    void countChanged();

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const override;

private:
    Section m_section = Section::All;
    QString m_text;
    Membership m_membership = Membership::Joined;
};

} // namespace confab::app
