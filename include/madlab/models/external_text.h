#pragma once
// The `external` family on text: a language model that is a separate program (a user's
// PyTorch transformer, say), driven through the loop by JSONL files. docs/external.md is the
// protocol; in short:
//
//   fit:    madlab writes the training lines to {train} (train.jsonl: one JSON object a line,
//           {"text": "..."}) and runs `model.fit`, which saves its model under {model_dir}.
//   sample: `model.sample` writes {n} lines to {samples} (JSONL, one {"text": "..."} a line).
//   score:  optional: `model.score` reads the held-out real lines from {text} (JSONL as
//           {train}) and writes {scores} (JSONL, one {"logprob": <natural-log probability of
//           the line and its end>, "tokens": <count>} per line, in order); perplexity of real
//           text = exp(-sum logprob / sum tokens). Without it, perplexity is not recorded.
//
// A line's text is its tokens joined by single spaces (word tokens) or its characters
// (character tokens), as detokenize() writes it; a word madlab does not know is "<unk>".
// Sampled text is tokenised as the corpus was (tokenize()); a word outside the corpus
// vocabulary becomes Vocabulary::kUnk, and the chain records the share of such tokens
// (sample_unk_rate): the sample metrics then count <unk> as one word type, as they count an
// n-gram model's drawn <unk>. Every output is checked (the file exists, strict UTF-8, every
// non-blank line a JSON object with a string "text" / numeric "logprob" and "tokens", exactly
// n lines); errors name the command, the setting, chain seed and generation, the file and its
// line. Folders, .done markers, timeouts, retries, pruning and resume are ExternalSteps's
// (external.h), shared with the vector family; the files end in .jsonl instead of .npy.

#include <memory>
#include <optional>
#include <string>

#include "madlab/data/text_reader.h"
#include "madlab/models/external.h"
#include "madlab/models/text_model.h"

namespace madlab {

class ExternalTextModel : public TextModel, public TextVocabulary {
public:
    // `vocabulary` is the corpus's (sampled words are looked up in it), `tokens` its
    // tokenisation; a sampled line is cut after max_line_length tokens. Throws ConfigError as
    // ExternalSteps.
    ExternalTextModel(ExternalOptions options, std::shared_ptr<const Vocabulary> vocabulary,
                      TextOptions::Tokens tokens, std::size_t max_line_length = 200);

    std::string family() const override { return "external"; }
    std::unique_ptr<TextModel> clone() const override {
        return std::make_unique<ExternalTextModel>(*this);
    }
    bool needs_work_dir() const override { return true; }
    void retire() const override { steps_.retire(); }
    // The model's vocabulary is unknown to madlab; sampled words outside the corpus vocabulary
    // become <unk> (the study records their share).
    bool knows_vocabulary() const override { return false; }
    bool open_vocabulary() const override { return true; }

    // The folder of the last fit ("" before the first).
    const std::string& generation_dir() const { return steps_.dir(); }

protected:
    FitInfo do_fit(const Corpus& train, FitContext<Corpus>& context) override;
    Corpus do_sample(std::size_t n_lines, double bias, Rng& rng,
                     std::string_view purpose) const override;
    // Runs model.score on `real`: {"perplexity", exp(-sum logprob / sum tokens)}; no values
    // without model.score.
    NamedValues do_score_held_out(const Corpus& real) const override;

private:
    // Writes the lines of `corpus` to `path` as JSONL {"text": ...}.
    void write_lines(const std::string& path, const Corpus& corpus) const;

    ExternalSteps steps_;
    std::shared_ptr<const Vocabulary> vocabulary_;
    TextOptions::Tokens tokens_;
    std::size_t max_line_length_ = 200;
};

}  // namespace madlab
