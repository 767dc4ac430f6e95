// `madlab lm CORPUS`: estimates madlab's n-gram language model (interpolated modified
// Kneser-Ney, as KenLM's lmplz) on a text outside any loop, prints its sizes and discounts,
// writes it as an ARPA file (--arpa) and scores a text with it (--query, KenLM query's
// convention), so that a model of any generation can be inspected with other tools.

#include <fmt/core.h>

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "command_line.h"
#include "commands.h"
#include "madlab/core/atomic_file.h"
#include "madlab/core/error.h"
#include "madlab/data/text_reader.h"
#include "madlab/data/text_source.h"
#include "madlab/models/ngram.h"

namespace madlab::cli {

namespace {

struct LmArguments {
    std::string corpus;
    int order = 3;
    std::string tokens = "word";
    bool split_sentences = false;
    bool discount_fallback = false;
    std::string arpa;
    std::string query;
    std::string format = "table";
};

}  // namespace

Action add_lm_command(CLI::App& app) {
    auto args = std::make_shared<LmArguments>();
    CLI::App* command = app.add_subcommand(
        "lm",
        "Estimate an n-gram language model (interpolated modified Kneser-Ney, as KenLM's\n"
        "lmplz) on CORPUS (a text, fortune or .jsonl file, a folder of them, or \"fortunes-es\"),\n"
        "write it as ARPA (--arpa) and report the perplexity of a text (--query), outside any\n"
        "loop.");
    command->add_option("CORPUS", args->corpus, "Training text")->required();
    command->add_option("--order", args->order, "n-gram order 1..6 (default 3)")
        ->check(whole_number(1, 6));
    command->add_option("--tokens", args->tokens, "word (whitespace, as KenLM) or char")
        ->check(CLI::IsMember({"word", "char"}));
    command->add_flag("--split-sentences", args->split_sentences,
                      "Cut lines into sentences after . ! ? and ... (books on one line)");
    command->add_flag("--discount-fallback", args->discount_fallback,
                      "Use D1 D2 D3+ = 0.5 1 1.5 where a discount cannot be estimated "
                      "(lmplz's --discount_fallback) instead of stopping");
    command->add_option("--arpa", args->arpa, "Write the model to this ARPA file (atomically)");
    command->add_option("--query", args->query,
                        "Score this text: perplexity with and without OOVs, as KenLM's query");
    command->add_option("--format,-f", args->format, "table or json (default table)")
        ->check(CLI::IsMember({"table", "json"}));

    return [args]() -> int {
        if (!args->arpa.empty()) check_output_file("--arpa", args->arpa);
        TextOptions text;
        text.tokens = args->tokens == "char" ? TextOptions::Tokens::kCharacter
                                             : TextOptions::Tokens::kWhitespace;
        text.split_sentences = args->split_sentences;
        const auto start = std::chrono::steady_clock::now();
        const std::string corpus_path = resolve_text_path(args->corpus);
        const Corpus train = make_corpus(read_text_lines(corpus_path, text), text);
        const double read_seconds = seconds_since(start);

        NgramOptions options;
        options.order = args->order;
        options.fallback = args->discount_fallback ? NgramOptions::DiscountFallback::kDefault
                                                   : NgramOptions::DiscountFallback::kError;
        NgramModel model(options);
        const auto fit_start = std::chrono::steady_clock::now();
        const FitInfo info = model.fit(train);
        const double fit_seconds = seconds_since(fit_start);

        nlohmann::ordered_json out;
        out["corpus"] = corpus_path;
        out["lines"] = train.lines();
        out["tokens"] = train.token_count();
        out["order"] = model.order();
        out["read_seconds"] = read_seconds;
        out["fit_seconds"] = fit_seconds;
        for (int k = 1; k <= model.order(); ++k) {
            const auto& d = model.discounts()[k - 1];
            out["ngrams"].push_back(model.ngram_count(k));
            out["discounts"].push_back({d[0], d[1], d[2]});
        }
        if (!info.note.empty()) out["note"] = info.note;

        if (!args->arpa.empty()) {
            // Streamed to disk: an ARPA file of a large corpus is hundreds of MB.
            write_file_atomically(
                args->arpa, [&](std::ostream& arpa) { model.write_arpa(arpa, *train.vocabulary); });
            out["arpa"] = args->arpa;
        }
        if (!args->query.empty()) {
            const Corpus text_ids = encode_with(
                read_text_lines(resolve_text_path(args->query), text), train.vocabulary, text);
            const NgramModel::Perplexity p = model.perplexity(text_ids);
            out["query"] = {{"file", args->query},
                            {"perplexity", p.perplexity},
                            {"perplexity_excluding_oov", p.perplexity_excluding_oov},
                            {"oov", p.oov},
                            {"tokens", p.tokens},
                            {"log10_sum", p.log10_sum}};
        }

        if (args->format == "json") {
            fmt::print("{}\n", out.dump(2));
            return 0;
        }
        fmt::print("{}: {} lines, {} tokens (read and tokenised in {:.2f} s)\n", corpus_path,
                   train.lines(), train.token_count(), read_seconds);
        fmt::print("order {} model estimated in {:.2f} s\n", model.order(), fit_seconds);
        for (int k = 1; k <= model.order(); ++k) {
            const auto& d = model.discounts()[k - 1];
            fmt::print("  {}-grams: {:>10}   discounts D1 {:.6f}  D2 {:.6f}  D3+ {:.6f}\n", k,
                       model.ngram_count(k), d[0], d[1], d[2]);
        }
        if (!info.note.empty()) fmt::print("note: {}\n", info.note);
        if (!args->arpa.empty()) fmt::print("ARPA: {}\n", args->arpa);
        if (out.contains("query")) {
            const auto& q = out["query"];
            fmt::print(
                "{}: perplexity including OOVs {:.6f}, excluding OOVs {:.6f}, OOVs {}, "
                "tokens {}\n",
                args->query, q["perplexity"].get<double>(),
                q["perplexity_excluding_oov"].get<double>(), q["oov"].get<std::size_t>(),
                q["tokens"].get<std::size_t>());
        }
        return 0;
    };
}

}  // namespace madlab::cli
