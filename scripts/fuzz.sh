#!/usr/bin/env bash
# Fuzzes the TLCP parser (sim/live/tlcp.cpp) with libFuzzer for a bounded time.
# Usage: scripts/fuzz.sh [SECONDS]   (default 30; CI runs it from .ci/run)
# Needs clang (scripts/setup.sh installs it). Exit status: 0 no crash, 1 a crash
# (the reproducer is left in build/fuzz/).
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-30}"
out=build/fuzz
mkdir -p "$out/corpus"
clang++ -std=c++17 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -I. \
  tests/fuzz/fuzz_tlcp.cpp sim/live/tlcp.cpp sim/util/text.cpp -o "$out/fuzz_tlcp"
# Seeds: a real-looking session.
printf 'CONOK,S1,50000,5000,*\r\nSUBOK,1,3,4\r\nU,1,1,6846.5|42|24|#\r\nU,1,1,||^2\r\nU,1,2,$|a%%2Cb|1|2\r\nLOOP,0\r\nEND,48,x\r\n' > "$out/corpus/seed1"
printf 'wsok\r\ncreate_session\r\nLS_cid=a&LS_adapter_set=ISSLIVE\r\ncontrol\r\nLS_op=add&LS_group=A%%20B' > "$out/corpus/seed2"
cd "$out"
./fuzz_tlcp -max_total_time="$secs" -max_len=4096 -timeout=5 -print_final_stats=1 corpus
