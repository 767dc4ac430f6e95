"""python/examples at reduced size (--small): they run, and show the effects their docstrings
and docs/python.md report."""

import importlib.util
import os

import pytest

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples")


def load(name):
    spec = importlib.util.spec_from_file_location(name, os.path.join(EXAMPLES, name + ".py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_sklearn_gmm(tmp_path, monkeypatch):
    pytest.importorskip("sklearn")
    monkeypatch.setenv("MADLAB_EXAMPLE_OUT", str(tmp_path / "gmm"))
    table = load("sklearn_gmm").main(small=True)
    assert os.path.exists(tmp_path / "gmm" / "report.html")
    synthetic, fresh = table.loc["fully-synthetic"], table.loc["fresh-data"]
    # Retrained on its own samples the mixture loses modes: coverage falls from generation 0;
    # 500 fresh real points a generation keep it higher.
    assert synthetic.loc[3, "coverage"] < synthetic.loc[0, "coverage"]
    assert fresh.loc[3, "coverage"] > synthetic.loc[3, "coverage"]
    # The grid's true entropy is ln 25 + 1 + ln(2 pi 0.05^2) = 0.05 nats; a 25-component fit of
    # 2000 points at generation 0 scores real held-out points near it.
    assert -0.5 < synthetic.loc[0, "nll"] < 1.0


def test_torch_vae(tmp_path, monkeypatch, shared_dir):
    pytest.importorskip("torch")
    if not os.path.exists(f"{shared_dir}/data/images/mnist/t10k-images-idx3-ubyte.gz"):
        pytest.skip("the MNIST test set is not in ../shared")
    monkeypatch.setenv("MADLAB_EXAMPLE_OUT", str(tmp_path / "vae"))
    table = load("torch_vae").main(small=True)
    synthetic = table.loc["fully-synthetic"]
    assert synthetic.loc[2, "frechet"] > synthetic.loc[0, "frechet"]
    # The VAE's own held-out score, a negative ELBO in nats per image (784 Bernoulli pixels).
    assert 80 < synthetic.loc[0, "neg_elbo"] < 400
