#include "madlab/study/decompose.h"

#include <fmt/core.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "../test_support.h"
#include "madlab/core/error.h"
#include "madlab/store/record_files.h"

using madlab::testing::contains;

namespace madlab {
namespace {

std::string decompose_error(const std::string& text) {
    try {
        const StudyConfig study = parse_study(text, "study.toml");
        read_decompose_options(study);
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "";
}

RunOptions quiet() {
    RunOptions run;
    run.progress = false;
    return run;
}

TEST(DecomposeOptions, WellSpecifiedFamilyFollowsTheSource) {
    auto read = [](const std::string& text) {
        return read_decompose_options(parse_study(text, "study.toml"));
    };
    const DecomposeOptions grid = read("[model]\nfamily = \"gmm\"\ncomponents = 8\nn_init = 3\n");
    EXPECT_EQ(grid.well_specified.family, "gmm");
    EXPECT_EQ(grid.well_specified.params.get_int("components"), 25);
    EXPECT_EQ(grid.well_specified.params.get_int("n_init"),
              3);  // the configured gmm options are kept
    EXPECT_EQ(grid.large_n, 20000u);
    EXPECT_EQ(grid.metric, "frechet");
    EXPECT_EQ(read("[source]\nkind = \"ring8\"\n").well_specified.params.get_int("components"), 8);
    const DecomposeOptions two =
        read("[source]\nkind = \"two-gaussians\"\n[model]\nfamily = \"kde\"\nbias = 0.5\n");
    EXPECT_EQ(two.well_specified.family, "gmm");
    EXPECT_EQ(two.well_specified.params.get_int("components"), 2);
    EXPECT_EQ(two.well_specified.bias, 0.5);  // the loop's sampling bias is kept
    EXPECT_EQ(
        read("[source]\nkind = \"gaussian\"\n[model]\nfamily = \"kde\"\n").well_specified.family,
        "gaussian");
    const DecomposeOptions custom = read(
        "[schedule]\nn = 5000\n[decompose]\nfamily = \"gmm\"\ncomponents = 30\n"
        "metric = \"coverage\"\n");
    EXPECT_EQ(custom.well_specified.params.get_int("components"), 30);
    EXPECT_EQ(custom.large_n, 50000u);  // at least 10 n
    EXPECT_FALSE(custom.lower_is_better);
}

TEST(DecomposeOptions, Errors) {
    EXPECT_TRUE(contains(decompose_error("[decompose]\nlarge = 5000\n"),
                         "did you mean 'decompose.large_n'"));
    EXPECT_TRUE(contains(decompose_error("[decompose]\nlarge = 5000\n"), "study.toml line 2"));
    EXPECT_TRUE(contains(decompose_error("[decompose]\nlarge_n = 1000\n"), "must exceed"));
    EXPECT_TRUE(contains(decompose_error("[source]\nkind = \"gaussian\"\n[decompose]\n"
                                         "components = 3\n"),
                         "gmm family only"));
    EXPECT_TRUE(contains(decompose_error("[decompose]\nmetric = \"mean_sq_err\"\n"),
                         "needs a Gaussian model"));
    // A data file: the user must name the family.
    const std::string csv = fmt::format(
        "[source]\nkind = \"csv\"\npath = \"{}/data/tabular/faithful.csv\"\n", MADLAB_SHARED_DIR);
    EXPECT_TRUE(contains(decompose_error(csv), "decompose.family is required"))
        << decompose_error(csv);
}

TEST(DecomposeOptions, ScalingKeepsTheProportions) {
    const StudyConfig study = parse_study(
        "[schedule]\npreset = \"fresh-data\"\nn = 100\nn_synthetic = 50\n", "study.toml");
    const ChainConfig big = scaled_to(study.base, 20000);
    EXPECT_EQ(big.n, 20000u);
    EXPECT_EQ(big.schedule.n_real_initial, 20000u);
    EXPECT_EQ(big.schedule.n_real_fresh, 20000u);
    EXPECT_EQ(big.schedule.n_synthetic, 10000u);
    EXPECT_EQ(big.schedule.n_real_fixed, 0u);
}

// Well-specified (Gaussian data, Gaussian model): no functional error; the statistical error
// alone grows generation after generation (SCIENCE.md sections 4-5).
TEST(DecomposeRun, GaussianOnGaussianIsAllStatistical) {
    const StudyConfig study = parse_study(R"(
[study]
seeds = 40
generations = 10
[source]
kind = "gaussian"
dim = 2
[model]
family = "gaussian"
[schedule]
n = 50
[metrics]
list = ["frechet"]
n_eval = 10
n_test = 10
[decompose]
large_n = 20000
)",
                                          "study.toml");
    const DecomposeResult r = run_decompose(study, read_decompose_options(study), quiet());
    const std::string table = format_decompose(r);
    ASSERT_EQ(r.rows.size(), 11u);
    // The reference is a Gaussian fitted on 20000 points: W2 ~ 3.5 / 20000.
    EXPECT_LT(r.reference.mean, 5e-4) << table;
    // Generation 0: E[W2] ~ d(d+5)/(4n) = 0.07 at n = 50 (40 seeds: about +-20%).
    EXPECT_NEAR(r.rows[0].total.mean, 0.07, 0.3 * 0.07) << table;
    // Same family, same seeds: statistical == total exactly, functional at generation 0 is the
    // reference itself.
    for (const auto& row : r.rows) EXPECT_EQ(row.statistical.mean, row.total.mean);
    EXPECT_EQ(r.rows[0].functional.mean, 0.0);
    // The functional part is the statistical error left at n = 20000: t * 3.5 / 20000 or so,
    // below 2% of the total at every generation (measured: 0.3%).
    for (int t = 1; t <= 10; ++t) {
        EXPECT_LT(std::abs(r.rows[t].functional.mean), 0.02 * r.rows[t].total.mean) << table;
        EXPECT_GT(r.rows[t].share_statistical, 0.98);
    }
    // The statistical part grows: the W2 random walk (measured 0.063 -> 0.56).
    EXPECT_GT(r.rows[10].statistical.ci95_low, r.rows[0].statistical.ci95_high) << table;
    EXPECT_GT(r.rows[10].statistical.mean, 4.0 * r.rows[0].statistical.mean) << table;
}

// Misspecified: one Gaussian on the two-Gaussian mixture. The functional error appears at
// generation 0 and stays; its size is the entropy gap: the Gaussian's NLL is
// 0.5 log(2 pi e 4.25) = 2.142 nats, the mixture's about log 2 + 0.5 log(2 pi e 0.25) = 1.419.
TEST(DecomposeRun, SingleGaussianOnTwoGaussiansIsFunctional) {
    const StudyConfig study = parse_study(R"(
[study]
seeds = 10
generations = 6
[source]
kind = "two-gaussians"
[model]
family = "gaussian"
[schedule]
n = 200
[metrics]
n_eval = 500
n_test = 500
[decompose]
metric = "nll"
large_n = 20000
)",
                                          "study.toml");
    const DecomposeOptions options = read_decompose_options(study);
    EXPECT_EQ(options.well_specified.family, "gmm");
    const DecomposeResult r = run_decompose(study, options, quiet());
    const std::string table = format_decompose(r);
    ASSERT_EQ(r.rows.size(), 7u);
    // Reference: gmm(2) on 20000 points, close to the mixture's entropy (500 test points:
    // about +-0.03).
    EXPECT_NEAR(r.reference.mean, 1.419, 0.05) << table;
    // The functional part is the entropy gap 0.723 from generation 0 on (measured 0.718) ...
    EXPECT_NEAR(r.rows[0].functional.mean, 0.723, 0.04) << table;
    // ... and stays: at n = 20000 the refit changes a Gaussian by ~1/sqrt(20000).
    for (const auto& row : r.rows)
        EXPECT_NEAR(row.functional.mean, r.rows[0].functional.mean, 0.01) << table;
    // It dominates the total at generation 1 (measured 99%); the statistical part of the
    // well-specified gmm(2) at n = 200 is small (measured 0.026 at generation 1).
    EXPECT_GT(r.rows[1].share_functional, 0.9) << table;
    EXPECT_LT(r.rows[1].statistical.mean, 0.1) << table;
    EXPECT_GT(r.rows[1].statistical.mean, 0.0) << table;
    // interaction = total - statistical - functional, seed by seed and in the mean.
    for (const auto& row : r.rows)
        EXPECT_NEAR(row.interaction.mean,
                    row.total.mean - row.statistical.mean - row.functional.mean, 1e-12);
}

TEST(DecomposeRun, WritesJsonAndRecords) {
    const StudyConfig study = parse_study(R"(
[study]
seeds = 3
generations = 2
[source]
kind = "gaussian"
dim = 1
[model]
family = "gaussian"
[schedule]
n = 20
[metrics]
list = ["frechet"]
n_eval = 10
n_test = 10
[decompose]
large_n = 2000
)",
                                          "study.toml");
    const DecomposeResult r = run_decompose(study, read_decompose_options(study), quiet());
    const auto dir = std::filesystem::temp_directory_path() /
                     ("madlab_decompose_test_" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    write_decompose_outputs(dir.string(), study, r);
    std::ifstream json_in(dir / "decompose.json");
    const nlohmann::json j = nlohmann::json::parse(json_in);
    EXPECT_EQ(j["decompose"]["generations_table"].size(), 3u);
    EXPECT_EQ(j["decompose"]["large_n"], 2000);
    std::ifstream csv_in(dir / "records.csv");
    std::stringstream csv;
    csv << csv_in.rdbuf();
    const auto records = records_from_csv(csv.str());
    EXPECT_EQ(records.size(), r.records.size());
    std::set<std::string> settings;
    for (const auto& rec : records) settings.insert(rec.setting);
    EXPECT_EQ(settings, (std::set<std::string>{"total", "statistical", "functional", "reference"}));
    std::filesystem::remove_all(dir);
    const std::string table = format_decompose(r);
    for (const char* part : {"statistical", "functional", "interaction", "reference"})
        EXPECT_TRUE(contains(table, part)) << part;
}

TEST(DecomposeOptions, ExampleFileReads) {
    const StudyConfig study =
        load_study(std::string(MADLAB_SOURCE_DIR) + "/examples/decompose_grid25.toml");
    const DecomposeOptions o = read_decompose_options(study);
    EXPECT_EQ(o.well_specified.params.get_int("components"), 25);
}

}  // namespace
}  // namespace madlab
