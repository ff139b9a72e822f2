#pragma once

#include "protocol/messages.h"

#include <QAbstractListModel>
#include <QColor>
#include <QDateTime>
#include <QtQml/qqmlregistration.h>
#include <functional>

namespace confab::client {

// The results of one search, newest first (or by relevance), as the search pane shows
// them: room, sender, date and a snippet whose hits are marked. search() starts a new
// one (the last typed query wins: replies to an earlier one are dropped), loadMore()
// asks for the next page. Where the results came from (the server, or the cache on this
// computer while the server cannot be reached) and why a query was refused are
// properties. The session runs the requests; UI thread only.
class SearchModel : public QAbstractListModel
{
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("The session's search")
    Q_PROPERTY(QString query READ query NOTIFY stateChanged)
    Q_PROPERTY(QString scopeRoom READ scopeRoom NOTIFY stateChanged)
    Q_PROPERTY(bool busy READ busy NOTIFY stateChanged)
    Q_PROPERTY(bool canLoadMore READ canLoadMore NOTIFY stateChanged)
    Q_PROPERTY(bool searched READ searched NOTIFY stateChanged)
    // The results are from this computer's cache only (the server could not be reached).
    Q_PROPERTY(bool offline READ offline NOTIFY stateChanged)
    // The server is still indexing older messages: some may be missing.
    Q_PROPERTY(bool indexing READ indexing NOTIFY stateChanged)
    // The server's time budget ran out: the results are what it found by then.
    Q_PROPERTY(bool timedOut READ timedOut NOTIFY stateChanged)
    // Why the query was refused (its offending token named), or why it failed.
    Q_PROPERTY(QString errorText READ errorText NOTIFY stateChanged)
    Q_PROPERTY(int count READ count NOTIFY stateChanged)
    Q_PROPERTY(QColor highlightColor READ highlightColor WRITE setHighlightColor NOTIFY
                   highlightColorChanged)

public:
    enum Role {
        RoomRole = Qt::UserRole + 1,
        RoomNameRole,
        SeqRole,
        SenderRole,
        SenderNameRole,
        TimestampRole,
        SnippetRole,     // plain text, marks removed
        SnippetHtmlRole, // rich text, hits highlighted
        KindRole,
        EditedRole,
        FileNameRole,
    };
    Q_ENUM(Role)

    // A page to fetch: the request (id unset) and the search it belongs to.
    using Runner = std::function<void(const protocol::SearchRequest &request, qint64 generation)>;
    using NameLookup = std::function<QString(const QString &user)>;
    using RoomNameLookup = std::function<QString(const QString &room)>;

    SearchModel(Runner runner, NameLookup names, RoomNameLookup roomNames,
                QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role) const override;
    QHash<int, QByteArray> roleNames() const override;

    QString query() const { return m_query; }
    QString scopeRoom() const { return m_room; }
    bool busy() const { return m_busy; }
    bool canLoadMore() const { return m_cursor.has_value() && !m_busy; }
    bool searched() const { return m_searched; }
    bool offline() const { return m_offline; }
    bool indexing() const { return m_indexing; }
    bool timedOut() const { return m_timedOut; }
    QString errorText() const { return m_errorText; }
    int count() const { return int(m_hits.size()); }
    QColor highlightColor() const { return m_highlight; }
    void setHighlightColor(const QColor &color);

    // roomId empty: every room the user can read. byRelevance: best matches first.
    Q_INVOKABLE void search(const QString &query, const QString &roomId = QString(),
                            bool byRelevance = false);
    Q_INVOKABLE void loadMore();
    Q_INVOKABLE void clear();
    Q_INVOKABLE QVariantMap resultAt(int row) const;

    // ---- fed by the session ----
    void onPage(qint64 generation, const protocol::SearchReply &reply, bool offline);
    void onFailed(qint64 generation, const QString &text);
    qint64 generation() const { return m_generation; }

signals:
    void stateChanged();
    void highlightColorChanged();

private:
    void run(const std::optional<QString> &cursor);
    QString snippetHtml(const QString &snippet) const;

    Runner m_runner;
    NameLookup m_names;
    RoomNameLookup m_roomNames;
    QList<protocol::SearchHit> m_hits;
    QString m_query;
    QString m_room;
    bool m_byRelevance = false;
    std::optional<QString> m_cursor;
    qint64 m_generation = 0;
    QString m_errorText;
    QColor m_highlight = QColor(0xff, 0xd5, 0x4f);
    bool m_busy = false;
    bool m_searched = false;
    bool m_offline = false;
    bool m_indexing = false;
    bool m_timedOut = false;
};

} // namespace confab::client
