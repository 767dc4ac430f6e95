#include <gtest/gtest.h>

#include "madlab/report/charts.h"
#include "madlab/report/html_report.h"
#include "report_fixture.h"

namespace madlab {
namespace {

using madlab::testing::find_view;
using nlohmann::json;
using LogAxisTest = testing::ReportFolder;

// The run fixture with frechet's mean growing tenfold per generation (0.02 to 20) and recall
// falling from 0.9 to 0.009: both span more than a decade, but recall is a share.
StudyFolder spanning_folder(const std::string& dir) {
    StudyFolder f = read_study_folder(dir);
    for (auto& r : f.summary) {
        if (r.metric == "frechet") r.mean = 0.02 * std::pow(10.0, r.generation);
        if (r.metric == "recall") r.mean = 0.9 * std::pow(10.0, -r.generation * 2.0 / 3.0);
        r.ci95_low = r.mean * 0.5;
        r.ci95_high = r.mean * 1.5;
    }
    return f;
}

TEST_F(LogAxisTest, OnlyPositiveMetricsSpanningADecade) {
    StudyFolder f = spanning_folder(fixture("run"));
    const auto settings = trajectory_settings(f);
    EXPECT_EQ(decade_spanning_metrics(f, settings, {"recall", "precision", "frechet"}),
              std::vector<std::string>{"frechet"});
    // Within a decade (0.02 to 0.199): no log axis.
    for (auto& r : f.summary)
        if (r.metric == "frechet") r.mean = 0.02 + 0.059 * r.generation;
    EXPECT_TRUE(decade_spanning_metrics(f, settings, {"frechet"}).empty());
}

TEST_F(LogAxisTest, TheExplorerCarriesALogVariantAndTheFiguresUseIt) {
    const StudyFolder f = spanning_folder(fixture("run"));
    const auto views = report_views(f, {});
    const ReportView* explore = find_view(views, "explore");
    ASSERT_NE(explore, nullptr);
    EXPECT_EQ(explore->log_metrics, std::vector<std::string>{"frechet"});
    EXPECT_EQ(explore->log_param, "metric_choice");
    const json& log_spec = explore->log_spec;
    // The band's y (which carries the shared scale) is log; rows at or below 0 are left out.
    EXPECT_EQ(log_spec["layer"][0]["encoding"]["y"]["scale"]["type"], "log");
    EXPECT_EQ(log_spec["layer"][0]["encoding"]["y"]["field"], "band_low");
    EXPECT_FALSE(explore->spec["layer"][0]["encoding"]["y"]["scale"].contains("type"));
    bool filtered = false;
    for (const auto& t : log_spec["transform"])
        filtered = filtered || t == json{{"filter", "datum.mean > 0"}};
    EXPECT_TRUE(filtered);
    // Same data, same inputs.
    EXPECT_EQ(log_spec["datasets"], explore->spec["datasets"]);
    EXPECT_EQ(log_spec["params"], explore->spec["params"]);
    // Figures: frechet on its log axis, recall not.
    const auto figures = figure_views(f, {});
    EXPECT_EQ(
        find_view(figures, "metric-frechet")->spec["layer"][0]["encoding"]["y"]["scale"]["type"],
        "log");
    EXPECT_FALSE(find_view(figures, "metric-recall")
                     ->spec["layer"][0]["encoding"]["y"]["scale"]
                     .contains("type"));
    // The page: a switch, on, above the explorer.
    const std::string page = render_report(f);
    EXPECT_NE(
        page.find("<input type=\"checkbox\" id=\"log-explore\" checked> log axis for frechet"),
        std::string::npos);
}

// The headline chart gets the explorer's switch by the same rule: its log variant draws each
// headline metric in a panel of its own, those spanning a decade through with_log_axis.
TEST_F(LogAxisTest, TheHeadlineCarriesALogVariantAndItsFigureUsesIt) {
    const StudyFolder f = spanning_folder(fixture("run"));
    const auto views = report_views(f, {});
    const ReportView* headline = find_view(views, "headline");
    ASSERT_NE(headline, nullptr);
    EXPECT_EQ(headline->log_metrics, std::vector<std::string>{"frechet"});
    EXPECT_EQ(headline->log_param, "");  // no selector: every panel is shown at once
    const json& log_spec = headline->log_spec;
    ASSERT_TRUE(log_spec.contains("concat"));
    const json& filter = headline->spec["transform"][0]["filter"];
    ASSERT_EQ(log_spec["concat"].size(), filter["oneOf"].size());
    for (const auto& panel : log_spec["concat"]) {
        const std::string metric = panel["transform"][0]["filter"]["equal"];
        const json& y = panel["layer"][0]["encoding"]["y"];
        // The explorer's log axis on frechet's panel alone: recall is a share.
        EXPECT_EQ(y["scale"].contains("type"), metric == "frechet") << metric;
        if (metric == "frechet") {
            EXPECT_EQ(y["scale"]["type"], "log");
            EXPECT_EQ(y["field"], "band_low");
            EXPECT_EQ(panel["transform"].back()["calculate"],
                      with_log_axis(json{{"layer", json::array({json::object()})}})["transform"]
                          .back()["calculate"]);
        }
    }
    // Same data, same legend.
    EXPECT_EQ(log_spec["datasets"], headline->spec["datasets"]);
    EXPECT_EQ(log_spec["concat"][0]["layer"][1]["params"],
              headline->spec["spec"]["layer"][1]["params"]);
    // The page: a switch, on, above the headline chart.
    const std::string page = render_report(f);
    EXPECT_NE(
        page.find("<input type=\"checkbox\" id=\"log-headline\" checked> log axis for frechet"),
        std::string::npos);
    // The figure: what the page draws at first.
    const auto figures = figure_views(f, {});
    EXPECT_EQ(find_view(figures, "headline")->spec, log_spec);
}

TEST_F(LogAxisTest, NoSwitchWithoutSuchMetrics) {
    const StudyFolder f = read_study_folder(fixture("run"));
    const std::vector<ReportView> views = report_views(f, {});
    const ReportView* explore = find_view(views, "explore");
    ASSERT_NE(explore, nullptr);
    if (explore->log_metrics.empty()) {
        EXPECT_TRUE(explore->log_spec.is_null());
        EXPECT_EQ(render_report(f).find("id=\"log-explore\""), std::string::npos);
    }
    const ReportView* headline = find_view(views, "headline");
    ASSERT_NE(headline, nullptr);
    if (headline->log_metrics.empty()) {
        EXPECT_TRUE(headline->log_spec.is_null());
        EXPECT_EQ(render_report(f).find("id=\"log-headline\""), std::string::npos);
    }
}

}  // namespace
}  // namespace madlab
