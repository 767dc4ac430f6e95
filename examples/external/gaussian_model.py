#!/usr/bin/env python3
"""A stand-in for a user's own model, driven by madlab's external protocol (docs/external.md).

It fits one Gaussian (mean and maximum-likelihood covariance) to the rows of a .npy file and
samples it with sampling bias lambda: N(mu, lambda * Sigma). Plain Python 3, no NumPy, so the
example runs on any machine that has python3; the .npy reading and writing below covers what
madlab exchanges (float64 or float32, C order, 2-D).

    gaussian_model.py fit --data TRAIN.npy --out MODEL_DIR --seed S
    gaussian_model.py sample --model MODEL_DIR --n N --bias B --seed S --out SAMPLES.npy

--fault (for madlab's tests of the protocol): fail (exit 3 with a message on stderr), nan (a
NaN in the samples), shape (one sample too few), hang (sleep for an hour), flaky (fail the first
time, succeed the next; needs a writable model folder).
"""
import argparse
import ast
import json
import math
import os
import random
import struct
import sys
import time


def read_npy(path):
    with open(path, "rb") as f:
        if f.read(6) != b"\x93NUMPY":
            sys.exit(f"{path}: not a .npy file")
        major = f.read(2)[0]
        size_bytes = 2 if major == 1 else 4
        header_len = int.from_bytes(f.read(size_bytes), "little")
        header = ast.literal_eval(f.read(header_len).decode("latin1"))
        if header["fortran_order"]:
            sys.exit(f"{path}: Fortran order is not supported")
        shape = header["shape"]
        rows, cols = (shape[0], 1) if len(shape) == 1 else shape
        code = {"<f8": "d", "<f4": "f"}.get(header["descr"])
        if code is None:
            sys.exit(f"{path}: dtype {header['descr']} is not supported")
        count = rows * cols
        values = struct.unpack(f"<{count}{code}", f.read(count * struct.calcsize(code)))
    return [list(values[i * cols:(i + 1) * cols]) for i in range(rows)]


def write_npy(path, rows, cols):
    header = "{'descr': '<f8', 'fortran_order': False, 'shape': (%d, %d), }" % (len(rows), cols)
    pad = (64 - (10 + len(header) + 1) % 64) % 64
    header = header + " " * pad + "\n"
    tmp = path + ".partial"
    with open(tmp, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode("latin1"))
        for row in rows:
            f.write(struct.pack(f"<{cols}d", *row))
    os.replace(tmp, path)  # never leave a partial file under the final name


def cholesky(a):
    d = len(a)
    l = [[0.0] * d for _ in range(d)]
    for i in range(d):
        for j in range(i + 1):
            s = a[i][j] - sum(l[i][k] * l[j][k] for k in range(j))
            l[i][j] = math.sqrt(max(s, 0.0)) if i == j else (s / l[j][j] if l[j][j] > 0 else 0.0)
    return l


def fit(args):
    x = read_npy(args.data)
    n, d = len(x), len(x[0])
    mean = [sum(r[j] for r in x) / n for j in range(d)]
    cov = [[sum((r[i] - mean[i]) * (r[j] - mean[j]) for r in x) / n for j in range(d)]
           for i in range(d)]
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "gaussian.json"), "w") as f:
        json.dump({"mean": mean, "covariance": cov, "n": n, "seed": args.seed}, f)
    print(f"fitted a {d}-D Gaussian to {n} points", file=sys.stderr)


def sample(args):
    if args.fault == "fail":
        print("gaussian_model.py: simulated failure while sampling", file=sys.stderr)
        sys.exit(3)
    if args.fault == "hang":
        time.sleep(3600)
    if args.fault == "flaky":
        marker = os.path.join(args.model, "flaky-failed-once")
        if not os.path.exists(marker):
            open(marker, "w").close()
            print("gaussian_model.py: flaky failure", file=sys.stderr)
            sys.exit(4)
    with open(os.path.join(args.model, "gaussian.json")) as f:
        model = json.load(f)
    mean, l = model["mean"], cholesky(model["covariance"])
    d = len(mean)
    rng = random.Random(args.seed)
    scale = math.sqrt(args.bias)
    rows = []
    for _ in range(args.n - (1 if args.fault == "shape" else 0)):
        z = [rng.gauss(0.0, 1.0) for _ in range(d)]
        rows.append([mean[i] + scale * sum(l[i][k] * z[k] for k in range(i + 1))
                     for i in range(d)])
    if args.fault == "nan" and rows:
        rows[len(rows) // 2][0] = float("nan")
    write_npy(args.out, rows, d)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("fit")
    p.add_argument("--data", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--seed", type=int, default=0)
    p = sub.add_parser("sample")
    p.add_argument("--model", required=True)
    p.add_argument("--n", type=int, required=True)
    p.add_argument("--bias", type=float, default=1.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", required=True)
    p.add_argument("--fault", choices=["none", "fail", "nan", "shape", "hang", "flaky"],
                   default="none")
    args = parser.parse_args()
    fit(args) if args.command == "fit" else sample(args)


if __name__ == "__main__":
    main()
