#include "files/thumbnailer.h"

#include <QBuffer>
#include <QImage>
#include <QImageReader>

namespace confab::server {

using namespace Qt::StringLiterals;

namespace {

void say(QString *why, const QString &text)
{
    if (why)
        *why = text;
}

} // namespace

bool isSafeInlineImage(const QString &mime)
{
    return mime == "image/png"_L1 || mime == "image/jpeg"_L1 || mime == "image/gif"_L1 ||
           mime == "image/webp"_L1;
}

std::optional<ImagePreview> makeImagePreview(const QString &path, const ThumbnailLimits &limits,
                                             QString *why)
{
    // Process-wide in Qt; every caller sets the same value.
    QImageReader::setAllocationLimit(limits.allocationLimitMiB);
    QImageReader reader(path);
    reader.setAutoTransform(true);
    const QByteArray format = reader.format();
    if (format.isEmpty() || !reader.canRead()) {
        say(why, u"not an image"_s);
        return std::nullopt;
    }
    if (format != "png" && format != "jpeg" && format != "gif" && format != "webp") {
        say(why, u"image format %1 gets no thumbnail"_s.arg(QString::fromLatin1(format)));
        return std::nullopt;
    }
    const QSize stored = reader.size();
    if (!stored.isValid() || stored.isEmpty()) {
        say(why, u"the image does not say its size"_s);
        return std::nullopt;
    }
    if (qint64(stored.width()) * stored.height() > limits.maxPixels) {
        say(why, u"the image claims %1 x %2 pixels, more than %3"_s.arg(stored.width())
                     .arg(stored.height())
                     .arg(limits.maxPixels));
        return std::nullopt;
    }
    const bool turned = reader.transformation() & QImageIOHandler::TransformationRotate90;
    const QSize shown = turned ? stored.transposed() : stored;

    // Scaled while decoding where the reader can (JPEG decodes at 1/2, 1/4 or 1/8 size, so
    // a 24-megapixel photo never exists in memory at full size); the scaled size is the
    // stored one's, the orientation is applied after it.
    QSize target = stored.scaled(limits.maxSidePx, limits.maxSidePx, Qt::KeepAspectRatio);
    if (target.width() >= stored.width())
        target = stored;
    target = target.expandedTo(QSize(1, 1));
    if (format == "jpeg")
        reader.setScaledSize(target);
    QImage image = reader.read();
    if (image.isNull()) {
        say(why, u"the image could not be decoded: %1"_s.arg(reader.errorString()));
        return std::nullopt;
    }
    const QSize want = shown.scaled(limits.maxSidePx, limits.maxSidePx, Qt::KeepAspectRatio);
    if (image.width() > want.width() || image.height() > want.height())
        image = image.scaled(want.expandedTo(QSize(1, 1)), Qt::KeepAspectRatio,
                             Qt::SmoothTransformation);

    ImagePreview preview;
    preview.width = shown.width();
    preview.height = shown.height();
    QBuffer out(&preview.thumbnail);
    out.open(QIODevice::WriteOnly);
    const bool alpha = image.hasAlphaChannel();
    if (alpha) {
        preview.thumbnailMime = u"image/png"_s;
        image.save(&out, "png");
    } else {
        preview.thumbnailMime = u"image/jpeg"_s;
        image.convertTo(QImage::Format_RGB32);
        image.save(&out, "jpeg", 82);
    }
    if (preview.thumbnail.isEmpty()) {
        say(why, u"the thumbnail could not be encoded"_s);
        return std::nullopt;
    }
    return preview;
}

} // namespace confab::server
