#!/usr/bin/env bash
# Runs peebot sweep and peebot eval through a real one-node Slurm cluster
# (--slurm --wait) and checks that the merged results are the same bytes as
# the same grids run here with --jobs 2 (docs/sweeps.md, "On a Slurm cluster").
#
# Usage: scripts/test-slurm.sh [BUILD_DIR]     (default build/release; needs root)
#
# It installs Debian's slurmctld, slurmd, slurm-client and munge when missing
# (apt-get), writes a one-node slurm.conf in a temp dir (this host's CPUs and
# memory from `slurmd -C`, its own ports, state and spool dirs), starts its own
# munged (own key and socket), slurmctld and slurmd, and stops exactly those
# daemons (by PID) on exit, also on failure. Nothing outside the temp dir is
# changed but the packages. Bounded: every wait has a timeout; about a minute.
# Environment: SLURM_TEST_KEEP=1 keeps the temp dir (logs) for a look.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD="${1:-build/release}"
PEEBOT="$PWD/$BUILD/sim/peebot"
T0=$(date +%s.%N)
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
say() { printf 'test-slurm: %s\n' "$*" >&2; }
die() { say "FAILED: $*"; exit 1; }

[ -x "$PEEBOT" ] || die "$PEEBOT not built (scripts/build.sh release first)"
[ "$(id -u)" = 0 ] || die "needs root (slurmd runs jobs as their user; apt-get may install packages): sudo $0 $*"

# --- packages ----------------------------------------------------------------
missing=()
for c in slurmctld slurmd sbatch munged; do command -v "$c" >/dev/null || missing+=("$c"); done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing slurmctld slurmd slurm-client munge (missing: ${missing[*]})"
  export DEBIAN_FRONTEND=noninteractive
  timeout 300 apt-get update -qq
  # (The packages' own services, if they start, are left alone: this script runs its own daemons.)
  timeout 600 apt-get install -y -qq --no-install-recommends slurmctld slurmd slurm-client munge >/dev/null
fi

