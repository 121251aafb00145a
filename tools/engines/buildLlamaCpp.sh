#!/usr/bin/env bash
# Builds llama.cpp's own tools (llama-server, rpc-server, llama-bench, llama-batched-bench, llama-quantize) from the exact sources
# node-llama-cpp ships (its git bundle), once per commit, into a cache outside the checkout:
#   ${RECKON_CACHE_DIR:-$HOME/.cache/reckon}/llama.cpp/<commit>/bin/
# Prints that bin folder. CPU only; ~12-22 min on 2 cores (FINDINGS.md), nothing when the cache is warm.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUNDLE=node_modules/node-llama-cpp/llama/gitRelease.bundle
[ -f "$BUNDLE" ] || { echo "missing $BUNDLE: run npm install first" >&2; exit 1; }
COMMIT=$(git bundle list-heads "$BUNDLE" | awk '$2=="HEAD"{print $1}')
ROOT=${RECKON_CACHE_DIR:-$HOME/.cache/reckon}/llama.cpp/$COMMIT
BIN=$ROOT/bin
# Tools whose cmake target and binary share the name; the RPC worker's target is ggml-rpc-server, installed as rpc-server.
NAMED="llama-server llama-bench llama-batched-bench llama-quantize"
TOOLS="$NAMED rpc-server"
TARGETS="$NAMED ggml-rpc-server"
ready() { for t in $TOOLS; do [ -x "$BIN/$t" ] || return 1; done; }
if ready; then echo "$BIN"; exit 0; fi
command -v cmake >/dev/null && command -v g++ >/dev/null || {
  echo "building llama.cpp needs cmake and g++ (Debian: apt-get install -y cmake g++)" >&2; exit 1; }
mkdir -p "$ROOT"
[ -d "$ROOT/src/.git" ] || git -c advice.detachedHead=false clone -q "$BUNDLE" "$ROOT/src"
git -C "$ROOT/src" -c advice.detachedHead=false checkout -q "$COMMIT"
cmake -S "$ROOT/src" -B "$ROOT/build" -DCMAKE_BUILD_TYPE=Release -DLLAMA_CURL=OFF -DGGML_RPC=ON \
  -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DGGML_NATIVE=OFF -DBUILD_SHARED_LIBS=OFF >"$ROOT/cmake.log" 2>&1 \
  || { tail -30 "$ROOT/cmake.log" >&2; exit 1; }
# shellcheck disable=SC2086
cmake --build "$ROOT/build" -j"${JOBS:-2}" --target $TARGETS >"$ROOT/build.log" 2>&1 || { tail -30 "$ROOT/build.log" >&2; exit 1; }
mkdir -p "$BIN.tmp"
for t in $NAMED; do cp "$ROOT/build/bin/$t" "$BIN.tmp/"; done
cp "$ROOT/build/bin/ggml-rpc-server" "$BIN.tmp/rpc-server"
rm -rf "$BIN" && mv "$BIN.tmp" "$BIN"
echo "$BIN"
