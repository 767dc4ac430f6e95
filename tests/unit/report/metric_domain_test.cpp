#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "madlab/report/charts.h"
#include "madlab/report/metric_catalog.h"
#include "report_fixture.h"

namespace madlab {
namespace {

using nlohmann::json;
using MetricDomainTest = testing::ReportFolder;

TEST(MetricDomain, SharesLieInTheUnitIntervalDistancesAboveZero) {
    // The cases: a recall band from -2 to 3 with 2 seeds, a negative Frechet distance.
    EXPECT_EQ(clip_to_domain("recall", -2.0), 0.0);
    EXPECT_EQ(clip_to_domain("recall", 3.0), 1.0);
    EXPECT_EQ(clip_to_domain("recall", 0.25), 0.25);
    EXPECT_EQ(clip_to_domain("frechet", -0.5), 0.0);
    EXPECT_EQ(clip_to_domain("frechet", 1e6), 1e6);
    EXPECT_EQ(clip_to_domain("perplexity_fixed_vocab", 0.3), 1.0);
    // Density is a mean count of k-NN balls: above 1 is allowed, below 0 is not.
    EXPECT_EQ(clip_to_domain("density", 1.7), 1.7);
    EXPECT_EQ(clip_to_domain("density", -0.1), 0.0);
    // A log-likelihood, and a metric madlab does not know, take any value.
    EXPECT_EQ(clip_to_domain("nll", -40.0), -40.0);
    EXPECT_EQ(clip_to_domain("my_metric", -3.0), -3.0);
    EXPECT_TRUE(std::isnan(clip_to_domain("recall", std::nan(""))));
}

TEST(MetricDomain, LogAxisOnlyForUnboundedPositiveMetrics) {
    EXPECT_TRUE(log_axis_allowed("frechet"));
    EXPECT_TRUE(log_axis_allowed("perplexity"));
    EXPECT_FALSE(log_axis_allowed("recall"));  // a share: its decades say nothing
    EXPECT_FALSE(log_axis_allowed("nll"));     // can be negative
    EXPECT_FALSE(log_axis_allowed("my_metric"));
}

// Sets every summary row of `metric` in `dir`'s summary.json to `count` seeds and the interval
// [low, high].
void set_rows(const std::string& dir, const std::string& metric, std::size_t count, double low,
              double high) {
    const auto path = std::filesystem::path(dir) / "summary.json";
    std::ifstream in(path);
    json j = json::parse(in);
    for (auto& r : j["summary"]) {
        r["count"] = count;
        if (r["metric"] == metric) {
            r["ci95_low"] = low;
            r["ci95_high"] = high;
        }
    }
    std::ofstream(path) << j.dump(1);
}

TEST_F(MetricDomainTest, TheHeadlineBandIsClippedToTheMetricsDomain) {
    const std::string dir = fixture("run");
    set_rows(dir, "recall", 2, -2.0, 3.0);
    set_rows(dir, "frechet", 2, -0.4, 0.9);
    const StudyFolder f = read_study_folder(dir);
    const auto views = report_views(f, {});
    const json& rows = views.front().spec["datasets"]["summary"];
    int recall = 0;
    int frechet = 0;
    for (const auto& r : rows) {
        if (r["metric"] == "recall") {
            EXPECT_EQ(r["ci95_low"].get<double>(), 0.0);
            EXPECT_EQ(r["ci95_high"].get<double>(), 1.0);
            ++recall;
        }
        if (r["metric"] == "frechet") {
            EXPECT_EQ(r["ci95_low"].get<double>(), 0.0);
            EXPECT_EQ(r["ci95_high"].get<double>(), 0.9);  // inside: kept
            ++frechet;
        }
    }
    EXPECT_EQ(recall, 8);  // 2 settings x 4 generations
    EXPECT_EQ(frechet, 8);
    // The quality-diversity plane's intervals too.
    for (const auto& v : views)
        if (v.id == "qd-plane")
            for (const auto& r : v.spec["datasets"]["qd"]) {
                EXPECT_EQ(r["recall_low"].get<double>(), 0.0);
                EXPECT_EQ(r["recall_high"].get<double>(), 1.0);
            }
}

TEST_F(MetricDomainTest, CaptionsSayWhenTooFewSeedsMakeTheBandMeaningless) {
    const std::string dir = fixture("run");
    set_rows(dir, "recall", 2, -2.0, 3.0);
    StudyFolder f = read_study_folder(dir);
    const auto settings = trajectory_settings(f);
    // 2 seeds: t(0.975, 1 df) = 12.706.
    const std::string two = few_seeds_note(f, settings);
    EXPECT_NE(two.find("with 2 seeds"), std::string::npos) << two;
    EXPECT_NE(two.find("12.7 standard errors"), std::string::npos) << two;
    EXPECT_NE(report_views(f, {}).front().caption.find(two), std::string::npos);
    for (auto& r : f.summary) r.count = 1;
    EXPECT_NE(few_seeds_note(f, settings).find("one seed"), std::string::npos);
    for (auto& r : f.summary) r.count = kMinSeedsForBand;
    EXPECT_EQ(few_seeds_note(f, settings), "");
    EXPECT_EQ(report_views(f, {}).front().caption.find("Too few seeds"), std::string::npos);
}

}  // namespace
}  // namespace madlab
