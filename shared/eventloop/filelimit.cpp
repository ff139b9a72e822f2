#include "eventloop/filelimit.h"

#include <QFile>
#include <algorithm>
#include <limits>
#include <sys/resource.h>

namespace confab {

namespace {

qint64 kernelMaxOpen()
{
    QFile file(QStringLiteral("/proc/sys/fs/nr_open"));
    if (!file.open(QIODevice::ReadOnly))
        return -1;
    bool ok = false;
    const qint64 value = file.readAll().trimmed().toLongLong(&ok);
    return ok ? value : -1;
}

} // namespace

FileLimit currentFileLimit()
{
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0)
        return {};
    const auto value = [](rlim_t v) {
        return v == RLIM_INFINITY ? std::numeric_limits<qint64>::max() : qint64(v);
    };
    return {value(limit.rlim_cur), value(limit.rlim_max)};
}

FileLimit raiseFileLimit(qint64 wanted)
{
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0)
        return {};
    const rlim_t target = wanted > 0 ? rlim_t(wanted) : limit.rlim_max;
    if (limit.rlim_cur < target && target > limit.rlim_max) {
        // Only a privileged process may raise the hard limit; the kernel refuses more
        // than fs.nr_open. Failure leaves everything as it was.
        rlimit raised = limit;
        const qint64 ceiling = kernelMaxOpen();
        raised.rlim_max = ceiling > 0 ? std::min(target, rlim_t(ceiling)) : target;
        raised.rlim_cur = raised.rlim_max;
        if (raised.rlim_max > limit.rlim_max && setrlimit(RLIMIT_NOFILE, &raised) == 0)
            return currentFileLimit();
    }
    if (limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
    }
    return currentFileLimit();
}

} // namespace confab
