#!/usr/bin/env bash
# Benchmark (printed figures, not a timed test): runs iss-30d and load-10k
# with the release build and prints wall time, virtual seconds per wall
# second, updates per second and peak RSS against the goals.
# Usage: scripts/bench.sh [--build]   (--build: set up and build first)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--build" ]; then scripts/setup.sh; scripts/build.sh release; fi
peebot=build/release/sim/peebot
[ -x "$peebot" ] || { echo "bench: $peebot not built (run scripts/build.sh or pass --build)" >&2; exit 2; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

run() {  # name scenario wall-goal-s rss-goal-MB
  local name=$1 scenario=$2 goal_s=$3 goal_mb=$4 line
  line=$("$peebot" run "$scenario" -o "$out/$name.h5" --no-report 2>&1 | grep '^peebot: simulated' || true)
  [ -n "$line" ] || { echo "bench: $name failed" >&2; "$peebot" run "$scenario" -o "$out/$name.h5" --no-report; exit 1; }
  # peebot: simulated 30d in 27.10 s (x95645): 181... updates, ... peak RSS 47 MB; trace ...
  local wall virt updates rss
  wall=$(sed -E 's/.* in ([0-9.]+) s .*/\1/' <<<"$line")
  virt=$(sed -E 's/.*\(x([0-9]+)\).*/\1/' <<<"$line")
  updates=$(sed -E 's/.*: ([0-9]+) updates.*/\1/' <<<"$line")
  rss=$(sed -E 's/.*peak RSS ([0-9]+) MB.*/\1/' <<<"$line")
  local size
  size=$(du -m "$out/$name.h5" | cut -f1)
  awk -v n="$name" -v w="$wall" -v v="$virt" -v u="$updates" -v r="$rss" -v gs="$goal_s" -v gm="$goal_mb" -v sz="$size" 'BEGIN {
    printf "%-10s wall %7.2f s (goal <= %s s: %s)  virtual/wall %8d  updates/s %10.0f  peak RSS %4d MB (goal <= %s MB: %s)  trace %d MB\n",
      n, w, gs, (w <= gs ? "met" : "NOT MET"), v, u / w, r, gm, (r <= gm ? "met" : "NOT MET"), sz }'
}

echo "bench: $(nproc) cores, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
run iss-30d scenarios/iss-30d.toml 30 256
run load-10k scenarios/load-10k.toml 60 256
