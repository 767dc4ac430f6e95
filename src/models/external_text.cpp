#include "madlab/models/external_text.h"

#include <fmt/format.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <vector>

#include "madlab/core/error.h"

namespace madlab {

ExternalTextModel::ExternalTextModel(ExternalOptions options,
                                     std::shared_ptr<const Vocabulary> vocabulary,
                                     TextOptions::Tokens tokens, std::size_t max_line_length)
    : steps_(std::move(options), true),
      vocabulary_(std::move(vocabulary)),
      tokens_(tokens),
      max_line_length_(max_line_length) {
    if (!vocabulary_) throw Error("ExternalTextModel needs the corpus's vocabulary");
}

void ExternalTextModel::write_lines(const std::string& path, const Corpus& corpus) const {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    for (std::size_t i = 0; i < corpus.lines(); ++i)
        out << nlohmann::json{{"text", detokenize(corpus.line(i), *vocabulary_, tokens_,
                                                  tokens_ == TextOptions::Tokens::kCharacter
                                                      ? kCharUnkText
                                                      : std::string_view{})}}
                   .dump()
            << '\n';
    out.close();
    if (!out) throw Error(fmt::format("cannot write '{}'", path));
}

FitInfo ExternalTextModel::do_fit(const Corpus& train, FitContext<Corpus>& context) {
    std::uint64_t hash =
        external_hash(train.offsets.data(), sizeof(std::size_t) * train.offsets.size());
    hash = external_hash(train.tokens.data(), sizeof(TokenId) * train.tokens.size(), hash);
    const std::string data_key =
        fmt::format("{} lines {} tokens {:016x}", train.lines(), train.token_count(), hash);
    return steps_.fit(external_place(context), context.rng, "train.jsonl", data_key,
                      [&](const std::string& path) { write_lines(path, train); });
}

Corpus ExternalTextModel::do_sample(std::size_t n_lines, double bias, Rng& rng,
                                    std::string_view purpose) const {
    Corpus out;
    out.vocabulary = vocabulary_;
    if (n_lines == 0) return out;
    const auto step = steps_.sample(
        n_lines, bias, rng, purpose, ".jsonl",
        fmt::format("{} lines there, one JSON object {{\"text\": \"...\"}} a line", n_lines));
    std::size_t count = 0;
    try {
        for_each_jsonl_object(step.path, [&](std::size_t line, const nlohmann::json& object) {
            if (++count > n_lines) return;  // reported below
            const std::string text =
                jsonl_string(object, "text", step.path, line,
                             "the model.sample command must write {\"text\": \"...\"} on every "
                             "line (docs/external.md)");
            append_sampled_line(out, text, tokens_, max_line_length_);
        });
    } catch (const DataError& e) {
        throw Error(fmt::format("{} wrote samples madlab cannot use: {}", step.where, e.what()));
    }
    if (count != n_lines)
        throw Error(
            fmt::format("{} wrote {} lines to {}; madlab asked for {} samples: exactly {} lines, "
                        "one JSON object {{\"text\": \"...\"}} a line",
                        step.where, count, step.path, n_lines, n_lines));
    steps_.commit(step);
    return out;
}

NamedValues ExternalTextModel::do_score_held_out(const Corpus& real) const {
    if (steps_.options().score.empty()) return {};
    const std::string text_path = steps_.dir() + "/heldout.jsonl";
    write_lines(text_path, real);
    const auto step = steps_.run(
        "model.score", steps_.options().score, "score", "scores",
        fmt::format("{} lines there, one JSON object {{\"logprob\": ..., \"tokens\": ...}} a line "
                    "for each line of {}",
                    real.lines(), text_path),
        {{"text", text_path}, {"scores", steps_.dir() + "/scores.jsonl"}});
    double logprob = 0.0;
    double tokens = 0.0;
    std::size_t count = 0;
    try {
        for_each_jsonl_object(step.path, [&](std::size_t line, const nlohmann::json& object) {
            ++count;
            const auto lp = object.find("logprob");
            if (lp == object.end() || !lp->is_number() || !std::isfinite(lp->get<double>()) ||
                lp->get<double>() > 0.0)
                throw DataError(fmt::format(
                    "JSONL line {} of '{}' needs \"logprob\": the natural-log probability of "
                    "the line, a finite number <= 0",
                    line, step.path));
            const auto t = object.find("tokens");
            if (t == object.end() || !t->is_number_integer() || t->get<std::int64_t>() < 1)
                throw DataError(
                    fmt::format("JSONL line {} of '{}' needs \"tokens\": the number of tokens the "
                                "log-probability covers, an integer >= 1",
                                line, step.path));
            logprob += lp->get<double>();
            tokens += static_cast<double>(t->get<std::int64_t>());
        });
    } catch (const DataError& e) {
        throw Error(fmt::format("{} wrote scores madlab cannot use: {}", step.where, e.what()));
    }
    if (count != real.lines())
        throw Error(fmt::format(
            "{} wrote {} lines to {}; madlab asked for the scores of the {} lines of {}, one "
            "JSON object {{\"logprob\": ..., \"tokens\": ...}} a line, in order",
            step.where, count, step.path, real.lines(), text_path));
    steps_.commit(step);
    return {{"perplexity", std::exp(-logprob / tokens)}};
}

}  // namespace madlab
