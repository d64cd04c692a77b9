#!/usr/bin/env bash
# Micro-benchmark of the TLCP client's decode path alone (line splitting,
# notification parsing, MERGE update decoding, numbers): builds
# tests/bench/bench_tlcp.cpp with sim/tlcp/tlcp.cpp (-O2, no CMake target) and
# prints ns/update and updates/s on one core. The whole client path (decode ->
# ingest -> detect -> store, beside the official Node client) is
# scripts/bench_live.sh.
# Usage: scripts/bench_tlcp.sh [UPDATES] [REPEATS]   (default 2000000, 5)
set -euo pipefail
cd "$(dirname "$0")/.."
out=build/bench_tlcp
mkdir -p "$out"
"${CXX:-g++}" -std=c++17 -O2 -DNDEBUG -I. tests/bench/bench_tlcp.cpp sim/tlcp/tlcp.cpp -o "$out/bench_tlcp"
echo "bench_tlcp: load average $(cut -d' ' -f1-3 /proc/loadavg)"
"$out/bench_tlcp" "${1:-2000000}" "${2:-5}"
