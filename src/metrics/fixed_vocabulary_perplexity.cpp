#include "madlab/metrics/fixed_vocabulary_perplexity.h"

#include <fmt/core.h>

#include <cmath>

#include "madlab/core/error.h"
#include "madlab/data/text_source.h"

namespace madlab {
namespace {

const double* find_value(const NamedValues& values, const std::string& name) {
    for (const auto& [key, value] : values)
        if (key == name) return &value;
    return nullptr;
}

}  // namespace

std::size_t lost_vocabulary_types(std::span<const TokenId> real_vocabulary,
                                  const TextVocabulary& model) {
    if (!model.knows_vocabulary())
        throw Error("lost_vocabulary_types: the model does not say which words it knows");
    std::size_t lost = 0;
    for (TokenId w : real_vocabulary) lost += model.known(w) ? 0 : 1;
    return lost;
}

double fixed_vocabulary_perplexity(double perplexity, double oov_rate, std::size_t lost_types) {
    if (!(perplexity > 0.0) || !std::isfinite(perplexity) || !(oov_rate >= 0.0) ||
        !(oov_rate <= 1.0))
        throw Error(fmt::format(
            "fixed_vocabulary_perplexity: needs a finite perplexity > 0 and an OOV rate in [0, 1] "
            "(got {} and {})",
            perplexity, oov_rate));
    // pow(1, r) and pow(x, 0) are exactly 1: a model that lost nothing (or scored no token as
    // <unk>) gets exactly its KenLM-style perplexity.
    return perplexity * std::pow(static_cast<double>(lost_types) + 1.0, oov_rate);
}

NamedValues with_fixed_vocabulary_perplexity(NamedValues held_out_score,
                                             std::span<const TokenId> real_vocabulary,
                                             const TextModel& model) {
    const auto* vocabulary = dynamic_cast<const TextVocabulary*>(&model);
    if (vocabulary == nullptr || !vocabulary->knows_vocabulary()) return held_out_score;
    const double* perplexity = find_value(held_out_score, "perplexity");
    const double* oov_rate = find_value(held_out_score, "oov_rate");
    if (perplexity == nullptr || oov_rate == nullptr) return held_out_score;
    const double value = fixed_vocabulary_perplexity(
        *perplexity, *oov_rate, lost_vocabulary_types(real_vocabulary, *vocabulary));
    held_out_score.emplace_back("perplexity_fixed_vocab", value);
    return held_out_score;
}

MetricValues TextPerplexityMetric::compute(const TextMetricInput& input) const {
    NamedValues values = input.model.score_held_out(input.real_test);
    const auto* source = dynamic_cast<const TextSource*>(input.source);
    if (source == nullptr) return values;
    return with_fixed_vocabulary_perplexity(std::move(values), source->training_vocabulary(),
                                            input.model);
}

}  // namespace madlab
