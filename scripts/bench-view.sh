#!/usr/bin/env bash
# The viewer benchmark: trace-open time and frame time p50/p99 of peebot-view on
# the 30-day trace, under Xvfb + Mesa llvmpipe (software rendering).
# Usage: scripts/bench-view.sh [BUILD_DIR] (default build/release); makes
# /tmp/iss-30d.h5 with `peebot run scenarios/iss-30d.toml` when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build/release}
# A fresh trace unless one is named: a stale file left in /tmp by another
# build would measure (or break on) someone else's trace.
if [ -n "${PEEBOT_BENCH_TRACE:-}" ]; then
  TRACE=$PEEBOT_BENCH_TRACE
else
  TMPD=$(mktemp -d)
  trap 'rm -rf "$TMPD"' EXIT
  TRACE=$TMPD/iss-30d.h5
fi
if [ ! -f "$TRACE" ]; then
  echo "bench-view: simulating $TRACE (scenarios/iss-30d.toml)"
  "$B/sim/peebot" run scenarios/iss-30d.toml -o "$TRACE" --no-report > /dev/null
fi
echo "bench-view: machine load before the run: $(cut -d" " -f1-3 /proc/loadavg) ($(nproc) cores; figures scale with it)"
xvfb-run -a -s "-screen 0 1280x800x24" "$B/viz/peebot-view" "$TRACE" --bench
