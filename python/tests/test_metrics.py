"""madlab.metrics on numpy arrays: the same numbers as `madlab metrics` on the same files, no
copy of the caller's array, and clear errors."""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import madlab


def two_sets(n_real=600, n_fake=500, d=8, seed=1):
    rng = np.random.default_rng(seed)
    real = rng.standard_normal((n_real, d))
    fake = 0.8 * rng.standard_normal((n_fake, d)) + 0.3
    return real, fake


def cli_metrics(run_cli, tmp_path, real, fake, *args):
    np.save(tmp_path / "real.npy", real)
    np.save(tmp_path / "fake.npy", fake)
    out = run_cli("metrics", tmp_path / "real.npy", tmp_path / "fake.npy", "--format", "json",
                  *args)
    return json.loads(out.stdout)["metrics"]


@pytest.mark.parametrize("d", [2, 8, 40])  # k-d tree (d <= 16) and brute-force paths
def test_metrics_equal_the_cli_on_the_same_data(run_cli, tmp_path, d):
    real, fake = two_sets(d=d)
    cli = cli_metrics(run_cli, tmp_path, real, fake, "--k", "4", "--kid-subsets", "20",
                      "--kid-subset-size", "200", "--seed", "7")
    prdc = madlab.metrics.prdc(real, fake, k=4)
    for name in ("precision", "recall", "density", "coverage"):
        assert prdc[name] == cli[name], name  # the same code on the same doubles: exact
    assert madlab.metrics.frechet(real, fake) == cli["frechet"]
    kid = madlab.metrics.kid(real, fake, subsets=20, subset_size=200, seed=7)
    assert kid["kid"] == cli["kid"] and kid["kid_std"] == cli["kid_std"]
    assert kid["subset_size"] == 200


def test_metrics_do_not_depend_on_threads():
    real, fake = two_sets(d=24)
    one = madlab.metrics.prdc(real, fake, threads=1)
    assert madlab.metrics.prdc(real, fake, threads=2) == one
    assert madlab.metrics.frechet(real, fake, threads=1) == madlab.metrics.frechet(real, fake,
                                                                                   threads=2)


def test_identical_sets_score_perfectly():
    real, _ = two_sets()
    r = madlab.metrics.prdc(real, real.copy(), k=5)
    assert r["precision"] == 1.0 and r["recall"] == 1.0 and r["coverage"] == 1.0
    assert abs(madlab.metrics.frechet(real, real.copy())) < 1e-9


