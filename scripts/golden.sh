#!/usr/bin/env bash
# The golden-output tests (tests/test_golden.cpp, files in tests/golden/):
#   scripts/golden.sh            check: run them (release build), fail on any difference
#   scripts/golden.sh --update   rewrite tests/golden/ from this build; say in the
#                                commit which figures moved and why
# Usage: scripts/golden.sh [--update] [BUILD_DIR]   (default build/release)
set -euo pipefail
cd "$(dirname "$0")/.."
update=0
if [ "${1:-}" = "--update" ]; then update=1; shift; fi
if [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then sed -n '2,6p' "$0"; exit 0; fi
dir="${1:-build/release}"
[ -x "$dir/tests/peebot_tests" ] || { echo "golden: $dir/tests/peebot_tests not built (scripts/build.sh release)" >&2; exit 2; }
if [ "$update" = 1 ]; then
  PEEBOT_GOLDEN_UPDATE=1 "$dir/tests/peebot_tests" "[golden]"
  git status --short tests/golden
else
  "$dir/tests/peebot_tests" "[golden]"
fi
