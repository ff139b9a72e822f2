#!/bin/bash
# usage: tests/bench/dispatcher-compare.sh MODE N
# Starts a fresh confab-server with --event-dispatcher MODE (qt or epoll), runs the `team`
# load of docs/benchmarks.md ("Server I/O dispatcher") against it and leaves the report
# in $OUT/MODE-N.json and .txt (OUT defaults to /tmp/confab-dispatcher). Run from the
# repository root after scripts/test; CONFAB_SERVER / CONFAB_BENCH override the binaries.
set -euo pipefail
mode=$1
n=$2
out=${OUT:-/tmp/confab-dispatcher}
server=${CONFAB_SERVER:-build/server/confab-server}
bench=${CONFAB_BENCH:-build/tests/bench/confab-bench}
dir=$out/srv-$mode-$n
rm -rf "$dir" && mkdir -p "$dir"
"$server" --db "$dir/c.db" --listen 127.0.0.1:0 --allow-register --fast-password-hash \
  --rate 0 --event-dispatcher "$mode" >"$dir/out" 2>"$dir/err" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do grep -q "listening on port" "$dir/out" && break; sleep 0.1; done
port=$(sed -n 's/.*listening on port //p' "$dir/out")
"$bench" team --url "ws://127.0.0.1:$port" --clients 2000 --members 25 --rate 200 \
  --duration 10 --warmup 2 --server-pid "$pid" --json "$out/$mode-$n.json" --quiet \
  >"$out/$mode-$n.txt" 2>&1
cat "$out/$mode-$n.txt"
