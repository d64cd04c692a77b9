#!/usr/bin/env bash
# The README's second command: installs what is missing, builds and runs the
# tests (Catch2 via ctest). With --sanitize it also builds and tests the
# ASan+UBSan preset.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh release
scripts/check-test-registration.sh build/release
ctest --preset release -j "$(nproc)"
if [ "${1:-}" = "--sanitize" ]; then
  scripts/build.sh debug
  ctest --preset debug -j "$(nproc)"
fi
