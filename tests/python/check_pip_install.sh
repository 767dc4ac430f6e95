#!/usr/bin/env bash
# Installs the Python package from the checkout as the README says (pip, offline, no build
# isolation) into a scratch folder, then imports it from there alone and scores two arrays.
# Usage: check_pip_install.sh PYTHON PACKAGE_DIR WORK_DIR (MADLAB_BUILD_DIR: the build to reuse)
set -euo pipefail
python=$1 package=$2 work=$3
rm -rf "$work"
mkdir -p "$work"
# pip builds in a copy of the package folder when it can: build there, not in the checkout.
"$python" -m pip install --quiet --no-build-isolation --no-index --no-deps \
  --target "$work/site" "$package"
cd "$work"
PYTHONPATH="$work/site" "$python" - <<'PY'
import os, sys
import numpy as np
import madlab
here = os.path.dirname(madlab.__file__)
assert here.startswith(os.getcwd()), f"imported {here}, not the installed copy"
x = np.random.default_rng(0).standard_normal((200, 3))
r = madlab.metrics.prdc(x, x.copy())
assert r["precision"] == 1.0 and r["recall"] == 1.0, r
print("installed madlab", madlab.__version__, "in", here)
PY
