#!/bin/bash
# usage: tests/bench/ab-compare.sh OLD-SERVER NEW-SERVER [OUT]
# How a server change is measured for docs/benchmarks.md ("Server changes measured with
# the harness"): run-suite.sh configurations (ONLY, a regular expression; default the
# 1,000-client 40 msg/s fan-out and the 5,000-client team) against the old and the new
# confab-server binary in turn, PAIRS times (4), with one confab-bench binary (CONFAB_BENCH),
# a fresh server and store per run. Interleaving matters on this VM: its speed drifts by
# up to 25 % within minutes, so two blocks of runs one after the other compare the drift.
# Reports in OUT/{old,new}-<pair>/; then, per configuration:
#   confab-bench summary OUT/old-*/fanout-1k-r40-confab-1.json   (and new-*)
set -uo pipefail
old=$1
new=$2
out=${3:-/tmp/confab-ab}
pairs=${PAIRS:-4}
export ONLY=${ONLY:-'^(fanout-1k-r40-confab|team-5k)$'}
export REPS=1
here=$(dirname "$0")
for i in $(seq 1 "$pairs"); do
  CONFAB_SERVER=$old "$here/run-suite.sh" "$out/old-$i"
  CONFAB_SERVER=$new "$here/run-suite.sh" "$out/new-$i"
done
