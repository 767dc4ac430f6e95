#include "madlab/data/categorical_source.h"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "madlab/core/error.h"

namespace madlab {

namespace {

// The weights normalised, after checking them (the message names source.probabilities).
std::vector<double> normalised(std::vector<double> weights) {
    if (weights.empty())
        throw ConfigError(
            "source.probabilities is empty; give the probability (or weight) of every category, "
            "e.g. [0.5, 0.3, 0.2]");
    double total = 0.0;
    for (std::size_t i = 0; i < weights.size(); ++i) {
        if (!std::isfinite(weights[i]) || weights[i] < 0.0)
            throw ConfigError(fmt::format(
                "source.probabilities[{}] = {} is not a probability; every entry must be a "
                "finite number >= 0",
                i, weights[i]));
        total += weights[i];
    }
    if (!(total > 0.0) || !std::isfinite(total))
        throw ConfigError(fmt::format(
            "source.probabilities sum to {}; they must have a finite positive sum (they are "
            "normalised to sum 1)",
            total));
    for (double& w : weights) w /= total;
    return weights;
}

}  // namespace

CategoricalSource::CategoricalSource(std::vector<double> weights, std::string name,
                                     std::vector<std::string> labels)
    : probabilities_(normalised(std::move(weights))),
      name_(std::move(name)),
      labels_(std::move(labels)),
      sampler_(probabilities_) {
    if (!labels_.empty() && labels_.size() != probabilities_.size())
        throw Error(fmt::format("CategoricalSource: {} labels for {} categories", labels_.size(),
                                probabilities_.size()));
}

std::optional<double> CategoricalSource::mean_nll(const Matrix& x) const {
    if (x.cols() != 1 || x.rows() == 0)
        throw DataError(
            fmt::format("{}: mean_nll needs a non-empty column of category indices, got {} x {}",
                        name_, x.rows(), x.cols()));
    double sum = 0.0;
    const double k = static_cast<double>(categories());
    for (Eigen::Index i = 0; i < x.rows(); ++i) {
        const double v = x(i, 0);
        if (!(v >= 0.0 && v < k) || v != std::floor(v))
            throw DataError(fmt::format("{}: {} is not a category index (an integer in 0..{})",
                                        name_, v, categories() - 1));
        const double p = probabilities_[static_cast<std::size_t>(v)];
        if (p <= 0.0) return std::nullopt;
        sum -= std::log(p);
    }
    return sum / static_cast<double>(x.rows());
}

Matrix CategoricalSource::sample(std::size_t n, Rng& rng) const {
    Matrix out(static_cast<Eigen::Index>(n), 1);
    for (Eigen::Index i = 0; i < out.rows(); ++i)
        out(i, 0) = static_cast<double>(sampler_.draw(rng));
    return out;
}

CategoricalSource make_zipf_source(std::size_t categories, double exponent) {
    if (categories < 1)
        throw ConfigError("source.categories must be >= 1 (the number of Zipf categories K)");
    if (!std::isfinite(exponent) || exponent < 0.0)
        throw ConfigError(fmt::format(
            "source.zipf_exponent = {} is not valid; use a finite exponent beta >= 0 (p_i "
            "proportional to (i + 1)^-beta; 0 is uniform)",
            exponent));
    std::vector<double> weights(categories);
    for (std::size_t i = 0; i < categories; ++i)
        weights[i] = std::pow(static_cast<double>(i + 1), -exponent);
    return CategoricalSource(std::move(weights),
                             fmt::format("zipf (K = {}, beta = {})", categories, exponent));
}

CategoricalSource make_words_source(const std::string& path, std::size_t categories,
                                    const TextOptions& options) {
    if (categories < 1)
        throw ConfigError(
            "source.categories must be >= 1 (the number of most frequent words kept)");
    const std::vector<std::string> lines = read_text_lines(path, options);
    std::unordered_map<std::string, std::size_t> counts;
    std::vector<std::string_view> tokens;
    for (const std::string& line : lines) {
        tokenize(line, options.tokens, tokens);
        for (std::string_view t : tokens) ++counts[std::string(t)];
    }
    if (counts.size() < categories)
        throw ConfigError(fmt::format(
            "source.categories = {} but '{}' has only {} distinct {}; set source.categories to "
            "at most {}",
            categories, path, counts.size(),
            options.tokens == TextOptions::Tokens::kCharacter ? "characters" : "words",
            counts.size()));
    std::vector<std::pair<std::string, std::size_t>> ranked(counts.begin(), counts.end());
    // Decreasing count, ties in byte order: the ranking never depends on hash-map order.
    std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
        return a.second != b.second ? a.second > b.second : a.first < b.first;
    });
    ranked.resize(categories);
    std::vector<double> weights;
    std::vector<std::string> words;
    for (auto& [word, count] : ranked) {
        weights.push_back(static_cast<double>(count));
        words.push_back(std::move(word));
    }
    return CategoricalSource(std::move(weights), fmt::format("words:{} (K = {})", path, categories),
                             std::move(words));
}

}  // namespace madlab
