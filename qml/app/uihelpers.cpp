#include "uihelpers.h"

#include "modelroles.h"
#include "session/mentions.h"

#include "session/room.h"
#include <QAbstractItemModel>

#include <QClipboard>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QGuiApplication>
#include <QImage>
#include <QLocale>
#include <QMimeData>
#include <QStandardPaths>

namespace confab::app {

using namespace Qt::StringLiterals;

namespace {

struct Roles
{
    explicit Roles(const QAbstractItemModel *m)
        : seq(roleOf(m, "seq"))
        , mine(roleOf(m, "mine"))
        , kind(roleOf(m, "kind"))
        , deleted(roleOf(m, "deleted"))
        , body(roleOf(m, "body"))
        , senderName(roleOf(m, "senderName"))
    {
    }
    int seq, mine, kind, deleted, body, senderName;
};
} // namespace

QStringList UiHelpers::quickReactions() const
{
    return {u"👍"_s, u"❤️"_s, u"😂"_s, u"🎉"_s, u"😮"_s, u"😢"_s, u"👀"_s, u"✅"_s};
}

void UiHelpers::copyText(const QString &text) const
{
    QGuiApplication::clipboard()->setText(text);
}

QString UiHelpers::clipboardText() const
{
    return QGuiApplication::clipboard()->text();
}

bool UiHelpers::pasteAttachment(client::Room *room) const
{
    const QMimeData *data = QGuiApplication::clipboard()->mimeData();
    if (!room || !data)
        return false;
    if (data->hasUrls()) {
        QStringList files;
        for (const QUrl &url : data->urls()) {
            if (url.isLocalFile() && QFileInfo(url.toLocalFile()).isFile())
                files.append(url.toLocalFile());
        }
        if (!files.isEmpty()) {
            for (const QString &f : std::as_const(files))
                room->sendFile(f);
            return true;
        }
    }
    if (data->hasImage()) {
        const QImage image = qvariant_cast<QImage>(data->imageData());
        return !image.isNull() && room->sendImage(image);
    }
    return false;
}

QStringList UiHelpers::chooseFiles() const
{
    QStringList out;
    const QList<QUrl> urls = QFileDialog::getOpenFileUrls(
        nullptr, tr("Attach files"),
        QUrl::fromLocalFile(QStandardPaths::writableLocation(QStandardPaths::PicturesLocation)));
    for (const QUrl &url : urls)
        out.append(url.toString());
    return out;
}

QString UiHelpers::chooseSaveTarget(const QString &name) const
{
    const QString dir = QStandardPaths::writableLocation(QStandardPaths::DownloadLocation);
    return QFileDialog::getSaveFileName(nullptr, tr("Save file"),
                                        QDir(dir).filePath(QFileInfo(name).fileName()));
}

QString UiHelpers::sizeLabel(qint64 bytes) const
{
    return QLocale().formattedDataSize(bytes, 1, QLocale::DataSizeSIFormat);
}

QString UiHelpers::fileIcon(const QString &mime) const
{
    if (mime.startsWith(u"image/"_s))
        return u"\U0001F5BC"_s; // framed picture
    if (mime.startsWith(u"audio/"_s))
        return u"\U0001F3B5"_s;
    if (mime.startsWith(u"video/"_s))
        return u"\U0001F3AC"_s;
    if (mime == u"application/pdf"_s)
        return u"\U0001F4D5"_s;
    if (mime.contains(u"zip"_s) || mime.contains(u"tar"_s) || mime.contains(u"compressed"_s) ||
        mime.contains(u"x-7z"_s) || mime.contains(u"x-xz"_s) || mime.contains(u"gzip"_s))
        return u"\U0001F5DC"_s; // clamp
    if (mime.startsWith(u"text/"_s) || mime.contains(u"json"_s) || mime.contains(u"xml"_s))
        return u"\U0001F4DD"_s;
    return u"\U0001F4C4"_s; // page
}

QString UiHelpers::dayLabel(const QDateTime &when) const
{
    const QDate day = when.toLocalTime().date();
    const QDate today = QDate::currentDate();
    const qint64 ago = day.daysTo(today);
    if (ago == 0)
        return tr("Today");
    if (ago == 1)
        return tr("Yesterday");
    const QLocale locale;
    if (ago > 1 && ago < 7)
        return locale.dayName(day.dayOfWeek(), QLocale::LongFormat);
    if (day.year() == today.year())
        return locale.toString(day, tr("dddd, d MMMM", "day separator within this year"));
    return locale.toString(day, QLocale::LongFormat);
}

QString UiHelpers::timeLabel(const QDateTime &when) const
{
    // The locale's short format, without seconds where it has them (the C locale does).
    QString format = QLocale().timeFormat(QLocale::ShortFormat);
    format.remove(u":ss"_s);
    return QLocale().toString(when.toLocalTime().time(), format);
}

QString UiHelpers::fullTimeLabel(const QDateTime &when) const
{
    return QLocale().toString(when.toLocalTime(), QLocale::LongFormat);
}

QVariantMap UiHelpers::lastOwnMessage(QAbstractItemModel *timeline) const
{
    if (!timeline)
        return {};
    const Roles r(timeline);
    // Row 0 is the newest; look back a screenful or two, not the whole history.
    const int limit = std::min(timeline->rowCount(), 200);
    for (int row = 0; row < limit; ++row) {
        const QModelIndex i = timeline->index(row, 0);
        if (i.data(r.mine).toBool() && i.data(r.kind).toString() == u"text"_s &&
            !i.data(r.deleted).toBool() && i.data(r.seq).toLongLong() > 0)
            return {{u"seq"_s, i.data(r.seq)}, {u"body"_s, i.data(r.body)}};
    }
    return {};
}

qint64 UiHelpers::markerSeq(QAbstractItemModel *timeline, qint64 readSeq) const
{
    if (!timeline)
        return 0;
    const Roles r(timeline);
    int oldestUnread = -1;
    // Newest first; everything at or below the read marker is read.
    for (int row = 0; row < timeline->rowCount(); ++row) {
        const QModelIndex i = timeline->index(row, 0);
        const qint64 seq = i.data(r.seq).toLongLong();
        if (seq <= 0)
            continue; // pending rows are the user's own
        if (seq <= readSeq)
            break;
        if (!i.data(r.mine).toBool() && i.data(r.kind).toString() == u"text"_s)
            oldestUnread = row;
    }
    if (oldestUnread < 0 || oldestUnread + 1 >= timeline->rowCount())
        return 0;
    return timeline->index(oldestUnread + 1, 0).data(r.seq).toLongLong();
}

int UiHelpers::rowOfSeq(QAbstractItemModel *timeline, qint64 seq) const
{
    if (!timeline || seq <= 0)
        return -1;
    const Roles r(timeline);
    // Seqs descend with the row (pending rows first, seq 0): a binary search would do,
    // but the rows loaded are few and this stays correct for any model.
    for (int row = 0; row < timeline->rowCount(); ++row) {
        const qint64 s = timeline->index(row, 0).data(r.seq).toLongLong();
        if (s == seq)
            return row;
        if (s > 0 && s < seq)
            return -1;
    }
    return -1;
}

qint64 UiHelpers::seqAtOrBelow(QAbstractItemModel *timeline, int row) const
{
    if (!timeline)
        return 0;
    const Roles r(timeline);
    for (int i = std::max(0, row); i < timeline->rowCount(); ++i) {
        const qint64 s = timeline->index(i, 0).data(r.seq).toLongLong();
        if (s > 0)
            return s;
    }
    return 0;
}

QString UiHelpers::rowSummary(QAbstractItemModel *timeline, qint64 seq) const
{
    const int row = rowOfSeq(timeline, seq);
    if (row < 0)
        return tr("an older message");
    const Roles r(timeline);
    const QModelIndex i = timeline->index(row, 0);
    constexpr int kChars = 80;
    QString body = i.data(r.body).toString().simplified();
    if (body.size() > kChars)
        body = body.left(kChars) + u"…"_s;
    return tr("%1: %2").arg(i.data(r.senderName).toString(), body);
}

bool UiHelpers::mentions(const QString &body, const QString &user, const QString &displayName) const
{
    return !user.isEmpty() && client::mentionsUser(body, user, displayName);
}

QString UiHelpers::formatFingerprint(const QString &fingerprint) const
{
    const QStringList bytes = fingerprint.split(u':');
    constexpr int kPerLine = 16;
    if (bytes.size() <= kPerLine)
        return fingerprint;
    QStringList lines;
    for (qsizetype i = 0; i < bytes.size(); i += kPerLine)
        lines.append(bytes.mid(i, kPerLine).join(u':'));
    return lines.join(u'\n');
}

QString UiHelpers::initials(const QString &name) const
{
    const QStringList parts = name.split(u' ', Qt::SkipEmptyParts);
    QString out;
    for (const QString &p : parts) {
        out += p.front().toUpper();
        if (out.size() == 2)
            break;
    }
    return out.isEmpty() ? u"?"_s : out;
}

} // namespace confab::app
