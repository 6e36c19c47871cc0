#!/bin/sh
# Builds cnnc and runs the whole test suite through ctest.
set -e
cd "$(dirname "$0")/.."
sh scripts/build.sh
cd build && ctest --output-on-failure -j "$(nproc)"
