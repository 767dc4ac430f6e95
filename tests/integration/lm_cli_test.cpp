// `madlab lm` end to end on the KenLM fixture (shared/fixtures/kenlm): the ARPA file it writes
// holds the n-grams of lmplz's, with the same probabilities and backoffs; --query gives KenLM
// query's corpus perplexities; bad input stops it with a message and exit code 2.

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <utility>

#include "cli_runner.h"

namespace {

namespace fs = std::filesystem;
using madlab::testing::read_file;
using madlab::testing::run_madlab;

const std::string kFixture = std::string(MADLAB_SHARED_DIR) + "/fixtures/kenlm/";

fs::path fresh_dir(const std::string& name) {
    const fs::path dir =
        fs::temp_directory_path() / ("madlab_lm_cli_" + name + "_" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    return dir;
}

// The entries of an ARPA file: "order words" -> (log10 p, log10 backoff or 0), and the header
// counts.
struct Arpa {
    std::map<int, std::size_t> counts;
    std::map<std::string, std::pair<double, double>> entries;
};

Arpa read_arpa(const fs::path& path) {
    Arpa arpa;
    std::istringstream in(read_file(path));
    std::string line;
    int order = 0;
    while (std::getline(in, line)) {
        if (line.rfind("ngram ", 0) == 0) {
            const auto eq = line.find('=');
            arpa.counts[std::stoi(line.substr(6, eq - 6))] = std::stoull(line.substr(eq + 1));
        } else if (line.size() > 1 && line[0] == '\\' &&
                   line.find("-grams:") != std::string::npos) {
            order = std::stoi(line.substr(1));
        } else if (order > 0 && !line.empty() && line != "\\end\\") {
            std::istringstream fields(line);
            std::string prob, words, backoff;
            std::getline(fields, prob, '\t');
            std::getline(fields, words, '\t');
            std::getline(fields, backoff, '\t');
            arpa.entries[std::to_string(order) + " " + words] = {
                std::stod(prob), backoff.empty() ? 0.0 : std::stod(backoff)};
        }
    }
    return arpa;
}

TEST(LmCli, ArpaAndQueryAgreeWithKenlm) {
    const fs::path dir = fresh_dir("kenlm");
    const auto r = run_madlab("lm " + kFixture + "quijote3k.txt --order 3 --arpa " +
                              (dir / "model.arpa").string() + " --query " + kFixture +
                              "quijote3k.test.txt --format json");
    ASSERT_EQ(r.exit_code, 0) << r.output;

    const Arpa ours = read_arpa(dir / "model.arpa");
    const Arpa kenlm = read_arpa(kFixture + "quijote3k.o3.arpa");
    EXPECT_EQ(ours.counts, kenlm.counts);
    ASSERT_EQ(ours.entries.size(), kenlm.entries.size());
    // lmplz computes in float and prints 6-7 significant digits; madlab computes in double
    // (measured: within 3.5e-7 everywhere). 1e-5 is well above both roundings.
    std::size_t missing = 0;
    for (const auto& [ngram, values] : kenlm.entries) {
        const auto it = ours.entries.find(ngram);
        if (it == ours.entries.end()) {
            ++missing;
            continue;
        }
        EXPECT_NEAR(it->second.first, values.first, 1e-5) << ngram;
        EXPECT_NEAR(it->second.second, values.second, 1e-5) << ngram;
    }
    EXPECT_EQ(missing, 0u);

    // quijote3k.o3.query.summary.txt: 579.384864025688, 210.87159012631176, 621 OOVs, 3276
    // tokens. Per-sentence totals agree within 1e-4 (log10), so the corpus perplexity within
    // a relative 1e-6.
    const auto json = nlohmann::json::parse(r.output);
    EXPECT_EQ(json["ngrams"], nlohmann::json({7598, 24057, 30893}));
    const auto& q = json["query"];
    EXPECT_NEAR(q["perplexity"].get<double>(), 579.384864025688, 579.38 * 1e-6);
    EXPECT_NEAR(q["perplexity_excluding_oov"].get<double>(), 210.87159012631176, 210.87 * 1e-6);
    EXPECT_EQ(q["oov"], 621);
    EXPECT_EQ(q["tokens"], 3276);
    // lmplz's discounts of order 3 (discounts.txt): D1 0.931308, D2 1.37253, D3+ 1.71227.
    EXPECT_NEAR(json["discounts"][2][0].get<double>(), 0.931308, 1e-6);
    EXPECT_NEAR(json["discounts"][2][2].get<double>(), 1.71227, 1e-5);
    fs::remove_all(dir);
}

TEST(LmCli, BadInputIsAClearErrorAndWritesNothing) {
    const fs::path dir = fresh_dir("bad");
    const std::string arpa = (dir / "model.arpa").string();

    auto r = run_madlab("lm " + (dir / "missing.txt").string() + " --arpa " + arpa);
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_NE(r.output.find("missing.txt"), std::string::npos) << r.output;

    r = run_madlab("lm " + kFixture + "quijote3k.txt --order 7");
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_NE(r.output.find("--order"), std::string::npos) << r.output;

    std::ofstream(dir / "latin1.txt")
        << "en un lugar\nde la Mancha, de cuyo nombre no quiero acordarme\nEspa\xF1"
           "a\n";
    r = run_madlab("lm " + (dir / "latin1.txt").string() + " --arpa " + arpa);
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_NE(r.output.find("line 3"), std::string::npos) << r.output;

    // Every line the same: no singletons, so no discount can be estimated (lmplz's
    // BadDiscountException) unless --discount-fallback is given.
    {
        std::ofstream same(dir / "same.txt");
        for (int i = 0; i < 50; ++i) same << "en un lugar de la mancha\n";
    }
    r = run_madlab("lm " + (dir / "same.txt").string() + " --arpa " + arpa);
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_NE(r.output.find("--discount-fallback"), std::string::npos) << r.output;
    EXPECT_FALSE(fs::exists(arpa));

    r = run_madlab("lm " + (dir / "same.txt").string() + " --discount-fallback --arpa " + arpa);
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("fallback discounts"), std::string::npos) << r.output;
    EXPECT_TRUE(fs::exists(arpa));
    fs::remove_all(dir);
}

}  // namespace
