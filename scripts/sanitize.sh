#!/bin/sh
# The test suite under sanitizers (part of .ci/run):
#   build-asan/  every test with AddressSanitizer + UndefinedBehaviorSanitizer
#   build-tsan/  the concurrency tests (tests/concurrency/) with ThreadSanitizer
# The JIT-generated kernels are not instrumented; everything around them is.
set -e
cd "$(dirname "$0")/.."
sh scripts/deps.sh
jobs=${JOBS:-$(nproc)}
[ -f build-asan/CMakeCache.txt ] ||
  cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Release -DCNNC_SANITIZE=address,undefined
cmake --build build-asan -j "$jobs"
# Leaks are checked; scripts/lsan.supp lists third-party process-lifetime caches.
LSAN_OPTIONS=suppressions=$PWD/scripts/lsan.supp ASAN_OPTIONS=abort_on_error=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j "$jobs"
[ -f build-tsan/CMakeCache.txt ] ||
  cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=Release -DCNNC_SANITIZE=thread
cmake --build build-tsan -j "$jobs" --target cnnc_concurrency_tests
TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 build-tsan/tests/cnnc_concurrency_tests
