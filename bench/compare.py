#!/usr/bin/python3
"""Side-by-side benchmark: madlab against the Python reference scripts.

For every comparison, runs the reference script (shared/bench/reference/*.py, numpy / scipy /
scikit-learn) and `madlab run CONFIG --out TMPDIR --quiet` on the same settings, alternately
(A B A B ...), and reports per comparison:

- the median wall time of each (whole process: interpreter start and imports included for the
  reference, config parsing and writing records.csv included for madlab), the ratio
  reference / madlab and whether the issue's target is met;
- the peak resident memory (ru_maxrss of that child process alone, from os.wait4);
- the results side by side: the statistic the reference prints, and the same statistic computed
  from madlab's records.csv, with madlab's across-seed standard error. The two implementations
  draw different random numbers, so only the distributions can agree: a difference beyond
  3 standard errors of the difference is flagged.

madlab uses all cores by default (--madlab-threads N to pin it); the reference scripts are one
Python process, with numpy's BLAS free to use its own threads. Run with /usr/bin/python3 (stdlib
only). Usage:

    /usr/bin/python3 bench/compare.py [--repeat 3] [--only gaussian] [--json out.json]
"""
import argparse
import csv
import json
import math
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIGS = os.path.join(REPO, "bench", "configs")

# name -> what to run and how to read it. "args" are the reference script's arguments, written
# out in full (its defaults, or the settings) so that a change of a script default cannot
# silently change the comparison; "expect" is what the madlab config must say for the same run.
COMPARISONS = {
    "gaussian": dict(
        title="Gaussian MLE refit loop (d = 10, n = 100, generations 0..100, 100 seeds, replace)",
        script="gaussian_loop.py",
        args=["--dim", "10", "--n", "100", "--generations", "100", "--seeds", "100",
              "--policy", "replace"],
        config="gaussian_loop.toml",
        expect={"study.seeds": 100, "study.generations": 100, "source.dim": 10,
                "schedule.n": 100, "schedule.preset": "fully-synthetic",
                "model.family": "gaussian"},
        target=50.0,
        dim=10,
    ),
    "gmm": dict(
        title="GMM refit loop on grid25 (25 components, n = 2000, generations 0..20, 3 seeds, "
              "fully synthetic; Frechet + PRDC on 2000 vs 2000 every generation)",
        script="gmm_loop.py",
        args=["--n", "2000", "--n-eval", "2000", "--generations", "20", "--seeds", "3",
              "--policy", "fully-synthetic"],
        config="gmm_loop.toml",
        notes=["3 seeds: the standard error is itself a rough estimate."],
        expect={"study.seeds": 3, "study.generations": 20, "schedule.n": 2000,
                "metrics.n_eval": 2000, "schedule.preset": "fully-synthetic",
                "model.family": "gmm", "model.components": 25},
        target=20.0,
    ),
    "kde": dict(
        title="KDE refit loop on grid25 (bandwidth 0.1, n = 1000, generations 0..50, 5 seeds, "
              "replace; held-out NLL of 1000 real points)",
        script="kde_loop.py",
        args=["--n", "1000", "--n-eval", "1000", "--bandwidth", "0.1", "--generations", "50",
              "--seeds", "5"],
        config="kde_loop.toml",
        notes=["the reference's NLL is slightly low: sklearn's KernelDensity.score_samples "
               "(k-d tree, atol = rtol = 0) floors the log-density of test points far (> ~1 at "
               "h = 0.1) from every training point near -34 nats, while brute force and madlab "
               "agree to 1e-12; over 100 seeds this lowers the final NLL by 0.18 nats on "
               "average (up to 0.7 in one seed). madlab's value is the exact one.",
               "the final NLL is heavy-tailed over seeds (lost modes); 5 seeds give a rough "
               "standard error."],
        expect={"study.seeds": 5, "study.generations": 50, "schedule.n": 1000,
                "metrics.n_test": 1000, "schedule.preset": "fully-synthetic",
                "model.family": "kde", "model.bandwidth": 0.1},
        target=20.0,
    ),
    "gmm-fresh": dict(
        title="GMM refit loop on grid25, fresh-data policy, reduced (n = 2000 synthetic + 2000 "
              "fresh real, generations 0..10, 3 seeds)",
        script="gmm_loop.py",
        args=["--n", "2000", "--n-eval", "2000", "--generations", "10", "--seeds", "3",
              "--policy", "fresh-data"],
        config="gmm_fresh_loop.toml",
        expect={"study.seeds": 3, "study.generations": 10, "schedule.n": 2000,
                "metrics.n_eval": 2000, "schedule.preset": "fresh-data",
                "model.family": "gmm", "model.components": 25},
        target=20.0,
    ),
}

