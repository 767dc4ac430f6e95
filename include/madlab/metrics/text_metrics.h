#pragma once
// Text metrics of a self-consuming loop of language models (SCIENCE.md section 6 "Text"), as
// plain functions of a Corpus (lines of word ids; <s> and </s> are implied and never counted
// here).
//
// Token budget. distinct_n, unigram_entropy and zipf_exponent read only the first `max_tokens`
// word tokens of the samples, line by line in order (the line that reaches the budget is cut
// there), so that generations with different amounts of text are compared at the same sample
// size (these statistics depend on it). When the corpus holds fewer tokens, all of them are used:
// min(max_tokens, token_count()) tokens are read, as DistinctN::tokens_used reports. max_tokens ==
// 0 is a ConfigError. A drawn <unk> (kUnk) counts as a token like any other word.
//
// Collapsed corpora never make these functions throw: a corpus of empty lines (or no lines) gives
// the defined values stated below (0, or std::nullopt for the Zipf exponent), never NaN.
//
// Perplexity of held-out real text is NgramModel::perplexity(real_test) (KenLM query's
// convention: T counts every word and one </s> per line, not <s>; OOV words are scored as <unk>
// and counted in Perplexity::oov); the text metric wrapper reports that value as it is, with the
// perplexity over the fixed vocabulary of the real training data beside it
// (metrics/fixed_vocabulary_perplexity.h).

#include <cstddef>
#include <optional>
#include <string>

#include "madlab/data/corpus.h"
#include "madlab/metrics/metric.h"
#include "madlab/models/ngram.h"
#include "madlab/models/text_model.h"

namespace madlab {

// distinct-n (Li, Galley, Brockett, Gao & Dolan 2016, "A Diversity-Promoting Objective Function
// for Neural Conversation Models"; SCIENCE.md section 6): d_n = (number of distinct n-grams) /
// (number of n-grams), n = 1..4, over the token budget. N-grams do not cross line boundaries and
// include neither <s> nor </s>: a (cut) line of L words holds max(L - n + 1, 0) n-grams. d_n = 0
// when there is no n-gram of that order (e.g. no line of n words or more).
struct DistinctN {
    double d1 = 0.0, d2 = 0.0, d3 = 0.0, d4 = 0.0;
    std::size_t tokens_used = 0;  // word tokens read: min(max_tokens, samples.token_count())
};
DistinctN distinct_n(const Corpus& samples, std::size_t max_tokens);

// Unigram entropy in nats: H = -sum_w p(w) ln p(w), p(w) = c(w) / T, the empirical word
// frequencies over the token budget (T tokens read; no <s> or </s>). 0 when there is no token.
double unigram_entropy(const Corpus& samples, std::size_t max_tokens);

// Zipf exponent s (frequency ~ rank^-s): the word types of the token budget are sorted by count,
// descending, ties broken by ascending TokenId, and given ordinal ranks r = 1..K (no averaged
// ranks). With x_r = ln r and y_r = ln c_r, the ordinary least-squares slope
// b = sum_r (x_r - mean x)(y_r - mean y) / sum_r (x_r - mean x)^2 over all K types, and s = -b
// (Zipf 1949; the fit of e.g. Piantadosi 2014, "Zipf's word frequency law in natural language",
// on ordinal ranks). std::nullopt when K < 2 (a slope needs two ranks): never NaN.
std::optional<double> zipf_exponent(const Corpus& samples, std::size_t max_tokens);

// Mean line length in words: token_count() / lines() over the whole corpus (no budget; <s> and
// </s> not counted). 0 when the corpus has no lines.
double mean_line_length(const Corpus& corpus);

// Vocabulary retention / tail loss (SCIENCE.md section 6): the real test set's word types that
// the model can no longer produce.
//  - A word type of the real test set is a distinct TokenId among its tokens other than <unk>
//    (kUnk names no word; kUnk tokens are left out of every count below, including real_tokens).
//  - A type is producible if it is in the model's vocabulary, i.e. NgramModel::known(w): it
//    occurs in the model's training text. Every known word has positive probability in the empty
//    context (the unigrams interpolate with the uniform distribution over the vocabulary), so
//    sample() (temperature 1, no top-k / top-p truncation) can draw it; an unknown word is only
//    ever scored (and drawn) as <unk>.
//  - lost_types = number of real types not producible; lost_mass = (real tokens whose type is
//    lost) / real_tokens, the real-data probability mass of the lost types. lost_mass = 0 when
//    real_tokens = 0.
struct TailLoss {
    std::size_t lost_types = 0;
    double lost_mass = 0.0;
    std::size_t real_types = 0;
    std::size_t real_tokens = 0;  // real test tokens other than <unk>
};
// Throws Error if `model` is not fitted.
TailLoss vocabulary_retention(const Corpus& real_test, const NgramModel& model);
// The same with "producible" = occurs in `model_training_text` (the same set as
// NgramModel::known for a model fitted on that text). Both corpora must share one Vocabulary's
// ids.
TailLoss vocabulary_retention(const Corpus& real_test, const Corpus& model_training_text);
// The same with "producible" = model.known(w). Throws Error unless model.knows_vocabulary().
TailLoss vocabulary_retention(const Corpus& real_test, const TextVocabulary& model);

// The text metrics of a loop, each a TextMetric over one generation; a text study computes, in
// this order, perplexity (TextPerplexityMetric, fixed_vocabulary_perplexity.h), vocabulary
// retention, the unknown-word rate of the samples and the sample statistics.

// lost_types and lost_mass (vocabulary_retention) of the real test set, for models that know
// their vocabulary (TextVocabulary::knows_vocabulary); nothing for the others.
class VocabularyRetentionMetric : public TextMetric {
public:
    std::string name() const override { return "vocabulary_retention"; }
    MetricValues compute(const TextMetricInput& input) const override;
};

// sample_unk_rate: the share of sampled tokens that are <unk>, for models whose samples may hold
// words outside the corpus vocabulary (TextVocabulary::open_vocabulary); nothing for the others.
class SampleUnknownRateMetric : public TextMetric {
public:
    std::string name() const override { return "sample_unk_rate"; }
    MetricValues compute(const TextMetricInput& input) const override;
};

// distinct_1..4, unigram_entropy, zipf (when defined) over the first token_budget sampled
// tokens, and mean_line_length of all samples (ConfigError for token_budget = 0).
class TextSampleMetric : public TextMetric {
public:
    explicit TextSampleMetric(std::size_t token_budget);
    std::string name() const override { return "text_samples"; }
    MetricValues compute(const TextMetricInput& input) const override;

private:
    std::size_t token_budget_;
};

}  // namespace madlab
