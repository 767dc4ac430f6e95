#!/usr/bin/env bash
# Configures and builds madlab (Release) into build/. Usage: scripts/build.sh [extra cmake args]
#
# A unity build (CMAKE_UNITY_BUILD, up to 16 source files a translation unit): the shared heavy
# headers (Eigen, GoogleTest, fmt, LibTorch's) are compiled once per batch instead of once per
# file, which about halves a cold build on 2 cores (docs/testing.md). While editing, a
# file-by-file build recompiles less after each change: pass -DCMAKE_UNITY_BUILD=OFF.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_UNITY_BUILD=ON \
  -DCMAKE_UNITY_BUILD_BATCH_SIZE=16 "$@"
cmake --build build -j"$(nproc)"
