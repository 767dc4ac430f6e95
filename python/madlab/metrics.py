"""Metrics on numpy arrays and lists of strings, computed by madlab's C++ library.

Point sets are arrays of shape (n, d), one point per row (a 1-D array is one column). A float64
array whose rows are contiguous (C order, or a row or column slice of one) is read where it
lies, without a copy; any other array is converted to float64 once. Every function releases the
GIL while it computes, so threads can score several sets at once. ``threads=0`` uses every
core; no result depends on it.

Text metrics take lists of lines; ``tokens`` is ``"word"`` (whitespace-separated words, as
KenLM) or ``"char"`` (Unicode code points), and ``max_tokens`` is the token budget that compares
samples of different sizes at the same size (the loop's ``metrics.token_budget``).
"""

from . import _madlab


def prdc(real, fake, k=5, threads=0):
    """Precision, recall, density and coverage (Naeem et al. 2020) with exact k-NN balls.

    Returns a dict with the four values; the same numbers as ``madlab metrics REAL FAKE``.
    """
    return _madlab.prdc(real, fake, k=k, threads=threads)


def frechet(real, fake, threads=0):
    """Frechet distance between Gaussians fitted to the two point sets (FID's formula)."""
    return _madlab.frechet(real, fake, threads=threads)


def kid(real, fake, subsets=100, subset_size=1000, seed=0, threads=0):
    """Kernel inception distance (Binkowski et al. 2018): the unbiased MMD^2 with the cubic
    polynomial kernel, mean and standard deviation over ``subsets`` random subset pairs of
    ``min(n, m, subset_size)`` points each, drawn from ``seed``.

    Returns a dict: kid, kid_std, subset_size (the size used)."""
    return _madlab.kid(real, fake, subsets=subsets, subset_size=subset_size, seed=seed,
                       threads=threads)


def distinct_n(lines, tokens="word", max_tokens=10000):
    """distinct-1..4 (Li et al. 2016): distinct n-grams over n-grams within the token budget.

    Returns a dict: distinct_1 .. distinct_4 and tokens_used."""
    return _madlab.distinct_n(list(lines), tokens=tokens, max_tokens=max_tokens)


def unigram_entropy(lines, tokens="word", max_tokens=10000):
    """Entropy in nats of the empirical token frequencies within the token budget."""
    return _madlab.unigram_entropy(list(lines), tokens=tokens, max_tokens=max_tokens)


def zipf_exponent(lines, tokens="word", max_tokens=10000):
    """The Zipf exponent s of frequency ~ rank^-s (least squares on log-log ranks), or None
    when the text has fewer than two token types."""
    return _madlab.zipf_exponent(list(lines), tokens=tokens, max_tokens=max_tokens)


def mean_line_length(lines, tokens="word"):
    """Tokens per line over all lines."""
    return _madlab.mean_line_length(list(lines), tokens=tokens)


def vocabulary_retention(real, model_text, tokens="word"):
    """The token types of ``real`` that a model trained on ``model_text`` can no longer produce
    (SCIENCE.md section 6): a dict with lost_types, lost_mass (the real tokens' share that
    those types held), real_types and real_tokens."""
    return _madlab.vocabulary_retention(list(real), list(model_text), tokens=tokens)


__all__ = ["prdc", "frechet", "kid", "distinct_n", "unigram_entropy", "zipf_exponent",
           "mean_line_length", "vocabulary_retention"]
