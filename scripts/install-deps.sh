#!/usr/bin/env bash
# Installs what madlab needs to build and test on Debian 12 (run as root). Idempotent.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
packages=(
  build-essential cmake ninja-build pkg-config   # compiler and build
  libeigen3-dev        # linear algebra
  libnanoflann-dev     # k-d trees for exact nearest neighbours
  libopenblas-dev      # optimised BLAS/LAPACK: Frechet distance and KID at large d
  libtomlplusplus-dev  # study configs (TOML)
  libcli11-dev         # command line
  libfmt-dev           # formatting
  nlohmann-json3-dev   # summary.json
  libsqlite3-dev       # results database
  libgtest-dev libgmock-dev libbenchmark-dev  # tests and benchmarks
  clang-format         # the style check of the test script
  clang libclang-rt-14-dev llvm  # the sanitizer and fuzzer step (scripts/sanitize.sh): clang,
                       # its sanitizer and libFuzzer runtimes, llvm-symbolizer for the stacks
  ccache               # caches compiled objects: a rebuild (the sanitizer step) takes seconds
  chromium             # headless browser: the report's browser test and PNG figures
  fortunes-es          # small Spanish text corpus for text studies (source.path = "fortunes-es")
  zlib1g-dev           # gzip-compressed image files (MNIST, Fashion-MNIST)
  dataset-fashion-mnist  # Fashion-MNIST images for image studies (source.path = "fashion-mnist")
  python3              # the external-model example (examples/external) and its tests
  libtorch-dev         # LibTorch (CPU): the neural families vae, flow, gpt and LeNet features
  libopenmpi-dev openmpi-bin  # Open MPI: `mpirun -np N madlab run` (docs/cluster.md) and its tests
  python3-dev pybind11-dev python3-pybind11  # the Python package's extension module (python/)
  python3-numpy python3-pandas python3-pytest  # its arrays, DataFrames and tests
  python3-pip python3-setuptools python3-wheel  # installing it from the checkout (pip, offline)
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  apt-get update
  apt-get install -y --no-install-recommends "${missing[@]}"
fi
# node and npm for the report's JavaScript (report/package.json): Debian's nodejs and npm,
# unless a node is already installed (one from elsewhere brings its own npm).
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  apt-get update
  apt-get install -y --no-install-recommends nodejs npm
fi
# vega, vega-lite and vega-embed (compiled into madlab and inlined into every report.html) and
# playwright-core (drives chromium), at the versions of report/package-lock.json; installed
# again only when the lockfile changed.
report_dir="$(cd "$(dirname "$0")/.." && pwd)/report"
if ! cmp -s "$report_dir/package-lock.json" "$report_dir/node_modules/.madlab-lock"; then
  (cd "$report_dir" && npm ci --no-audit --no-fund)
  cp "$report_dir/package-lock.json" "$report_dir/node_modules/.madlab-lock"
fi
