#pragma once

#include "eventloop/filelimit.h"

#include <QString>
#include <QStringList>

// The confab-bench command line: a scenario run, `compare a.json b.json`, `summary ...`
// or `floor` (the kernel's cost of a loopback write, floor.h).
namespace confab::bench {

// Exit codes: 0 run correct, 1 correctness failures (loss, duplicates, reorder, missing
// acks), 2 usage, 3 the run could not be carried out (setup failed, server unreachable).
int runCli(const QStringList &arguments);

// Descriptors a run of `clients` connections needs: one each, plus the threads' own.
qint64 filesNeeded(int clients);
// Why `clients` connections cannot be opened under `limit` (after raiseFileLimit()), or
// an empty string when they can or the limit is unknown.
QString descriptorShortage(int clients, const FileLimit &limit);

} // namespace confab::bench
