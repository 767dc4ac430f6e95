#include "madlab/metrics/text_metrics.h"

#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <span>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "madlab/core/error.h"

namespace madlab {
namespace {

void require_budget(std::size_t max_tokens, const char* what) {
    if (max_tokens == 0) {
        throw ConfigError(std::string(what) +
                          ": max_tokens is 0; give a positive token budget (the number of sampled "
                          "word tokens every generation is measured on)");
    }
}

// Calls f(span) for each line of the budget prefix: the first max_tokens tokens, line by line,
// the last line cut at the budget. Returns the number of tokens read.
template <class F>
std::size_t for_each_budget_line(const Corpus& corpus, std::size_t max_tokens, F&& f) {
    std::size_t used = 0;
    for (std::size_t i = 0; i < corpus.lines() && used < max_tokens; ++i) {
        std::span<const TokenId> line = corpus.line(i);
        if (line.size() > max_tokens - used) line = line.first(max_tokens - used);
        used += line.size();
        f(line);
    }
    return used;
}

// Word counts over the budget prefix.
std::unordered_map<TokenId, std::size_t> budget_counts(const Corpus& corpus, std::size_t max_tokens,
                                                       std::size_t* used) {
    std::unordered_map<TokenId, std::size_t> counts;
    *used = for_each_budget_line(corpus, max_tokens, [&](std::span<const TokenId> line) {
        for (TokenId w : line) ++counts[w];
    });
    return counts;
}

TailLoss retention(const Corpus& real_test, auto&& producible) {
    std::unordered_map<TokenId, std::size_t> counts;
    TailLoss r;
    for (TokenId w : real_test.tokens) {
        if (w == Vocabulary::kUnk) continue;
        ++counts[w];
        ++r.real_tokens;
    }
    r.real_types = counts.size();
    std::size_t lost_tokens = 0;
    for (const auto& [w, c] : counts) {
        if (!producible(w)) {
            ++r.lost_types;
            lost_tokens += c;
        }
    }
    r.lost_mass = r.real_tokens == 0
                      ? 0.0
                      : static_cast<double>(lost_tokens) / static_cast<double>(r.real_tokens);
    return r;
}

}  // namespace

DistinctN distinct_n(const Corpus& samples, std::size_t max_tokens) {
    require_budget(max_tokens, "distinct_n");
    // grams[n-1]: every n-gram (padded to 4 ids) of the budget prefix, within lines.
    std::array<std::vector<std::array<TokenId, 4>>, 4> grams;
    DistinctN r;
    r.tokens_used = for_each_budget_line(samples, max_tokens, [&](std::span<const TokenId> line) {
        for (std::size_t n = 1; n <= 4; ++n) {
            for (std::size_t i = 0; i + n <= line.size(); ++i) {
                std::array<TokenId, 4> g{};
                std::copy_n(line.begin() + static_cast<std::ptrdiff_t>(i), n, g.begin());
                grams[n - 1].push_back(g);
            }
        }
    });
    std::array<double, 4> d{};
    for (std::size_t n = 0; n < 4; ++n) {
        auto& v = grams[n];
        if (v.empty()) continue;
        const std::size_t total = v.size();
        std::sort(v.begin(), v.end());
        const auto distinct = static_cast<std::size_t>(std::unique(v.begin(), v.end()) - v.begin());
        d[n] = static_cast<double>(distinct) / static_cast<double>(total);
    }
    r.d1 = d[0];
    r.d2 = d[1];
    r.d3 = d[2];
    r.d4 = d[3];
    return r;
}

double unigram_entropy(const Corpus& samples, std::size_t max_tokens) {
    require_budget(max_tokens, "unigram_entropy");
    std::size_t used = 0;
    const auto counts = budget_counts(samples, max_tokens, &used);
    if (used == 0) return 0.0;
    // Sum in a fixed order (by id) so the value does not depend on the hash table's layout.
    std::vector<std::pair<TokenId, std::size_t>> sorted(counts.begin(), counts.end());
    std::sort(sorted.begin(), sorted.end());
    const double total = static_cast<double>(used);
    double h = 0.0;
    for (const auto& [w, c] : sorted) {
        const double p = static_cast<double>(c) / total;
        h -= p * std::log(p);
    }
    return h;
}

std::optional<double> zipf_exponent(const Corpus& samples, std::size_t max_tokens) {
    require_budget(max_tokens, "zipf_exponent");
    std::size_t used = 0;
    const auto counts = budget_counts(samples, max_tokens, &used);
    if (counts.size() < 2) return std::nullopt;
    std::vector<std::pair<TokenId, std::size_t>> sorted(counts.begin(), counts.end());
    std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
        return a.second != b.second ? a.second > b.second : a.first < b.first;
    });
    const std::size_t k = sorted.size();
    std::vector<double> x(k), y(k);
    double mx = 0.0, my = 0.0;
    for (std::size_t r = 0; r < k; ++r) {
        x[r] = std::log(static_cast<double>(r + 1));
        y[r] = std::log(static_cast<double>(sorted[r].second));
        mx += x[r];
        my += y[r];
    }
    mx /= static_cast<double>(k);
    my /= static_cast<double>(k);
    double sxy = 0.0, sxx = 0.0;
    for (std::size_t r = 0; r < k; ++r) {
        sxy += (x[r] - mx) * (y[r] - my);
        sxx += (x[r] - mx) * (x[r] - mx);
    }
    // k >= 2 distinct ranks, so sxx > 0.
    return -sxy / sxx;
}

