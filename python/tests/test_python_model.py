"""The python family: a Python object in the loop, in process. Calls arrive with the right
generation and provenance, records are deterministic, a Python exception names its place and
the run resumes, state()/load_state() replace the refit, and text models work too."""

import os
import pickle
import signal
import time

import numpy as np
import pytest

import madlab

CALLS = {}  # (setting, seed) -> [(method, generation or n, provenance counts)]


class NumpyGaussian:
    """A Gaussian fitted by its sample mean and covariance; bias scales the covariance."""

    fail_at = None  # generation whose fit raises (tests of errors)

    def fit(self, train, ctx):
        if ctx.generation == NumpyGaussian.fail_at:
            raise ValueError("boom")
        origins, counts = np.unique(ctx.provenance, return_counts=True)
        CALLS.setdefault((ctx.setting, ctx.seed), []).append(
            ("fit", ctx.generation, dict(zip(origins.tolist(), counts.tolist())), train.shape))
        self.mean = train.mean(axis=0)
        self.cov = np.cov(train, rowvar=False).reshape(train.shape[1], train.shape[1])

    def sample(self, n, bias, seed):
        rng = np.random.default_rng(seed)
        return rng.multivariate_normal(self.mean, bias * self.cov, size=n)

    def score(self, real):
        d = real.shape[1]
        diff = real - self.mean
        inv = np.linalg.inv(self.cov)
        _, logdet = np.linalg.slogdet(self.cov)
        quad = np.einsum("ij,jk,ik->i", diff, inv, diff)
        return float(np.mean(0.5 * (quad + logdet + d * np.log(2 * np.pi))))


class StatefulGaussian(NumpyGaussian):
    loads = 0

    def state(self):
        return pickle.dumps((self.mean, self.cov))

    def load_state(self, data):
        StatefulGaussian.loads += 1
        self.mean, self.cov = pickle.loads(data)


def study(**schedule):
    return {
        "study": {"name": "py-model", "seeds": 2, "generations": 4},
        "source": {"kind": "gaussian", "dim": 2},
        "model": {"family": "python"},
        "schedule": {"n": 40, **schedule},
        "metrics": {"list": ["frechet", "nll"], "n_eval": 60},
        "settings": [{"name": "replace"},
                     {"name": "fresh", "schedule.preset": "fresh-data",
                      "schedule.n_real_fresh": 10, "schedule.n_synthetic": 30}],
    }


def test_calls_arrive_with_their_generation_and_provenance(tmp_path):
    CALLS.clear()
    result = madlab.run(study(), out=tmp_path / "run", models=NumpyGaussian, report=False)
    for seed in (0, 1):
        replace = CALLS[("replace", seed)]
        assert [c[1] for c in replace] == [0, 1, 2, 3, 4]
        assert replace[0][2] == {-1: 40}  # generation 0: real data
        for g in range(1, 5):
            assert replace[g][2] == {g - 1: 40}  # then the previous generation's samples
            assert replace[g][3] == (40, 2)
        fresh = CALLS[("fresh", seed)]
        for g in range(1, 5):
            assert fresh[g][2] == {-1: 10, g - 1: 30}
    df = result.records
    assert set(df.metric) >= {"frechet", "nll"}
    # nll is the object's own score(); generation 0 of a 2-D standard normal fitted to 40 points:
    # near the entropy 1 + ln(2 pi) = 2.84 nats.
    nll0 = df[(df.metric == "nll") & (df.generation == 0)]["value"]
    assert ((nll0 > 2.5) & (nll0 < 3.3)).all()


def test_records_are_deterministic_and_do_not_depend_on_threads(tmp_path):
    first = madlab.run(study(), out=tmp_path / "a", models=NumpyGaussian, report=False)
    again = madlab.run(study(), out=tmp_path / "b", models=NumpyGaussian(), report=False)
    parallel = study()
    parallel["model"]["parallel"] = True
    threaded = madlab.run(parallel, out=tmp_path / "c", models={"g": NumpyGaussian}, threads=2,
                          report=False)
    with open(os.path.join(first.out_dir, "records.csv"), "rb") as f:
        expected = f.read()
    for other in (again, threaded):
        with open(os.path.join(other.out_dir, "records.csv"), "rb") as f:
            assert f.read() == expected


def test_a_python_exception_names_its_place_and_the_run_resumes(tmp_path):
    clean = madlab.run(study(), out=tmp_path / "clean", models=NumpyGaussian, report=False)
    NumpyGaussian.fail_at = 3
    try:
        with pytest.raises(madlab.Error) as raised:
            madlab.run(study(), out=tmp_path / "run", models=NumpyGaussian, threads=1)
    finally:
        NumpyGaussian.fail_at = None
    message = str(raised.value)
    assert "python model" in message and "generation 3" in message
    assert "fit() raised ValueError: boom" in message
    assert "setting 'replace', seed 0" in message
    resumed = madlab.run(resume=tmp_path / "run", models=NumpyGaussian, report=False)
    pd_equal(resumed, clean)


