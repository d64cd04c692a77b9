#!/usr/bin/env bash
# The README's first command: installs what is missing, builds, and runs the
# default scenario (a simulated week), leaving iss-nominal.h5 and printing the report.
# Usage: scripts/demo.sh [SCENARIO.toml] [peebot run options...]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh release
scenario="${1:-scenarios/iss-nominal.toml}"
shift || true
exec build/release/sim/peebot run "$scenario" "$@"
