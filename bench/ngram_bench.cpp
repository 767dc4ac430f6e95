// NgramModel on the Spanish novels: the issue-4 benchmark (bench/RESULTS.md, "n-gram language
// model"). A plain program, not Google Benchmark: one estimation is seconds long.
//
//   build-nb/bench/ngram_bench --order 3 --path ../shared/data/text/es/novelas
//
// The corpus is prepared as for KenLM's lmplz in shared/fixtures/kenlm/TIMINGS.md: every *.txt
// file under --path (sorted path order, per subfolder), one line per paragraph, except the
// files of the subfolder novela-hispanoamericana (one line per book), which are cut into
// sentences (TextOptions::split_sentences); whitespace tokens; every 20th line (20, 40, ...) is
// held out (TextSource's default). Timed, each once: reading (UTF-8 check, splitting),
// tokenising and splitting into train / held out, fit, querying the held-out lines and the whole
// training text (KenLM's query figure is over the training file), sampling --samples lines at
// temperature 1 (the backoff path), --tempered-samples at 0.8 (rejection sampling) and
// --top-samples at temperature 1 with top_k = 50, then --top-p-samples (default: as many) with
// top_p = 0.9, and with --arpa PATH
// writing the ARPA file (lmplz's wall time includes writing it). Prints the peak RSS (getrusage
// ru_maxrss) before and after fitting and at the end, and the held-out perplexity. --repeat N
// runs the queries N times and reports the fastest (wall and CPU seconds apart).
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "madlab/core/rng.h"
#include "madlab/data/corpus.h"
#include "madlab/data/text_reader.h"
#include "madlab/data/text_source.h"
#include "madlab/models/ngram.h"

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

// CPU seconds of the process since c0 (the benchmark is single-threaded).
double cpu_since(std::clock_t c0) {
    return static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC;
}

double peak_rss_mib() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

[[noreturn]] void usage_error(const char* message) {
    std::fprintf(
        stderr,
        "ngram_bench: %s\n"
        "usage: ngram_bench [--order N] [--path DIR] [--samples N] "
        "[--tempered-samples N] [--top-samples N] [--top-p-samples N] [--repeat N] [--seed S] "
        "[--arpa FILE]\n",
        message);
    std::exit(2);
}

// Sampled tokens: the words plus one end token a line (</s>, or the cut at max_len).
std::size_t sampled_tokens(const madlab::Corpus& c) { return c.token_count() + c.lines(); }

}  // namespace