# The metric name madlab's held-out NLL metric writes (first one present is used).
NLL_NAMES = ["nll", "heldout_nll", "test_nll", "nll_test", "mean_nll"]


# ---------------------------------------------------------------------------------------------
# running and measuring


GNU_TIME = "/usr/bin/time"


def gnu_time_works():
    """Whether GNU time (-f %M -o FILE) is there to measure a child's peak RSS."""
    if not os.access(GNU_TIME, os.X_OK):
        return False
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as f:
        r = subprocess.run([GNU_TIME, "-f", "%M", "-o", f.name, "--", "/bin/true"],
                           capture_output=True)
        try:
            return r.returncode == 0 and int(f.read().strip().splitlines()[-1]) > 0
        except (ValueError, IndexError):
            return False


def run_measured(cmd, cwd, log_prefix, rss_method, timeout=None):
    """Runs cmd; returns dict(wall_s, cpu_s, maxrss_kib, maxrss_wait4_kib, returncode, stdout,
    stderr).

    Peak RSS: os.wait4 gives ru_maxrss of this child alone (not RUSAGE_CHILDREN, the maximum
    over every child so far), but Linux carries the high-water mark of the memory image a
    process replaces at exec into its ru_maxrss: a child forked from this Python process starts
    at this process's own peak (tens of MiB), which would hide a small program's real peak.
    With rss_method "time" the command runs under GNU time, which forks it from a ~1 MiB
    process and reports that grandchild's ru_maxrss (from its own wait4); the direct wait4
    figure is kept as maxrss_wait4_kib. stdout / stderr go to files, so no pipe fills up."""
    out_path, err_path = log_prefix + ".stdout", log_prefix + ".stderr"
    rss_path = log_prefix + ".maxrss"
    full = [GNU_TIME, "-f", "%M", "-o", rss_path, "--"] + cmd if rss_method == "time" else cmd
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(full, cwd=cwd, stdout=out, stderr=err)
        # A blocking wait4 (no polling, which would add its interval to short runs); a timer
        # kills the child if it runs past the limit.
        timed_out = threading.Event()

        def kill():
            timed_out.set()
            proc.kill()

        timer = threading.Timer(timeout, kill) if timeout else None
        if timer:
            timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            if timer:
                timer.cancel()
        wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)  # Popen must not wait for it again
    if timed_out.is_set():
        raise RuntimeError(f"timed out after {timeout} s: {' '.join(cmd)}")
    with open(out_path, encoding="utf-8", errors="replace") as f:
        stdout = f.read()
    with open(err_path, encoding="utf-8", errors="replace") as f:
        stderr = f.read()
    maxrss = usage.ru_maxrss
    if rss_method == "time":
        try:
            with open(rss_path, encoding="utf-8") as f:
                maxrss = int(f.read().strip().splitlines()[-1])
        except (OSError, ValueError, IndexError):
            sys.exit(f"compare.py: GNU time wrote no peak RSS for {' '.join(cmd)}")
    return dict(wall_s=wall, maxrss_kib=maxrss, maxrss_wait4_kib=usage.ru_maxrss,
                returncode=proc.returncode, stdout=stdout, stderr=stderr,
                cpu_s=usage.ru_utime + usage.ru_stime)


def check_ok(run, cmd):
    if run["returncode"] != 0:
        sys.exit(f"compare.py: command failed (exit {run['returncode']}): {' '.join(cmd)}\n"
                 f"--- stderr (tail) ---\n{run['stderr'][-3000:]}\n"
                 f"--- stdout (tail) ---\n{run['stdout'][-2000:]}")


