#include "stats.h"

#include <algorithm>

namespace confab::bench {

namespace {
// A run is bounded; a wild timestamp must not allocate gigabytes of seconds.
constexpr qint64 kMaxSeconds = 24 * 3600;
} // namespace

void SecondStats::merge(const SecondStats &o)
{
    sends += o.sends;
    acks += o.acks;
    deliveries += o.deliveries;
    connects += o.connects;
    errors += o.errors;
    latency.merge(o.latency);
}

SecondStats &Stats::second(qint64 index)
{
    index = std::clamp<qint64>(index, 0, kMaxSeconds);
    if (size_t(index) >= series.size())
        series.resize(size_t(index) + 1);
    return series[size_t(index)];
}

void Stats::countError(const QString &key)
{
    ++errors[key];
}

void Stats::merge(const Stats &o)
{
    delivery.merge(o.delivery);
    ack.merge(o.ack);
    connect.merge(o.connect);
    resume.merge(o.resume);
    ping.merge(o.ping);
    sendLag.merge(o.sendLag);
    sends += o.sends;
    acks += o.acks;
    deliveries += o.deliveries;
    connects += o.connects;
    pings += o.pings;
    sendsTotal += o.sendsTotal;
    acksTotal += o.acksTotal;
    deliveriesTotal += o.deliveriesTotal;
    lost += o.lost;
    duplicated += o.duplicated;
    outOfOrder += o.outOfOrder;
    missingAcks += o.missingAcks;
    refused += o.refused;
    ackMismatch += o.ackMismatch;
    resent += o.resent;
    replayed += o.replayed;
    incompleteResync += o.incompleteResync;
    drops += o.drops;
    reconnects += o.reconnects;
    unexpectedCloses += o.unexpectedCloses;
    connectFailures += o.connectFailures;
    presenceNotices += o.presenceNotices;
    serverPings += o.serverPings;
    otherMessages += o.otherMessages;
    search.merge(o.search);
    for (auto it = o.errors.cbegin(); it != o.errors.cend(); ++it)
        errors[it.key()] += it.value();
    if (o.series.size() > series.size())
        series.resize(o.series.size());
    for (size_t i = 0; i < o.series.size(); ++i)
        series[i].merge(o.series[i]);
}

} // namespace confab::bench
