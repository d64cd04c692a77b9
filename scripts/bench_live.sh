#!/usr/bin/env bash
# Live-mode benchmark: `peebot serve` at full speed over loopback, consumed at
# the same time by our client (`peebot live`: decode -> ingest -> detect ->
# store into an SWMR trace) and by the official Node client
# (lightstreamer-client-node 9.2.2). Prints updates/s for each. Then the
# latency from server send to stored (p50/p99) at RATE updates/s: `peebot serve
# --stamp-now` puts the send time in each TimeStamp, paced to RATE, and the
# recorded trace's stage table gives t_stored - t_emit per update; once with
# the default store (batches of 256, commit at least every 1 s), once with a
# store that commits each read (pipeline.store.flush_interval = 1 ms).
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

# Latency from server send to stored at RATE updates/s.
SPAN=$(/usr/bin/python3 -c "import h5py,sys
f=h5py.File(sys.argv[1],'r'); ts=[f['telemetry'][k]['t_s'] for k in f['telemetry'] if f['telemetry'][k].shape[0]]
print(max(t[-1] for t in ts)-min(t[0] for t in ts))" "$tmp/src.h5")
SPEED=$(/usr/bin/python3 -c "import sys; print(float(sys.argv[1])*float(sys.argv[2])/float(sys.argv[3]))" "$RATE" "$SPAN" "$N")
cp scenarios/iss-nominal.toml "$tmp/commit-each-read.toml"
printf '\n[pipeline.store]\nflush_interval = "1ms"\n' >> "$tmp/commit-each-read.toml"
for store in default commit-each-read; do
  port=$((20000 + RANDOM % 20000))
  "$P" serve "$tmp/src.h5" --port "$port" --speed "$SPEED" --stamp-now > "$tmp/serve-lat.log" 2>&1 &
  spid=$!
  sleep 1
  scen=()
  [ "$store" = default ] || scen=(--scenario "$tmp/$store.toml")
  "$P" live --server "ws://127.0.0.1:$port/lightstreamer" --idle-exit 2 --duration 300 "${scen[@]}" \
    --record "$tmp/lat-$store.h5" > /dev/null 2>&1
  kill "$spid" 2>/dev/null || true
  wait "$spid" 2>/dev/null || true
  /usr/bin/python3 - "$tmp/lat-$store.h5" "$RATE" "$store" "$(cut -d' ' -f1 /proc/loadavg)" <<'PY'
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], 'r')
s = f['pipeline/stages'][:]
ok = (s['fate'] == 0) & np.isfinite(s['t_stored_s'])
recv = s['t_received_s'][ok] - s['t_emit_s'][ok]
lat = s['t_stored_s'][ok] - s['t_emit_s'][ok]
rx = s['t_received_s'][ok]
rate = len(rx) / (rx.max() - rx.min()) if len(rx) > 1 else 0
ms = lambda a, q: 1000 * np.percentile(a, q)
print("bench_live: send -> stored at %s updates/s (measured %.0f/s, %d updates, store %s, load %s): "
      "p50 %.2f ms, p99 %.2f ms (send -> received p50 %.2f ms, p99 %.2f ms)"
      % (sys.argv[2], rate, len(lat), sys.argv[3], sys.argv[4], ms(lat, 50), ms(lat, 99), ms(recv, 50), ms(recv, 99)))
PY
done
