#!/usr/bin/env bash
# Runs peebot sweep and peebot eval through a real one-node Slurm cluster
# (--slurm --wait) and checks that the merged results are the same bytes as
# the same grids run here with --jobs 2 (docs/sweeps.md, "Running at scale on Slurm").
#
# Usage: scripts/test-slurm.sh [BUILD_DIR]     (default build/release; needs root)
#
# It installs Debian's slurmctld, slurmd, slurm-client and munge when missing
# (apt-get), writes a one-node slurm.conf in a temp dir (this host's CPUs and
# memory from `slurmd -C`, on 127.0.0.1 so the host name need not resolve, its
# own ports, state and spool dirs), starts its own munged (own key and
# socket), slurmctld and slurmd, and stops exactly those daemons (by PID) on
# exit, also on failure. Nothing outside the temp dir is changed but the
# packages. Bounded: every wait has a timeout; about a minute.
# Checks: a 4-point sweep and a 2 x 2 eval through --slurm --wait give the
# local run's bytes (CSV, HDF5, eval JSON, eval table); a point that fails is
# named by index and --rerun-failed reruns it alone; a run submitted without
# --wait is followed later by --rerun-failed --wait; sbatch refusing a job is
# exit 1 quoting it; eval's --baseline gate runs in the merge job and its
# exit status comes back.
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
SlurmctldHost=$NODE(127.0.0.1)
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
NodeName=$NODE NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=$MEM State=UNKNOWN
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
# stdout: the per-point intervals and verdicts the same; the last line differs by nature
# ("sweep: 4 runs in 9.1 s ..." here, "sweep: merged 4 runs into ..." from the merge job).
head -n -1 "$T/local-sweep.out" > "$T/local-sweep.head"
head -n -1 "$T/slurm-sweep.out" > "$T/slurm-sweep.head"
cmp_or_die "$T/local-sweep.head" "$T/slurm-sweep.head" "sweep stdout (all but its last line)"
grep -q "^sweep: merged 4 runs into" "$T/slurm-sweep.out" || die "no merge line in the sweep's stdout"
T_SWEEP=$(date +%s.%N)
say "sweep: $(($(wc -l < "$T/local.csv") - 1)) rows; CSV, HDF5 and the stdout's $(wc -l < "$T/local-sweep.head") interval lines byte-equal to the local --jobs 2 run ($(since "$T_UP") s)"

# A point that really fails is named by index, the merge does not run, and
# --rerun-failed runs it alone: with the node drained the tasks wait; a
# folder where point 2's file goes (points/2.json) makes that task refuse its
# output (exit 2), and a folder is not taken for a finished point.
scontrol update NodeName="$NODE" State=DRAIN Reason=peebot-test
rm "$T/slurm.csv" "$T/slurm.h5"
timeout 300 "$PEEBOT" sweep "${SWEEP[@]}" --slurm --wait --run-dir "$T/run-fail" -o "$T/slurm.csv" -o "$T/slurm.h5" \
  > "$T/fail.out" 2> "$T/fail.err" &
FAIL_PID=$!
timeout 60 bash -c "until grep -q '^merge_job=' '$T/run-fail/job' 2>/dev/null; do sleep 0.2; done" || die "no submission in $T/run-fail"
mkdir "$T/run-fail/points/2.json"
scontrol update NodeName="$NODE" State=RESUME
rc=0; wait "$FAIL_PID" || rc=$?
[ "$rc" = 1 ] || { cat "$T/fail.err" >&2; die "sweep --slurm --wait with a failing point: exit $rc, expected 1"; }
grep -q "1 of 4 points failed or have no result (2)" "$T/fail.err" && grep -q "point 2: exit 2" "$T/fail.err" ||
  { cat "$T/fail.err" >&2; die "the failed point 2 was not reported by index with its exit status"; }
[ ! -e "$T/slurm.csv" ] || die "a table was written although a point failed"
rmdir "$T/run-fail/points/2.json"
timeout 300 "$PEEBOT" sweep --rerun-failed "$T/run-fail" --wait > "$T/rerun.out" 2> "$T/rerun.err" ||
  { cat "$T/rerun.err" >&2; die "peebot sweep --rerun-failed failed"; }
