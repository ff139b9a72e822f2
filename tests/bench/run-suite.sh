#!/bin/bash
# usage: tests/bench/run-suite.sh [OUT]
# The runs behind the figures in docs/benchmarks.md: every configuration REPS times (3),
# each Confab run against a fresh confab-server (fresh SQLite store), reports in
# OUT/<name>-<n>.json (+ .txt, and a PNG for run 1). The suite goes through all
# configurations once per repetition, so the runs of one configuration are spread over
# the whole suite and the ones compared side by side (Confab and Node ws) run next to
# each other: this VM's speed drifts by up to 25 % within minutes. Runs already in OUT
# are skipped, so an interrupted suite resumes. Afterwards:
# confab-bench summary OUT/<name>-[0-9].json.
# Run from the repository root; CONFAB_SERVER / CONFAB_BENCH override the binaries, ONLY
# (a regular expression) limits the configurations.
set -uo pipefail
out=${1:-/tmp/confab-bench-suite}
server=${CONFAB_SERVER:-build/server/confab-server}
bench=${CONFAB_BENCH:-build/tests/bench/confab-bench}
reps=${REPS:-3}
mkdir -p "$out"
# One descriptor per connection on both sides: as many as the hard limit allows (a
# process with CAP_SYS_RESOURCE may go beyond it).
ulimit -n 100000 2>/dev/null || ulimit -n "$(ulimit -Hn)"

start_server() { # dir extra-args...
  local dir=$1
  shift
  rm -rf "$dir" && mkdir -p "$dir"
  "$server" --db "$dir/c.db" --listen 127.0.0.1:0 --allow-register --fast-password-hash \
    --rate 0 --workers 2 "$@" >"$dir/out" 2>"$dir/err" &
  echo $! >"$dir/pid"
  for _ in $(seq 100); do grep -q "listening on port" "$dir/out" && break; sleep 0.1; done
  sed -n 's/.*listening on port //p' "$dir/out"
}

# run NAME REPS SERVER-ARGS -- BENCH-ARGS...: repetition $pass of NAME, if it has one.
run() {
  local name=$1 n=$2 srvargs=()
  shift 2
  while [ "$1" != "--" ]; do srvargs+=("$1"); shift; done
  shift
  [[ -n "${ONLY:-}" && ! "$name" =~ $ONLY ]] && return
  ((pass <= n)) || return
  local tag=$name-$pass url=() plot=() dir=""
  [ -f "$out/$tag.json" ] && return
  if [[ " $* " != *" --peer ws "* ]]; then
    dir=$out/srv-$tag
    url=(--url "ws://127.0.0.1:$(start_server "$dir" "${srvargs[@]}")")
  fi
  [ "$pass" = 1 ] && plot=(--plot "$out/$tag.png")
  echo "$(date +%T) $tag (load $(cut -d' ' -f1 /proc/loadavg))"
  "$bench" "$@" "${url[@]}" --json "$out/$tag.json" "${plot[@]}" >"$out/$tag.txt" 2>"$out/$tag.err" ||
    echo "  $tag exited with $?"
  if [ -n "$dir" ]; then
    kill "$(cat "$dir/pid")" && sleep 2
    rm -rf "$dir"
  fi
}

F=(--duration 15 --warmup 3)
suite() {
  # Side by side: Confab, the Node ws peer, and the server with Qt's own dispatcher
  # (--event-dispatcher qt) next to the same load on the default one.
  run fanout-1k-confab "$reps" -- fanout --clients 1000 --rate 10 "${F[@]}"
  run fanout-1k-ws "$reps" -- fanout --peer ws --clients 1000 --rate 10 "${F[@]}"
  run fanout-5k-confab "$reps" -- fanout --clients 5000 --rate 2 "${F[@]}"
  run fanout-5k-ws "$reps" -- fanout --peer ws --clients 5000 --rate 2 "${F[@]}"
  run fanout-10k-confab "$reps" -- fanout --clients 10000 --rate 1 "${F[@]}"
  run fanout-10k-ws "$reps" -- fanout --peer ws --clients 10000 --rate 1 "${F[@]}"
  run fanout-10k-confab-qtsrv "$reps" --event-dispatcher qt -- fanout --clients 10000 --rate 1 "${F[@]}"
  run fanout-1k-r40-confab "$reps" -- fanout --clients 1000 --rate 40 "${F[@]}"
  run fanout-1k-r40-ws "$reps" -- fanout --peer ws --clients 1000 --rate 40 "${F[@]}"
  run team-5k "$reps" -- team --clients 5000 --members 25 --rate 500 "${F[@]}"
  run team-5k-qtsrv "$reps" --event-dispatcher qt -- team --clients 5000 --members 25 --rate 500 "${F[@]}"
  # The harness with Qt's own dispatcher in its workers.
  run team-5k-qtdispatcher 1 -- team --clients 5000 --members 25 --rate 500 "${F[@]}" --qt-dispatcher
  run durable-open "$reps" -- durable --clients 1000 --members 2 --rate 2000 "${F[@]}"
  run durable-open-qtsrv "$reps" --event-dispatcher qt -- durable --clients 1000 --members 2 \
    --rate 2000 "${F[@]}"
  run durable-max "$reps" -- durable --clients 1000 --members 2 --inflight 1 "${F[@]}"
  run connect-2k "$reps" -- connect --clients 2000 --duration 10 --warmup 2
  run connect-500 "$reps" -- connect --clients 500 --duration 10 --warmup 2
  run resume-2k "$reps" -- resume --clients 2000 --members 25 --rate 200 --drop-fraction 0.05 \
    --drop-interval 1 --duration 20 --warmup 3
  run idle-10k 2 -- idle --clients 10000 --members 50 --rate 20 --duration 70 --warmup 2
  # As many connections as one process may open here (the hard RLIMIT_NOFILE is 20,000).
  run idle-19k 1 -- idle --clients 19500 --members 50 --rate 20 --duration 10 --warmup 2
}
for pass in $(seq 1 "$reps"); do suite; done
echo "$(date +%T) done: $out"
