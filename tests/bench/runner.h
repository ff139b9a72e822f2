#pragma once

#include "options.h"
#include "peer.h"
#include "plan.h"
#include "report.h"

#include <functional>
#include <memory>
#include <optional>
#include <vector>

class QThread;

// Runs one scenario end to end: starts the peer if asked, spreads the worker threads,
// walks the setup stages, runs warm-up and the measured window, drains late acks and
// deliveries, merges the workers' stats and samples the server. Lives in (and blocks,
// with a local event loop) the thread that calls run(); the workers each have their own.
namespace confab::bench {

class Worker;

class Runner
{
public:
    explicit Runner(Options options);
    ~Runner();
    Runner(const Runner &) = delete;
    Runner &operator=(const Runner &) = delete;

    // Progress lines (setup counts, running totals); none when unset.
    void setProgress(std::function<void(const QString &)> sink) { m_progress = std::move(sink); }
    std::optional<Report> run(QString *error);

private:
    bool startTarget(QString *error);
    void startWorkers();
    bool runStages(Report &report, QString *error);
    void runLoad(Report &report);
    // Warm-up, then the measured window with the server sampled at both ends.
    void measure(Report &report, const LoadWindow &window, const std::function<void()> &progress);
    // search: seed (closed loop, as fast as acked), then the queries.
    bool runSearch(Report &report, QString *error);
    bool seed(Report &report, const LoadWindow &window, QString *error);
    // files: the HTTP transfers instead of messages (filebench.h).
    bool runFiles(Report &report, QString *error);
    void drain();
    void collect(Report &report);
    void stopWorkers();
    ProcessSample sampleServer() const;
    void forEachWorker(const std::function<void(Worker &)> &f);
    // Runs the event loop until done() or the timeout; calls tick() about once a second.
    bool waitUntil(const std::function<bool()> &done, double seconds,
                   const std::function<void()> &tick = {});
    void say(const QString &line) const;

    Options m_options;
    std::unique_ptr<PeerProcess> m_peer;
    std::unique_ptr<RunPlan> m_plan;
    std::unique_ptr<SharedState> m_shared;
    std::vector<QThread *> m_threads;
    std::vector<Worker *> m_workers;
    std::function<void(const QString &)> m_progress;
};

} // namespace confab::bench
