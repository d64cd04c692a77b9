#!/usr/bin/env bash
# Live-mode benchmark: `peebot serve` at full speed over loopback, consumed at
# the same time by our client (`peebot live`: decode -> ingest -> detect ->
# store into an SWMR trace) and by the official Node client
# (lightstreamer-client-node 9.2.2). Prints updates/s for each. Then the
# latency from server send to stored (p50/p99) at RATE updates/s:
# scripts/bench_live_latency.sh (see there).
# Usage: scripts/bench_live.sh [BUILD_DIR] [DURATION] [RATE]   (default build/release, 1d, 10000)
set -euo pipefail
cd "$(dirname "$0")/.."
B="${1:-build/release}"
DUR="${2:-1d}"
RATE="${3:-10000}"
P="$B/sim/peebot"
tmp="$(mktemp -d)"
spid=""
trap 'kill $spid 2>/dev/null || true; rm -rf "$tmp"' EXIT
echo "bench_live: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at the start"
"$P" run scenarios/iss-nominal.toml --duration "$DUR" -o "$tmp/src.h5" > /dev/null
N=$(/usr/bin/python3 -c "import h5py,sys; f=h5py.File(sys.argv[1],'r'); print(sum(f['telemetry'][k].shape[0] for k in f['telemetry']))" "$tmp/src.h5")
H="$B/tests/node_harness"
if [ ! -d "$H/node_modules/lightstreamer-client-node" ]; then
  mkdir -p "$H"; cp tests/node/package.json tests/node/client.js "$H/"
  (cd "$H" && npm install --no-audit --no-fund --loglevel=error)
fi
cp tests/node/client.js "$H/"
port=$((20000 + RANDOM % 20000))
"$P" serve "$tmp/src.h5" --port "$port" --speed 0 > "$tmp/serve.log" 2>&1 &
spid=$!
sleep 1
echo "bench_live: $N updates of the named items ($DUR of iss-nominal), served at full speed on 127.0.0.1:$port"
( cd "$H" && PEEBOT_QUIET=1 node client.js "http://127.0.0.1:$port" WS-STREAMING "$N" 300 \
    NODE3000005 NODE3000004 NODE3000008 NODE3000009 TIME_000001 2>&1 | grep 'node client:' ) &
npid=$!
"$P" live --server "ws://127.0.0.1:$port/lightstreamer" --idle-exit 2 --duration 300 --feed-year 2025 --record "$tmp/live.h5" 2>&1 \
  | grep -E 'updates/s|updates \(|error'
wait "$npid"
kill "$spid" 2>/dev/null || true
echo "bench_live: load average $(cut -d' ' -f1-3 /proc/loadavg) after the throughput run"

# Latency from server send to stored at RATE updates/s (evenly paced, three store
# flush policies, p50/p99 with the load average): its own script.
scripts/bench_live_latency.sh "$B" "$RATE" "$tmp/src.h5"
