// End to end, text: a character-level study through the madlab binary (records, kept sample
// lines turned back into text, perplexity rising under replace), and a named corpus.

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "cli_runner.h"
#include "madlab/store/record_files.h"

namespace {

namespace fs = std::filesystem;
using madlab::testing::read_file;
using madlab::testing::run_madlab;

// The KenLM fixture's 3,000 lines of Don Quijote at character level: an order-6 model over
// about 80 code points, 1,500 lines per generation.
std::string char_study(const std::string& corpus) {
    return R"(
[study]
name = "char-text"
seeds = 1
generations = 3
sample_lines = 5
[source]
kind = "text"
path = ")" +
           corpus + R"("
tokens = "char"
[model]
family = "ngram"
order = 6
discount_fallback = true
[schedule]
n = 1500
[metrics]
n_eval = 300
token_budget = 20000
[[settings]]
name = "replace"
schedule.preset = "fully-synthetic"
[[settings]]
name = "fresh"
schedule.preset = "fresh-data"
schedule.n_real_fresh = 750
schedule.n_synthetic = 750
)";
}

TEST(TextCli, CharacterLevelStudyEndToEnd) {
    const fs::path dir = fs::temp_directory_path() / "madlab_text_cli_char";
    fs::remove_all(dir);
    fs::create_directories(dir);
    std::ofstream(dir / "study.toml")
        << char_study(std::string(MADLAB_SHARED_DIR) + "/fixtures/kenlm/quijote3k.txt");
    const auto run =
        run_madlab("run " + (dir / "study.toml").string() + " -q --out " + (dir / "out").string());
    ASSERT_EQ(run.exit_code, 0) << run.output;

    std::map<std::pair<std::string, int>, double> perplexity, line_length;
    for (const auto& r : madlab::records_from_csv(read_file(dir / "out" / "records.csv"))) {
        if (r.metric == "perplexity") perplexity[{r.setting, r.generation}] = r.value;
        if (r.metric == "mean_line_length") line_length[{r.setting, r.generation}] = r.value;
    }
    ASSERT_EQ(perplexity.size(), 8u);  // 2 settings x 4 generations
    // Character perplexity of Spanish under an order-6 model: a few units (an alphabet of
    // ~80 symbols with strong context); far from both 1 and the alphabet size.
    const double start = perplexity.at({"replace", 0});
    EXPECT_GT(start, 2.0);
    EXPECT_LT(start, 12.0);
    // Self-consumption loses the rare continuations: perplexity of real text rises under
    // replace, and keeping half real lines holds it below replace.
    EXPECT_GT(perplexity.at({"replace", 3}), start);
    EXPECT_LT(perplexity.at({"fresh", 3}), perplexity.at({"replace", 3}));
    // Real Quijote text has singletons at every order: generation 0 needs no fallback.
    for (const auto& r : madlab::records_from_csv(read_file(dir / "out" / "records.csv")))
        if (r.metric == "discount_fallback" && r.generation == 0) {
            EXPECT_EQ(r.value, 0.0);
        }
    // Lines are counted in characters: Quijote's lines average tens of characters.
    EXPECT_GT(line_length.at({"replace", 0}), 20.0);

    // Kept lines are text again: spaces restored (no "▁" left), one set per generation plus
    // the real lines at generation 0, 5 lines each.
    const auto samples = nlohmann::json::parse(read_file(dir / "out" / "samples.json"));
    ASSERT_EQ(samples["samples"].size(), 2u * (4u + 1u));
    std::size_t with_space = 0;
    for (const auto& set : samples["samples"]) {
        EXPECT_EQ(set["columns"], 0);
        EXPECT_EQ(set["lines"].size(), 5u);
        for (const auto& line : set["lines"]) {
            const std::string text = line.get<std::string>();
            EXPECT_EQ(text.find("\xE2\x96\x81"), std::string::npos) << text;
            with_space += text.find(' ') != std::string::npos;
        }
    }
    EXPECT_GT(with_space, 20u);
    fs::remove_all(dir);
}

