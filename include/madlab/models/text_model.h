#pragma once
// Language models of a self-consuming text loop: GenerativeModel<Corpus> (TextModel in
// generative_model.h), fitted to the lines of a Corpus and sampled line by line with the
// sampling bias as temperature. Families: the built-in n-gram model (NgramTextModel below,
// which wraps NgramModel) and models that are separate programs (ExternalTextModel,
// external_text.h). A sampled Corpus shares the training corpus's vocabulary; a word outside
// it is Vocabulary::kUnk.
//
// Capabilities beyond fit and sample are optional, and a study records only what a model
// offers: perplexity of held-out real text (score_held_out: "perplexity", and for the n-gram
// model "perplexity_excluding_oov" and "oov_rate"), and, through TextVocabulary, which word
// types the model can still produce (vocabulary retention) and whether its samples may hold
// words outside the corpus vocabulary.
//
// A family that reports "oov_rate" promises that it is the share of the held-out tokens it
// scored as p(<unk> | context) (each word the model does not know, and <unk> itself): with
// TextVocabulary::known, that is what the fixed-vocabulary perplexity is derived from
// (metrics/fixed_vocabulary_perplexity.h).

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "madlab/core/rng.h"
#include "madlab/data/corpus.h"
#include "madlab/models/generative_model.h"
#include "madlab/models/model_registry.h"
#include "madlab/models/ngram.h"

namespace madlab {

// What a text family knows about the words it can produce; the text metrics ask for it.
class TextVocabulary {
public:
    virtual ~TextVocabulary() = default;
    // Whether known() says which words the model can produce (vocabulary retention).
    virtual bool knows_vocabulary() const = 0;
    // True if the model can produce `word`; meaningful only when knows_vocabulary().
    virtual bool known(TokenId /*word*/) const { return true; }
    // True when sampled text may hold words outside the corpus vocabulary (they become kUnk):
    // their share of the sampled tokens is then recorded (sample_unk_rate).
    virtual bool open_vocabulary() const = 0;
};

// The n-gram family (ngram.h) as a TextModel: the estimate is deterministic (the fit's stream is
// not used), bias is the temperature, the held-out score is KenLM query's perplexity, and every
// fit records discount_fallback (1 when the fallback discounts of model.discount_fallback were
// used: a synthetic corpus that lost its singletons).
class NgramTextModel : public TextModel, public TextVocabulary {
public:
    // Sampled lines are cut after max_line_length tokens.
    explicit NgramTextModel(NgramOptions options = {}, std::size_t max_line_length = 200)
        : model_(options), max_line_length_(max_line_length) {}

    std::string family() const override { return "ngram"; }
    bool knows_vocabulary() const override { return true; }
    bool known(TokenId word) const override { return model_.known(word); }
    bool open_vocabulary() const override { return false; }
    std::unique_ptr<TextModel> clone() const override {
        return std::make_unique<NgramTextModel>(*this);
    }

    const NgramModel& ngram() const { return model_; }

protected:
    FitInfo do_fit(const Corpus& train, FitContext<Corpus>& context) override;
    Corpus do_sample(std::size_t n_lines, double bias, Rng& rng,
                     std::string_view purpose) const override;
    NamedValues do_score_held_out(const Corpus& real) const override;

private:
    NgramModel model_;
    std::size_t max_line_length_ = 200;
};

// The config key model.max_line_length of the text families (default 200, >= 1; text only).
ConfigKey max_line_length_key();

}  // namespace madlab
