#!/usr/bin/env bash
# Benchmark (printed figures, not a timed test), issue 12: runs iss-30d and
# load-10k with the release build and prints wall time, virtual seconds per
# wall second, updates per second, peak RSS and the engine against the goals;
# then the side-by-side pair in one run: peebot on 1 day of iss-30d against
# the SimPy peer (../shared/bench/simpy_peer.py 1, Debian's python3-simpy)
# for 1 day, alternating, and the ratio of their wall times per simulated day.
# With --runs N every figure is the median of N runs (each run is printed).
# Every line carries the load average: this machine is shared.
#
# Usage: scripts/bench.sh [--build] [--runs N] [--no-pair] [--engine auto|event|actors]
#   --build     set up and build first
#   --runs N    runs per figure (default 1: what CI pays); the issue's goals are medians of >= 3
#   --no-pair   skip the peebot vs SimPy pair
#   --engine E  passed to peebot run (default auto)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=1 build=0 pair=1 engine=auto
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build=1 ;;
    --runs) runs=${2:?--runs needs a number}; shift ;;
    --no-pair) pair=0 ;;
    --engine) engine=${2:?--engine needs auto, event or actors}; shift ;;
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || { echo "bench: --runs expects a positive integer, got '$runs'" >&2; exit 2; }
if [ "$build" = 1 ]; then scripts/setup.sh; scripts/build.sh release; fi
peebot=build/release/sim/peebot
[ -x "$peebot" ] || { echo "bench: $peebot not built (run scripts/build.sh or pass --build)" >&2; exit 2; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# One peebot run; prints "wall virt-per-wall updates rss-MB engine cpu-s" (cpu: user + system
# seconds of the whole process, which the others' load on this machine moves far less than wall).
peebot_run() {  # scenario output [extra args]
  local scenario=$1 trace=$2 all line cpu
  shift 2
  all=$(/usr/bin/time -f "cpu %U %S" "$peebot" run "$scenario" -o "$trace" --no-report --engine "$engine" "$@" 2>&1 || true)
  line=$(grep '^peebot: simulated' <<<"$all" || true)
  [ -n "$line" ] || { echo "bench: peebot run $scenario failed:" >&2; echo "$all" >&2; exit 1; }
  cpu=$(grep '^cpu ' <<<"$all" | awk '{ print $2 + $3 }')
  # peebot: simulated 30d in 7.10 s (x365000): 184545208 updates, ... peak RSS 66 MB; engine event; trace ...
  echo "$(sed -E 's/.* in ([0-9.]+) s \(x([0-9]+)\): ([0-9]+) updates.*peak RSS ([0-9]+) MB; engine ([a-z]+);.*/\1 \2 \3 \4 \5/' <<<"$line") ${cpu:-0}"
}

scenario() {  # name scenario wall-goal-s rss-goal-MB
  local name=$1 sc=$2 goal_s=$3 goal_mb=$4 i r
  : >"$out/$name.runs"
  for ((i = 1; i <= runs; i++)); do
    r=$(peebot_run "$sc" "$out/$name.h5")
    echo "$r" >>"$out/$name.runs"
    if [ "$runs" -gt 1 ]; then
      awk -v n="$name" -v i="$i" -v la="$(loadavg)" '{ printf "  %-9s run %d: wall %7.2f s  cpu %7.2f s  virtual/wall %8d  updates/s %10.0f  peak RSS %4d MB  (load %s)\n", n, i, $1, $6, $2, $3 / $1, $4, la }' <<<"$r"
    fi
  done
  local wall virt ups rss eng size cpu
  wall=$(cut -d' ' -f1 "$out/$name.runs" | median)
  cpu=$(cut -d' ' -f6 "$out/$name.runs" | median)
  virt=$(cut -d' ' -f2 "$out/$name.runs" | median)
  ups=$(awk '{ print $3 / $1 }' "$out/$name.runs" | median)
  rss=$(cut -d' ' -f4 "$out/$name.runs" | median)
  eng=$(cut -d' ' -f5 "$out/$name.runs" | sort -u | paste -sd/)
  size=$(du -m "$out/$name.h5" | cut -f1)
  awk -v n="$name" -v w="$wall" -v v="$virt" -v u="$ups" -v r="$rss" -v gs="$goal_s" -v gm="$goal_mb" -v sz="$size" \
      -v k="$runs" -v e="$eng" -v la="$(loadavg)" -v c="$cpu" 'BEGIN {
    printf "%-9s wall %7.2f s (goal <= %s s: %s)  cpu %7.2f s  virtual/wall %8d  updates/s %10.0f  peak RSS %4d MB (goal <= %s MB: %s)  trace %d MB  [%s of %d run%s, engine %s, load %s]\n",
      n, w, gs, (w <= gs ? "met" : "NOT MET"), c, v, u, r, gm, (r <= gm ? "met" : "NOT MET"), sz,
      (k > 1 ? "median" : "one"), k, (k > 1 ? "s" : ""), e, la }'
}

