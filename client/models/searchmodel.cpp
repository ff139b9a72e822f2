#include "models/searchmodel.h"

#include "text/markdown.h"

#include <QVariantMap>

namespace confab::client {

using namespace Qt::StringLiterals;

namespace {
constexpr int kPageSize = 20;

// The snippet as the user reads it: Markdown syntax gone (a snippet is a piece of a
// message, so an unclosed ** stays as typed), one line.
QString plainSnippet(const QString &snippet)
{
    QString text = markdownToPlain(snippet).simplified();
    return text.isEmpty() ? snippet.simplified() : text;
}
} // namespace

SearchModel::SearchModel(Runner runner, NameLookup names, RoomNameLookup roomNames, QObject *parent)
    : QAbstractListModel(parent)
    , m_runner(std::move(runner))
    , m_names(std::move(names))
    , m_roomNames(std::move(roomNames))
{
}

int SearchModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_hits.size());
}

QHash<int, QByteArray> SearchModel::roleNames() const
{
    return {
        {RoomRole, "roomId"},     {RoomNameRole, "roomName"},       {SeqRole, "seq"},
        {SenderRole, "sender"},   {SenderNameRole, "senderName"},   {TimestampRole, "timestamp"},
        {SnippetRole, "snippet"}, {SnippetHtmlRole, "snippetHtml"}, {KindRole, "kind"},
        {EditedRole, "edited"},   {FileNameRole, "fileName"}};
}

QVariant SearchModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid))
        return {};
    const protocol::SearchHit &h = m_hits[index.row()];
    switch (role) {
    case RoomRole:
        return h.room;
    case RoomNameRole:
        return m_roomNames(h.room);
    case SeqRole:
        return h.seq;
    case SenderRole:
        return h.from;
    case SenderNameRole:
        return m_names(h.from);
    case TimestampRole:
        return QDateTime::fromMSecsSinceEpoch(h.ts);
    case SnippetRole: {
        QString text = plainSnippet(h.snippet);
        text.remove(protocol::kHitStart);
        text.remove(protocol::kHitEnd);
        return text;
    }
    case SnippetHtmlRole:
        return snippetHtml(h.snippet);
    case KindRole:
        return protocol::eventKindName(h.kind);
    case EditedRole:
        return h.edited;
    case FileNameRole:
        return h.file ? h.file->name : QString();
    default:
        return {};
    }
}

QString SearchModel::snippetHtml(const QString &snippet) const
{
    const QString open = u"<span style=\"background-color:%1\">"_s.arg(m_highlight.name());
    QString html = plainSnippet(snippet).toHtmlEscaped();
    // A hit cut by the snippet's end still closes.
    int depth = 0;
    QString out;
    out.reserve(html.size() + 64);
    for (const QChar c : std::as_const(html)) {
        if (c == protocol::kHitStart) {
            if (depth++ == 0)
                out += open;
        } else if (c == protocol::kHitEnd) {
            if (depth > 0 && --depth == 0)
                out += u"</span>"_s;
        } else {
            out += c;
        }
    }
    if (depth > 0)
        out += u"</span>"_s;
    return out;
}

void SearchModel::setHighlightColor(const QColor &color)
{
    if (color == m_highlight)
        return;
    m_highlight = color;
    emit highlightColorChanged();
    if (!m_hits.isEmpty())
        emit dataChanged(index(0), index(int(m_hits.size()) - 1), {SnippetHtmlRole});
}

void SearchModel::search(const QString &query, const QString &roomId, bool byRelevance)
{
    const QString trimmed = query.trimmed();
    beginResetModel();
    m_hits.clear();
    endResetModel();
    m_query = trimmed;
    m_room = roomId;
    m_byRelevance = byRelevance;
    m_cursor.reset();
    m_errorText.clear();
    m_indexing = m_timedOut = m_offline = false;
    m_searched = false;
    ++m_generation;
    if (trimmed.isEmpty()) {
        m_busy = false;
        emit stateChanged();
        return;
    }
    run(std::nullopt);
}

void SearchModel::loadMore()
{
    if (canLoadMore())
        run(m_cursor);
}

void SearchModel::clear()
{
    search(QString());
}

void SearchModel::run(const std::optional<QString> &cursor)
{
    protocol::SearchRequest r;
    r.query = m_query;
    if (!m_room.isEmpty())
        r.room = m_room;
    r.order = m_byRelevance ? protocol::SearchOrder::Relevance : protocol::SearchOrder::Newest;
    r.limit = kPageSize;
    r.cursor = cursor;
    r.tzOffsetMinutes = QDateTime::currentDateTime().offsetFromUtc() / 60;
    m_busy = true;
    emit stateChanged();
    m_runner(r, m_generation);
}

void SearchModel::onPage(qint64 generation, const protocol::SearchReply &reply, bool offline)
{
    if (generation != m_generation)
        return;
    m_busy = false;
    m_searched = true;
    m_offline = offline;
    m_indexing = reply.indexing;
    m_timedOut = reply.timedOut;
    m_cursor = reply.cursor;
    m_errorText.clear();
    if (!reply.results.isEmpty()) {
        const int first = int(m_hits.size());
        beginInsertRows({}, first, first + int(reply.results.size()) - 1);
        m_hits.append(reply.results);
        endInsertRows();
    }
    emit stateChanged();
}

void SearchModel::onFailed(qint64 generation, const QString &text)
{
    if (generation != m_generation)
        return;
    m_busy = false;
    m_searched = true;
    m_cursor.reset();
    m_errorText = text;
    emit stateChanged();
}

QVariantMap SearchModel::resultAt(int row) const
{
    if (row < 0 || row >= m_hits.size())
        return {};
    const protocol::SearchHit &h = m_hits[row];
    return {{u"roomId"_s, h.room}, {u"seq"_s, h.seq}};
}

} // namespace confab::client