def parse_reference_json(stdout, cmd):
    for line in reversed(stdout.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            return json.loads(line)
    sys.exit(f"compare.py: no JSON line in the output of {' '.join(cmd)}:\n{stdout[-2000:]}")


# ---------------------------------------------------------------------------------------------
# madlab records -> the reference's statistics


def read_records(path):
    """records.csv -> {metric: {seed: value}} at the last generation of the (single) setting,
    plus the last generation index and the setting names."""
    rows = []
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        expected = ["setting", "seed", "generation", "metric", "value"]
        if reader.fieldnames != expected:
            sys.exit(f"compare.py: {path}: header {reader.fieldnames}, expected {expected}")
        for r in reader:
            rows.append((r["setting"], int(r["seed"]), int(r["generation"]), r["metric"],
                         float(r["value"])))
    if not rows:
        sys.exit(f"compare.py: {path} has no records")
    settings = sorted({r[0] for r in rows})
    last = max(r[2] for r in rows)
    by_metric = {}
    for setting, seed, gen, metric, value in rows:
        if gen == last:
            by_metric.setdefault(metric, {})[(setting, seed)] = value
    return by_metric, last, settings, len(rows)


def mean_se(values):
    n = len(values)
    m = statistics.fmean(values)
    se = statistics.stdev(values) / math.sqrt(n) if n > 1 else float("nan")
    return m, se


def median_se(values, resamples=2000):
    """Median and its bootstrap standard error (fixed seed: reproducible)."""
    rng = random.Random(12345)
    n = len(values)
    med = statistics.median(values)
    if n < 2:
        return med, float("nan")
    boots = [statistics.median(rng.choices(values, k=n)) for _ in range(resamples)]
    return med, statistics.stdev(boots)


def need(by_metric, names, records_path):
    for name in names:
        if name in by_metric:
            return name, by_metric[name]
    sys.exit(f"compare.py: {records_path} has none of the metrics {names} at the last "
             f"generation; it has: {sorted(by_metric)}")


def madlab_statistics(name, records_path, dim=None):
    """The reference's reported statistics computed from madlab's records.csv. Returns
    {key: dict(value, se, kind, n)}: key is the reference's JSON name (dotted for nested)."""
    by_metric, last, settings, count = read_records(records_path)
    out = {}
    if name == "gaussian":
        _, logdet = need(by_metric, ["cov_logdet_ratio"], records_path)
        _, sq = need(by_metric, ["mean_sq_err"], records_path)
        # Source is N(0, I): log det I = 0, so cov_logdet_ratio = log det Sigma_t and
        # det(Sigma_t)^(1/d) = exp(cov_logdet_ratio / d); mean_sq_err = |mu_t - 0|^2.
        vols = [math.exp(v / dim) for v in logdet.values()]
        med, se = median_se(vols)
        out["median_volume"] = dict(value=med, se=se, kind="median over seeds", n=len(vols))
        m, se = mean_se(list(sq.values()))
        out["mean_sq_error_of_mean"] = dict(value=m, se=se, kind="mean over seeds", n=len(sq))
        out["_per_seed"] = dict(volume=vols, mean_sq_err=list(sq.values()))
    elif name in ("gmm", "gmm-fresh"):
        per_seed = {}
        for metric in ["precision", "recall", "density", "coverage", "frechet"]:
            _, values = need(by_metric, [metric], records_path)
            vals = list(values.values())
            m, se = mean_se(vals)
            out[f"last_generation.{metric}"] = dict(value=m, se=se, kind="mean over seeds",
                                                    n=len(vals))
            per_seed[metric] = vals
        out["_per_seed"] = per_seed
    elif name == "kde":
        metric, values = need(by_metric, NLL_NAMES, records_path)
        vals = list(values.values())
        m, se = mean_se(vals)
        out["mean_heldout_nll_last"] = dict(value=m, se=se, kind=f"mean over seeds of {metric}",
                                            n=len(vals))
        out["_per_seed"] = {metric: vals}
    else:
        raise KeyError(name)
    out["_meta"] = dict(last_generation=last, settings=settings, records=count)
    return out


def reference_value(ref_json, key):
    value = ref_json
    for part in key.split("."):
        value = value[part]
    return float(value)


def compare_values(ref, mad, se, n_mad, n_ref, sigmas):
    """Difference in units of its standard error. Both sides are statistics over seeds; the
    reference prints no per-seed values, so its spread is taken to be madlab's:
    SE(diff) = se_madlab * sqrt(1 + n_madlab / n_reference)."""
    diff = mad - ref
    if se is None or not math.isfinite(se):
        return dict(diff=diff, se_diff=None, z=None, agree=None)
    se_diff = se * math.sqrt(1.0 + n_mad / max(n_ref, 1))
    tiny = 1e-12 * max(abs(ref), abs(mad), 1e-300)
    if se_diff <= tiny:
        agree = abs(diff) <= tiny
        z = 0.0 if agree else math.inf
    else:
        z = abs(diff) / se_diff
        agree = z <= sigmas
    return dict(diff=diff, se_diff=se_diff, z=z, agree=agree)


# ---------------------------------------------------------------------------------------------
# the madlab config (checked against the reference's arguments)


def check_config(path, expect):
    """Checks the madlab config's key settings against the reference run; returns a list of
    mismatch messages (empty if all agree, or if tomllib is unavailable)."""
    try:
        import tomllib
    except ImportError:  # Python < 3.11: skip the check
        return []
    with open(path, "rb") as f:
        cfg = tomllib.load(f)
    problems = []
    for key, want in expect.items():
        node = cfg
        for part in key.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        if node != want:
            problems.append(f"{os.path.basename(path)}: {key} = {node!r}, the reference run "
                            f"uses {want!r}")
    return problems


# ---------------------------------------------------------------------------------------------
# environment


def environment(python, madlab, reference_dir):
    env = dict(
        date=time.strftime("%Y-%m-%d %H:%M:%S %z"),
        host=platform.node(),
        platform=platform.platform(),
        cpus=os.cpu_count(),
        cpus_usable=len(os.sched_getaffinity(0)),
        python=python,
        madlab=madlab,
        reference_dir=reference_dir,
        thread_env={k: os.environ[k] for k in sorted(os.environ)
                    if k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                             "BLIS_NUM_THREADS")},
    )
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    env["cpu"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    probe = ("import json, numpy, scipy, sklearn\n"
             "info = dict(numpy=numpy.__version__, scipy=scipy.__version__, "
             "sklearn=sklearn.__version__)\n"
             "try:\n"
             "    import threadpoolctl\n"
             "    info['blas'] = [dict(api=p.get('internal_api'), lib=p.get('filepath'), "
             "threads=p.get('num_threads')) for p in threadpoolctl.threadpool_info()]\n"
             "except Exception as e:\n"
             "    info['blas'] = repr(e)\n"
             "print(json.dumps(info))\n")
    try:
        r = subprocess.run([python, "-c", probe], capture_output=True, text=True, timeout=120)
        env["reference_packages"] = json.loads(r.stdout.strip().splitlines()[-1])
    except Exception as e:  # noqa: BLE001 - informational only
        env["reference_packages"] = f"unavailable: {e!r}"
    try:
        r = subprocess.run([madlab, "--version"], capture_output=True, text=True, timeout=30)
        env["madlab_version"] = r.stdout.strip() or r.stderr.strip()
    except Exception as e:  # noqa: BLE001
        env["madlab_version"] = f"unavailable: {e!r}"
    return env


# ---------------------------------------------------------------------------------------------
# report


def finite_or_none(obj):
    """Copies obj with NaN / infinity replaced by None (strict JSON has neither)."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: finite_or_none(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [finite_or_none(v) for v in obj]
    return obj


def fmt_num(x, width=12):
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-".rjust(width)
    if isinstance(x, float) and math.isinf(x):
        return "inf".rjust(width)
    if x == 0:
        return "0".rjust(width)
    if abs(x) >= 1e5 or abs(x) < 1e-3:
        return f"{x:.4e}".rjust(width)
    return f"{x:.6g}".rjust(width)


def print_comparison(res, sigmas):
    print()
    print(f"== {res['name']}: {res['title']}")
    print(f"   reference: {' '.join(res['reference']['cmd'])}")
    print(f"   madlab:    {' '.join(res['madlab']['cmd'])}")
    for p in res["config_problems"]:
        print(f"   WARNING: {p}")
    ref, mad = res["reference"], res["madlab"]
    print(f"   {'':26}{'reference':>12}{'madlab':>12}")
    print(f"   {'wall median (s)':26}{fmt_num(ref['wall_median_s'])}{fmt_num(mad['wall_median_s'])}"
          f"    ratio {res['speedup']:.1f}x  (target >= {res['target']:g}x: "
          f"{'met' if res['target_met'] else 'MISSED'})")
    print(f"   {'wall runs (s)':26}{', '.join(f'{w:.3f}' for w in ref['wall_s'])}  |  "
          f"{', '.join(f'{w:.3f}' for w in mad['wall_s'])}")
    print(f"   {'reference self-timed (s)':26}{fmt_num(ref['self_timed_median_s'])}"
          f"{'':12}    (its wall_s: after imports; ratio on it "
          f"{ref['self_timed_median_s'] / mad['wall_median_s']:.1f}x)")
    print(f"   {'CPU time median (s)':26}{fmt_num(ref['cpu_median_s'])}{fmt_num(mad['cpu_median_s'])}"
          f"    ratio {ref['cpu_median_s'] / max(mad['cpu_median_s'], 1e-9):.1f}x")
    print(f"   {'peak RSS (MiB)':26}{fmt_num(ref['maxrss_max_mib'])}{fmt_num(mad['maxrss_max_mib'])}"
          f"    ratio {ref['maxrss_max_mib'] / max(mad['maxrss_max_mib'], 1e-9):.1f}x")
    print(f"   {'load average (1 min)':26}{res['load_average_before'][0]:12.2f} before, "
          f"{res['load_average_after'][0]:.2f} after (other work on the machine skews timings)")
    print(f"   results at the last generation (madlab generation {res['madlab_last_generation']}; "
          f"flag: |diff| > {sigmas:g} SE of the difference):")
    print(f"   {'statistic':34}{'reference':>12}{'madlab':>12}{'madlab SE':>12}{'|diff|/SE':>11}"
          "  verdict")
    for row in res["results"]:
        z = row["z"]
        verdict = ("agree" if row["agree"] else "DISAGREE") if row["agree"] is not None else "n/a"
        print(f"   {row['statistic']:34}{fmt_num(row['reference'])}{fmt_num(row['madlab'])}"
              f"{fmt_num(row['madlab_se'])}{fmt_num(z, 11)}  {verdict}")
    for note in res["notes"]:
        print(f"   note: {note}")
    if not res["madlab"]["deterministic"]:
        print("   WARNING: madlab's results differ between repetitions (expected identical)")
    if not res["reference"]["deterministic"]:
        print("   WARNING: the reference's results differ between repetitions")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=3, help="runs of each side (default 3)")
    ap.add_argument("--only", action="append", choices=sorted(COMPARISONS),
                    help="run only this comparison (repeatable)")
    ap.add_argument("--madlab", default=os.path.join(REPO, "build", "madlab"),
                    help="madlab binary (default: build/madlab in the repo)")
    ap.add_argument("--reference", default=os.path.join(REPO, "..", "shared", "bench", "reference"),
                    help="folder of the reference scripts (default: ../shared/bench/reference)")
    ap.add_argument("--python", default="/usr/bin/python3",
                    help="interpreter for the reference scripts (default /usr/bin/python3)")
    ap.add_argument("--madlab-threads", type=int, default=None,
                    help="pass --threads N to madlab (default: madlab's default, all cores)")
    ap.add_argument("--with-db", action="store_true",
                    help="let madlab commit every generation to its SQLite database (the default "
                         "run mode); without it madlab runs with --no-db, like the reference, "
                         "which writes no database either")
    ap.add_argument("--sigmas", type=float, default=3.0,
                    help="flag a disagreement beyond this many standard errors (default 3)")
    ap.add_argument("--rss", choices=["auto", "time", "wait4"], default="auto",
                    help="peak RSS from GNU time (/usr/bin/time, exact) or from os.wait4 on the "
                         "direct child (includes this script's own peak, see run_measured); "
                         "auto: time if installed (default)")
    ap.add_argument("--timeout", type=float, default=3600.0, help="per-run limit in seconds")
    ap.add_argument("--json", metavar="PATH", help="write every measurement to this JSON file")
    ap.add_argument("--keep", action="store_true", help="keep the temporary output folders")
    args = ap.parse_args()

    madlab = os.path.abspath(args.madlab)
    reference_dir = os.path.abspath(args.reference)
    if not os.access(madlab, os.X_OK):
        sys.exit(f"compare.py: no madlab binary at {madlab}; build it (scripts/build.sh) or pass "
                 "--madlab PATH")
    if not os.path.isdir(reference_dir):
        sys.exit(f"compare.py: no reference folder at {reference_dir}; pass --reference DIR")
    if args.repeat < 1:
        sys.exit("compare.py: --repeat must be >= 1")
    names = args.only or list(COMPARISONS)
    rss_method = args.rss
    if rss_method == "auto":
        rss_method = "time" if gnu_time_works() else "wait4"
    elif rss_method == "time" and not gnu_time_works():
        sys.exit(f"compare.py: --rss time needs GNU time at {GNU_TIME} (apt-get install time)")
    work = tempfile.mkdtemp(prefix="madlab-bench-")

    env = environment(args.python, madlab, reference_dir)
    blas = env.get("reference_packages", {})
    blas_desc = ""
    if isinstance(blas, dict) and isinstance(blas.get("blas"), list):
        blas_desc = "; ".join(f"{b['api']} ({b['threads']} threads)" for b in blas["blas"])
    print(f"madlab vs the Python reference, {env['date']}")
    print(f"machine: {env.get('cpu', '?')}, {env['cpus_usable']} usable cores, {env['platform']}")
    print(f"madlab: {madlab} ({env.get('madlab_version')}), threads: "
          f"{args.madlab_threads if args.madlab_threads is not None else 'default (all cores)'}")
    print(f"reference: {args.python}, single Python process; numpy BLAS: {blas_desc or '?'} "
          f"(BLAS may use several threads); packages: "
          f"{ {k: v for k, v in blas.items() if k != 'blas'} if isinstance(blas, dict) else blas}")
    print(f"order: reference, madlab, reference, madlab, ... ({args.repeat} runs each); "
          "wall = whole process")
    if rss_method == "time":
        print(f"peak RSS: ru_maxrss of each command, measured by {GNU_TIME} -f %M")
    else:
        floor = run_measured(["/bin/true"], REPO, os.path.join(work, "floor"),
                             "wait4")["maxrss_kib"]
        print(f"peak RSS: os.wait4 ru_maxrss; CAUTION: a child inherits this script's peak at "
              f"exec, so figures near {floor / 1024:.1f} MiB (/bin/true's) are upper bounds")

    all_results = []
    try:
        for name in names:
            spec = COMPARISONS[name]
            config = os.path.join(CONFIGS, spec["config"])
            script = os.path.join(reference_dir, spec["script"])
            if not os.path.isfile(script):
                sys.exit(f"compare.py: missing reference script {script}")
            ref_cmd = [args.python, script] + spec["args"]
            ref_runs, mad_runs = [], []
            load_before = os.getloadavg()
            mad_cmd_shown = None
            for rep in range(args.repeat):
                print(f"   [{name}] run {rep + 1}/{args.repeat}: reference ...", end="", flush=True)
                r = run_measured(ref_cmd, reference_dir, os.path.join(work, f"{name}-ref-{rep}"),
                                 rss_method, timeout=args.timeout)
                check_ok(r, ref_cmd)
                r["json"] = parse_reference_json(r["stdout"], ref_cmd)
                ref_runs.append(r)
                print(f" {r['wall_s']:.2f} s; madlab ...", end="", flush=True)

                out_dir = os.path.join(work, f"{name}-madlab-{rep}")
                mad_cmd = [madlab, "run", config, "--out", out_dir, "--quiet"]
                if not args.with_db:
                    mad_cmd += ["--no-db"]
                if args.madlab_threads is not None:
                    mad_cmd += ["--threads", str(args.madlab_threads)]
                mad_cmd_shown = [madlab, "run", config, "--out", "TMPDIR", "--quiet"] + \
                    mad_cmd[6:]
                m = run_measured(mad_cmd, REPO, os.path.join(work, f"{name}-madlab-{rep}"),
                                 rss_method, timeout=args.timeout)
                check_ok(m, mad_cmd)
                m["stats"] = madlab_statistics(name, os.path.join(out_dir, "records.csv"),
                                               dim=spec.get("dim"))
                mad_runs.append(m)
                print(f" {m['wall_s']:.2f} s", flush=True)
                if not args.keep:
                    shutil.rmtree(out_dir, ignore_errors=True)

            ref_json = ref_runs[-1]["json"]
            stats = mad_runs[-1]["stats"]
            n_ref = int(dict(zip(spec["args"][::2], spec["args"][1::2]))["--seeds"])
            rows = []
            for key, s in stats.items():
                if key.startswith("_"):
                    continue
                ref_v = reference_value(ref_json, key)
                cmp_ = compare_values(ref_v, s["value"], s["se"], s["n"], n_ref, args.sigmas)
                rows.append(dict(statistic=key, reference=ref_v, madlab=s["value"],
                                 madlab_se=s["se"], madlab_kind=s["kind"], seeds_madlab=s["n"],
                                 seeds_reference=n_ref, **cmp_))

            def summary(runs):
                walls = [x["wall_s"] for x in runs]
                return dict(wall_s=walls, wall_median_s=statistics.median(walls),
                            cpu_s=[x["cpu_s"] for x in runs],
                            cpu_median_s=statistics.median(x["cpu_s"] for x in runs),
                            maxrss_mib=[x["maxrss_kib"] / 1024 for x in runs],
                            maxrss_wait4_mib=[x["maxrss_wait4_kib"] / 1024 for x in runs],
                            maxrss_max_mib=max(x["maxrss_kib"] for x in runs) / 1024)

            ref_sum = summary(ref_runs)
            ref_sum.update(
                cmd=ref_cmd, output=ref_json,
                self_timed_s=[x["json"].get("wall_s") for x in ref_runs],
                self_timed_median_s=statistics.median(x["json"]["wall_s"] for x in ref_runs),
                deterministic=all(
                    {k: v for k, v in x["json"].items() if k != "wall_s"} ==
                    {k: v for k, v in ref_json.items() if k != "wall_s"} for x in ref_runs))
            mad_sum = summary(mad_runs)
            mad_sum.update(
                cmd=mad_cmd_shown, config=os.path.relpath(config, REPO),
                per_seed_last_generation=stats["_per_seed"],
                deterministic=all(x["stats"] == stats for x in mad_runs),
                stdout_last=mad_runs[-1]["stdout"].strip()[-500:])
            speedup = ref_sum["wall_median_s"] / mad_sum["wall_median_s"]
            res = dict(name=name, title=spec["title"], target=spec["target"],
                       speedup=speedup, target_met=speedup >= spec["target"],
                       speedup_self_timed=ref_sum["self_timed_median_s"] / mad_sum["wall_median_s"],
                       madlab_last_generation=stats["_meta"]["last_generation"],
                       config_problems=check_config(config, spec["expect"]),
                       notes=spec.get("notes", []), load_average_before=load_before,
                       load_average_after=os.getloadavg(),
                       reference=ref_sum, madlab=mad_sum, results=rows)
            all_results.append(res)
            print_comparison(res, args.sigmas)
    finally:
        if args.keep:
            print(f"\nkept outputs and logs in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)

    print()
    print(f"{'comparison':12}{'ref (s)':>10}{'madlab (s)':>12}{'ratio':>9}{'target':>8}"
          f"{'ref MiB':>10}{'madlab MiB':>12}  results")
    for res in all_results:
        bad = [r["statistic"] for r in res["results"] if r["agree"] is False]
        print(f"{res['name']:12}{res['reference']['wall_median_s']:10.2f}"
              f"{res['madlab']['wall_median_s']:12.3f}{res['speedup']:8.1f}x"
              f"{res['target']:7.0f}x{res['reference']['maxrss_max_mib']:10.1f}"
              f"{res['madlab']['maxrss_max_mib']:12.1f}  "
              f"{'agree' if not bad else 'DISAGREE: ' + ', '.join(bad)}"
              f"{'' if res['target_met'] else '  (target MISSED)'}")
    print("note: madlab runs its chains on all cores unless --madlab-threads is given; the "
          "reference is one Python process whose numpy BLAS may use threads.")

    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(finite_or_none(dict(environment=env, repeat=args.repeat, sigmas=args.sigmas,
                                          rss_method=rss_method,
                                          madlab_threads=args.madlab_threads,
                                          comparisons=all_results)),
                      f, indent=2, allow_nan=False, default=str)
            f.write("\n")
        print(f"wrote {args.json}")
    return 0 if all(r["agree"] is not False for c in all_results for r in c["results"]) else 3


if __name__ == "__main__":
    sys.exit(main())
