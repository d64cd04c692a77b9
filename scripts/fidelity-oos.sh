#!/usr/bin/env bash
# Out-of-sample fidelity (docs/fidelity.md): imports a recording, fits the
# world on its first half (peebot calibrate --fit-range first-half), simulates
# the fitted scenario over the second half's span (--run-range second-half:
# its start, duration, first level and logger outages), and compares the
# simulation with the held-out second half. One seed: prints `peebot compare
# --json` (A = the recording's second half, B = the simulation) on stdout.
# Several seeds: imports and fits once, runs and compares each seed, and
# writes KEEP_DIR/oos-SEED.json (KEEP_DIR is then required; their paths on
# stdout, for scripts/fidelity-table.py). Progress on stderr.
#
# Usage: scripts/fidelity-oos.sh RECORDING [SEED...]
#   RECORDING  a recording peebot import reads (e.g. ../shared/data/real/pisslog-2025/pisslog.csv)
#   SEED       seeds of the simulated runs (default 1; the fit itself always uses calibrate's --seed 1)
# Environment: PEEBOT (the binary; default build/release/sim/peebot),
#   KEEP_DIR (keep the intermediate files there instead of a temporary folder),
#   CALIBRATE_ARGS (extra calibrate options, e.g. "--fit-days 30").
set -euo pipefail
if [[ $# -lt 1 || "$1" == "-h" || "$1" == "--help" ]]; then
  sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'
  [[ $# -ge 1 && ( "$1" == "-h" || "$1" == "--help" ) ]] && exit 0
  exit 2
fi
rec="$1"
shift
seeds=("${@:-1}")
here="$(cd "$(dirname "$0")/.." && pwd)"
P="${PEEBOT:-$here/build/release/sim/peebot}"
[[ -x "$P" ]] || { echo "fidelity-oos.sh: $P is not an executable peebot (build it or set PEEBOT)" >&2; exit 2; }
[[ -r "$rec" ]] || { echo "fidelity-oos.sh: $rec: cannot read the recording" >&2; exit 2; }
for seed in "${seeds[@]}"; do
  [[ "$seed" =~ ^[0-9]+$ ]] || { echo "fidelity-oos.sh: SEED $seed: expected a non-negative integer" >&2; exit 2; }
done
if [[ ${#seeds[@]} -gt 1 && -z "${KEEP_DIR:-}" ]]; then
  echo "fidelity-oos.sh: several seeds write KEEP_DIR/oos-SEED.json: set KEEP_DIR" >&2; exit 2
fi
if [[ -n "${KEEP_DIR:-}" ]]; then
  dir="$KEEP_DIR"; mkdir -p "$dir"
else
  dir="$(mktemp -d)"; trap 'rm -rf "$dir"' EXIT
fi
echo "fidelity-oos: import $rec" >&2
"$P" import "$rec" -o "$dir/real.h5" >&2
echo "fidelity-oos: calibrate on the first half, scenario over the second half" >&2
# shellcheck disable=SC2086
"$P" calibrate "$dir/real.h5" --fit-range first-half --run-range second-half --name fidelity-oos \
  -o "$dir/oos.toml" ${CALIBRATE_ARGS:-}
for seed in "${seeds[@]}"; do
  echo "fidelity-oos: run the fitted scenario (seed $seed)" >&2
  # The other feed items at 5/s instead of 70/s: they carry no tank statistic
  # (the ground still sees ISS data every second or so, so no spurious LOS:
  # at 0/s every quiet 5 s would be one) and the run takes ~6 s of CPU, not ~50.
  "$P" run "$dir/oos.toml" --seed "$seed" --set background.rate=5 --set background.items=20 -o "$dir/sim-$seed.h5" -q
  echo "fidelity-oos: compare with the held-out second half (seed $seed)" >&2
  if [[ ${#seeds[@]} -eq 1 ]]; then
    "$P" compare "$dir/real.h5" "$dir/sim-$seed.h5" --range second-half --json
  else
    "$P" compare "$dir/real.h5" "$dir/sim-$seed.h5" --range second-half --json > "$dir/oos-$seed.json"
    echo "$dir/oos-$seed.json"
  fi
done
