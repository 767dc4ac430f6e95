#pragma once
// Perplexity of held-out real text over one fixed vocabulary: "perplexity_fixed_vocab", next to
// KenLM's "perplexity" (SCIENCE.md section 6 "Text").
//
// Why. KenLM's query scores a held-out word outside the model's own vocabulary as <unk>, with
// the whole probability p(<unk> | context). Each generation of a collapsing loop has a smaller
// vocabulary and a larger p(<unk>), so KenLM-style perplexity can fall while the model loses the
// real tail (issue 15: 6.51 -> 4.24 on a small vocabulary while the lost real probability mass
// rose 0.12 -> 0.93): the models are scored over different event spaces. The fixed-vocabulary
// perplexity scores every model over the same one.
//
// Definition. R = the word types of the real training split (TextSource::training_vocabulary),
// the model's vocabulary V_m (TextVocabulary::known), L = |R \ V_m| the real training types the
// model has lost. Every held-out token w (each word and one </s> per line, T tokens, as KenLM)
// has the fixed-vocabulary probability
//   q(w | c) = p(w | c)                     if the model knows w (scored exactly as before),
//   q(w | c) = p(<unk> | c) / (L + 1)       otherwise,
// where p is the model's own probability in the model's own context c (a context word the model
// does not know is <unk> in c, as in KenLM's query). The model's <unk> mass is shared equally by
// the L lost types and one more class, the real vocabulary's own <unk>: every word outside R
// (and <unk> itself). So q is a distribution over V_m, R and one <unk> class (it sums to 1 in
// every context), and the words a model has lost are scored as what the model can still say of
// them: its <unk> mass, not more than a fair share of it.
//   perplexity_fixed_vocab = exp(-(1/T) sum ln q) = perplexity * (L + 1)^(oov_rate),
// since the n_oov = oov_rate * T tokens the model does not know each lose ln(L + 1) nats against
// KenLM's value. A model that lost nothing (L = 0) scores exactly its KenLM-style perplexity
// (also when the held-out text holds words outside R: they are the <unk> class either way). A
// generation-0 model trained on part of the training split already lacks some of R's words.
//
// Families. The value needs the family's held-out score "perplexity" and "oov_rate" (the share of
// held-out tokens it scored as p(<unk> | context), text_model.h) and its vocabulary
// (TextVocabulary::knows_vocabulary): the n-gram family, and the gpt family, which scores out of
// vocabulary words the same way. The external family neither reports p(<unk>) nor tells its
// vocabulary, so its value is left out, as for any input without a TextSource.

#include <cstddef>
#include <optional>
#include <span>
#include <string>

#include "madlab/data/corpus.h"
#include "madlab/metrics/metric.h"
#include "madlab/models/text_model.h"

namespace madlab {

// L: the types of `real_vocabulary` that `model` does not know. Throws Error unless
// model.knows_vocabulary().
std::size_t lost_vocabulary_types(std::span<const TokenId> real_vocabulary,
                                  const TextVocabulary& model);

// perplexity * (lost_types + 1)^oov_rate: the fixed-vocabulary perplexity from KenLM's (see the
// header comment); exactly `perplexity` when lost_types = 0 or oov_rate = 0. Requires perplexity >
// 0 and 0 <= oov_rate <= 1 (Error otherwise).
double fixed_vocabulary_perplexity(double perplexity, double oov_rate, std::size_t lost_types);

// The model's held-out score values with "perplexity_fixed_vocab" added when it is defined
// (n-gram and gpt families in a loop on a TextSource); nothing added otherwise.
// `real_vocabulary` is the fixed vocabulary R.
NamedValues with_fixed_vocabulary_perplexity(NamedValues held_out_score,
                                             std::span<const TokenId> real_vocabulary,
                                             const TextModel& model);

// The text study's "perplexity" metric: the model's held-out score of the real test set
// (GenerativeModel::score_held_out: "perplexity" as KenLM's query and what else the family
// reports), plus "perplexity_fixed_vocab" over the source's training vocabulary when the input
// has a TextSource and the family allows it. One held-out pass: the fixed-vocabulary value is
// derived from the same score.
class TextPerplexityMetric : public TextMetric {
public:
    std::string name() const override { return "perplexity"; }
    MetricValues compute(const TextMetricInput& input) const override;
};

}  // namespace madlab
