#!/usr/bin/env bash
# Live-mode benchmark: `peebot serve` at full speed over loopback, consumed at
# the same time by our client (`peebot live`: decode -> ingest -> detect ->
# store into an SWMR trace) and by the official Node client
# (lightstreamer-client-node 9.2.2). Prints, for each: updates/s in wall time
# (first update to last) and updates per CPU-second (user+sys of that process:
# from its first update on, and for the whole process with start-up), so "on
# one core" is measured honestly on a loaded machine; the CPU the server spent
# sending; the load average. Then the latency from server send to stored
# (p50/p99) at RATE updates/s: scripts/bench_live_latency.sh (see there).
# Usage: scripts/bench_live.sh [BUILD_DIR] [DURATION] [RATE]   (default build/release, 7d, 10000)
set -euo pipefail
cd "$(dirname "$0")/.."
B="${1:-build/release}"
DUR="${2:-7d}"
RATE="${3:-10000}"
P="$B/sim/peebot"
tmp="$(mktemp -d)"
spid=""
trap 'kill $spid 2>/dev/null || true; rm -rf "$tmp"' EXIT
TCK=$(getconf CLK_TCK)
# CPU seconds (user+sys) a running process has used so far, from /proc.
cpu_of() { awk -v t="$TCK" '{ sub(/^.*\) /, ""); printf "%.3f", ($12 + $13) / t }' "/proc/$1/stat"; }
# Waits until something listens on 127.0.0.1:$1 (a big trace takes a while to load).
wait_port() { for _ in $(seq 1 600); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; echo "bench_live: nothing listens on port $1" >&2; exit 1; }
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
wait_port "$port"
serve_cpu0=$(cpu_of "$spid")
echo "bench_live: $N updates of the named items ($DUR of iss-nominal), served at full speed on 127.0.0.1:$port to both clients at once"
( cd "$H" && PEEBOT_QUIET=1 /usr/bin/time -f 'node process: %U s user, %S s sys' -o "$tmp/node.time" \
    node client.js "http://127.0.0.1:$port" WS-STREAMING "$N" 600 \
    NODE3000005 NODE3000004 NODE3000008 NODE3000009 TIME_000001 > /dev/null 2> "$tmp/node.err" ) &
npid=$!
/usr/bin/time -f 'live process: %U s user, %S s sys' -o "$tmp/live.time" \
  "$P" live --server "ws://127.0.0.1:$port/lightstreamer" --idle-exit 2 --duration 600 --feed-year 2025 --record "$tmp/live.h5" \
  > /dev/null 2> "$tmp/live.err" || true
wait "$npid" || true
serve_cpu1=$(cpu_of "$spid")  # both clients are done: what serve spent sending
kill "$spid" 2>/dev/null || true
wait "$spid" 2>/dev/null || true
grep -E 'updates \(|error' "$tmp/live.err" | sed 's/^/bench_live: /' || true
grep -E 'node client:|error|timeout' "$tmp/node.err" | sed 's/^/bench_live: /' || true
/usr/bin/python3 - "$tmp/live.err" "$tmp/live.time" "$tmp/node.err" "$tmp/node.time" "$serve_cpu0" "$serve_cpu1" "$tmp/serve.log" <<'PY'
import re, sys
def grab(path, pat, cast=float):
    m = re.search(pat, open(path).read())
    return cast(m.group(1)) if m else None
def proc_cpu(path):
    m = re.search(r'([0-9.]+) s user, ([0-9.]+) s sys', open(path).read())
    return float(m.group(1)) + float(m.group(2)) if m else None
lu = grab(sys.argv[1], r'live: (\d+) updates \(', int)
lwall = grab(sys.argv[1], r'\(([0-9.]+) s\)\n')
lcpu = grab(sys.argv[1], r'end \(([0-9.]+) s user\+sys')
lproc = proc_cpu(sys.argv[2])
nu = grab(sys.argv[3], r'node client: (\d+) updates', int)
nwall = grab(sys.argv[3], r'updates in ([0-9.]+) s')
ncpu = grab(sys.argv[3], r'first update \(([0-9.]+) s user\+sys')
nproc = proc_cpu(sys.argv[4])
sent = grab(sys.argv[7], r'served \d+ session\(s\), (\d+) updates', int)
scpu = float(sys.argv[6]) - float(sys.argv[5])  # from listening (the trace loaded) to both clients done
rate = lambda n, s: n / s if n and s else float('nan')
print("bench_live: %-22s %9s %12s %22s %22s" % ("consumer", "updates", "updates/s", "updates/CPU-s (stream)", "updates/CPU-s (process)"))
rows = {}
for name, n, w, c, p in (("peebot live", lu, lwall, lcpu, lproc), ("official Node client", nu, nwall, ncpu, nproc)):
    rows[name] = (rate(n, w), rate(n, c), rate(n, p))
    print("bench_live: %-22s %9s %12.0f %22.0f %22.0f" % ((name, n or 0) + rows[name]))
o, nd = rows["peebot live"], rows["official Node client"]
print("bench_live: ours / Node: %.1fx wall, %.1fx per CPU-second (stream), %.1fx per CPU-second (process)"
      % (o[0] / nd[0], o[1] / nd[1], o[2] / nd[2]))
print("bench_live: goal >= 500000 updates per CPU-second (one core): %s; goal >= 10x Node (per CPU-second, stream): %s"
      % ("met" if o[1] >= 5e5 else "NOT MET", "met" if o[1] >= 10 * nd[1] else "NOT MET"))
if sent and scpu:
    print("bench_live: peebot serve sent %d updates (both sessions) in %.2f CPU-s while serving: %.0f updates per CPU-second"
          % (sent, scpu, rate(sent, scpu)))
PY
echo "bench_live: load average $(cut -d' ' -f1-3 /proc/loadavg) after the throughput run"

# Latency from server send to stored at RATE updates/s (evenly paced, three store
# flush policies, p50/p99 with the load average): its own script.
scripts/bench_live_latency.sh "$B" "$RATE" "$tmp/src.h5"
