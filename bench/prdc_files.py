#!/usr/bin/python3
"""PRDC side by side on identical data: madlab metrics vs shared/bench/reference (common.prdc).

    /usr/bin/python3 bench/prdc_files.py make --n 10000 --dim 64 --out /tmp/prdc10k
        writes real.npy and fake.npy (float32) drawn exactly as shared/bench/reference/prdc.py
        draws them: rng = default_rng(0); real ~ N(0, I); fake ~ 1.1 N(0, I) + 0.1
    /usr/bin/python3 bench/prdc_files.py reference /tmp/prdc10k/real.npy /tmp/prdc10k/fake.npy
        runs the reference's prdc() (dense N x N matrices) on those files; prints one JSON line

Time each whole process, e.g. with GNU time for the peak RSS:
    /usr/bin/time -v /usr/bin/python3 bench/prdc_files.py reference REAL FAKE
    /usr/bin/time -v build/madlab metrics REAL FAKE --metrics prdc --format json
"""
import argparse
import os
import sys
import time

import numpy as np

REFERENCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared",
                         "bench", "reference")


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("make")
    m.add_argument("--n", type=int, default=10000)
    m.add_argument("--dim", type=int, default=64)
    m.add_argument("--out", required=True)
    r = sub.add_parser("reference")
    r.add_argument("real")
    r.add_argument("fake")
    r.add_argument("--k", type=int, default=5)
    r.add_argument("--reference", default=REFERENCE)
    a = p.parse_args()
    if a.cmd == "make":
        os.makedirs(a.out, exist_ok=True)
        rng = np.random.default_rng(0)  # as prdc.py
        real = rng.standard_normal((a.n, a.dim)).astype(np.float32)
        fake = (1.1 * rng.standard_normal((a.n, a.dim)) + 0.1).astype(np.float32)
        np.save(os.path.join(a.out, "real.npy"), real)
        np.save(os.path.join(a.out, "fake.npy"), fake)
        return
    sys.path.insert(0, a.reference)
    from common import prdc, report  # noqa: E402

    real, fake = np.load(a.real), np.load(a.fake)
    t0 = time.perf_counter()
    metrics = prdc(real, fake, a.k)
    report(dict(real=a.real, fake=a.fake, k=a.k, n=len(real), m=len(fake)), t0, **metrics)


if __name__ == "__main__":
    main()
