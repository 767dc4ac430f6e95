#include "madlab/report/findings.h"

#include <gtest/gtest.h>

#include <cmath>

#include "madlab/report/metric_catalog.h"
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
