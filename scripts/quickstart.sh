#!/usr/bin/env bash
# The README's first command: install, build, put `madlab` on the PATH (/usr/local/bin, with its
# headers, libraries and CMake package: README "Using madlab as a library"), run the default study
# on built-in data into madlab-results/mad-grid25 (where a plain `madlab run` writes it).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh -DMADLAB_BUILD_BENCH=OFF
cmake --install build > /dev/null
madlab run
