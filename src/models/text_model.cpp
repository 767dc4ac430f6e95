#include "madlab/models/text_model.h"

namespace madlab {

FitInfo NgramTextModel::fit(const Corpus& train, Rng& /*rng*/) { return model_.fit(train); }

Corpus NgramTextModel::sample(std::size_t n_lines, double bias, Rng& rng,
                              std::size_t max_line_length) const {
    return model_.sample(n_lines, bias, rng, max_line_length);
}

std::optional<HeldOutScore> NgramTextModel::score_held_out(const Corpus& real) const {
    const NgramModel::Perplexity ppl = model_.perplexity(real);
    HeldOutScore score;
    score.perplexity = ppl.perplexity;
    score.perplexity_excluding_oov = ppl.perplexity_excluding_oov;
    score.oov_rate = ppl.tokens ? static_cast<double>(ppl.oov) / ppl.tokens : 0.0;
    return score;
}

}  // namespace madlab
