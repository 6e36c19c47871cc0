#!/bin/sh
# The main job: build, then compile LeNet, print its summary, run it on random
# weights and a random input, and write one Graphviz file (and SVG) per stage.
set -e
cd "$(dirname "$0")/.."
sh scripts/build.sh
./build/tools/cnnc/cnnc summary examples/seed/lenet.cnn
./build/tools/cnnc/cnnc run --dump-graph out/lenet examples/seed/lenet.cnn --random-weights 1 --random-input 1
for f in out/lenet/*.dot; do dot -Tsvg "$f" -o "${f%.dot}.svg"; done
echo "stage graphs: $(ls out/lenet/*.dot | tr '\n' ' ')"
