#!/usr/bin/python3
"""PRDC from Python (madlab.metrics.prdc) side by side with `madlab metrics` and the numpy
reference (shared/bench/reference, through bench/prdc_files.py), on identical files.

    /usr/bin/python3 bench/prdc_files.py make --n 10000 --dim 64 --out /tmp/prdc10k
    PYTHONPATH=build/python /usr/bin/python3 bench/python_prdc.py /tmp/prdc10k --repeat 3

Each run is a whole process (interpreter start, imports and loading the .npy files included),
the three alternating (python, cli, reference, python, ...); medians of --repeat runs after one
warm-up each; peak RSS of each process from os.wait4. `python-call` is the call alone, timed
inside the Python process. All three must give the same four numbers.

    /usr/bin/python3 bench/python_prdc.py --score REAL FAKE   (the Python side, one run)
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MADLAB = os.environ.get("MADLAB_BINARY") or os.path.join(REPO, "build", "madlab")


def score(real_path, fake_path):
    import numpy as np

    import madlab
    real, fake = np.load(real_path), np.load(fake_path)
    start = time.perf_counter()
    values = madlab.metrics.prdc(real, fake, k=5)
    values["seconds_call"] = time.perf_counter() - start
    print(json.dumps(values))


def timed(cmd, env=None):
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}")
    return wall, usage.ru_maxrss / 1024.0, out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("folder", nargs="?")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--score", nargs=2, metavar=("REAL", "FAKE"))
    a = p.parse_args()
    if a.score:
        score(*a.score)
        return
    real, fake = os.path.join(a.folder, "real.npy"), os.path.join(a.folder, "fake.npy")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.path.join(REPO, "build", "python") + os.pathsep + env.get(
        "PYTHONPATH", "")
    commands = {
        "python": ([sys.executable, os.path.abspath(__file__), "--score", real, fake], env),
        "cli": ([MADLAB, "metrics", real, fake, "--metrics", "prdc", "--format", "json"], None),
        "reference": ([sys.executable, os.path.join(REPO, "bench", "prdc_files.py"), "reference",
                       real, fake], None),
    }
    runs = {name: [] for name in commands}
    for i in range(a.repeat + 1):
        for name, (cmd, cmd_env) in commands.items():
            result = timed(cmd, cmd_env)
            if i > 0:  # the first round warms the caches
                runs[name].append(result)
    values, inner = {}, {}
    for name, results in runs.items():
        outs = [parse(r[2]) for r in results]
        metrics = outs[-1].get("metrics", outs[-1])
        values[name] = tuple(round(metrics[m], 6) for m in
                             ("precision", "recall", "density", "coverage"))
        wall = statistics.median(w for w, _, _ in results)
        peak = max(m for _, m, _ in results)
        extra = ""
        if name == "python":
            inner[name] = statistics.median(o["seconds_call"] for o in outs)
            extra = f"; the call alone {inner[name]:.3f} s"
        elif name == "cli":
            inner[name] = statistics.median(o["seconds"]["prdc"] for o in outs)
            extra = f"; PRDC alone {inner[name]:.3f} s"
        else:
            inner[name] = statistics.median(o["wall_s"] for o in outs)
            extra = f"; prdc() alone {inner[name]:.3f} s"
        print(f"{name:10s} wall {wall:6.2f} s (median of {a.repeat}{extra}), peak RSS "
              f"{peak:7.1f} MiB, values {values[name]}")
        runs[name] = wall
    print(f"PRDC computation, python call / cli: {inner['python'] / inner['cli']:.3f} "
          f"(target within 10%)")
    print(f"whole process, python / cli: {runs['python'] / runs['cli']:.2f}")
    print(f"PRDC computation, reference / python call: "
          f"{inner['reference'] / inner['python']:.1f}x (target >= 10x)")
    print(f"whole process, reference / python: {runs['reference'] / runs['python']:.1f}x")
    if len(set(values.values())) != 1:
        print("VALUES DIFFER:", values)


def parse(stdout):
    """The JSON a run printed: the whole output (the CLI's, indented) or its last line."""
    text = stdout.decode().strip()
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return json.loads(text.splitlines()[-1])


if __name__ == "__main__":
    main()
