#pragma once
// A language model of a self-consuming text loop (loop/text_chain.h): fitted to the lines of a
// Corpus, sampled line by line. Families: the built-in n-gram model (NgramTextModel below,
// which wraps NgramModel) and models that are separate programs (ExternalTextModel,
// external_text.h). Constructors do not train; fit() replaces any earlier fit.
//
// Capabilities beyond fit and sample are optional, and the chain records only what a model
// offers: perplexity of held-out real text (score_held_out) and which word types the model can
// still produce (knows_vocabulary / known, for vocabulary retention). The n-gram model has
// both; an external model has perplexity when it is given a model.score command.

#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include "madlab/core/rng.h"
#include "madlab/data/corpus.h"
#include "madlab/models/generative_model.h"
#include "madlab/models/ngram.h"

namespace madlab {

// Held-out real text scored by a model.
struct HeldOutScore {
    double perplexity = 0.0;  // exp(-sum log p / tokens), tokens counted as the model counts
    std::optional<double> perplexity_excluding_oov;  // n-gram: without the OOV words' terms
    std::optional<double> oov_rate;                  // n-gram: OOV words / tokens
};

class TextModel {
public:
    virtual ~TextModel() = default;

    // Short family name as in the config ("ngram", "external").
    virtual std::string family() const = 0;

    // Fits the model to the lines of `train`. `rng` is the chain's fit stream of the generation
    // (chain_stream(seed, g, "fit")): the external family recognises its generation by it; a
    // deterministic fit may ignore it.
    virtual FitInfo fit(const Corpus& train, Rng& rng) = 0;

    // n_lines lines sampled with bias lambda in (0, 1] (the sampling temperature), each cut
    // after max_line_length tokens. The Corpus shares the training corpus's vocabulary; a word
    // outside it is Vocabulary::kUnk. Requires a fitted model.
    virtual Corpus sample(std::size_t n_lines, double bias, Rng& rng,
                          std::size_t max_line_length) const = 0;

    // Perplexity of `real` (held-out lines), or nullopt if the model cannot score text.
    virtual std::optional<HeldOutScore> score_held_out(const Corpus& /*real*/) const {
        return std::nullopt;
    }

    // Whether known() says which words the model can produce (vocabulary retention).
    virtual bool knows_vocabulary() const { return false; }
    // True if the model can produce `word`; meaningful only when knows_vocabulary().
    virtual bool known(TokenId /*word*/) const { return true; }

    // True when sampled text may hold words outside the corpus vocabulary (they become kUnk):
    // the chain then records their share of the sampled tokens (sample_unk_rate).
    virtual bool open_vocabulary() const { return false; }

    virtual std::unique_ptr<TextModel> clone() const = 0;
};

// The n-gram family (ngram.h) as a TextModel: fit ignores the Rng (the estimate is
// deterministic), bias is the temperature, the held-out score is KenLM query's perplexity.
class NgramTextModel : public TextModel {
public:
    explicit NgramTextModel(NgramOptions options = {}) : model_(options) {}

    std::string family() const override { return "ngram"; }
    FitInfo fit(const Corpus& train, Rng& rng) override;
    Corpus sample(std::size_t n_lines, double bias, Rng& rng,
                  std::size_t max_line_length) const override;
    std::optional<HeldOutScore> score_held_out(const Corpus& real) const override;
    bool knows_vocabulary() const override { return true; }
    bool known(TokenId word) const override { return model_.known(word); }
    std::unique_ptr<TextModel> clone() const override {
        return std::make_unique<NgramTextModel>(*this);
    }

    const NgramModel& ngram() const { return model_; }

private:
    NgramModel model_;
};

}  // namespace madlab
