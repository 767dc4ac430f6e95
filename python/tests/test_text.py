"""Text metrics on lists of strings and the n-gram model, against hand-counted values and the
CLI's `madlab lm` on the same corpus."""

import json
import math

import pytest

import madlab


def test_distinct_n_counts_by_hand():
    lines = ["a b a b", "a c"]
    d = madlab.metrics.distinct_n(lines)
    # unigrams a b a b a c: 3 distinct of 6; bigrams ab ba ab ac: 3 of 4 (none across lines);
    # trigrams aba bab: 2 of 2; 4-grams abab: 1 of 1.
    assert d["distinct_1"] == pytest.approx(3 / 6)
    assert d["distinct_2"] == pytest.approx(3 / 4)
    assert d["distinct_3"] == 1.0 and d["distinct_4"] == 1.0
    assert d["tokens_used"] == 6
    # The budget cuts the text: 3 tokens read, "a b a".
    assert madlab.metrics.distinct_n(lines, max_tokens=3)["tokens_used"] == 3


def test_entropy_zipf_and_line_length():
    lines = ["x y", "x z", "x w"]  # x 3 times, y z w once: p = 1/2, 1/6, 1/6, 1/6
    expected = -(0.5 * math.log(0.5) + 3 * (1 / 6) * math.log(1 / 6))
    assert madlab.metrics.unigram_entropy(lines) == pytest.approx(expected, rel=1e-12)
    assert madlab.metrics.mean_line_length(lines) == 2.0
    assert madlab.metrics.mean_line_length(["ab c"], tokens="char") == 4.0  # a b ▁ c
    assert madlab.metrics.zipf_exponent(["same same"]) is None  # one type: no slope
    # Counts 4, 2, 1 at ranks 1, 2, 3 lie on c = 4 r^-s only approximately; the least-squares
    # slope of ln c on ln r, computed here by hand:
    xs = [math.log(r) for r in (1, 2, 3)]
    ys = [math.log(c) for c in (4, 2, 1)]
    mx, my = sum(xs) / 3, sum(ys) / 3
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
    got = madlab.metrics.zipf_exponent(["a a a a b b c"])
    assert got == pytest.approx(-slope, rel=1e-12)


def test_vocabulary_retention():
    real = ["the cat sat", "the dog ran"]
    r = madlab.metrics.vocabulary_retention(real, ["the cat sat"])
    # dog and ran are lost: 2 of 5 types, 2 of 6 tokens.
    assert r["lost_types"] == 2 and r["real_types"] == 5
    assert r["lost_mass"] == pytest.approx(2 / 6)


def test_ngram_model_matches_madlab_lm(run_cli, tmp_path, shared_dir):
    corpus = f"{shared_dir}/data/text/en/tinyshakespeare.txt"
    with open(corpus, encoding="utf-8") as f:
        lines = [line.strip() for line in f if line.strip()]
    train, held_out = lines[:20000], lines[20000:21000]
    (tmp_path / "train.txt").write_text("\n".join(train) + "\n", encoding="utf-8")
    (tmp_path / "query.txt").write_text("\n".join(held_out) + "\n", encoding="utf-8")
    cli = json.loads(run_cli("lm", tmp_path / "train.txt", "--order", "3", "--query",
                             tmp_path / "query.txt", "--format", "json").stdout)
    model = madlab.NgramModel(order=3).fit(train)
    p = model.perplexity(held_out)
    assert p["perplexity"] == cli["query"]["perplexity"]
    assert p["oov"] == cli["query"]["oov"] and p["tokens"] == cli["query"]["tokens"]
    # Samples depend on the seed alone.
    a = model.sample(20, temperature=0.8, seed=3)
    assert a == model.sample(20, temperature=0.8, seed=3) and len(a) == 20
    assert a != model.sample(20, temperature=0.8, seed=4)
    assert all(isinstance(line, str) for line in a)


def test_ngram_model_errors():
    model = madlab.NgramModel(order=2)
    with pytest.raises(madlab.Error, match="fit"):
        model.perplexity(["a b"])
    with pytest.raises(madlab.ConfigError, match="order"):
        madlab.NgramModel(order=9)
    with pytest.raises(madlab.ConfigError, match="tokens"):
        madlab.NgramModel(tokens="bytes")
    with pytest.raises(madlab.DataError):
        model.fit(["", "   "])
