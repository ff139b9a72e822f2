#pragma once

#include <sys/resource.h>
#include <unistd.h>

namespace confab::server {

// Gives the calling thread the lowest CPU priority (nice 19; Linux applies nice per
// thread). For bulk work beside the chat: file transfers and their writes to disk. On an
// idle machine it changes nothing; when the cores are busy, the chat's threads run first.
// Failure is harmless (the thread keeps its priority) and not reported.
inline void lowestCpuPriority()
{
    ::setpriority(PRIO_PROCESS, ::gettid(), 19);
}

} // namespace confab::server
