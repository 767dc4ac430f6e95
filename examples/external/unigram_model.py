#!/usr/bin/env python3
"""A stand-in for a user's own language model, driven by madlab's JSONL protocol for text
(docs/external.md, "Text: JSONL").

A word unigram model (--order 1: words drawn independently, line lengths drawn from the training
lines) or bigram model (--order 2: each word given the previous one, lines end at </s>), by
maximum likelihood. Sampling bias lambda is a temperature: p(w)^(1/lambda), renormalised. It
samples only words it has seen, so a chain trained on its own samples loses rare words for good
(the tail of the distribution), as Shumailov et al. 2024 describe. Scoring held-out text uses
the model interpolated with add-one unigrams over the training words plus one unknown word, so
that every line has a finite log-probability. Plain Python 3, deterministic from --seed.

    unigram_model.py fit --data TRAIN.jsonl --out MODEL_DIR [--order 1|2]
    unigram_model.py sample --model MODEL_DIR --n N --bias B --seed S --out SAMPLES.jsonl
    unigram_model.py score --model MODEL_DIR --text HELD_OUT.jsonl --out SCORES.jsonl

Every file is JSONL: one JSON object a line, {"text": "..."} for lines (words separated by
spaces) and {"logprob": <natural log of p(line and its end)>, "tokens": <words + 1>} for scores.
Outputs are written under a temporary name and renamed, so a killed command never leaves a
partial file.

--fault (for madlab's tests of the protocol): fail (exit 3 with a message on stderr), count (one
line too few), utf8 (invalid UTF-8 bytes in the middle line), json (a middle line that is not
JSON), field (a middle line without "text").
"""
import argparse
import bisect
import json
import math
import os
import random
import sys

BOS, EOS = "<s>", "</s>"


def read_lines(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line)["text"] for line in f if line.strip()]


def write_atomically(path, data):
    tmp = path + ".partial"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)  # never leave a partial file under the final name


def jsonl(objects):
    return "".join(json.dumps(o, ensure_ascii=False) + "\n" for o in objects).encode("utf-8")


def fit(args):
    counts = {}  # context ("" for unigrams) -> {word: count}
    lengths = {}
    for line in read_lines(args.data):
        words = line.split()
        lengths[len(words)] = lengths.get(len(words), 0) + 1
        previous = BOS
        for w in words + ([EOS] if args.order == 2 else []):
            context = previous if args.order == 2 else ""
            successors = counts.setdefault(context, {})
            successors[w] = successors.get(w, 0) + 1
            previous = w
    unigrams = {}
    for successors in counts.values():
        for w, c in successors.items():
            unigrams[w] = unigrams.get(w, 0) + c
    os.makedirs(args.out, exist_ok=True)
    model = {"order": args.order, "counts": counts, "unigrams": unigrams,
             "lengths": sorted(lengths.items())}
    write_atomically(os.path.join(args.out, "model.json"), json.dumps(model).encode("utf-8"))
    print(f"fitted an order-{args.order} model: {len(unigrams)} word types", file=sys.stderr)


class Sampler:
    """Draws from a {item: count} table with weights count^(1/bias)."""

    def __init__(self, table, bias):
        self.items = sorted(table)  # a fixed order: the same seed gives the same samples
        self.cumulative = []
        total = 0.0
        for item in self.items:
            total += table[item] ** (1.0 / bias)
            self.cumulative.append(total)

    def draw(self, rng):
        i = bisect.bisect_right(self.cumulative, rng.random() * self.cumulative[-1])
        return self.items[min(i, len(self.items) - 1)]


def sample(args):
    if args.fault == "fail":
        print("unigram_model.py: simulated failure while sampling", file=sys.stderr)
        sys.exit(3)
    with open(os.path.join(args.model, "model.json"), encoding="utf-8") as f:
        model = json.load(f)
    rng = random.Random(args.seed)
    samplers = {}

    def sampler(context):
        if context not in samplers:
            samplers[context] = Sampler(model["counts"][context], args.bias)
        return samplers[context]

    lines = []
    lengths = Sampler({int(n): c for n, c in model["lengths"]}, 1.0)
    for _ in range(args.n):
        words = []
        if model["order"] == 1:
            words = [sampler("").draw(rng) for _ in range(lengths.draw(rng))]
        else:
            previous = BOS
            while len(words) < 1000:
                previous = sampler(previous).draw(rng)
                if previous == EOS:
                    break
                words.append(previous)
        lines.append(" ".join(words))
    objects = [{"text": line} for line in lines]
    middle = len(objects) // 2
    if args.fault == "count":
        objects.pop()
    data = jsonl(objects)
    if args.fault in ("utf8", "json", "field"):
        rows = data.split(b"\n")
        rows[middle] = {"utf8": b'{"text": "caf\xe9 con leche"}',  # Latin-1, not UTF-8
                        "json": b'{"text": "unterminated',
                        "field": b'{"words": ["no", "text"]}'}[args.fault]
        data = b"\n".join(rows)
    write_atomically(args.out, data)


def score(args):
    with open(os.path.join(args.model, "model.json"), encoding="utf-8") as f:
        model = json.load(f)
    unigrams = model["unigrams"]
    total = sum(unigrams.values())
    vocabulary = len(unigrams) + 1  # the training words and one unknown word

    def unigram(w):
        return (unigrams.get(w, 0) + 1) / (total + vocabulary)

    totals = {context: sum(successors.values()) for context, successors in model["counts"].items()}

    def p(context, w):
        if model["order"] == 1:
            return unigram(w)
        successors = model["counts"].get(context, {})
        n = totals.get(context, 0)
        return 0.5 * (successors.get(w, 0) / n if n else 0.0) + 0.5 * unigram(w)

    lengths = {int(n): c for n, c in model["lengths"]}
    lines = sum(lengths.values())
    scores = []
    for line in read_lines(args.text):
        words = line.split()
        logprob, previous = 0.0, BOS
        for w in words + [EOS]:
            logprob += math.log(p(previous, w))
            previous = w
        if model["order"] == 1:  # the line's length: its probability under the length table
            logprob += math.log((lengths.get(len(words), 0) + 1) / (lines + len(lengths) + 1))
            logprob -= math.log(unigram(EOS))  # the end is the length's, not a word's
        scores.append({"logprob": logprob, "tokens": len(words) + 1})
    write_atomically(args.out, jsonl(scores))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    options = {  # command: (required options, the others with their defaults)
        "fit": (["data", "out"], {"order": 1, "seed": 0}),  # the fit is deterministic
        "sample": (["model", "n", "out"], {"bias": 1.0, "seed": 0, "fault": "none"}),
        "score": (["model", "text", "out"], {}),
    }
    for command, (required, optional) in options.items():
        p = sub.add_parser(command)
        for name in required:
            p.add_argument("--" + name, required=True, type=int if name == "n" else str)
        for name, default in optional.items():
            p.add_argument("--" + name, type=type(default), default=default)
    args = parser.parse_args()
    if getattr(args, "order", 1) not in (1, 2):
        parser.error("--order must be 1 or 2")
    if getattr(args, "fault", "none") not in ("none", "fail", "count", "utf8", "json", "field"):
        parser.error(f"unknown --fault {args.fault}")
    {"fit": fit, "sample": sample, "score": score}[args.command](args)


if __name__ == "__main__":
    main()
