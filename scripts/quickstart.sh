#!/usr/bin/env bash
# The README's first command: install, build, run the default study on built-in data.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh -DMADLAB_BUILD_BENCH=OFF
./build/madlab run --out madlab-results/default
