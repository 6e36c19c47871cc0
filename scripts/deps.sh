#!/bin/sh
# Installs the Debian 12 packages cnnc builds with (as root); a no-op when they are there.
set -e
# graphviz gives `dot`, which renders the stage dumps (demo) and checks them (tests).
# libgraphviz-dev (libgvc; its libgvc6 brings the core and cairo plugins) renders
# --dump-format svg|png in-process; pkg-config finds it.
# zlib1g-dev and libzstd-dev: LLVM's CMake package looks for them.
# clang-16 and libclang-rt-16-dev (libFuzzer, ASan, UBSan): the fuzzers (scripts/fuzz.sh).
# libonnx-dev (with libprotobuf-dev): the ONNX front end (frontend/onnx/); python3-onnx and
# protobuf-compiler: scripts/make_onnx_fixtures.py.
# python3-torchvision (with python3-torch and numpy): the tests run torchvision's
# models at test time (tests/models/test_torchvision.cpp); the fixture scripts use them.
# pybind11-dev, python3-dev and python3-pytest: the Python module (python/) and its tests.
# python3-dask and python3-distributed: examples/dask/, its test and bench/dask_throughput.py.
# libjpeg62-turbo-dev and libpng-dev decode cnnc run --image's JPEGs and PNGs (runtime/Image.cpp);
# libhwy-dev (Google Highway, dynamic dispatch) runs the runtime's image preprocessing and
# layout loops (runtime/Simd.cpp). (libopencv-dev is for bench/preprocess.cpp only: not here.)
# python3-sklearn: examples/digits/ (scikit-learn's bundled handwritten digits), its training
# script and its test.
# Not here: libdnnl-dev (oneDNN), which only bench/layers.cpp uses; the build skips that
# benchmark without it (README, Performance).
PKGS="libjpeg62-turbo-dev libpng-dev libhwy-dev libonnx-dev protobuf-compiler python3-onnx python3-torchvision python3-numpy cmake make g++ pkg-config llvm-16-dev zlib1g-dev libzstd-dev catch2 graphviz libgraphviz-dev libcli11-dev nlohmann-json3-dev clang-16 libclang-rt-16-dev pybind11-dev python3-dev python3-pytest python3-dask python3-distributed python3-sklearn"
# --cross adds g++-aarch64-linux-gnu and qemu-user: .ci/run's aarch64 test
# (tests/package/aarch64.cmake) cross-builds libcnnc_runtime and runs under qemu.
if [ "$1" = "--cross" ]; then
  PKGS="$PKGS g++-aarch64-linux-gnu qemu-user"
fi
missing=""
for p in $PKGS; do
  dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "installing:$missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends $missing
fi