// A corpus whose every line is the same sentence has no singletons at any order, so the
// Kneser-Ney discounts cannot be estimated from generation 0 on (lmplz's BadDiscountException).
// Without model.discount_fallback the run stops with a data error naming the key; with it, the
// run goes on and every generation's records say the fallback was used.
TEST(TextCli, DiscountFallbackIsAnErrorOrRecorded) {
    const fs::path dir = fs::temp_directory_path() / "madlab_text_cli_fallback";
    fs::remove_all(dir);
    fs::create_directories(dir);
    {
        std::ofstream corpus(dir / "same.txt");
        for (int i = 0; i < 200; ++i) corpus << "en un lugar de la mancha\n";
    }
    const std::string study = R"(
[study]
name = "fallback"
seeds = 1
generations = 2
[source]
kind = "text"
path = ")" + (dir / "same.txt").string() +
                              R"("
[model]
family = "ngram"
order = 3
[schedule]
n = 100
[metrics]
n_eval = 50
token_budget = 200
)";
    std::ofstream(dir / "error.toml") << study;
    const auto refused = run_madlab("run " + (dir / "error.toml").string() + " -q --out " +
                                    (dir / "error").string());
    EXPECT_EQ(refused.exit_code, 2) << refused.output;
    EXPECT_NE(refused.output.find("lost its singletons"), std::string::npos) << refused.output;
    EXPECT_NE(refused.output.find("model.discount_fallback = true"), std::string::npos)
        << refused.output;

    std::string with_fallback = study;
    with_fallback.replace(with_fallback.find("order = 3"), 9,
                          "order = 3\ndiscount_fallback = true");
    std::ofstream(dir / "fallback.toml") << with_fallback;
    const auto run = run_madlab("run " + (dir / "fallback.toml").string() + " -q --out " +
                                (dir / "out").string());
    ASSERT_EQ(run.exit_code, 0) << run.output;
    std::map<int, double> fallback;
    for (const auto& r : madlab::records_from_csv(read_file(dir / "out" / "records.csv")))
        if (r.metric == "discount_fallback") fallback[r.generation] = r.value;
    ASSERT_EQ(fallback.size(), 3u);  // generations 0, 1, 2
    for (const auto& [generation, value] : fallback) EXPECT_EQ(value, 1.0) << generation;
    fs::remove_all(dir);
}

// examples/fortunes_text.toml reads Debian's fortunes-es by name; without the package the
// run stops before writing anything and says what to install.
TEST(TextCli, FortunesExampleOrAClearError) {
    const fs::path dir = fs::temp_directory_path() / "madlab_text_cli_fortunes";
    fs::remove_all(dir);
    fs::create_directories(dir);
    std::string study = read_file(fs::path(MADLAB_SOURCE_DIR) / "examples" / "fortunes_text.toml");
    study.replace(study.find("seeds = 3"), 9, "seeds = 1");
    study.replace(study.find("generations = 10"), 16, "generations = 2");
    std::ofstream(dir / "study.toml") << study;
    const auto run =
        run_madlab("run " + (dir / "study.toml").string() + " -q --out " + (dir / "out").string());
    if (!fs::is_directory("/usr/share/games/fortunes/es")) {
        EXPECT_EQ(run.exit_code, 2);
        EXPECT_NE(run.output.find("apt-get install fortunes-es"), std::string::npos) << run.output;
        EXPECT_FALSE(fs::exists(dir / "out" / "records.csv"));
    } else {
        ASSERT_EQ(run.exit_code, 0) << run.output;
        const auto records = madlab::records_from_csv(read_file(dir / "out" / "records.csv"));
        std::size_t perplexities = 0;
        for (const auto& r : records)
            if (r.metric == "perplexity") {
                ++perplexities;
                EXPECT_TRUE(std::isfinite(r.value));
            }
        EXPECT_EQ(perplexities, 2u * 3u);
    }
    fs::remove_all(dir);
}

}  // namespace