def test_state_replaces_the_refit_on_resume(tmp_path):
    clean = madlab.run(study(), out=tmp_path / "clean", models=StatefulGaussian, report=False)
    NumpyGaussian.fail_at = 2
    try:
        with pytest.raises(madlab.Error, match="generation 2"):
            madlab.run(study(), out=tmp_path / "run", models=StatefulGaussian)
    finally:
        NumpyGaussian.fail_at = None
    StatefulGaussian.loads = 0
    CALLS.clear()
    resumed = madlab.run(resume=tmp_path / "run", models=StatefulGaussian, report=False)
    pd_equal(resumed, clean)
    # Chain (replace, 0) had committed generations 0 and 1: its object was loaded from the
    # checkpoint's state, not refitted, and fitted from generation 2 on.
    assert StatefulGaussian.loads >= 1
    assert [c[1] for c in CALLS[("replace", 0)]] == [2, 3, 4]


def pd_equal(a, b):
    with open(os.path.join(a.out_dir, "records.csv"), "rb") as f:
        got = f.read()
    with open(os.path.join(b.out_dir, "records.csv"), "rb") as f:
        assert got == f.read()


def test_bad_models_give_clear_errors(tmp_path):
    with pytest.raises(madlab.ConfigError, match="models="):
        madlab.run(study(), out=tmp_path / "none")
    assert not (tmp_path / "none").exists()
    named = study()
    named["model"]["object"] = "missing"
    with pytest.raises(madlab.ConfigError, match='model.object = "missing".*"gauss"'):
        madlab.run(named, out=tmp_path / "named", models={"gauss": NumpyGaussian})

    class WrongShape(NumpyGaussian):
        def sample(self, n, bias, seed):
            return np.zeros((n, 3))

    with pytest.raises(madlab.Error, match=r"shape \(60, 3\).*\(60, 2\)"):
        madlab.run(study(), out=tmp_path / "shape", models=WrongShape)
    last_k = study(synthetic_from_last_k=2)
    with pytest.raises(madlab.ConfigError, match="synthetic_from_last_k"):
        madlab.run(last_k, out=tmp_path / "k", models=NumpyGaussian)


class Unigram:
    """A unigram language model of words: the simplest text model."""

    def fit(self, lines, ctx):
        words = [w for line in lines for w in line.split()]
        self.vocab, counts = np.unique(words, return_counts=True)
        self.p = counts / counts.sum()
        self.length = max(1, round(len(words) / len(lines)))

    def sample(self, n, bias, seed):
        rng = np.random.default_rng(seed)
        p = self.p ** (1 / bias)
        p /= p.sum()
        return [" ".join(rng.choice(self.vocab, size=self.length, p=p)) for _ in range(n)]

    def score(self, real):
        index = {w: i for i, w in enumerate(self.vocab)}
        logp, tokens = 0.0, 0
        for line in real:
            for w in line.split():
                logp += np.log(self.p[index[w]]) if w in index else np.log(1e-6)
                tokens += 1
        return float(np.exp(-logp / tokens))


def test_a_text_model(tmp_path, shared_dir):
    config = {
        "study": {"name": "py-text", "seeds": 1, "generations": 3},
        "source": {"kind": "text", "path": f"{shared_dir}/data/text/en/tinyshakespeare.txt"},
        "model": {"family": "python"},
        "schedule": {"n": 400},
        "metrics": {"n_eval": 200, "n_test": 300},
    }
    df = madlab.run(config, out=tmp_path / "text", models=Unigram, report=False).records
    by = df.pivot_table(index="generation", columns="metric", values="value")
    # Words the unigram model drew all come from its training lines, which are corpus words.
    assert (by["sample_unk_rate"] == 0).all()
    # Its perplexity (score) rises as it forgets the rare words of the real text.
    assert by["perplexity"][3] > by["perplexity"][0]
    assert by["distinct_1"][0] > 0


class Interrupting(NumpyGaussian):
    """Sends the process SIGINT (what Ctrl-C sends) from inside a fit, once."""

    sent = False

    def fit(self, train, ctx):
        if ctx.setting == "replace" and ctx.seed == 0 and ctx.generation == 2 and not Interrupting.sent:
            Interrupting.sent = True
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.5)  # the caller's thread checks for signals every 100 ms
        super().fit(train, ctx)


def test_ctrl_c_stops_the_run_and_it_resumes(tmp_path):
    clean = madlab.run(study(), out=tmp_path / "clean", models=NumpyGaussian, report=False)
    with pytest.raises(KeyboardInterrupt):
        madlab.run(study(), out=tmp_path / "run", models=Interrupting)
    assert not (tmp_path / "run" / "records.csv").exists()
    resumed = madlab.run(resume=tmp_path / "run", models=NumpyGaussian, report=False)
    pd_equal(resumed, clean)


def test_objects_need_both_state_and_load_state(tmp_path):
    class HalfStateful(NumpyGaussian):
        def state(self):
            return b""

    with pytest.raises(madlab.ConfigError, match=r"state\(\) but no load_state\(\)"):
        madlab.run(study(), out=tmp_path / "half", models=HalfStateful)


def test_an_unknown_object_name_is_refused_before_anything_is_written(tmp_path):
    named = study()
    named["model"]["object"] = "typo"
    with pytest.raises(madlab.ConfigError, match='model.object = "typo"'):
        madlab.run(named, out=tmp_path / "typo", models={"gauss": NumpyGaussian})
    assert not (tmp_path / "typo").exists()
