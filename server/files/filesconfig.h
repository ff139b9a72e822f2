#pragma once

#include <QString>
#include <QtGlobal>

namespace confab::server {

// The [files] section: where uploads go and what one user may put there.
struct FilesConfig
{
    QString dir; // empty: <state dir>/files
    qint64 maxFileBytes = 100LL * 1024 * 1024;
    qint64 quotaBytes = 10LL * 1024 * 1024 * 1024; // per user, 0: none
    int maxUploadsInFlight = 4;                    // unfinished uploads per user
    qint64 gcGraceSeconds = 24 * 3600;             // unreferenced content is kept this long
    qint64 gcIntervalSeconds = 3600;               // how often the collector runs
    qint64 uploadExpirySeconds = 24 * 3600; // an unfinished upload without a byte for this long
    int thumbnailPx = 400;                  // a thumbnail's longer side
    qint64 thumbnailMaxPixels = 64'000'000; // images claiming more get no thumbnail
};

} // namespace confab::server