grep -q "resubmitted 1 point (2)" "$T/rerun.err" || { cat "$T/rerun.err" >&2; die "--rerun-failed did not resubmit point 2 alone"; }
cmp_or_die "$T/local.csv" "$T/slurm.csv" "sweep CSV after --rerun-failed"
cmp_or_die "$T/local.h5" "$T/slurm.h5" "sweep HDF5 after --rerun-failed"
T_RERUN=$(date +%s.%N)
say "failure: point 2 failed (exit 2) and was named, no table; --rerun-failed ran point 2 alone and the table is byte-equal ($(since "$T_SWEEP") s)"

# Without --wait: submitted and returns; --rerun-failed refuses while the jobs
# are queued, and with --wait follows them (re-attaching) to the same table.
scontrol update NodeName="$NODE" State=DRAIN Reason=peebot-test
"$PEEBOT" sweep "${SWEEP[@]}" --slurm --run-dir "$T/run-nowait" -o "$T/nowait.csv" > "$T/nowait.out" 2>&1 ||
  { cat "$T/nowait.out" >&2; die "sweep --slurm without --wait failed"; }
rc=0; "$PEEBOT" sweep --rerun-failed "$T/run-nowait" > "$T/busy.out" 2>&1 || rc=$?
[ "$rc" = 2 ] && grep -q "still queued or running" "$T/busy.out" || { cat "$T/busy.out" >&2; die "--rerun-failed of queued jobs: exit $rc, expected 2"; }
scontrol update NodeName="$NODE" State=RESUME
timeout 300 "$PEEBOT" sweep --rerun-failed "$T/run-nowait" --wait > "$T/attach.out" 2> "$T/attach.err" ||
  { cat "$T/attach.err" >&2; die "--rerun-failed --wait did not follow the queued jobs"; }
grep -q "following them" "$T/attach.err" || { cat "$T/attach.err" >&2; die "--rerun-failed --wait resubmitted instead of following"; }
cmp_or_die "$T/local.csv" "$T/nowait.csv" "sweep CSV (submitted without --wait, followed later)"
T_NOWAIT=$(date +%s.%N)
say "no --wait: returned at once; --rerun-failed refused while queued (exit 2), with --wait followed the jobs to the same table ($(since "$T_RERUN") s)"

# sbatch refusing the job (a partition that does not exist): exit 1 quoting sbatch, nothing left behind.
rc=0
"$PEEBOT" sweep "${SWEEP[@]}" --slurm --partition no-such-partition --run-dir "$T/run-refused" -o "$T/refused.csv" \
  > /dev/null 2> "$T/refused.err" || rc=$?
[ "$rc" = 1 ] && grep -q "sbatch (submitting the array job) failed" "$T/refused.err" && grep -qi "partition" "$T/refused.err" ||
  { cat "$T/refused.err" >&2; die "a refused submission: exit $rc, expected 1 quoting sbatch"; }
[ ! -e "$T/run-refused" ] || die "a refused submission left its run directory"
say "refused: $(grep -o 'sbatch: error: .*' "$T/refused.err" | head -1) -> exit 1, no run directory left"

"$PEEBOT" eval "${EVAL[@]}" --jobs 2 --json "$T/local.json" > "$T/local-eval.out"
timeout 300 "$PEEBOT" eval "${EVAL[@]}" --slurm --wait --run-dir "$T/run-eval" --json "$T/slurm.json" \
  --baseline "$T/local.json" > "$T/slurm-eval.out" || die "peebot eval --slurm --wait --baseline failed (exit $?)"
cmp_or_die "$T/local.json" "$T/slurm.json" "eval JSON"
# The table as the local run printed it, then the gate's verdict against the local run (same seeds: no difference).
head -n "$(wc -l < "$T/local-eval.out")" "$T/slurm-eval.out" > "$T/slurm-eval-table.out"
cmp_or_die "$T/local-eval.out" "$T/slurm-eval-table.out" "eval table (stdout)"
grep -q "^no figure worse than the baseline" "$T/slurm-eval.out" || { cat "$T/slurm-eval.out" >&2; die "no gate verdict from the merge job"; }
T_EVAL=$(date +%s.%N)
say "eval: JSON and the printed table byte-equal to the local --jobs 2 run; --baseline gate (exit 0) from the merge job ($(since "$T_NOWAIT") s)"
say "PASSED in $(since "$T0") s (not compared: the last line of sweep's stdout, which carries the local run's wall time)"
