#!/bin/sh
# Installs the Debian 12 packages cnnc builds with (as root); a no-op when they are there.
set -e
PKGS="cmake make g++ pkg-config llvm-16-dev libhwy-dev catch2 graphviz libgraphviz-dev libcli11-dev nlohmann-json3-dev"
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
