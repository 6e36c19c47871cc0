#!/bin/sh
# Runs the libFuzzer harnesses of fuzz/ for SECONDS each (default 60), one after the other:
#   sh scripts/fuzz.sh [SECONDS] [NAME...]     NAME: frontend ir safetensors npy differential onnx program image
# Builds build-fuzz/ with clang-16 (-DCNNC_FUZZ=ON; JOBS=N: build parallelism), fuzzes a
# scratch copy of each committed seed corpus (build-fuzz/fuzz-out/NAME/corpus; the repository
# is not touched; FUZZ_OPTS adds libFuzzer flags), prints execs/s and the corpus size per
# fuzzer, and exits 1 if any found a crash, sanitizer report, leak, timeout or OOM; the input
# that did it is kept in build-fuzz/fuzz-out/NAME/ (replay: build-fuzz/fuzz/fuzz_NAME FILE).
set -e
cd "$(dirname "$0")/.."
seconds=${1:-60}
[ $# -gt 0 ] && shift
names=${*:-frontend ir safetensors npy differential onnx program image}
sh scripts/deps.sh
[ -f build-fuzz/CMakeCache.txt ] ||
  cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Release -DCNNC_FUZZ=ON -DBUILD_TESTING=OFF \
    -DCMAKE_C_COMPILER=clang-16 -DCMAKE_CXX_COMPILER=clang++-16
targets=""
for n in $names; do targets="$targets fuzz_$n"; done
cmake --build build-fuzz -j "${JOBS:-$(nproc)}" --target $targets

export UBSAN_OPTIONS=print_stacktrace=1
failed=0
summary=""
for n in $names; do
  out=build-fuzz/fuzz-out/$n
  rm -rf "$out"
  mkdir -p "$out/corpus"
  cp fuzz/corpus/$n/* "$out/corpus/"
  case $n in
  frontend) opts="-max_len=8192 -dict=fuzz/dict/cnn.dict" ;;
  differential) opts="-max_len=256 -len_control=0 -timeout=60" ;; # an input: a JIT compilation
  onnx) opts="-max_len=32768" ;; # the seeds are whole small models
  image) opts="-max_len=16384" ;; # the seeds are whole small images
  *) opts="-max_len=4096" ;;
  esac
  echo "== fuzz_$n: $seconds s (log: $out/log)"
  if build-fuzz/fuzz/fuzz_$n $opts $FUZZ_OPTS -max_total_time="$seconds" -print_final_stats=1 \
    -artifact_prefix="$out/" "$out/corpus" >"$out/log" 2>&1; then
    result=ok
  else
    result="FAILED: $(ls "$out" | grep -E '^(crash|leak|timeout|oom|slow-unit)-' | sed "s|^|$out/|" | tr '\n' ' ')"
    tail -40 "$out/log"
    failed=1
  fi
  execs=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$out/log")
  units=$(ls "$out/corpus" | wc -l)
  size=$(($(cat "$out"/corpus/* | wc -c) / 1024))
  summary="$summary$(printf '%-13s %8s execs/s  corpus %6s files %7s KiB  %s' \
    "$n" "${execs:-?}" "$units" "$size" "$result")
"
done
printf '\nfuzzer         execs/s            corpus\n%s' "$summary"
exit $failed
