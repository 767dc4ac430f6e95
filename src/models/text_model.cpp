#include "madlab/models/text_model.h"

#include "madlab/models/model_registry.h"

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

namespace madlab {

ConfigKey max_line_length_key() {
    return {.name = "max_line_length",
            .type = ConfigKey::Type::kInt,
            .default_value = std::int64_t{200},
            .min = 1,
            .help = "a sampled line is cut after this many tokens",
            .vectors = false};
}

namespace {

const ModelFamilyRegistrar kNgramFamily({
    .name = "ngram",
    .help = "interpolated modified Kneser-Ney n-gram language model, as KenLM's lmplz",
    .keys = {{.name = "order",
              .type = ConfigKey::Type::kInt,
              .default_value = std::int64_t{3},
              .min = 1,
              .max = 6,
              .help = "n-gram order",
              .vectors = false},
             {.name = "discount_fallback",
              .type = ConfigKey::Type::kBool,
              .default_value = false,
              .help = "when a discount cannot be estimated (a synthetic corpus that lost its "
                      "singletons) use 0.5, 1, 1.5 instead of stopping with an error",
              .vectors = false},
             max_line_length_key(),
             {.name = "top_k",
              .type = ConfigKey::Type::kInt,
              .default_value = std::int64_t{0},
              .min = 0,
              .max = 1000000000,
              .help = "sample only from the k most probable next words (0 = all); applied "
                      "after the temperature model.bias, as Hugging Face's generate",
              .vectors = false},
             {.name = "top_p",
              .type = ConfigKey::Type::kDouble,
              .default_value = 1.0,
              .min = 0.0,
              .max = 1.0,
              .min_open = true,
              .help = "nucleus sampling: the smallest set of most probable next words whose "
                      "probability reaches p (1 = all), after top_k",
              .vectors = false}},
    .make_text =
        [](const Params& p, const TextSource& /*source*/) {
            NgramOptions options;
            options.order = static_cast<int>(p.get_int("order"));
            options.fallback = p.get_bool("discount_fallback")
                                   ? NgramOptions::DiscountFallback::kDefault
                                   : NgramOptions::DiscountFallback::kError;
            options.top_k = static_cast<int>(p.get_int("top_k"));
            options.top_p = p.get_double("top_p");
            return std::unique_ptr<TextModel>(std::make_unique<NgramTextModel>(
                options, static_cast<std::size_t>(p.get_int("max_line_length"))));
        },
});

}  // namespace
}  // namespace madlab
