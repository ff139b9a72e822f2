#pragma once

#include <QByteArray>
#include <QString>
#include <optional>

namespace confab::server {

// What an image upload shows: its size as displayed and a small copy for the timeline.
struct ImagePreview
{
    qint64 width = 0; // EXIF orientation applied
    qint64 height = 0;
    QByteArray thumbnail; // JPEG (opaque) or PNG (with alpha)
    QString thumbnailMime;
};

struct ThumbnailLimits
{
    int maxSidePx = 400;           // the thumbnail's longer side
    qint64 maxPixels = 64'000'000; // images claiming more are not decoded
    int allocationLimitMiB = 256;  // Qt's own cap on one decode
};

// Reads the image at path with Qt's image readers (PNG, JPEG, GIF's first frame, WebP
// with the image-formats plugin) and makes its thumbnail. nullopt when the file is not an
// image Qt can read, or claims more pixels than the limits allow (a decompression bomb:
// refused from its header, before any pixel is decoded); *why says which. Blocking and
// CPU-heavy: run it on a pool thread, never an I/O thread.
std::optional<ImagePreview> makeImagePreview(const QString &path, const ThumbnailLimits &limits,
                                             QString *why = nullptr);

// Image types a browser shows inline without running anything: served without
// Content-Disposition: attachment.
bool isSafeInlineImage(const QString &mime);

} // namespace confab::server
