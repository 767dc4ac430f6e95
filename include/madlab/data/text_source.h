#pragma once
// A text corpus for self-consuming loops: the tokenised lines of a text, split once and for all
// into training lines and held-out lines that no model trains on.
//
// Split (by line, after tokenisation and after dropping lines with fewer than min_tokens
// tokens; lines are numbered 1..n in input order):
//   - test_fraction == 0 (the default): every held_out_every-th line is held out, i.e. lines k,
//     2k, 3k... for k = held_out_every (default 20, as shared/data/README.md suggests and as
//     shared/fixtures/kenlm's quijote3k split does). No randomness: the split does not depend on
//     split_seed. held_out_every == 0 holds nothing out.
//   - 0 < test_fraction < 1: the lines are shuffled with Rng::stream({split_seed,
//     hash_tag("text-split")}) and the first max(1, ceil(test_fraction * n)) of the shuffled
//     order are held out; held_out_every is ignored.
// Both leave at least one training line, else the constructor throws DataError.
//
// The vocabulary is built from ALL lines (training and held out) in input order, so the ids of
// every word are stable whatever the split and the held-out text has no <unk>. Every Corpus the
// source hands out shares that vocabulary. A TextSource is immutable once built, so its const
// methods may be called from several threads at once (each with its own Rng).

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "madlab/core/rng.h"
#include "madlab/data/corpus.h"
#include "madlab/data/data_source.h"
#include "madlab/data/text_reader.h"

namespace madlab {

struct TextSourceOptions {
    TextOptions text;
    // Hold out lines held_out_every, 2 * held_out_every... (1-based); 0 holds none out. Must not
    // be 1 (that would leave nothing to train on). Used when test_fraction == 0.
    std::size_t held_out_every = 20;
    // If > 0, hold out a random fraction of the lines instead. Must be in [0, 1).
    double test_fraction = 0.0;
    // Seed of the random split (test_fraction > 0 only).
    std::uint64_t split_seed = 0;
};

class TextSource : public DataSource<Corpus> {
public:
    // Tokenises `lines` (options.text) and splits them as described above. `description` names
    // the text in describe() and in errors (e.g. its path). Throws ConfigError for bad split
    // options and DataError if no line has options.text.min_tokens tokens or no training line
    // is left.
    TextSource(std::vector<std::string> lines, std::string description,
               const TextSourceOptions& options = {});

    const Vocabulary& vocabulary() const { return *vocabulary_; }
    const std::shared_ptr<const Vocabulary>& vocabulary_ptr() const { return vocabulary_; }
    const TextOptions& text_options() const { return options_.text; }

    // n_lines distinct training lines, chosen uniformly without replacement (in the random
    // order drawn). Throws DataError if n_lines > train_lines() or n_lines == 0.
    Corpus draw_train(std::size_t n_lines, Rng& rng) const override;
    // Every training line, in input order.
    Corpus train_set() const;
    // Every held-out line, in input order (no lines if nothing is held out).
    Corpus test_set() const;
    // n_lines distinct held-out lines, as draw_train; n_lines = 0: every held-out line, in
    // input order (test_set(); a chain scores every generation on all of them). Throws
    // DataError if n_lines > test_lines() or nothing is held out.
    Corpus draw_test(std::size_t n_lines, Rng& rng) const override;

    std::size_t train_lines() const { return train_.size(); }
    std::size_t test_lines() const { return test_.size(); }
    std::size_t train_tokens() const { return train_tokens_; }
    // The word types of the training split: the distinct ids of its tokens, increasing, without
    // <unk>, <s> and </s> (the fixed vocabulary that perplexity_fixed_vocab scores every
    // generation against, metrics/fixed_vocabulary_perplexity.h). Computed once, at
    // construction.
    const std::vector<TokenId>& training_vocabulary() const { return training_vocabulary_; }
    std::size_t test_tokens() const { return test_tokens_; }
    // Lines kept after tokenisation (train_lines() + test_lines()).
    std::size_t lines() const { return all_.lines(); }

    // One line, e.g. "text 'quijote.txt': 35,100 lines (33,345 train, 1,755 held out: every
    // 20th line), 381,000 whitespace tokens, 22,000 word types".
    std::string describe() const override;

private:
    Corpus gather(const std::vector<std::size_t>& line_ids) const;
    Corpus draw(const std::vector<std::size_t>& pool, std::size_t n_lines, Rng& rng,
                const char* what) const;

    std::string description_;
    TextSourceOptions options_;
    std::shared_ptr<const Vocabulary> vocabulary_;
    Corpus all_;                      // every kept line, in input order
    std::vector<std::size_t> train_;  // indices into all_, increasing
    std::vector<std::size_t> test_;   // indices into all_, increasing
    std::size_t train_tokens_ = 0;
    std::size_t test_tokens_ = 0;
    std::vector<TokenId> training_vocabulary_;
};

// Corpora known by name, for source.path: "fortunes-es" is Debian's package fortunes-es
// (/usr/share/games/fortunes/es, about 10,000 Spanish quotations and proverbs, 1 MB), which
// scripts/install-deps.sh installs as the small text corpus of a fresh machine. Returns the
// folder of a known name (DataError saying which package to install if it is missing), and any
// other path unchanged.
std::string resolve_text_path(const std::string& path);

// read_text_lines(resolve_text_path(path), options.text), then a TextSource described by `path`.
TextSource load_text_source(const std::string& path, const TextSourceOptions& options = {});

}  // namespace madlab
