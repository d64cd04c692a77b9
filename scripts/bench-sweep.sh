#!/usr/bin/env bash
# Benchmark (printed figures, not a timed test): a 100-point sweep of 1-day
# runs, 20 values of crew.size x 5 seeds of iss-nominal with duration 1d, each
# run in its own process, --jobs at once. Prints the wall time, runs per
# minute and the load average before and after (the machine is shared: a
# figure means little without it).
# Usage: scripts/bench-sweep.sh [--jobs N] [--points small]
#   PEEBOT=path/to/peebot (default build/release/sim/peebot)
#   --points small: 4 values x 2 seeds (8 runs), to try the script quickly.
set -euo pipefail
cd "$(dirname "$0")/.."
peebot=${PEEBOT:-build/release/sim/peebot}
jobs=$(nproc)
values=$(seq -s, 1 20)
seeds=1..5
while [ $# -gt 0 ]; do
  case $1 in
    --jobs) jobs=$2; shift 2 ;;
    --points) [ "$2" = small ] || { echo "bench-sweep: --points small is the only choice" >&2; exit 2; }
              values=3,5,7,9; seeds=1..2; shift 2 ;;
    *) echo "usage: scripts/bench-sweep.sh [--jobs N] [--points small]" >&2; exit 2 ;;
  esac
done
[ -x "$peebot" ] || { echo "bench-sweep: $peebot not built (scripts/build.sh, or PEEBOT=...)" >&2; exit 2; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

load() { cut -d' ' -f1-3 /proc/loadavg; }
echo "bench-sweep: $(nproc) cores, $(date -u +%Y-%m-%dT%H:%M:%SZ), --jobs $jobs, load average before: $(load)"
start=$(date +%s.%N)
"$peebot" sweep scenarios/iss-nominal.toml --set 'scenario.duration="1d"' --vary "crew.size=$values" \
  --seeds "$seeds" --jobs "$jobs" -o "$out/sweep.csv" 2> "$out/progress.log" > "$out/summary.txt" ||
  { cat "$out/progress.log" >&2; exit 1; }
end=$(date +%s.%N)
runs=$(($(wc -l < "$out/sweep.csv") - 1))
awk -v r="$runs" -v s="$start" -v e="$end" -v j="$jobs" -v l="$(load)" 'BEGIN {
  w = e - s
  printf "bench-sweep: %d runs of 1 simulated day in %.1f s wall: %.1f runs/min, %.2f s wall per run (%d at once); load average after: %s\n",
    r, w, 60 * r / w, w / r, j, l }'