echo "bench: $(nproc) cores, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(git rev-parse --short HEAD 2>/dev/null || echo '?'), load $(loadavg)"
scenario iss-30d scenarios/iss-30d.toml 10 256
scenario load-10k scenarios/load-10k.toml 2 256

# The pair: peebot 1 day of iss-30d against the SimPy peer's 1 day, alternating in one session.
[ "$pair" = 1 ] || exit 0
peer=../shared/bench/simpy_peer.py
python=/usr/bin/python3
if [ ! -f "$peer" ]; then echo "bench: pair skipped: the SimPy peer $peer is absent"; exit 0; fi
if [ ! -x "$python" ] || ! "$python" -c 'import SimPy.Simulation' 2>/dev/null; then
  echo "bench: pair skipped: $python cannot import SimPy (install Debian's python3-simpy: apt-get install python3-simpy)"
  exit 0
fi
: >"$out/pair.runs"
for ((i = 1; i <= runs; i++)); do
  ours=$(peebot_run scenarios/iss-30d.toml "$out/pair.h5" --duration 1d)
  all=$(/usr/bin/time -f "cpu %U %S" "$python" "$peer" 1 2>&1 || true)
  line=$(grep '^simpy peer:' <<<"$all" || true)
  [ -n "$line" ] || { echo "bench: the SimPy peer failed:" >&2; echo "$all" >&2; exit 1; }
  theirs=$(sed -E 's/.*: ([0-9.]+) s wall.*/\1/' <<<"$line")
  theirs_cpu=$(grep '^cpu ' <<<"$all" | awk '{ print $2 + $3 }')
  echo "$(cut -d' ' -f1 <<<"$ours") $theirs $(cut -d' ' -f6 <<<"$ours") $theirs_cpu" >>"$out/pair.runs"
  tail -1 "$out/pair.runs" | awk -v i="$i" -v la="$(loadavg)" '{ printf "  pair run %d: peebot %.2f s, SimPy peer %.1f s per simulated day: %.1fx (CPU %.2f s vs %.1f s: %.1fx)  (load %s)\n", i, $1, $2, $2 / $1, $3, $4, $4 / $3, la }'
done
ours=$(cut -d' ' -f1 "$out/pair.runs" | median)
theirs=$(cut -d' ' -f2 "$out/pair.runs" | median)
ratio=$(awk '{ print $2 / $1 }' "$out/pair.runs" | median)
cpu_ratio=$(awk '{ print $4 / $3 }' "$out/pair.runs" | median)
awk -v a="$ours" -v b="$theirs" -v r="$ratio" -v cr="$cpu_ratio" -v k="$runs" -v la="$(loadavg)" 'BEGIN {
  printf "pair      peebot %.2f s vs SimPy peer %.1f s per simulated day (iss-30d --duration 1d vs simpy_peer.py 1): %.1fx (goal >= 50x: %s); CPU time ratio %.1fx  [%s of %d, load %s]\n",
    a, b, r, (r >= 50 ? "met" : "NOT MET"), cr, (k > 1 ? "median" : "one"), k, la }'
