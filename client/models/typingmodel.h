#pragma once

#include <QAbstractListModel>
#include <QDeadlineTimer>
#include <QTimer>
#include <QtQml/qqmlregistration.h>
#include <functional>

namespace confab::client {

// Who is typing in one room. A typing signal shows its user for expiryMs (5 s by the
// protocol); a message from that user ends it at once.
class TypingModel : public QAbstractListModel
{
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("Typing lists belong to rooms")
    Q_PROPERTY(QStringList displayNames READ displayNames NOTIFY changed)

public:
    enum Role { UserRole = Qt::UserRole + 1, DisplayNameRole };
    Q_ENUM(Role)
    using NameLookup = std::function<QString(const QString &)>;

    explicit TypingModel(NameLookup names, int expiryMs = 5000, QObject *parent = nullptr);
    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role) const override;
    QHash<int, QByteArray> roleNames() const override;

    void typing(const QString &user);
    void stopped(const QString &user);
    QStringList displayNames() const;

signals:
    void changed();

private:
    void expire();
    struct Entry
    {
        QString user;
        QDeadlineTimer until;
    };
    QList<Entry> m_entries;
    NameLookup m_names;
    QTimer m_timer;
    int m_expiryMs;
};

} // namespace confab::client