double mean_line_length(const Corpus& corpus) {
    if (corpus.lines() == 0) return 0.0;
    return static_cast<double>(corpus.token_count()) / static_cast<double>(corpus.lines());
}

TailLoss vocabulary_retention(const Corpus& real_test, const NgramModel& model) {
    if (!model.fitted()) {
        throw Error(
            "vocabulary_retention: the n-gram model is not fitted; fit it before measuring "
            "which real word types it can produce");
    }
    return retention(real_test, [&](TokenId w) { return model.known(w); });
}

TailLoss vocabulary_retention(const Corpus& real_test, const Corpus& model_training_text) {
    const std::unordered_set<TokenId> seen(model_training_text.tokens.begin(),
                                           model_training_text.tokens.end());
    return retention(real_test, [&](TokenId w) { return seen.contains(w); });
}

TailLoss vocabulary_retention(const Corpus& real_test, const TextVocabulary& model) {
    if (!model.knows_vocabulary())
        throw Error("vocabulary_retention: the model does not say which words it can produce");
    return retention(real_test, [&](TokenId w) { return model.known(w); });
}

MetricValues VocabularyRetentionMetric::compute(const TextMetricInput& input) const {
    const auto* vocabulary = dynamic_cast<const TextVocabulary*>(&input.model);
    if (vocabulary == nullptr || !vocabulary->knows_vocabulary()) return {};
    const TailLoss tail = vocabulary_retention(input.real_test, *vocabulary);
    return {{"lost_types", static_cast<double>(tail.lost_types)}, {"lost_mass", tail.lost_mass}};
}

MetricValues SampleUnknownRateMetric::compute(const TextMetricInput& input) const {
    const auto* vocabulary = dynamic_cast<const TextVocabulary*>(&input.model);
    if (vocabulary == nullptr || !vocabulary->open_vocabulary()) return {};
    const Corpus& samples = input.samples;
    const auto unknown = static_cast<double>(
        std::count(samples.tokens.begin(), samples.tokens.end(), Vocabulary::kUnk));
    return {{"sample_unk_rate", samples.tokens.empty() ? 0.0 : unknown / samples.token_count()}};
}

TextSampleMetric::TextSampleMetric(std::size_t token_budget) : token_budget_(token_budget) {}

MetricValues TextSampleMetric::compute(const TextMetricInput& input) const {
    const Corpus& samples = input.samples;
    const DistinctN distinct = distinct_n(samples, token_budget_);
    MetricValues v{{"distinct_1", distinct.d1},
                   {"distinct_2", distinct.d2},
                   {"distinct_3", distinct.d3},
                   {"distinct_4", distinct.d4},
                   {"unigram_entropy", unigram_entropy(samples, token_budget_)}};
    if (auto zipf = zipf_exponent(samples, token_budget_)) v.emplace_back("zipf", *zipf);
    v.emplace_back("mean_line_length", mean_line_length(samples));
    return v;
}

}  // namespace madlab