def test_frechet_matches_the_closed_form_computed_with_numpy():
    # FD = |mu1 - mu2|^2 + tr(S1 + S2 - 2 (S1 S2)^(1/2)); with scipy-free numpy: the symmetric
    # form tr((S1^(1/2) S2 S1^(1/2))^(1/2)) from eigendecompositions.
    real, fake = two_sets(d=5)

    def sqrtm_psd(s):
        w, v = np.linalg.eigh(s)
        return (v * np.sqrt(np.clip(w, 0, None))) @ v.T

    m1, m2 = real.mean(0), fake.mean(0)
    s1, s2 = np.cov(real, rowvar=False), np.cov(fake, rowvar=False)
    a = sqrtm_psd(s1)
    expected = ((m1 - m2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * np.trace(
        sqrtm_psd(a @ s2 @ a))
    assert madlab.metrics.frechet(real, fake) == pytest.approx(expected, rel=1e-10)


def test_arrays_are_read_where_they_lie():
    a = np.random.default_rng(0).standard_normal((100, 6))
    view = madlab._madlab._view_address
    assert view(a) == a.ctypes.data
    assert view(a[10:50]) == a[10:50].ctypes.data  # a block of rows
    assert view(a[:, :3]) == a.ctypes.data  # a block of columns: rows apart, no copy
    assert view(a[::2]) == a.ctypes.data  # every other row
    # Column slices and strided rows give the results of their packed copies.
    b = np.random.default_rng(1).standard_normal((80, 6))
    assert madlab.metrics.prdc(a[:, :3], b[::1, 1:4]) == madlab.metrics.prdc(
        np.ascontiguousarray(a[:, :3]), np.ascontiguousarray(b[:, 1:4]))
    # What cannot be viewed is converted once: Fortran order, float32, transposed.
    f = np.asfortranarray(a)
    assert view(f) != f.ctypes.data
    assert madlab.metrics.frechet(a.astype(np.float32), b) == pytest.approx(
        madlab.metrics.frechet(a.astype(np.float32).astype(np.float64), b))


def peak_rss_growth_mib(array_expr):
    """Runs KID of a 1 GiB array against a small one in a fresh interpreter and returns how much
    the peak resident memory grew during the call, in MiB."""
    code = textwrap.dedent(f"""
        import resource, sys
        sys.path[:0] = {sys.path!r}
        import numpy as np, madlab
        big = {array_expr}
        small = np.random.default_rng(0).standard_normal((50, big.shape[1]))
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        madlab.metrics.kid(big, small, subsets=2, subset_size=50)
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print((after - before) / 1024)
    """)
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return float(out.stdout)


def test_a_1_gib_array_is_not_copied():
    # 2^27 doubles = 1 GiB. KID reads only 2 subsets of 50 rows, so its own working memory is
    # tiny: a copy of the input would show as ~1024 MiB of growth, a view as almost none.
    grown = peak_rss_growth_mib("np.ones((2**21, 64))")
    assert grown < 100, f"peak memory grew by {grown:.0f} MiB: the 1 GiB input was copied"
    # The same check sees a copy when there must be one (Fortran order cannot be viewed).
    copied = peak_rss_growth_mib("np.ones((2**21, 64), order='F')")
    assert copied > 900


def test_bad_arrays_give_clear_errors():
    real, fake = two_sets()
    bad = real.copy()
    bad[3, 1] = np.nan
    with pytest.raises(madlab.DataError, match=r"real: row 3, column 1 is nan"):
        madlab.metrics.prdc(bad, fake)
    with pytest.raises(madlab.DataError, match="same dimension"):
        madlab.metrics.frechet(real, fake[:, :3])
    with pytest.raises(madlab.DataError, match="empty"):
        madlab.metrics.prdc(np.zeros((0, 3)), fake)
    with pytest.raises(madlab.DataError):
        madlab.metrics.prdc(real[:4], fake, k=5)  # k + 1 points needed
    with pytest.raises(madlab.DataError, match="3 dimensions"):
        madlab.metrics.frechet(np.zeros((2, 2, 2)), fake)
    assert issubclass(madlab.DataError, ValueError) and issubclass(madlab.DataError, madlab.Error)


def test_metrics_release_the_gil_while_they_compute():
    # A Python thread notes the time at every step of a busy loop while the main thread scores
    # two sets for a few tenths of a second. Holding the GIL, the call would stop that thread
    # for its whole duration; released, the thread keeps stepping inside the call.
    import threading
    import time

    real, fake = two_sets(n_real=8000, n_fake=8000, d=64)
    stamps, stop = [], threading.Event()

    def spin():
        while not stop.is_set():
            stamps.append(time.perf_counter())

    thread = threading.Thread(target=spin)
    thread.start()
    try:
        start = time.perf_counter()
        madlab.metrics.prdc(real, fake, threads=1)
        end = time.perf_counter()
    finally:
        stop.set()
        thread.join()
    assert end - start > 0.1, "the call was too short to tell"
    inside = [t for t in stamps if start + 0.02 < t < end - 0.02]
    assert len(inside) > 100, f"{len(inside)} steps of the other thread during the call"


def test_overlapping_and_misaligned_arrays_are_copied_not_misread():
    from numpy.lib.stride_tricks import sliding_window_view

    x = np.random.default_rng(3).standard_normal(300)
    windows = sliding_window_view(x, 5)  # rows overlap: row stride 8 bytes, 5 columns
    assert madlab._madlab._view_address(windows) != windows.ctypes.data
    assert madlab.metrics.frechet(windows, windows.copy()) == pytest.approx(0.0, abs=1e-9)
    raw = np.zeros(8 * 40 + 1, dtype=np.uint8)
    misaligned = np.frombuffer(raw.data, dtype=np.float64, count=40, offset=1).reshape(20, 2)
    assert not misaligned.flags.aligned
    assert madlab._madlab._view_address(misaligned) != misaligned.ctypes.data
    with pytest.raises(madlab.ConfigError, match="threads"):
        madlab.metrics.prdc(windows, windows, threads=100000)