int main(int argc, char** argv) {
    int order = 3;
    std::string path = "../shared/data/text/es/novelas";
    std::size_t samples = 10000;
    std::size_t tempered_samples = 50;
    std::size_t top_samples = 200;
    std::size_t top_p_samples = 0;  // 0: as --top-samples
    int repeat = 1;                 // queries timed this many times, the fastest reported
    std::uint64_t seed = 1;
    std::string arpa;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (i + 1 >= argc) usage_error(("missing value after " + arg).c_str());
        const std::string value = argv[++i];
        if (arg == "--order") {
            order = std::atoi(value.c_str());
        } else if (arg == "--path") {
            path = value;
        } else if (arg == "--samples") {
            samples = std::strtoull(value.c_str(), nullptr, 10);
        } else if (arg == "--tempered-samples") {
            tempered_samples = std::strtoull(value.c_str(), nullptr, 10);
        } else if (arg == "--top-samples") {
            top_samples = std::strtoull(value.c_str(), nullptr, 10);
        } else if (arg == "--repeat") {
            repeat = std::max(1, std::atoi(value.c_str()));
        } else if (arg == "--top-p-samples") {
            top_p_samples = std::strtoull(value.c_str(), nullptr, 10);
        } else if (arg == "--seed") {
            seed = std::strtoull(value.c_str(), nullptr, 10);
        } else if (arg == "--arpa") {
            arpa = value;
        } else {
            usage_error(("unknown option " + arg).c_str());
        }
    }

    try {
        // Reading: per subfolder, sorted, so the hispanoamericana books alone are split.
        auto t0 = Clock::now();
        std::vector<std::filesystem::path> folders;
        for (const auto& entry : std::filesystem::directory_iterator(path))
            if (entry.is_directory()) folders.push_back(entry.path());
        std::sort(folders.begin(), folders.end());
        if (folders.empty()) folders.push_back(path);
        std::vector<std::string> lines;
        for (const auto& folder : folders) {
            madlab::TextOptions text;
            text.split_sentences = folder.filename() == "novela-hispanoamericana";
            std::vector<std::string> part = madlab::read_text_lines(folder.string(), text);
            lines.insert(lines.end(), std::make_move_iterator(part.begin()),
                         std::make_move_iterator(part.end()));
        }
        const double read_s = seconds_since(t0);

        t0 = Clock::now();
        std::size_t bytes = 0;
        for (const auto& line : lines) bytes += line.size() + 1;
        madlab::TextSourceOptions source_options;  // whitespace tokens, every 20th line held out
        const madlab::TextSource source(std::move(lines), path, source_options);
        const madlab::Corpus train = source.train_set();
        const madlab::Corpus test = source.test_set();
        const double tokenise_s = seconds_since(t0);

        madlab::NgramOptions options;
        options.order = order;
        madlab::NgramModel model(options);
        const double rss_before_fit = peak_rss_mib();
        t0 = Clock::now();
        const madlab::FitInfo info = model.fit(train);
        const double fit_s = seconds_since(t0);
        const double rss_fit = peak_rss_mib();

        double arpa_s = 0.0;
        if (!arpa.empty()) {
            t0 = Clock::now();
            std::ofstream out(arpa);
            model.write_arpa(out, source.vocabulary());
            out.close();
            arpa_s = seconds_since(t0);
        }

        // CPU seconds beside wall seconds: the machine is shared, and contention inflates CPU
        // time much less than wall time.
        std::clock_t c0 = std::clock();
        madlab::NgramModel::Perplexity held_out, on_train;
        double query_test_s = HUGE_VAL, query_test_cpu = HUGE_VAL;
        double query_train_s = HUGE_VAL, query_train_cpu = HUGE_VAL;
        for (int r = 0; r < repeat; ++r) {
            t0 = Clock::now();
            c0 = std::clock();
            held_out = model.perplexity(test);
            query_test_s = std::min(query_test_s, seconds_since(t0));
            query_test_cpu = std::min(query_test_cpu, cpu_since(c0));
            t0 = Clock::now();
            c0 = std::clock();
            on_train = model.perplexity(train);
            query_train_s = std::min(query_train_s, seconds_since(t0));
            query_train_cpu = std::min(query_train_cpu, cpu_since(c0));
        }

        madlab::Rng rng(seed);
        t0 = Clock::now();
        const madlab::Corpus s1 = model.sample(samples, 1.0, rng);
        const double sample1_s = seconds_since(t0);
        t0 = Clock::now();
        const madlab::Corpus s08 = model.sample(tempered_samples, 0.8, rng);
        const double sample08_s = seconds_since(t0);
        t0 = Clock::now();
        model.sample(1, 1.0, rng, 1, 50);  // builds the top-k / top-p tables
        const double top_tables_s = seconds_since(t0);
        t0 = Clock::now();
        const madlab::Corpus s_k = model.sample(top_samples, 1.0, rng, 200, 50);
        const double sample_k_s = seconds_since(t0);
        t0 = Clock::now();
        c0 = std::clock();
        const madlab::Corpus s_p =
            model.sample(top_p_samples > 0 ? top_p_samples : top_samples, 1.0, rng, 200, 0, 0.9);
        const double sample_p_s = seconds_since(t0);
        const double sample_p_cpu = cpu_since(c0);

        std::printf("corpus        %s\n", source.describe().c_str());
        std::printf("training      %zu lines, %zu tokens (without </s>), %.1f MB of text\n",
                    source.train_lines(), source.train_tokens(),
                    static_cast<double>(bytes) / 1e6 * static_cast<double>(source.train_tokens()) /
                        static_cast<double>(source.train_tokens() + source.test_tokens()));
        std::printf("model         order %d, vocabulary %zu, n-grams", order,
                    model.vocabulary_size());
        for (int k = 1; k <= order; ++k) std::printf(" %zu", model.ngram_count(k));
        std::printf(", tables %.0f MiB%s%s\n",
                    static_cast<double>(model.memory_bytes()) / (1024.0 * 1024.0),
                    info.note.empty() ? "" : "; ", info.note.c_str());
        std::printf("read          %8.3f s\n", read_s);
        std::printf("tokenise      %8.3f s\n", tokenise_s);
        std::printf("fit           %8.3f s\n", fit_s);
        std::printf("read+tok+fit  %8.3f s\n", read_s + tokenise_s + fit_s);
        if (!arpa.empty()) std::printf("write ARPA    %8.3f s (%s)\n", arpa_s, arpa.c_str());
        std::printf(
            "query test    %8.3f s  %6.2f M tokens/s (%zu tokens with </s>; %.2f M/CPU s)\n",
            query_test_s, static_cast<double>(held_out.tokens) / query_test_s / 1e6,
            held_out.tokens, static_cast<double>(held_out.tokens) / query_test_cpu / 1e6);
        std::printf(
            "query train   %8.3f s  %6.2f M tokens/s (%zu tokens with </s>; %.2f M/CPU s)\n",
            query_train_s, static_cast<double>(on_train.tokens) / query_train_s / 1e6,
            on_train.tokens, static_cast<double>(on_train.tokens) / query_train_cpu / 1e6);
        std::printf("sample T=1    %8.3f s  %10.0f tokens/s (%zu lines, %zu tokens with </s>)\n",
                    sample1_s, static_cast<double>(sampled_tokens(s1)) / sample1_s, s1.lines(),
                    sampled_tokens(s1));
        std::printf("sample T=0.8  %8.3f s  %10.0f tokens/s (%zu lines, %zu tokens with </s>)\n",
                    sample08_s, static_cast<double>(sampled_tokens(s08)) / sample08_s, s08.lines(),
                    sampled_tokens(s08));
        std::printf("top tables    %8.3f s  (first top-k sample: one line of one token)\n",
                    top_tables_s);
        std::printf("sample k=50   %8.3f s  %10.0f tokens/s (%zu lines, %zu tokens with </s>)\n",
                    sample_k_s, static_cast<double>(sampled_tokens(s_k)) / sample_k_s, s_k.lines(),
                    sampled_tokens(s_k));
        std::printf(
            "sample p=0.9  %8.3f s  %10.0f tokens/s (%zu lines, %zu tokens with </s>; %.0f "
            "tokens/CPU s)\n",
            sample_p_s, static_cast<double>(sampled_tokens(s_p)) / sample_p_s, s_p.lines(),
            sampled_tokens(s_p), static_cast<double>(sampled_tokens(s_p)) / sample_p_cpu);
        std::printf("perplexity    %.4f held out (%.4f excluding %zu OOV), %.4f on training\n",
                    held_out.perplexity, held_out.perplexity_excluding_oov, held_out.oov,
                    on_train.perplexity);
        // Every digit, for comparing query results across versions of the model.
        std::printf("log10 sums    %.17g held out, %.17g on training (perplexity %.17g, %.17g)\n",
                    held_out.log10_sum, on_train.log10_sum, held_out.perplexity,
                    on_train.perplexity);
        std::printf("peak RSS      %.0f MiB before fit, %.0f MiB after fit, %.0f MiB at the end\n",
                    rss_before_fit, rss_fit, peak_rss_mib());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "ngram_bench: %s\n", e.what());
        return 1;
    }
    return 0;
}
