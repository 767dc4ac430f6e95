#include "madlab/models/text_model.h"

namespace madlab {

FitInfo NgramTextModel::do_fit(const Corpus& train, FitContext<Corpus>& /*context*/) {
    FitInfo info = model_.fit(train);
    info.values.emplace_back("discount_fallback", info.degenerate ? 1.0 : 0.0);
    return info;
}

Corpus NgramTextModel::do_sample(std::size_t n_lines, double bias, Rng& rng,
                                 std::string_view /*purpose*/) const {
    return model_.sample(n_lines, bias, rng, max_line_length_);
}

NamedValues NgramTextModel::do_score_held_out(const Corpus& real) const {
    const NgramModel::Perplexity ppl = model_.perplexity(real);
    return {{"perplexity", ppl.perplexity},
            {"perplexity_excluding_oov", ppl.perplexity_excluding_oov},
            {"oov_rate", ppl.tokens ? static_cast<double>(ppl.oov) / ppl.tokens : 0.0}};
}

}  // namespace madlab
