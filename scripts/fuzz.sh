#!/usr/bin/env bash
# libFuzzer, for a bounded time per target:
#   tlcp   the TLCP parser (sim/tlcp/tlcp.cpp): tests/fuzz/fuzz_tlcp.cpp
#   trace  the trace reader and every consumer of a trace (report, feed
#          statistics, the viewer's model): tests/fuzz/fuzz_trace.cpp
#   json   the JSON reader (baselines, point files, API answers) and the
#          writer's round trip: tests/fuzz/fuzz_json.cpp
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]   (default 30 s, target tlcp;
# CI runs each from .ci/run). Needs clang (scripts/setup.sh installs it).
# Exit status: 0 no finding; non-zero (libFuzzer: 77, 70 for a timeout) a crash, leak, timeout or runaway allocation
# (the reproducer is left in build/fuzz/; replay it with build/fuzz/fuzz_TARGET FILE).
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-30}"
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(tlcp)
out=build/fuzz
mkdir -p "$out"
cxx=(clang++)
command -v ccache >/dev/null 2>&1 && cxx=(ccache clang++)
flags=(-std=c++17 -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined -I.)

fuzz_tlcp() {
  mkdir -p "$out/corpus"
  "${cxx[@]}" "${flags[@]}" -fsanitize=fuzzer tests/fuzz/fuzz_tlcp.cpp sim/tlcp/tlcp.cpp sim/util/text.cpp -o "$out/fuzz_tlcp"
  # Seeds: a real-looking session.
  printf 'CONOK,S1,50000,5000,*\r\nSUBOK,1,3,4\r\nU,1,1,6846.5|42|24|#\r\nU,1,1,||^2\r\nU,1,2,$|a%%2Cb|1|2\r\nLOOP,0\r\nEND,48,x\r\n' > "$out/corpus/seed1"
  printf 'wsok\r\ncreate_session\r\nLS_cid=a&LS_adapter_set=ISSLIVE\r\ncontrol\r\nLS_op=add&LS_group=A%%20B' > "$out/corpus/seed2"
  (cd "$out" && ./fuzz_tlcp -max_total_time="$secs" -max_len=4096 -timeout=5 -print_final_stats=1 corpus)
}

fuzz_json() {
  "${cxx[@]}" "${flags[@]}" -fsanitize=fuzzer tests/fuzz/fuzz_json.cpp sim/report/json.cpp sim/util/text.cpp -o "$out/fuzz_json"
  # Seeds: what peebot reads (a report's shape, a point file's, an API answer), a fresh corpus per run.
  rm -rf "$out/corpus_json" && mkdir -p "$out/corpus_json"
  printf '{"format": "peebot-sweep-point", "format_version": 1, "sweep": {"vary": ["crew.size=2,3"], "points": 4}, "index": 2, "inputs": {"point": 2, "seed": 5}}' > "$out/corpus_json/point"
  printf '{"data": {"id": "1445880548472328192", "text": "ok \u00e9\ud83d\ude00"}, "n": [1, -2.5e-3, 1e300, true, false, null]}' > "$out/corpus_json/answer"
  printf '[[[[[[[[1]]]]]]]]' > "$out/corpus_json/deep"
  (cd "$out" && ./fuzz_json -seed="${PEEBOT_FUZZ_SEED:-1}" -max_total_time="$secs" -max_len=2048 -timeout=5 \
     -rss_limit_mb=2048 -print_final_stats=1 corpus_json)
}

fuzz_trace() {
  # The reader, its consumers and what they need, instrumented; objects kept in
  # build/fuzz/obj (with ccache a rebuild is mostly cache hits).
  # sim/scenario (not under test here: the fuzzed traces carry no scenario
  # text) is built by g++ without instrumentation: clang 14 cannot capture
  # structured bindings in lambdas, which it does.
  local srcs=(sim/trace/*.cpp sim/util/files.cpp sim/util/text.cpp sim/util/time.cpp sim/analysis/feed_stats.cpp
              sim/report/*.cpp viz/model.cpp viz/series.cpp
              models/*.cpp models/env/*.cpp sim/pipeline/*.cpp sim/stats/*.cpp)
  local objs=() s o running=0
  rm -rf "$out/corpus_trace"
  mkdir -p "$out/obj" "$out/corpus_trace"
  for s in "${srcs[@]}"; do
    o="$out/obj/$(echo "$s" | tr / _).o"
    objs+=("$o")
    "${cxx[@]}" "${flags[@]}" -fsanitize=fuzzer-no-link -I/usr/include/hdf5/serial -c "$s" -o "$o" &
    running=$((running + 1))
    if [ "$running" -ge 2 ]; then wait -n; running=$((running - 1)); fi  # two at a time
  done
  wait
  local gxx=(g++)
  command -v ccache >/dev/null 2>&1 && gxx=(ccache g++)
  for s in sim/scenario/*.cpp; do
    o="$out/obj/$(echo "$s" | tr / _)_gcc.o"
    "${gxx[@]}" -std=c++17 -O1 -g -I. -c "$s" -o "$o"
    objs+=("$o")
  done
  "${cxx[@]}" "${flags[@]}" -fsanitize=fuzzer -I/usr/include/hdf5/serial tests/fuzz/fuzz_trace.cpp "${objs[@]}" \
    -L/usr/lib/x86_64-linux-gnu/hdf5/serial -lhdf5 -ltomlplusplus -lz -lpthread -o "$out/fuzz_trace"
  # Seeds: a few rows of each kind (the mutator does the rest), and the inputs
  # of past findings (tests/fuzz/corpus_trace/: replayed on every run).
  cp tests/fuzz/corpus_trace/* "$out/corpus_trace/"
  head -c 512 /dev/zero > "$out/corpus_trace/zeros"
  printf 'peebot trace seed: telemetry, stages, detections, truth 0123456789abcdefghijklmnopqrstuvwxyz' > "$out/corpus_trace/text"
  # Each input writes and reads a small HDF5 file: allow 10 s for one, 2 GB in all.
  # A fixed seed (PEEBOT_FUZZ_SEED, default 1) and a fresh corpus of the
  # committed seeds make a run repeat the same inputs as far as it gets, so
  # CI gates on what was fuzzed before landing; set another seed to explore.
  rm -rf "$out/corpus_trace.run" && cp -r "$out/corpus_trace" "$out/corpus_trace.run"
  (cd "$out" && ASAN_OPTIONS=detect_leaks=1 ./fuzz_trace -seed="${PEEBOT_FUZZ_SEED:-1}" -max_total_time="$secs" \
     -max_len=2048 -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=1024 -print_final_stats=1 corpus_trace.run)
}

for t in "${targets[@]}"; do
  case "$t" in
    tlcp) fuzz_tlcp ;;
    trace) fuzz_trace ;;
    json) fuzz_json ;;
    *) echo "fuzz.sh: unknown target '$t' (tlcp, trace, json)" >&2; exit 2 ;;
  esac
done
