#include "completer.h"

#include "emojitable.h"
#include "modelroles.h"

#include <QSet>

namespace confab::app {

using namespace Qt::StringLiterals;

namespace {
constexpr int kMinEmojiChars = 2; // ":)" and times like 10:30 must not pop up a list

bool isTokenChar(QChar c, Completer::Mode mode)
{
    if (mode == Completer::Mode::User)
        return c.isLetterOrNumber() || c == u'.' || c == u'_' || c == u'-';
    return c.isLetterOrNumber() || c == u'_' || c == u'+' || c == u'-';
}

} // namespace

Completer::Completer(QObject *parent)
    : QAbstractListModel(parent)
{
}

int Completer::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

QHash<int, QByteArray> Completer::roleNames() const
{
    return {{LabelRole, "label"}, {DetailRole, "detail"}, {InsertionRole, "insertion"}};
}

QVariant Completer::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Row &r = m_rows[index.row()];
    switch (role) {
    case Qt::DisplayRole:
    case LabelRole:
        return r.label;
    case DetailRole:
        return r.detail;
    case InsertionRole:
        return r.insertion;
    }
    return {};
}

void Completer::setText(const QString &text)
{
    if (text == m_text)
        return;
    m_text = text;
    m_dismissed = false;
    emit inputChanged();
    refresh();
}

void Completer::setCursorPosition(int position)
{
    if (position == m_cursor)
        return;
    m_cursor = position;
    emit inputChanged();
    refresh();
}

void Completer::setMembers(QAbstractItemModel *members)
{
    if (members == m_members)
        return;
    m_members = members;
    emit membersChanged();
    refresh();
}

void Completer::setCurrentIndex(int index)
{
    index = m_rows.isEmpty() ? 0 : std::clamp(index, 0, int(m_rows.size()) - 1);
    if (index == m_current)
        return;
    m_current = index;
    emit currentIndexChanged();
}

void Completer::next()
{
    if (!m_rows.isEmpty())
        setCurrentIndex((m_current + 1) % int(m_rows.size()));
}

void Completer::previous()
{
    if (!m_rows.isEmpty())
        setCurrentIndex((m_current + int(m_rows.size()) - 1) % int(m_rows.size()));
}

void Completer::dismiss()
{
    m_dismissed = true;
    refresh();
}

void Completer::refresh()
{
    QList<Row> rows;
    Mode mode = Mode::None;
    int start = -1;
    const int cursor = std::clamp(m_cursor, 0, int(m_text.size()));
    if (!m_dismissed) {
        // Walk back over the token the cursor ends; it must start with @ or : after a
        // space (or at the start).
        for (const Mode candidate : {Mode::User, Mode::Emoji}) {
            int i = cursor;
            while (i > 0 && isTokenChar(m_text[i - 1], candidate))
                --i;
            const QChar sigil = candidate == Mode::User ? u'@' : u':';
            if (i > 0 && m_text[i - 1] == sigil && (i == 1 || m_text[i - 2].isSpace())) {
                mode = candidate;
                start = i - 1;
                break;
            }
        }
        const QString prefix = start >= 0 ? m_text.mid(start + 1, cursor - start - 1) : QString();
        if (mode == Mode::User)
            rows = userRows(prefix);
        else if (mode == Mode::Emoji && prefix.size() >= kMinEmojiChars)
            rows = emojiRows(prefix);
    }
    beginResetModel();
    m_rows = rows;
    m_mode = mode;
    m_tokenStart = start;
    endResetModel();
    m_current = 0;
    emit currentIndexChanged();
    emit resultsChanged();
}

QList<Completer::Row> Completer::userRows(const QString &prefix) const
{
    QList<Row> starts, contains;
    if (m_members) {
        const int userRole = roleOf(m_members, "user");
        const int nameRole = roleOf(m_members, "displayName");
        for (int row = 0; row < m_members->rowCount(); ++row) {
            const QModelIndex i = m_members->index(row, 0);
            const QString user = i.data(userRole).toString();
            const QString name = nameRole >= 0 ? i.data(nameRole).toString() : QString();
            if (user.isEmpty())
                continue;
            const Row r{name.isEmpty() ? user : name, u"@"_s + user, u"@"_s + user + u' '};
            if (user.startsWith(prefix, Qt::CaseInsensitive) ||
                name.startsWith(prefix, Qt::CaseInsensitive))
                starts.append(r);
            else if (user.contains(prefix, Qt::CaseInsensitive) ||
                     name.contains(prefix, Qt::CaseInsensitive))
                contains.append(r);
        }
    }
    QList<Row> rows = starts + contains;
    if (u"room"_s.startsWith(prefix, Qt::CaseInsensitive))
        rows.append(Row{u"room"_s, tr("everyone in the room"), u"@room "_s});
    return rows.mid(0, kMaxResults);
}

QList<Completer::Row> Completer::emojiRows(const QString &prefix) const
{
    QList<Row> starts, contains;
    QSet<QString> seen; // aliases of one emoji are offered once
    for (const EmojiEntry &e : emojiTable()) {
        const QString code = QString::fromUtf8(e.shortcode);
        const QString emoji = QString::fromUtf8(e.emoji);
        const bool atStart = code.startsWith(prefix, Qt::CaseInsensitive);
        if ((!atStart && !code.contains(prefix, Qt::CaseInsensitive)) || seen.contains(emoji))
            continue;
        seen.insert(emoji);
        (atStart ? starts : contains).append(Row{emoji, u':' + code + u':', emoji + u' '});
    }
    return (starts + contains).mid(0, kMaxResults);
}

QVariantMap Completer::accept()
{
    if (m_rows.isEmpty() || m_tokenStart < 0)
        return {};
    const int cursor = std::clamp(m_cursor, 0, int(m_text.size()));
    QString insertion = m_rows[m_current].insertion;
    // A space already after the cursor is kept instead of doubled.
    if (cursor < m_text.size() && m_text[cursor].isSpace())
        insertion.chop(1);
    const QString text = m_text.left(m_tokenStart) + insertion + m_text.mid(cursor);
    const int newCursor = m_tokenStart + int(insertion.size()) +
                          (insertion.endsWith(u' ') || cursor >= m_text.size() ? 0 : 1);
    m_dismissed = true; // the composer writes the text back: no list for it
    QVariantMap result{{u"text"_s, text}, {u"cursorPosition"_s, newCursor}};
    m_text = text;
    m_cursor = newCursor;
    refresh();
    return result;
}

} // namespace confab::app
