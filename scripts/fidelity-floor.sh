#!/usr/bin/env bash
# The noise floor of the fidelity goals (docs/fidelity.md): runs a scenario
# with seeds 1 .. 2 x PAIRS, compares seed 2k-1 with seed 2k (peebot compare
# --json: two samples of one law, at the scenario's own sample sizes), and
# prints scripts/fidelity-table.py --within over the pairs: the mean distance
# of the model to itself with its interval, and in how many pairs a goal is
# met by a model that is the recording's law. Run it on the scenario of a
# fidelity table (e.g. scenarios/iss-calibrated.toml, or the out-of-sample
# oos.toml that scripts/fidelity-oos.sh writes to KEEP_DIR). Progress on stderr.
#
# Usage: scripts/fidelity-floor.sh SCENARIO [PAIRS]
#   SCENARIO  a scenario file
#   PAIRS     pairs of seeds (default 10; at least 2)
# Environment: PEEBOT (the binary; default build/release/sim/peebot),
#   KEEP_DIR (keep the compares, self-K.json, there instead of a temporary folder),
#   RUN_ARGS (run options, split at spaces; default "--set background.rate=5 --set
#   background.items=20", as in the fidelity recipes; empty: none).
set -euo pipefail
if [[ $# -lt 1 || $# -gt 2 || "$1" == "-h" || "$1" == "--help" ]]; then
  sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'
  [[ $# -ge 1 && ( "$1" == "-h" || "$1" == "--help" ) ]] && exit 0
  exit 2
fi
scen="$1"
pairs="${2:-10}"
here="$(cd "$(dirname "$0")/.." && pwd)"
P="${PEEBOT:-$here/build/release/sim/peebot}"
[[ -x "$P" ]] || { echo "fidelity-floor.sh: $P is not an executable peebot (build it or set PEEBOT)" >&2; exit 2; }
[[ -r "$scen" ]] || { echo "fidelity-floor.sh: $scen: cannot read the scenario" >&2; exit 2; }
[[ "$pairs" =~ ^[1-9][0-9]*$ && "$pairs" -ge 2 ]] || { echo "fidelity-floor.sh: PAIRS $pairs: expected an integer >= 2" >&2; exit 2; }
if [[ -n "${KEEP_DIR:-}" ]]; then
  dir="$KEEP_DIR"; mkdir -p "$dir"
else
  dir="$(mktemp -d)"; trap 'rm -rf "$dir"' EXIT
fi
read -r -a run_args <<< "${RUN_ARGS---set background.rate=5 --set background.items=20}"
jsons=()
for k in $(seq 1 "$pairs"); do
  for s in $((2 * k - 1)) $((2 * k)); do
    echo "fidelity-floor: run seed $s" >&2
    "$P" run "$scen" --seed "$s" "${run_args[@]}" -o "$dir/sim-$s.h5" -q
  done
  echo "fidelity-floor: compare seed $((2 * k - 1)) with seed $((2 * k))" >&2
  "$P" compare "$dir/sim-$((2 * k - 1)).h5" "$dir/sim-$((2 * k)).h5" --json > "$dir/self-$k.json"
  rm -f "$dir/sim-$((2 * k - 1)).h5" "$dir/sim-$((2 * k)).h5"
  jsons+=("$dir/self-$k.json")
done
python3 "$here/scripts/fidelity-table.py" --within "${jsons[@]}"
