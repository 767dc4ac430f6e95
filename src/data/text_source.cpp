#include "madlab/data/text_source.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <utility>

#include "madlab/core/error.h"

namespace madlab {

TextSource::TextSource(std::vector<std::string> lines, std::string description,
                       const TextSourceOptions& options)
    : description_(std::move(description)), options_(options) {
    if (!(options.test_fraction >= 0.0 && options.test_fraction < 1.0)) {
        throw ConfigError(fmt::format(
            "text source '{}': test_fraction = {} is out of range; use a value in [0, 1), e.g. "
            "0.05, or 0 to hold out every held_out_every-th line",
            description_, options.test_fraction));
    }
    if (options.test_fraction == 0.0 && options.held_out_every == 1) {
        throw ConfigError(fmt::format(
            "text source '{}': held_out_every = 1 would hold out every line; use 0 (hold out "
            "nothing) or a number >= 2 (20 holds out lines 20, 40, ...)",
            description_));
    }

    auto vocab = std::make_shared<Vocabulary>();
    all_ = make_corpus(lines, *vocab, options.text);
    lines.clear();
    lines.shrink_to_fit();
    vocabulary_ = vocab;
    all_.vocabulary = vocabulary_;
    const std::size_t n = all_.lines();
    if (n == 0) {
        throw DataError(fmt::format(
            "text source '{}': no line has at least {} token(s); give more text or lower "
            "min_tokens",
            description_, options.text.min_tokens));
    }

    std::vector<char> held_out(n, 0);
    if (options.test_fraction > 0.0) {
        const auto wanted =
            static_cast<std::size_t>(std::ceil(options.test_fraction * static_cast<double>(n)));
        const std::size_t n_test = std::max<std::size_t>(1, wanted);
        Rng rng = Rng::stream({options.split_seed, hash_tag("text-split")});
        const std::vector<std::size_t> order = sample_without_replacement(n, n, rng);
        for (std::size_t k = 0; k < std::min(n_test, n); ++k) held_out[order[k]] = 1;
    } else if (options.held_out_every > 0) {
        for (std::size_t i = options.held_out_every - 1; i < n; i += options.held_out_every) {
            held_out[i] = 1;
        }
    }
    for (std::size_t i = 0; i < n; ++i) {
        const std::size_t len = all_.offsets[i + 1] - all_.offsets[i];
        if (held_out[i]) {
            test_.push_back(i);
            test_tokens_ += len;
        } else {
            train_.push_back(i);
            train_tokens_ += len;
        }
    }
    std::vector<char> in_training(vocabulary_->size(), 0);
    for (std::size_t i : train_)
        for (TokenId w : all_.line(i)) in_training[w] = 1;
    for (TokenId w = 0; w < in_training.size(); ++w)
        if (in_training[w] && w != Vocabulary::kUnk && w != Vocabulary::kBos &&
            w != Vocabulary::kEos)
            training_vocabulary_.push_back(w);
    if (train_.empty()) {
        throw DataError(fmt::format(
            "text source '{}': all {} line(s) are held out, none is left to train on; give more "
            "text or hold out less (test_fraction, held_out_every)",
            description_, n));
    }
}

Corpus TextSource::gather(const std::vector<std::size_t>& line_ids) const {
    Corpus corpus;
    corpus.vocabulary = vocabulary_;
    std::size_t tokens = 0;
    for (std::size_t i : line_ids) tokens += all_.offsets[i + 1] - all_.offsets[i];
    corpus.tokens.reserve(tokens);
    corpus.offsets.reserve(line_ids.size() + 1);
    for (std::size_t i : line_ids) corpus.add_line(all_.line(i));
    return corpus;
}

Corpus TextSource::draw(const std::vector<std::size_t>& pool, std::size_t n_lines, Rng& rng,
                        const char* what) const {
    if (n_lines == 0 || n_lines > pool.size()) {
        throw DataError(fmt::format(
            "text source '{}': cannot draw {} distinct {} line(s): it has {} ({} lines in all, "
            "{}); ask for 1 to {} lines or give a bigger corpus",
            description_, n_lines, what, pool.size(), lines(),
            options_.test_fraction > 0.0
                ? fmt::format("a fraction {} held out", options_.test_fraction)
                : (options_.held_out_every > 0
                       ? fmt::format("every {}th line held out", options_.held_out_every)
                       : std::string("none held out")),
            pool.size()));
    }
    const std::vector<std::size_t> picks = sample_without_replacement(pool.size(), n_lines, rng);
    std::vector<std::size_t> line_ids(picks.size());
    for (std::size_t k = 0; k < picks.size(); ++k) line_ids[k] = pool[picks[k]];
    return gather(line_ids);
}

Corpus TextSource::draw_train(std::size_t n_lines, Rng& rng) const {
    return draw(train_, n_lines, rng, "training");
}

Corpus TextSource::draw_test(std::size_t n_lines, Rng& rng) const {
    if (n_lines == 0) {
        if (test_.empty())
            throw DataError(describe() +
                            " holds out no lines: set a held-out share so that perplexity of "
                            "real text can be measured");
        return test_set();
    }
    return draw(test_, n_lines, rng, "held-out");
}

Corpus TextSource::train_set() const { return gather(train_); }

Corpus TextSource::test_set() const { return gather(test_); }

std::string TextSource::describe() const {
    std::string split;
    if (options_.test_fraction > 0.0) {
        split = fmt::format("a random fraction {} (seed {})", options_.test_fraction,
                            options_.split_seed);
    } else if (options_.held_out_every > 0) {
        split = fmt::format("every {}th line", options_.held_out_every);
    } else {
        split = "none";
    }
    const bool words = options_.text.tokens == TextOptions::Tokens::kWhitespace;
    return fmt::format("text '{}': {} lines ({} train, {} held out: {}), {} {} tokens, {} {} types",
                       description_, lines(), train_lines(), test_lines(), split,
                       all_.token_count(), words ? "whitespace" : "character",
                       vocabulary_->size() - 3, words ? "word" : "character");
}

std::string resolve_text_path(const std::string& path) {
    struct NamedCorpus {
        const char* name;
        const char* folder;
        const char* package;
    };
    static constexpr NamedCorpus kNamed[] = {
        {"fortunes-es", "/usr/share/games/fortunes/es", "fortunes-es"}};
    for (const auto& corpus : kNamed) {
        if (path != corpus.name) continue;
        if (std::filesystem::exists(path)) return path;  // a file of that name wins
        if (!std::filesystem::is_directory(corpus.folder))
            throw DataError(fmt::format(
                "text corpus '{}' is Debian's package {}, which is not installed ({} is "
                "missing); install it with `apt-get install {}` (scripts/install-deps.sh does)",
                corpus.name, corpus.package, corpus.folder, corpus.package));
        return corpus.folder;
    }
    return path;
}

TextSource load_text_source(const std::string& path, const TextSourceOptions& options) {
    return TextSource(read_text_lines(resolve_text_path(path), options.text), path, options);
}

}  // namespace madlab
