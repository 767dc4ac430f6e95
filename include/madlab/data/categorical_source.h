#pragma once
// Categorical real data: a distribution p over the categories 0..K-1, drawn i.i.d. exactly.
// A data point is one column holding its category index as a double (a Matrix n x 1), the
// layout the categorical family (models/categorical.h) and the categorical metric read.
//
// Three ways to give p (source.kind, docs/config.md):
//   - categorical: the probabilities themselves (source.probabilities, normalised here);
//   - zipf: p_i proportional to (i + 1)^-beta over K categories (Zipf's law with exponent beta,
//     the data model of Dohmatob et al. 2024, "A Tale of Tails");
//   - words: the word frequencies of a text corpus, the K most frequent words, ranked by
//     frequency (category 0 is the most frequent word).
// For zipf and words, category 0 is the most probable (rank order). Like the built-in
// distributions (data/builtin_sources.h), draw_train and draw_test both draw fresh i.i.d. points
// with the rng they are given, and mean_nll is exact.

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "madlab/core/discrete_sampler.h"
#include "madlab/data/real_source.h"
#include "madlab/data/text_reader.h"

namespace madlab {

class CategoricalSource final : public RealSource {
public:
    // weights: K >= 1 values, finite and >= 0, with a positive sum (normalised here). `name` is
    // what describe() returns; `labels`, when given, names each category (the words of a words
    // source) and must have K entries. Throws ConfigError naming source.probabilities otherwise.
    CategoricalSource(std::vector<double> weights, std::string name = "categorical",
                      std::vector<std::string> labels = {});

    std::string describe() const override { return name_; }
    std::size_t dim() const override { return 1; }
    Matrix draw_train(std::size_t n, Rng& rng) const override { return sample(n, rng); }
    Matrix draw_test(std::size_t n, Rng& rng) const override { return sample(n, rng); }
    // -(1/n) sum_i ln p[x_i]; nullopt when some x_i has probability 0 (no finite value).
    // Throws DataError when a value is not a category index (an integer in 0..K-1).
    std::optional<double> mean_nll(const Matrix& x) const override;

    // n i.i.d. categories (DiscreteSampler: one uniform per draw), as an n x 1 matrix.
    Matrix sample(std::size_t n, Rng& rng) const;

    std::size_t categories() const { return probabilities_.size(); }
    // p, normalised (sum 1 up to rounding), in category order.
    const std::vector<double>& probabilities() const { return probabilities_; }
    // The name of each category (empty unless given: the words of a words source).
    const std::vector<std::string>& labels() const { return labels_; }

private:
    std::vector<double> probabilities_;
    std::string name_;
    std::vector<std::string> labels_;
    DiscreteSampler sampler_;
};

// zipf: p_i = (i + 1)^-beta / H_{K, beta} for i = 0..K-1 (H the generalised harmonic number).
// Throws ConfigError naming source.categories (K < 1) or source.zipf_exponent (beta < 0 or not
// finite; beta = 0 is the uniform distribution).
CategoricalSource make_zipf_source(std::size_t categories, double exponent);

// words: the tokens of the text at `path` (read_text_lines, then tokenize with options.tokens;
// whitespace words by default, as KenLM) counted; the `categories` most frequent become the
// categories 0..K-1 in decreasing count, ties in increasing byte order of the word, and p is
// their counts normalised over those K (the rest of the vocabulary is left out). Throws
// DataError from the reader, and ConfigError naming source.categories when the text has fewer
// than `categories` distinct tokens (saying how many it has).
CategoricalSource make_words_source(const std::string& path, std::size_t categories,
                                    const TextOptions& options = {});

}  // namespace madlab