# --- the cluster -------------------------------------------------------------
T=$(mktemp -d /tmp/peebot-slurm-XXXXXX)
chmod 0755 "$T"
PIDS=()
cleanup() {
  local rc=$?
  set +e
  if [ -n "${SLURM_CONF:-}" ] && [ -f "$SLURM_CONF" ] && [ ${#PIDS[@]} -gt 0 ]; then
    timeout 10 scancel --user="$(id -un)" >/dev/null 2>&1   # no job step outlives the test
    for _ in $(seq 20); do
      [ -z "$(timeout 5 squeue -h 2>/dev/null)" ] && break
      sleep 0.5
    done
  fi
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do kill "${PIDS[i]}" 2>/dev/null; done
  for p in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null
  done
  if [ "$rc" != 0 ]; then
    for log in slurmctld.log slurmd.log munged.log; do
      [ -f "$T/$log" ] && { say "last lines of $log:"; tail -n 15 "$T/$log" >&2; }
    done
  fi
  if [ "${SLURM_TEST_KEEP:-0}" = 1 ]; then say "kept $T"; else rm -rf "$T"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

NODE=$(hostname -s)
read -r CPUS MEM < <(slurmd -C | awk '/^NodeName/ {for (i = 1; i <= NF; i++) {split($i, kv, "="); v[kv[1]] = kv[2]}; print v["CPUs"], v["RealMemory"]}')
[ -n "$CPUS" ] && [ -n "$MEM" ] || die "slurmd -C printed no CPUs/RealMemory"
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("", 0)); print(s.getsockname()[1])'; }
CTLD_PORT=$(free_port); SLURMD_PORT=$(free_port)
mkdir -p "$T/state" "$T/spool" "$T/munge"
chmod 0755 "$T/munge"
dd if=/dev/urandom of="$T/munge/munge.key" bs=1024 count=1 status=none   # this cluster's own key
chmod 0400 "$T/munge/munge.key"
cat > "$T/slurm.conf" <<EOF
ClusterName=peebot-test
SlurmctldHost=$NODE
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$T/munge/munge.socket
StateSaveLocation=$T/state
SlurmdSpoolDir=$T/spool
SlurmctldPidFile=$T/slurmctld.pid
SlurmdPidFile=$T/slurmd.pid
SlurmctldLogFile=$T/slurmctld.log
SlurmdLogFile=$T/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MinJobAge=300
NodeName=$NODE CPUs=$CPUS RealMemory=$MEM State=UNKNOWN
PartitionName=test Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF="$T/slurm.conf"

munged -F --force --socket="$T/munge/munge.socket" --key-file="$T/munge/munge.key" \
  --pid-file="$T/munge/munged.pid" --seed-file="$T/munge/munged.seed" --log-file="$T/munged.log" 2>/dev/null &
PIDS+=($!)
timeout 20 bash -c "until [ -S '$T/munge/munge.socket' ]; do sleep 0.1; done" || die "munged did not start"
slurmctld -D -f "$SLURM_CONF" >/dev/null 2>&1 &   # (it logs to $T/slurmctld.log)
PIDS+=($!)
slurmd -D -f "$SLURM_CONF" >/dev/null 2>&1 &
PIDS+=($!)
timeout 60 bash -c 'until sinfo -h -N -o %t 2>/dev/null | grep -qx idle; do sleep 0.5; done' ||
  die "the node did not become idle within 60 s (sinfo: $(sinfo -h -N -o '%N %t %E' 2>&1))"
T_UP=$(date +%s.%N)
say "one-node cluster up ($(sbatch --version), $(munged --version 2>&1 | head -1)): $NODE, $CPUS CPUs, $MEM MB, ports $CTLD_PORT/$SLURMD_PORT ($(since "$T0") s)"

# --- the runs ----------------------------------------------------------------
# A small sweep (2 values x 2 seeds) and a small eval (2 scenarios x 2 seeds), short days.
SWEEP=(scenarios/iss-nominal.toml --set 'scenario.duration="6h"' --vary crew.size=2,4 --seeds 1..2)
EVAL=(scenarios/eval/nominal.toml scenarios/eval/quick-succession.toml --seeds 1..2 --set 'scenario.duration="12h"')
cmp_or_die() { cmp -s "$1" "$2" || { diff <(head -c 4000 "$1") <(head -c 4000 "$2") >&2 || true; die "$3: $1 and $2 differ"; }; }

"$PEEBOT" sweep "${SWEEP[@]}" --jobs 2 -o "$T/local.csv" -o "$T/local.h5" > "$T/local-sweep.out"
timeout 300 "$PEEBOT" sweep "${SWEEP[@]}" --slurm --wait --run-dir "$T/run-sweep" -o "$T/slurm.csv" -o "$T/slurm.h5" \
  > "$T/slurm-sweep.out" || die "peebot sweep --slurm --wait failed (exit $?)"
cmp_or_die "$T/local.csv" "$T/slurm.csv" "sweep CSV"
cmp_or_die "$T/local.h5" "$T/slurm.h5" "sweep HDF5"
T_SWEEP=$(date +%s.%N)
say "sweep: $(($(wc -l < "$T/local.csv") - 1)) rows; CSV and HDF5 byte-equal to the local --jobs 2 run ($(since "$T_UP") s)"

# A failed point is rerun alone: drop two points' results and rerun just those.
rm "$T/run-sweep/points/1.json" "$T/run-sweep/points/3.json" "$T/slurm.csv" "$T/slurm.h5"
timeout 300 "$PEEBOT" sweep --rerun-failed "$T/run-sweep" --wait > "$T/rerun.out" 2> "$T/rerun.err" ||
  { cat "$T/rerun.err" >&2; die "peebot sweep --rerun-failed failed"; }
grep -q "resubmitted 2 points (1,3)" "$T/rerun.err" || { cat "$T/rerun.err" >&2; die "--rerun-failed did not resubmit points 1 and 3 alone"; }
cmp_or_die "$T/local.csv" "$T/slurm.csv" "sweep CSV after --rerun-failed"
cmp_or_die "$T/local.h5" "$T/slurm.h5" "sweep HDF5 after --rerun-failed"
T_RERUN=$(date +%s.%N)
say "rerun: points 1 and 3 resubmitted alone; the merged table byte-equal again ($(since "$T_SWEEP") s)"

"$PEEBOT" eval "${EVAL[@]}" --jobs 2 --json "$T/local.json" > "$T/local-eval.out"
timeout 300 "$PEEBOT" eval "${EVAL[@]}" --slurm --wait --run-dir "$T/run-eval" --json "$T/slurm.json" \
  > "$T/slurm-eval.out" || die "peebot eval --slurm --wait failed (exit $?)"
cmp_or_die "$T/local.json" "$T/slurm.json" "eval JSON"
cmp_or_die "$T/local-eval.out" "$T/slurm-eval.out" "eval table (stdout)"
T_EVAL=$(date +%s.%N)
say "eval: JSON and the printed table byte-equal to the local --jobs 2 run ($(since "$T_RERUN") s)"
say "PASSED in $(since "$T0") s (not compared: sweep's stdout summary line, which carries the wall time)"
