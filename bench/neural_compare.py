#!/usr/bin/python3
"""Side-by-side benchmark of madlab's neural families against PyTorch from Python.

--family flow (the default): the same RealNVP flow (8 couplings, width 64, depth 2), data (the
rosenbrock banana, n = 2000), batch (256), optimiser (Adam, lr 0.002) and loop (fully synthetic)
in madlab (`model.family = "flow"`) and in bench/neural/flow_reference.py.
--family vae: the same variational autoencoder (MLP 784-256-256-16, Bernoulli likelihood on the
pixels), data (the MNIST test images of ../shared/data/images/mnist, n = 2000 a generation),
batch (128), optimiser (Adam, lr 0.001) and loop (fully synthetic, a sample being the decoder's
pixel probabilities) in madlab (`model.family = "vae"`) and in bench/neural/vae_reference.py.
Both references run on Debian's python3-torch (the same LibTorch 1.13 underneath), and every run
on one intra-op thread. Two figures:

1. time per training step, one thread each: the wall time of a run with 2S steps minus that of
   a run with S steps, over S (process start-up, imports, data and metrics cancel out);
2. a study of 4 chains (seeds) x (G + 1) generations: madlab's one process on all cores
   (--threads 2 on the 2-core machine) against 4 sequential Python runs of one chain each.

Runs alternate (A B A B ...); medians of --repeat runs; peak resident memory from os.wait4.
The madlab binary: $MADLAB_BINARY if set, else build/madlab of this repository.
Usage: /usr/bin/python3 bench/neural_compare.py [--family flow|vae] [--repeat 3] [--steps 320]
       [--generations 3]
"""
import argparse
import os
import statistics
import subprocess
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MADLAB = os.environ.get("MADLAB_BINARY") or os.path.join(REPO, "build", "madlab")
MNIST = os.path.normpath(
    os.path.join(REPO, "..", "shared", "data", "images", "mnist", "t10k-images-idx3-ubyte.gz"))

FLOW_STUDY = """
[study]
name = "flow-bench"
seeds = {seeds}
generations = {generations}
[source]
kind = "rosenbrock"
[model]
family = "flow"
coupling_layers = 8
width = 64
depth = 2
steps = {steps}
batch_size = 256
learning_rate = 0.002
[schedule]
preset = "fully-synthetic"
n = 2000
[metrics]
list = ["nll"]
n_eval = 1000
"""

# metrics: "nll" records the held-out neg_elbo (and recon_mse) of n_eval test images, which the
# reference computes too; "pixels" spares the PCA feature space that images get by default.
VAE_STUDY = """
[study]
name = "vae-bench"
seeds = {seeds}
generations = {generations}
[source]
kind = "idx"
path = "{data}"
[model]
family = "vae"
likelihood = "bernoulli"
architecture = "mlp"
latent_dim = 16
width = 256
depth = 2
steps = {steps}
batch_size = 128
learning_rate = 0.001
[schedule]
preset = "fully-synthetic"
n = 2000
[metrics]
list = ["nll"]
features = "pixels"
n_eval = 200
"""

# family: (madlab study, reference script, the reference's options besides the loop's)
FAMILIES = {
    "flow": (FLOW_STUDY, os.path.join(REPO, "bench", "neural", "flow_reference.py"), []),
    "vae": (VAE_STUDY, os.path.join(REPO, "bench", "neural", "vae_reference.py"),
            ["--data", MNIST, "--n-test", "200"]),
}


def timed(cmd):
    """Wall seconds and peak RSS (MiB) of one child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}")
    return wall, usage.ru_maxrss / 1024.0


def madlab_cmd(family, tmp, seeds, generations, steps, threads):
    path = os.path.join(tmp, f"{family}-{seeds}-{generations}-{steps}.toml")
    with open(path, "w") as f:
        f.write(FAMILIES[family][0].format(seeds=seeds, generations=generations, steps=steps,
                                           data=MNIST))
    return [MADLAB, "run", path, "-q", "--no-report", "--threads", str(threads), "--out",
            os.path.join(tmp, f"out-{seeds}-{generations}-{steps}-{time.monotonic_ns()}")]


def python_cmd(family, generations, steps, seed=0):
    _, reference, options = FAMILIES[family]
    return ["/usr/bin/python3", reference, "--generations", str(generations), "--steps",
            str(steps), "--seed", str(seed)] + options


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--family", choices=sorted(FAMILIES), default="flow")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--steps", type=int, default=320)
    p.add_argument("--generations", type=int, default=3)
    a = p.parse_args()
    if not os.access(MADLAB, os.X_OK):
        raise SystemExit(f"no madlab binary at {MADLAB}; build it or set MADLAB_BINARY")
    family = a.family
    s = a.steps
    with tempfile.TemporaryDirectory() as tmp:
        runs = {"madlab S": [], "madlab 2S": [], "python S": [], "python 2S": []}
        for _ in range(a.repeat):
            runs["madlab S"].append(timed(madlab_cmd(family, tmp, 1, 0, s, 1)))
            runs["python S"].append(timed(python_cmd(family, 0, s)))
            runs["madlab 2S"].append(timed(madlab_cmd(family, tmp, 1, 0, 2 * s, 1)))
            runs["python 2S"].append(timed(python_cmd(family, 0, 2 * s)))
        med = {k: statistics.median(w for w, _ in v) for k, v in runs.items()}
        mem = {k: max(m for _, m in v) for k, v in runs.items()}
        step_madlab = (med["madlab 2S"] - med["madlab S"]) / s
        step_python = (med["python 2S"] - med["python S"]) / s
        print(f"1. time per training step (one thread; S = {s}, median of {a.repeat}):")
        print(f"   madlab {1e3 * step_madlab:.2f} ms, python {1e3 * step_python:.2f} ms, "
              f"ratio python / madlab {step_python / step_madlab:.2f} (target >= 1)")
        print(f"   peak RSS: madlab {mem['madlab 2S']:.0f} MiB, python {mem['python 2S']:.0f} MiB")
        g = a.generations
        study, seq = [], []
        for _ in range(a.repeat):
            study.append(timed(madlab_cmd(family, tmp, 4, g, s, 2)))
            total, peak = 0.0, 0.0
            for seed in range(4):
                w, m = timed(python_cmd(family, g, s, seed))
                total += w
                peak = max(peak, m)
            seq.append((total, peak))
        m_study = statistics.median(w for w, _ in study)
        m_seq = statistics.median(w for w, _ in seq)
        print(f"2. 4 chains x {g + 1} generations ({s} steps each), median of {a.repeat}:")
        print(f"   madlab --threads 2 {m_study:.1f} s, 4 sequential python runs {m_seq:.1f} s, "
              f"ratio {m_seq / m_study:.2f} (target >= 1.8)")
        print(f"   peak RSS: madlab {max(m for _, m in study):.0f} MiB, "
              f"python {max(m for _, m in seq):.0f} MiB (one run)")


if __name__ == "__main__":
    main()
