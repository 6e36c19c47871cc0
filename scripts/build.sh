#!/bin/sh
# Configures (once) and builds cnnc in build/ (incremental on re-run).
set -e
cd "$(dirname "$0")/.."
sh scripts/deps.sh
[ -f build/CMakeCache.txt ] || cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
cmake --build build -j "$(nproc)"
