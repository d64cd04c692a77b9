#!/usr/bin/env bash
# Live-mode latency benchmark: server send -> stored, p50/p99/p99.9, at RATE
# updates/s. `peebot serve --rate RATE --stamp-now` sends the source's named-item
# updates evenly at RATE per second, each with its wall-clock send time as its
# TimeStamp; `peebot live --record` stores them, and the trace's stage table
# gives t_stored - t_emit per update (same machine, same clock). Run once per
# store flush policy:
#   each-read     the live default (--store-max-wait 0): what a read brought is
#                 committed at its end (or when the batch, 256, is full)
#   max-wait-1ms  --store-max-wait 0.001: a batch is committed when full or once
#                 its oldest record has waited 1 ms (at a read, else by a timer)
#   batch-or-1s   the simulator's store (batches of 256, commit at least every
#                 1 s), as live mode had it before: --store-max-wait 1
# Prints the load average with each figure and the live process's CPU time.
# Usage: scripts/bench_live_latency.sh [BUILD_DIR] [RATE] [SOURCE.h5] [SECONDS]
#   (default build/release, 10000, a simulated day of iss-nominal, 20)
set -euo pipefail
cd "$(dirname "$0")/.."
B="${1:-build/release}"
RATE="${2:-10000}"
SRC="${3:-}"
SECS="${4:-20}"
P="$B/sim/peebot"
tmp="$(mktemp -d)"
spid=""
trap 'kill $spid 2>/dev/null || true; rm -rf "$tmp"' EXIT
wait_port() { for _ in $(seq 1 600); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; echo "bench_live_latency: nothing listens on port $1" >&2; exit 1; }
if [ -z "$SRC" ]; then
  "$P" run scenarios/iss-nominal.toml --duration 1d -o "$tmp/src.h5" > /dev/null
  SRC="$tmp/src.h5"
fi
N=$(/usr/bin/python3 -c "import sys; print(int(float(sys.argv[1]) * float(sys.argv[2])))" "$RATE" "$SECS")
echo "bench_live_latency: send -> stored at $RATE updates/s, evenly paced, $N updates per run ($(nproc) cores)"
for policy in each-read max-wait-1ms batch-or-1s; do
  case "$policy" in
    max-wait-1ms) wait_s=0.001 ;;
    each-read) wait_s=0 ;;
    batch-or-1s) wait_s=1 ;;
  esac
  port=$((20000 + RANDOM % 20000))
  "$P" serve "$SRC" --port "$port" --rate "$RATE" --stamp-now > "$tmp/serve.log" 2>&1 &
  spid=$!
  wait_port "$port"
  load0=$(cut -d' ' -f1 /proc/loadavg)
  /usr/bin/time -f '%U %S' -o "$tmp/live.time" \
    "$P" live --server "ws://127.0.0.1:$port/lightstreamer" --max-updates "$N" --idle-exit 2 --duration $((SECS * 3 + 10)) \
    --store-max-wait "$wait_s" --record "$tmp/lat.h5" > /dev/null 2> "$tmp/live.err" || { cat "$tmp/live.err" >&2; exit 1; }
  load1=$(cut -d' ' -f1 /proc/loadavg)
  kill "$spid" 2>/dev/null || true
  wait "$spid" 2>/dev/null || true
  spid=""
  /usr/bin/python3 - "$tmp/lat.h5" "$RATE" "$policy" "$load0" "$load1" "$tmp/live.time" <<'PY'
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], 'r')
s = f['pipeline/stages'][:]
dup = int(np.count_nonzero(s['fate'] != 0))
ok = (s['fate'] == 0) & np.isfinite(s['t_stored_s'])
recv = s['t_received_s'][ok] - s['t_emit_s'][ok]
lat = s['t_stored_s'][ok] - s['t_emit_s'][ok]
wait = s['t_stored_s'][ok] - s['t_received_s'][ok]  # the store's own share: received -> committed
rx = s['t_received_s'][ok]
rate = len(rx) / (rx.max() - rx.min()) if len(rx) > 1 else 0
ms = lambda a, q: 1000 * np.percentile(a, q)
u, sy = (float(x) for x in open(sys.argv[6]).read().split()[-2:])
print("bench_live_latency: %-12s stored %d at %.0f/s (%d not accepted), load %s-%s, live CPU %.2f s: "
      "send -> stored p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms, max %.1f ms; send -> received p50 %.2f ms, p99 %.2f ms; "
      "received -> stored p50 %.2f ms, p99 %.2f ms, max %.2f ms"
      % (sys.argv[3], len(lat), rate, dup, sys.argv[4], sys.argv[5], u + sy, ms(lat, 50), ms(lat, 99), ms(lat, 99.9),
         1000 * lat.max(), ms(recv, 50), ms(recv, 99), ms(wait, 50), ms(wait, 99), 1000 * wait.max()))
PY
done
