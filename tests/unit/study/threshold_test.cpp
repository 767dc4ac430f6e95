#include "madlab/study/threshold.h"

#include <fmt/core.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "../test_support.h"
#include "madlab/core/error.h"
#include "madlab/core/statistics.h"
#include "madlab/store/record_files.h"
#include "madlab/store/summary.h"

using madlab::testing::contains;

namespace madlab {
namespace threshold_test {

// A 2-D Gaussian source with a Gaussian model: frechet is the exact squared 2-Wasserstein
// distance of the fitted model, so n_eval and n_test do not matter and can be tiny.
std::string gaussian_study(int seeds, int generations, double bias, const std::string& extra) {
    return fmt::format(R"(
[study]
seeds = {}
generations = {}
[source]
kind = "gaussian"
dim = 2
[model]
family = "gaussian"
bias = {}
[schedule]
preset = "fresh-data"
n = 100
[metrics]
list = ["frechet"]
n_eval = 10
n_test = 10
[threshold]
{}
)",
                       seeds, generations, bias, extra);
}

std::string threshold_error(const std::string& text) {
    try {
        const StudyConfig study = parse_study(text, "study.toml");
        read_threshold_options(study);
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

TEST(ThresholdOptions, Defaults) {
    const StudyConfig study = parse_study(gaussian_study(10, 20, 1.0, ""), "study.toml");
    const ThresholdOptions o = read_threshold_options(study);
    ASSERT_EQ(o.metrics.size(), 1u);  // the metrics the setting records: frechet
    EXPECT_EQ(o.metrics.front().name, "frechet");
    EXPECT_TRUE(o.metrics.front().lower_is_better);
    EXPECT_DOUBLE_EQ(o.tolerance, 0.1);
    EXPECT_TRUE(o.relative);
    // n * {0, 1/32, 1/16, 1/8, 1/4, 1/2, 1}, rounded, n = 100.
    EXPECT_EQ(o.candidates, (std::vector<std::size_t>{0, 3, 6, 13, 25, 50, 100}));
    EXPECT_EQ(o.ess_n_real_fresh, 100u);  // the setting's n_real_fresh
    EXPECT_EQ(o.ess_n_synthetic, (std::vector<std::size_t>{0, 25, 50, 100, 200, 400, 800}));
    EXPECT_EQ(o.ess_real_sizes.front(), 6u);  // 100 / 16, rounded
    EXPECT_EQ(o.ess_real_sizes.back(), 3200u);
    EXPECT_EQ(o.ess_generations, 20);
    EXPECT_EQ(o.limit_generations, 5);
    EXPECT_EQ(o.ess_real_seeds, 40);
}

TEST(ThresholdOptions, DirectionFollowsTheMetric) {
    const StudyConfig study = parse_study(R"(
[metrics]
list = ["prdc"]
[threshold]
metric = "recall"
tolerance = 0.05
tolerance_kind = "absolute"
candidates = [400, 0, 100, 100]
)",
                                          "study.toml");
    const ThresholdOptions o = read_threshold_options(study);
    ASSERT_EQ(o.metrics.size(), 1u);
    EXPECT_EQ(o.metrics.front().name, "recall");
    EXPECT_FALSE(o.metrics.front().lower_is_better);
    EXPECT_FALSE(o.relative);
    EXPECT_EQ(o.candidates, (std::vector<std::size_t>{0, 100, 400}));  // sorted, distinct
}

TEST(ThresholdOptions, ErrorsNameTheLineAndSuggest) {
    const std::string base = gaussian_study(10, 20, 1.0, "");
    EXPECT_TRUE(
        contains(threshold_error(base + "tolerence = 0.2\n"), "did you mean 'threshold.tolerance'"))
        << threshold_error(base + "tolerence = 0.2\n");
    EXPECT_TRUE(contains(threshold_error(base + "tolerence = 0.2\n"), "study.toml line 20"));
    EXPECT_TRUE(contains(threshold_error(base + "metric = \"fid\"\n"), "precision"));
    EXPECT_TRUE(contains(threshold_error(base + "candidates = [1.5]\n"), "integer"));
    EXPECT_TRUE(contains(threshold_error(base + "setting = \"nope\"\n"), "not a setting"));
    EXPECT_TRUE(contains(threshold_error(base + "limit_generations = 30\n"), "exceeds"));
    EXPECT_TRUE(contains(threshold_error(gaussian_study(1, 20, 1.0, "")), "seeds >= 2"));
    // Gaussian drift needs a Gaussian model.
    EXPECT_TRUE(contains(threshold_error("[threshold]\nmetric = \"mean_sq_err\"\n"),
                         "needs a Gaussian model"));
    EXPECT_EQ(threshold_error(base + "metric = \"mean_sq_err\"\n"), "");
}

TEST(ThresholdEss, PowerLawIsInvertedExactly) {
    // f(m) = 3.5 / m (the exact W2 of a 2-D Gaussian fit, to first order): log-log
    // interpolation inverts a power law exactly, between and on grid points.
    const std::vector<std::size_t> m = {10, 20, 40, 80, 160};
    std::vector<double> f;
    for (std::size_t x : m) f.push_back(3.5 / static_cast<double>(x));
    std::string clamped;
    EXPECT_NEAR(effective_sample_size(m, f, 3.5 / 30.0, true, &clamped), 30.0, 1e-9);
    EXPECT_EQ(clamped, "");
    EXPECT_NEAR(effective_sample_size(m, f, 3.5 / 80.0, true, &clamped), 80.0, 1e-9);
    EXPECT_NEAR(effective_sample_size(m, f, 3.5 / 123.0, true, &clamped), 123.0, 1e-9);
    // Outside the grid: clamped to its ends, and said so.
    EXPECT_EQ(effective_sample_size(m, f, 1.0, true, &clamped), 10.0);
    EXPECT_EQ(clamped, "below");
    EXPECT_EQ(effective_sample_size(m, f, 0.001, true, &clamped), 160.0);
    EXPECT_EQ(clamped, "above");
    EXPECT_EQ(effective_sample_size(m, f, 0.0, true, &clamped), 160.0);
    EXPECT_EQ(clamped, "above");
}

TEST(ThresholdEss, HigherIsBetterAndNoisyCurves) {
    // A recall-like curve 1 - 1/sqrt(m), increasing.
    const std::vector<std::size_t> m = {4, 16, 64, 256};
    std::vector<double> f;
    for (std::size_t x : m) f.push_back(1.0 - 1.0 / std::sqrt(static_cast<double>(x)));
    const double at16 = effective_sample_size(m, f, f[1], false);
    EXPECT_NEAR(at16, 16.0, 1e-9);
    const double between = effective_sample_size(m, f, 0.8, false);  // true m = 25
    EXPECT_GT(between, 16.0);
    EXPECT_LT(between, 64.0);
    // Pool-adjacent-violators: a noisy bump is averaged away, the rest is kept.
    EXPECT_EQ(monotone_fit({4.0, 2.0, 3.0, 1.0}, true), (std::vector<double>{4.0, 2.5, 2.5, 1.0}));
    EXPECT_EQ(monotone_fit({0.2, 0.5, 0.4, 0.9}, false),
              (std::vector<double>{0.2, 0.45, 0.45, 0.9}));
    EXPECT_EQ(monotone_fit({3.0, 2.0, 1.0}, true), (std::vector<double>{3.0, 2.0, 1.0}));
}

// The search on a Gaussian: 100 seeds so that the 95% intervals are narrow, 10 generations.
TEST(ThresholdSearch, FindsTheSmallestSufficientFreshData) {
    const StudyConfig study =
        parse_study(gaussian_study(100, 10, 1.0, "ess = false\nrefine = 2\n"), "study.toml");
    const ThresholdOptions options = read_threshold_options(study);
    const ThresholdResult r = run_threshold(study, options, quiet());

    // Baseline: a Gaussian fitted on 100 real points; E[W2] ~ d(d+5)/(4n) = 0.035 (to first
    // order); 100 seeds of a chi-square-like value give about +-15%.
    EXPECT_NEAR(r.primary().baseline.mean, 0.035, 0.35 * 0.035);
    EXPECT_DOUBLE_EQ(r.primary().allowed, 0.1 * r.primary().baseline.mean);

    ASSERT_GE(r.primary().candidates.size(), 7u);
    // No fresh data is the fully synthetic loop: the W2 random walk grows from generation 1.
    EXPECT_EQ(r.primary().candidates.front().n_real_fresh, 0u);
    EXPECT_FALSE(r.primary().candidates.front().passes);
    EXPECT_EQ(r.primary().candidates.front().first_failure, 1);
    EXPECT_EQ(r.primary().candidates.front().real_fraction, 0.0);
    // n_real_fresh = n_synthetic = 100 beats the baseline: its n_e is about 1.5 n (see
    // the phase transition test), so its W2 is about 2/3 of the baseline's.
    EXPECT_TRUE(r.primary().candidates.back().passes);
    ASSERT_TRUE(r.primary().answer.has_value());
    const ThresholdCandidate& answer = r.primary().candidates[*r.primary().answer];
    EXPECT_GT(answer.n_real_fresh, 25u);
    EXPECT_LE(answer.n_real_fresh, 100u);
    EXPECT_DOUBLE_EQ(answer.real_fraction, answer.n_real_fresh / (answer.n_real_fresh + 100.0));
    // Bisection ran between the largest failing and the smallest passing grid candidates.
    EXPECT_TRUE(std::any_of(r.primary().candidates.begin(), r.primary().candidates.end(),
                            [](const auto& c) { return c.refined; }));
    for (std::size_t i = 1; i < r.primary().candidates.size(); ++i)
        EXPECT_LT(r.primary().candidates[i - 1].n_real_fresh,
                  r.primary().candidates[i].n_real_fresh);
    EXPECT_FALSE(r.primary().candidates[*r.primary().answer - 1].passes);
    // Every candidate above the answer passes, by definition of the answer.
    for (std::size_t i = *r.primary().answer; i < r.primary().candidates.size(); ++i)
        EXPECT_TRUE(r.primary().candidates[i].passes);

    // The criterion recomputed from the records (a naive reference): a candidate passes iff at
    // every generation 1..G the paired upper 95% bound is within the allowed degradation.
    for (const auto& c : r.primary().candidates) {
        const std::string name = fmt::format("candidate n_real_fresh={}", c.n_real_fresh);
        std::map<std::pair<std::uint64_t, int>, double> v;
        for (const auto& rec : r.records)
            if (rec.setting == name && rec.metric == "frechet")
                v[{rec.seed, rec.generation}] = rec.value;
        bool passes = true;
        for (int t = 1; t <= 10; ++t) {
            std::vector<Record> diffs;
            for (std::uint64_t s = 0; s < 100; ++s)
                diffs.push_back(Record{"d", s, t, "d", v.at({s, t}) - v.at({s, 0})});
            const SummaryRow row = summarize(diffs).front();
            EXPECT_NEAR(row.ci95_high, c.generations[t].degradation.ci95_high, 1e-12);
            passes = passes && row.ci95_high <= r.primary().allowed;
        }
        EXPECT_EQ(passes, c.passes) << c.n_real_fresh;
    }
    const std::string table = format_threshold(r);
    EXPECT_TRUE(
        contains(table, fmt::format("answer (frechet): n_real_fresh = {}", answer.n_real_fresh)))
        << table;
}

TEST(ThresholdSearch, SaysWhenNoCandidateSuffices) {
    const StudyConfig study =
        parse_study(gaussian_study(20, 5, 1.0, "ess = false\ncandidates = [0, 5]\n"), "study.toml");
    const ThresholdResult r = run_threshold(study, read_threshold_options(study), quiet());
    EXPECT_FALSE(r.primary().answer.has_value());
    EXPECT_TRUE(contains(format_threshold(r), "none of the candidates suffices"));
    EXPECT_TRUE(threshold_to_json(r)["answer_n_real_fresh"].is_null());
}

// The effective sample size of the fresh-data loop (Alemohammad et al. 2023, SCIENCE.md
// section 5). Theory for a Gaussian refit with n_r fresh and n_s = k n_r synthetic points per
// generation: the fitted mean is an AR(1) process with stationary variance
// (1 + k lambda) / ((1 + 2k) n_r) per coordinate, and for lambda < 1 the covariance shrinks to
// Sigma / (1 + (1 - lambda) k), a bias that grows with k. So for lambda = 1 n_e / n_r rises to
// (1 + 2k) / (1 + k) -> 2 and never falls; for lambda < 1 the bias takes over past a threshold
// of n_synthetic (phase transition). The Frechet distance scores N(mu, lambda Sigma), the
// distribution the samples come from (metrics/frechet.h), in the loop and in the real-only
// curve alike. Measured here (40 seeds, 60 generations, limit = last 30, real-only curve from
// 1000 seeds; n_r = 100):
//   n_synthetic      0     25    50    100   200   400   800   1600
//   lambda = 1       1.07  1.26  1.38  1.54  1.75  1.89  2.03  1.95  (rises to ~2)
//   lambda = 0.9     1.07  1.18  1.17  1.02  0.74  0.41  0.20  0.11  (peak, then falls)
TEST(ThresholdEss, PhaseTransitionForBiasBelowOne) {
    const std::string ess =
        "candidates = [100]\nrefine = 0\n"
        "ess_n_synthetic = [0, 25, 50, 100, 200, 400, 800, 1600]\n"
        "ess_real_sizes = [6, 12, 25, 50, 100, 200, 400, 800]\n"
        "limit_generations = 30\ness_real_seeds = 1000\n";
    auto ratios = [&](double bias) {
        const StudyConfig study = parse_study(gaussian_study(40, 60, bias, ess), "study.toml");
        const ThresholdResult r = run_threshold(study, read_threshold_options(study), quiet());
        std::vector<double> out;
        for (const auto& p : r.primary().ess) out.push_back(p.ratio);
        EXPECT_EQ(out.size(), 8u) << format_threshold(r);
        return std::make_pair(out, format_threshold(r));
    };
    const auto [unbiased, unbiased_table] = ratios(1.0);
    const auto [biased, biased_table] = ratios(0.9);
    ASSERT_EQ(unbiased.size(), 8u);
    ASSERT_EQ(biased.size(), 8u);

    // No synthetic data: the loop is a real-only refit of n_r points, n_e = n_r. The limit
    // averages 40 x 30 values (about +-5%), the curve 1000 seeds (+-4%): allow +-20%.
    EXPECT_NEAR(unbiased[0], 1.0, 0.2) << unbiased_table;
    // The same fits (no synthetic data); the bias moves the loop's limit and the real-only curve
    // by the same offset of the biased sampler, so n_e barely moves (1.0687 vs 1.0679).
    EXPECT_NEAR(unbiased[0], biased[0], 0.02);

    // lambda = 1: synthetic data helps (ratio > 1) and keeps helping; the theory gives 1.89 at
    // k = 8 and 1.94 at k = 16; each n_e carries about +-12% from the limit's interval.
    const double best = *std::max_element(unbiased.begin(), unbiased.end());
    for (std::size_t i = 1; i < 8; ++i) EXPECT_GT(unbiased[i], 1.1) << unbiased_table;
    EXPECT_GT(unbiased[7], 1.6) << unbiased_table;
    EXPECT_GE(unbiased[6], 0.85 * best) << unbiased_table;
    EXPECT_GE(unbiased[7], 0.85 * best) << unbiased_table;
    EXPECT_GT(unbiased[7], unbiased[1]) << unbiased_table;

    // lambda = 0.9: rises above 1, peaks at an interior n_synthetic, then falls far below 1
    // (theory at k = 16: covariance shrunk to 1/2.6, W2 ~ 0.4, n_e ~ 9, ratio ~ 0.09).
    const auto peak = std::max_element(biased.begin(), biased.end()) - biased.begin();
    EXPECT_GT(peak, 0) << biased_table;
    EXPECT_LT(peak, 5) << biased_table;
    // Above 1 by more than the 95% interval's half-width of n_e / n_r (about 0.05).
    EXPECT_GT(biased[peak], 1.1) << biased_table;
    EXPECT_LT(biased[5], 0.8) << biased_table;   // n_synthetic = 400
    EXPECT_LT(biased[7], 0.25) << biased_table;  // n_synthetic = 1600
    for (std::size_t i = peak + 1; i < 8; ++i) EXPECT_LT(biased[i], biased[i - 1] + 0.05);
    // Past the peak the biased loop is worse than the unbiased one.
    for (std::size_t i = 4; i < 8; ++i) EXPECT_LT(biased[i], unbiased[i]);
}

TEST(ThresholdOutputs, WritesJsonAndRecords) {
    const StudyConfig study =
        parse_study(gaussian_study(5, 3, 1.0,
                                   "candidates = [0, 100]\ness_n_synthetic = [0, 100]\n"
                                   "ess_real_sizes = [50, 100, 200]\n"),
                    "study.toml");
    const ThresholdResult r = run_threshold(study, read_threshold_options(study), quiet());
    const auto dir = std::filesystem::temp_directory_path() /
                     ("madlab_threshold_test_" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    write_threshold_outputs(dir.string(), study, r);
    std::ifstream json_in(dir / "threshold.json");
    const nlohmann::json j = nlohmann::json::parse(json_in);
    EXPECT_EQ(j["threshold"]["metric"], "frechet");
    EXPECT_EQ(j["threshold"]["candidates"].size(), 2u);
    EXPECT_EQ(j["threshold"]["effective_sample_size"]["points"].size(), 2u);
    EXPECT_EQ(j["threshold"]["effective_sample_size"]["real_only_curve"].size(), 3u);
    std::ifstream csv_in(dir / "records.csv");
    std::stringstream csv;
    csv << csv_in.rdbuf();
    EXPECT_EQ(records_from_csv(csv.str()).size(), r.records.size());
    std::filesystem::remove_all(dir);
    const std::string table = format_threshold(r);
    for (const char* part : {"baseline", "n_e / n_real_fresh", "real data only"})
        EXPECT_TRUE(contains(table, part)) << part << "\n" << table;
}

TEST(ThresholdOptions, EveryRecordedMetricByDefault) {
    // metrics.list = ["frechet", "prdc", "gaussian_drift"] with a Gaussian model and source:
    // every analysable metric they record, in analysis_metrics()' order.
    std::string text = gaussian_study(10, 20, 1.0, "");
    text.replace(text.find("list = [\"frechet\"]"), 18,
                 "list = [\"frechet\", \"prdc\", \"gaussian_drift\"]");
    const ThresholdOptions o = read_threshold_options(parse_study(text, "study.toml"));
    std::vector<std::string> names;
    for (const auto& m : o.metrics) names.push_back(m.name);
    EXPECT_EQ(names, (std::vector<std::string>{"frechet", "mean_sq_err", "precision", "recall",
                                               "density", "coverage"}));
    const ThresholdOptions listed = read_threshold_options(parse_study(
        gaussian_study(10, 20, 1.0, "metrics = [\"recall\", \"frechet\"]\n"), "study.toml"));
    ASSERT_EQ(listed.metrics.size(), 2u);
    EXPECT_EQ(listed.metrics[0].name, "recall");
    EXPECT_FALSE(listed.metrics[0].lower_is_better);
    const std::string base = gaussian_study(10, 20, 1.0, "");
    EXPECT_TRUE(
        contains(threshold_error(base + "metric = \"nll\"\nmetrics = [\"nll\"]\n"), "both set"));
    EXPECT_TRUE(contains(threshold_error(base + "metrics = [\"fid\"]\n"), "precision"));
    EXPECT_TRUE(contains(threshold_error(base + "real_fractions = [0.5, 1.5]\n"), "[0, 1]"));
    EXPECT_TRUE(contains(threshold_error(base + "real_fractions = [0.5]\ncandidates = [10]\n"),
                         "both set"));
    // 200 new points per generation (100 fresh + 100 synthetic): 0.5 and 0.501 are both 100.
    EXPECT_TRUE(
        contains(threshold_error(base + "real_fractions = [0.5, 0.501]\n"), "same n_real_fresh"));
}

// Regression (Gerstgrasser et al.'s setting with fresh data): both regression metrics are
// analysed by default. No fresh data is the replace loop, whose test error grows by the one-fit
// error every generation (SCIENCE.md section 5): it fails from generation 1. 400 fresh points
// per generation against a 50-point baseline make the error about 8 times smaller: it passes.
TEST(ThresholdSearch, RegressionMetrics) {
    const std::string text = R"(
[study]
seeds = 20
generations = 5
[source]
kind = "linear-regression"
dim = 5
[model]
family = "linear-regression"
noise = 1.0
[schedule]
preset = "fresh-data"
n = 50
[metrics]
list = ["regression"]
n_eval = 50
n_test = 200
[threshold]
candidates = [0, 400]
refine = 0
ess = false
)";
    const StudyConfig study = parse_study(text, "study.toml");
    const ThresholdOptions o = read_threshold_options(study);
    ASSERT_EQ(o.metrics.size(), 2u);
    EXPECT_EQ(o.metrics[0].name, "test_error");
    EXPECT_EQ(o.metrics[1].name, "test_mse");
    const ThresholdResult r = run_threshold(study, o, quiet());
    for (const ThresholdMetricResult& m : r.metrics) {
        EXPECT_EQ(m.candidates.front().result, CandidateResult::kFail) << format_threshold(r);
        EXPECT_EQ(m.candidates.front().first_failure, 1);
        EXPECT_TRUE(m.candidates.back().passes) << format_threshold(r);
    }
    // fit_lost_mass is the categorical family's own value.
    EXPECT_TRUE(contains(threshold_error("[source]\nkind = \"zipf\"\n[model]\nfamily = "
                                         "\"gaussian\"\n[metrics]\nlist = [\"categorical\"]\n"
                                         "[threshold]\nmetric = \"fit_lost_mass\"\n"),
                         "needs model.family = \"categorical\""));
    // test_error needs the source's true weights; the metrics need the regression family.
    EXPECT_TRUE(contains(threshold_error(gaussian_study(10, 20, 1.0, "metric = \"test_mse\"\n")),
                         "needs model.family = \"linear-regression\""));
}

TEST(ThresholdSeeds, SeedsToResolveMatchTheStudentTPower) {
    // Reference values from scipy: the smallest S with
    // (t.ppf(0.975, S - 1) + norm.ppf(0.8)) sd / sqrt(S) <= allowed - max(0, mean).
    EXPECT_EQ(seeds_to_resolve(0.0, 1.0, 1.0), 10);
    EXPECT_EQ(seeds_to_resolve(0.5, 1.0, 1.0), 34);
    EXPECT_EQ(seeds_to_resolve(-3.0, 0.1, 0.01), 787);  // a negative mean leaves the room as is
    EXPECT_EQ(seeds_to_resolve(0.0, 0.1, 0.01), 787);
    EXPECT_EQ(seeds_to_resolve(1.0, 1.0, 1.0), 0);   // at the tolerance: no number of seeds
    EXPECT_EQ(seeds_to_resolve(0.0, 0.0, 1.0), 2);   // no noise
    EXPECT_EQ(seeds_to_resolve(0.0, 1.0, 1e-6), 0);  // beyond 10^7 seeds
}

// With 4 seeds and a 1% tolerance, the seed noise of the exact W2 (about +-40% of its mean with
// 4 seeds) hides the answer for n_real_fresh = n_synthetic = 100 (whose W2 is close to the
// baseline's): the search says so and how many seeds would resolve it, instead of "none".
TEST(ThresholdSearch, SaysWhenTheSeedsCannotTell) {
    const StudyConfig study =
        parse_study(gaussian_study(4, 3, 1.0,
                                   "ess = false\nrefine = 0\ncandidates = [100]\n"
                                   "tolerance = 0.01\n"),
                    "study.toml");
    const ThresholdResult r = run_threshold(study, read_threshold_options(study), quiet());
    const ThresholdMetricResult& m = r.primary();
    EXPECT_FALSE(m.answer.has_value());
    EXPECT_TRUE(m.noise_exceeds_tolerance) << format_threshold(r);
    EXPECT_GT(m.baseline_noise, m.allowed);
    // The baseline's own 95% half-width with that many seeds, t sd / sqrt(S), is within A (and
    // with one seed fewer it is not), sd being the 4 baseline values' standard deviation.
    std::vector<double> base;
    for (const Record& rec : r.records)
        if (rec.metric == "frechet" && rec.generation == 0) base.push_back(rec.value);
    ASSERT_EQ(base.size(), 4u);
    double mean = 0.0, squares = 0.0;
    for (double v : base) mean += v / 4.0;
    for (double v : base) squares += (v - mean) * (v - mean);
    const double sd = std::sqrt(squares / 3.0);
    const auto half = [&](int seeds) {
        return student_t_975(seeds - 1) * sd / std::sqrt(static_cast<double>(seeds));
    };
    ASSERT_GT(m.baseline_seeds, 4);
    EXPECT_LE(half(m.baseline_seeds), m.allowed);
    EXPECT_GT(half(m.baseline_seeds - 1), m.allowed);
    ASSERT_TRUE(m.undecided) << format_threshold(r);
    EXPECT_EQ(m.candidates.back().result, CandidateResult::kInconclusive);
    EXPECT_GT(m.seeds_needed, 4);
    const std::string table = format_threshold(r);
    EXPECT_TRUE(contains(table, "cannot tell with 4 seeds")) << table;
    EXPECT_TRUE(contains(table, fmt::format("about {} seeds would resolve it", m.seeds_needed)))
        << table;
    EXPECT_FALSE(contains(table, "none of the candidates suffices")) << table;
    const nlohmann::json j = threshold_to_json(r);
    EXPECT_EQ(j["status"], "undecided");
    EXPECT_EQ(j["seeds_needed"], m.seeds_needed);
}

// Candidates as real fractions of the 200 new points per generation (100 fresh + 100 synthetic
// in the setting): f = 0, 0.25, 1 run 0/200, 50/150 and 200/0 real/synthetic points, so the real
// share of every later generation's training set is exactly f (replace, no fixed real set).
TEST(ThresholdSearch, RealFractionsAsCandidates) {
    const StudyConfig study = parse_study(
        gaussian_study(20, 4, 1.0,
                       "ess = false\nrefine = 1\nreal_fractions = [0, 0.25, 1]\ntolerance = 0.5\n"),
        "study.toml");
    const ThresholdOptions o = read_threshold_options(study);
    EXPECT_EQ(o.new_per_generation, 200u);
    EXPECT_EQ(o.candidates, (std::vector<std::size_t>{0, 50, 200}));
    const ThresholdResult r = run_threshold(study, o, quiet());
    for (const ThresholdCandidate& c : r.primary().candidates) {
        EXPECT_EQ(c.n_real_fresh + c.n_synthetic, 200u);
        EXPECT_DOUBLE_EQ(c.candidate_fraction, c.n_real_fresh / 200.0);
        EXPECT_DOUBLE_EQ(c.real_fraction, c.candidate_fraction);
    }
    for (const Record& rec : r.records) {
        if (rec.metric == "train_size" && rec.generation >= 1) {
            EXPECT_EQ(rec.value, 200.0);
        }
    }
    // Real data only (f = 1) passes: a real-only refit on 200 points every generation, W2 about
    // half the baseline's (100 points); no real data (f = 0) drifts away from generation 1 on.
    EXPECT_TRUE(r.primary().candidates.back().passes);
    EXPECT_EQ(r.primary().candidates.front().result, CandidateResult::kFail);
    const std::string table = format_threshold(r);
    EXPECT_TRUE(contains(table, "answer (frechet): real fraction ")) << table;
    EXPECT_EQ(threshold_to_json(r)["candidates_as"], "real_fraction");
}

// examples/threshold_real_fraction.toml at full size (about a second): the answer its comment
// quotes (the run is deterministic, so a change of the answer means the comment is stale), and
// the claims around it.
TEST(ThresholdSearch, RealFractionExampleAnswer) {
    const StudyConfig study =
        load_study(std::string(MADLAB_SOURCE_DIR) + "/examples/threshold_real_fraction.toml");
    const ThresholdResult r = run_threshold(study, read_threshold_options(study), quiet());
    const ThresholdMetricResult& m = r.primary();
    ASSERT_TRUE(m.answer.has_value()) << format_threshold(r);
    EXPECT_DOUBLE_EQ(m.candidates[*m.answer].candidate_fraction, 0.35) << format_threshold(r);
    EXPECT_DOUBLE_EQ(m.candidates[*m.answer - 1].candidate_fraction, 0.325);
    // Above the average-match point of the theory, f = 0.26 (the comment's derivation).
    EXPECT_GT(m.candidates[*m.answer].candidate_fraction, 0.26);
    for (const auto& c : m.candidates) {
        if (c.candidate_fraction <= 0.1) {
            EXPECT_EQ(c.result, CandidateResult::kFail) << c.candidate_fraction;
            EXPECT_EQ(c.first_failure, 1);
        }
        // "fail at gen X" names the first generation surely beyond the tolerance.
        if (c.result == CandidateResult::kFail) {
            ASSERT_GE(c.first_beyond, c.first_failure);
            EXPECT_TRUE(c.generations[c.first_beyond].beyond);
            for (int t = 1; t < c.first_beyond; ++t) EXPECT_FALSE(c.generations[t].beyond);
        } else {
            EXPECT_EQ(c.first_beyond, -1);
        }
        if (c.candidate_fraction >= 0.2 && c.candidate_fraction <= 0.325) {
            EXPECT_EQ(c.result, CandidateResult::kInconclusive) << c.candidate_fraction;
        }
    }
}

TEST(ThresholdOptions, ExampleFileReads) {
    const StudyConfig study =
        load_study(std::string(MADLAB_SOURCE_DIR) + "/examples/threshold_fresh_data.toml");
    const ThresholdOptions o = read_threshold_options(study);
    ASSERT_EQ(o.metrics.size(), 1u);
    EXPECT_EQ(o.metrics.front().name, "frechet");
    EXPECT_FALSE(o.ess_n_synthetic.empty());
}

}  // namespace threshold_test
}  // namespace madlab
