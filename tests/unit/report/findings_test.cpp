#include "madlab/report/findings.h"

#include <gtest/gtest.h>

#include <cmath>

#include "madlab/report/metric_catalog.h"
#include "madlab/store/summary.h"
#include "report_fixture.h"

namespace madlab {
namespace {

using FindingsTest = testing::ReportFolder;

const MetricChange& find(const std::vector<MetricChange>& changes, const std::string& setting,
                         const std::string& metric) {
    for (const auto& c : changes)
        if (c.setting == setting && c.metric == metric) return c;
    throw std::runtime_error("no change for " + setting + " " + metric);
}

TEST_F(FindingsTest, PairedChangeFromGenerationZero) {
    const StudyFolder f = read_study_folder(fixture("run"));
    const auto changes = final_changes(f, f.settings, {"recall", "precision", "frechet"});
    ASSERT_EQ(changes.size(), 6u);
    // fully-synthetic recall: 0.95 - 0.1 g + noise(seed); the noise cancels seed by seed, so
    // every paired difference is exactly -0.3 and the interval has no width.
    const MetricChange& recall = find(changes, "fully-synthetic", "recall");
    EXPECT_EQ(recall.last_generation, 3);
    EXPECT_EQ(recall.pairs, 3u);
    EXPECT_NEAR(recall.change, -0.3, 1e-12);
    EXPECT_NEAR(recall.change_high, -0.3, 1e-9);
    EXPECT_EQ(recall.verdict, Verdict::kWorse);
    EXPECT_EQ(find(changes, "fully-synthetic", "frechet").verdict, Verdict::kWorse);
    // fresh-data recall: differences 2 * noise with alternating sign at odd generations only;
    // at generation 3 they are 0.008, -0.006, 0.002: mean 0.00133, an interval around zero.
    const MetricChange& fresh = find(changes, "fresh-data", "recall");
    EXPECT_NEAR(fresh.change, 0.004 / 3.0, 1e-12);
    EXPECT_LT(fresh.change_low, 0.0);
    EXPECT_GT(fresh.change_high, 0.0);
    EXPECT_EQ(fresh.verdict, Verdict::kHolds);
    EXPECT_EQ(find(changes, "fresh-data", "precision").verdict, Verdict::kHolds);
}

TEST_F(FindingsTest, SmallButSureChangesHold) {
    const StudyFolder f = read_study_folder(fixture("run"));
    // fully-synthetic precision falls by exactly 0.03 (3% of 0.97): below a 5% bar, above 2%.
    FindingOptions strict;
    strict.material = 0.02;
    EXPECT_EQ(
        find(final_changes(f, f.settings, {"precision"}), "fully-synthetic", "precision").verdict,
        Verdict::kHolds);
    EXPECT_EQ(
        find(final_changes(f, f.settings, {"precision"}, strict), "fully-synthetic", "precision")
            .verdict,
        Verdict::kWorse);
}

TEST_F(FindingsTest, NoVerdictWithoutRecordsOrDirection) {
    StudyFolder f = read_study_folder(fixture("run"));
    EXPECT_EQ(
        find(final_changes(f, f.settings, {"train_size"}), "fresh-data", "train_size").verdict,
        Verdict::kUnknown);
    f.records.clear();
    const MetricChange c =
        find(final_changes(f, f.settings, {"recall"}), "fully-synthetic", "recall");
    EXPECT_TRUE(std::isnan(c.change));
    EXPECT_EQ(c.verdict, Verdict::kUnknown);
    EXPECT_NEAR(c.last_mean, 0.65 + 0.002 / 3.0, 1e-12);  // the summary still gives the values
}

// A folder of one setting "s" whose metric "recall" (higher is better) starts at 1 in every
// seed and ends at generation 1 at 1 + change[i] in seed i.
StudyFolder folder_with_changes(const std::vector<double>& change) {
    StudyFolder f;
    f.settings = {"s"};
    for (std::size_t i = 0; i < change.size(); ++i) {
        f.records.push_back({"s", i, 0, "recall", 1.0});
        f.records.push_back({"s", i, 1, "recall", 1.0 + change[i]});
    }
    f.summary = summarize(f.records);
    return f;
}

Verdict verdict_of(const std::vector<double>& change, double material = 0.05) {
    const StudyFolder f = folder_with_changes(change);
    FindingOptions options;
    options.material = material;
    return find(final_changes(f, f.settings, {"recall"}, options), "s", "recall").verdict;
}

// The verdict rules of findings.h, with tolerance T = 0.05 (5% of generation 0's mean 1). Three
// seeds: the 95% half-width is t_{0.975,2} sd / sqrt(3) = 4.303 sd / 1.732 = 2.484 sd.
TEST(Verdicts, HoldsOnlyWhenTheIntervalExcludesAChangeOfTheTolerance) {
    // Changes 0, +0.01, -0.01: mean 0, sd 0.01, interval +-0.0248: inside (-0.05, 0.05).
    EXPECT_EQ(verdict_of({0.0, 0.01, -0.01}), Verdict::kHolds);
    // Changes 0, +0.03, -0.03: mean 0, sd 0.03, interval +-0.0745: not significant, but a
    // change of 5% is not excluded either: inconclusive, not "holds".
    EXPECT_EQ(verdict_of({0.0, 0.03, -0.03}), Verdict::kInconclusive);
    // Sure and small: -0.02 in every seed (no width): within the tolerance, holds.
    EXPECT_EQ(verdict_of({-0.02, -0.02, -0.02}), Verdict::kHolds);
    // Sure of the direction, not of the size: mean -0.03, sd 0.01, interval [-0.0548, -0.0052].
    EXPECT_EQ(verdict_of({-0.02, -0.03, -0.04}), Verdict::kInconclusive);
    // Sure and large: mean -0.1, sd 0.01, interval [-0.125, -0.075]: worse (recall fell).
    EXPECT_EQ(verdict_of({-0.09, -0.1, -0.11}), Verdict::kWorse);
    EXPECT_EQ(verdict_of({0.09, 0.1, 0.11}), Verdict::kBetter);
    // Large but not sure: mean -0.1, sd 0.1, interval [-0.348, 0.148]: inconclusive.
    EXPECT_EQ(verdict_of({0.0, -0.1, -0.2}), Verdict::kInconclusive);
    // The same changes with a tolerance of 50%: the interval lies within +-0.5, holds.
    EXPECT_EQ(verdict_of({0.0, -0.1, -0.2}, 0.5), Verdict::kHolds);
    EXPECT_STREQ(verdict_name(Verdict::kInconclusive), "inconclusive");
}

// A metric at 0 that stays exactly 0 in every seed (a categorical lost_mass when nothing is
// lost) holds, although its tolerance, 5% of 0, is 0.
TEST(Verdicts, AMetricThatStaysAtZeroHolds) {
    StudyFolder f;
    f.settings = {"s"};
    for (std::uint64_t seed = 0; seed < 3; ++seed) {
        f.records.push_back({"s", seed, 0, "frechet", 0.0});
        f.records.push_back({"s", seed, 1, "frechet", 0.0});
    }
    f.summary = summarize(f.records);
    EXPECT_EQ(find(final_changes(f, f.settings, {"frechet"}), "s", "frechet").verdict,
              Verdict::kHolds);
}

TEST(MetricCatalog, HeadlinesFollowTheStudyKind) {
    EXPECT_EQ(headline_metrics({"frechet", "precision", "recall", "density", "coverage", "nll"}),
              (std::vector<std::string>{"recall", "coverage", "precision", "frechet"}));
    // Text: the fixed-vocabulary perplexity leads; KenLM's, which can fall while the model loses
    // words, is left to the explorer when the four text headlines are there.
    EXPECT_EQ(headline_metrics({"perplexity", "perplexity_fixed_vocab", "lost_types", "lost_mass",
                                "distinct_1", "distinct_2", "unigram_entropy", "train_size"}),
              (std::vector<std::string>{"perplexity_fixed_vocab", "lost_mass", "distinct_2",
                                        "unigram_entropy"}));
    // A family without the fixed-vocabulary value (external): KenLM's perplexity is shown.
    EXPECT_EQ(
        headline_metrics({"perplexity", "distinct_1", "distinct_2", "unigram_entropy",
                          "sample_unk_rate", "train_size"}),
        (std::vector<std::string>{"distinct_2", "unigram_entropy", "perplexity", "distinct_1"}));
    EXPECT_EQ(headline_metrics({"frechet", "precision", "recall", "coverage"}, "precision"),
              (std::vector<std::string>{"precision", "recall", "coverage", "frechet"}));
    EXPECT_EQ(headline_metrics({"train_size", "my_metric", "real_fraction"}),
              (std::vector<std::string>{"my_metric"}));
    EXPECT_EQ(metric_label("recall"), "recall (higher is better)");
    EXPECT_EQ(metric_label("frechet"), "frechet (lower is better)");
    EXPECT_EQ(metric_label("zipf"), "zipf");
}

}  // namespace
}  // namespace madlab
