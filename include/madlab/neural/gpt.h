#pragma once
// A small decoder-only transformer language model (GPT-2 style: Radford et al. 2019, "Language
// Models are Unsupervised Multitask Learners"), on LibTorch: the neural text family, the kind of
// model Shumailov et al. 2024 fine-tuned generation after generation.
//
// Architecture: token embedding + learned position embedding (model.context positions), then
// model.depth pre-LayerNorm blocks, each x + attention(LayerNorm(x)) and x + MLP(LayerNorm(x)):
// causal multi-head self-attention (model.heads heads of width / heads units, softmax of
// q k^T / sqrt(head width) with the upper triangle at -inf) and an MLP width -> 4 width (GELU)
// -> width; a final LayerNorm and a linear head to the vocabulary. No dropout, so that a fit is
// a function of its seed. Linear layers start with PyTorch's uniform fan-in initialisation,
// embeddings N(0, 0.02^2), LayerNorms at scale 1 and shift 0, all from the fit's stream.
//
// Tokens are the corpus's word ids; a line is <s> w_1 .. w_n </s> (Vocabulary::kBos, kEos).
// The model's distribution p(w | context) is the softmax of the head's logits over the allowed
// tokens: the words of this fit's training corpus (<unk> among them only if a training line
// holds it), </s>, and <unk> (so that held-out words the model never saw get a probability, as
// KenLM scores them); never <s>. Training, scoring and sampling all use that distribution.
//
// Context. Every line starts at position 0 with <s> and nothing before it: lines never see each
// other. A token at position t of its line (<s> at 0) is predicted from the tokens
// [max(0, t - context), t) of the same line, at positions 0, 1, ... of the network.
// - Training: each line is cut into windows of context + 1 tokens starting at positions 0,
//   context, 2 context...; a window predicts its tokens 1.. from the ones before it within the
//   window, so every word and every </s> is predicted exactly once per epoch (a "row" of
//   train_minibatches is a window). The loss is the mean cross-entropy over a minibatch's
//   predicted tokens. For lines shorter than the context (the usual case) a window is the line.
// - Scoring and sampling use the last `context` tokens (a sliding window): identical to
//   training for the first context + 1 tokens of a line; later tokens see a full context where
//   training's later windows saw a shorter one of the same kind (starting mid-line).
//
// Sampling (bias lambda is the temperature): every line starts from <s> and draws until </s> or
// max_line_length words. The next token's distribution is p^(1/lambda) renormalised, then, in
// this order and with the ngram family's meaning (ngram.h, Hugging Face's generate): top_k > 0
// keeps the k most probable tokens, top_p < 1 keeps the smallest set of most probable tokens
// whose probability reaches top_p; ties are ranked by token id (draw_truncated, the ngram
// family's dense sampler). <unk> is drawn only if it occurred in the training corpus. One
// uniform of the sample's Rng per token. The lines are drawn in batches of 256 that advance
// together (finished lines leave the batch). While a line fits the context, each new token
// attends to the cached keys and values of the earlier ones (one token's work per step);
// beyond, the window slides and each token is one forward pass over the last `context` tokens.
//
// Held-out score: "perplexity" = exp(-sum log p / tokens), tokens = words + one </s> per line,
// each token scored given <s> and the preceding words of its line (the last `context` tokens);
// a held-out word that is not in this fit's training corpus (and <unk> itself) is out of
// vocabulary: it is scored as <unk>, in its own term and in later contexts, as KenLM does.
// "perplexity_excluding_oov" leaves the OOV words' own terms out; "oov_rate" is their share of
// the tokens. Exact (no sampling), computed in batches.

#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "madlab/data/corpus.h"
#include "madlab/models/generative_model.h"
#include "madlab/models/text_model.h"
#include "madlab/neural/training.h"

namespace madlab {

struct GptOptions {
    TrainingOptions training{
        .epochs = 5, .batch_size = 32, .learning_rate = 1e-3, .width = 128, .depth = 4};
    int heads = 4;                      // model.heads, >= 1, divides model.width
    int context = 64;                   // model.context, >= 1: tokens the model sees
    int top_k = 0;                      // model.top_k, >= 0 (0 = all tokens)
    double top_p = 1.0;                 // model.top_p, in (0, 1]
    std::size_t max_line_length = 200;  // model.max_line_length, >= 1: words per sampled line
};

class GptModel : public TextModel, public TextVocabulary {
public:
    // `vocabulary` is the corpus's (the TextSource's): its size fixes the network's embedding
    // and head, and sampled corpora share it. Throws ConfigError naming the bad option, Error
    // for a null vocabulary.
    GptModel(GptOptions options, std::shared_ptr<const Vocabulary> vocabulary);
    GptModel(const GptModel& other);
    ~GptModel() override;

    std::string family() const override { return "gpt"; }
    std::unique_ptr<TextModel> clone() const override;
    std::optional<std::string> save_state() const override;

    // The words of this fit's training corpus (kept with the weights).
    bool knows_vocabulary() const override { return true; }
    bool known(TokenId word) const override;
    bool open_vocabulary() const override { return false; }

    const GptOptions& options() const { return options_; }
    // log p(next token | <s> words), in nats, for every token id (-inf for the tokens the model
    // never gives: <s>, and words not in the training corpus except <unk>): one unbatched
    // forward pass over the last `context` tokens of <s> words, words outside the training
    // corpus read as <unk> (requires a fit).
    std::vector<double> next_token_log_probs(std::span<const TokenId> words) const;

protected:
    // Throws DataError for a corpus whose vocabulary is larger than the model's. Records
    // fit_loss: the mean training cross-entropy of the last epoch, in nats per token.
    FitInfo do_fit(const Corpus& train, FitContext<Corpus>& context) override;
    Corpus do_sample(std::size_t n_lines, double bias, Rng& rng,
                     std::string_view purpose) const override;
    NamedValues do_score_held_out(const Corpus& real) const override;
    void do_restore_state(const std::string& state) override;

private:
    struct Network;
    std::string state() const;  // the saved state of network_ (not null)
    GptOptions options_;
    std::shared_ptr<const Vocabulary> vocabulary_;
    std::unique_ptr<Network> network_;  // null before a fit
};

}  // namespace madlab
