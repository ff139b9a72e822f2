#pragma once

#include <QtGlobal>

// Every connection is a file descriptor, and the usual soft RLIMIT_NOFILE (1024) is far
// below what a chat server or the load harness holds. Both raise it when they start.
namespace confab {

struct FileLimit
{
    qint64 soft = -1; // -1: unknown (getrlimit failed)
    qint64 hard = -1;
};

FileLimit currentFileLimit();

// Raises the soft limit to at least `wanted` descriptors when it is lower: first up to
// the hard limit, then, when `wanted` is above the hard limit and the process may
// (CAP_SYS_RESOURCE, e.g. root), the hard limit too, up to the kernel's fs.nr_open.
// wanted <= 0 means "as far as the hard limit goes". Returns the limits now in force.
FileLimit raiseFileLimit(qint64 wanted = 0);

} // namespace confab
