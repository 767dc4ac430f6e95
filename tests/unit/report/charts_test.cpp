#include "madlab/report/charts.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <set>

#include "report_fixture.h"

namespace madlab {
namespace {

namespace fs = std::filesystem;
using madlab::testing::find_view;
using nlohmann::json;
using ChartsTest = testing::ReportFolder;

std::vector<std::string> ids(const std::vector<ReportView>& views) {
    std::vector<std::string> out;
    for (const auto& v : views) out.push_back(v.id);
    return out;
}

// Every layer of `spec` (itself when it has none), looking into facet and concat.
std::vector<json> layers(const json& spec) {
    if (spec.contains("spec")) return layers(spec["spec"]);
    if (!spec.contains("layer")) return {spec};
    std::vector<json> out;
    for (const auto& l : spec["layer"]) out.push_back(l);
    return out;
}

TEST_F(ChartsTest, ARunHasHeadlineExplorerPlaneAndSamples) {
    const StudyFolder f = read_study_folder(fixture("run"));
    EXPECT_EQ(ids(report_views(f, {})),
              (std::vector<std::string>{"headline", "explore", "qd-plane", "samples"}));
}

TEST_F(ChartsTest, HeadlineHasOneSeriesPerSettingWithTheBand) {
    const StudyFolder f = read_study_folder(fixture("run"));
    const auto views = report_views(f, {});
    const json& spec = find_view(views, "headline")->spec;
    // The summary rows of both settings: 2 settings x 4 generations x 4 metrics.
    const json& rows = spec["datasets"]["summary"];
    ASSERT_EQ(rows.size(), 32u);
    std::set<std::string> series;
    for (const auto& r : rows) series.insert(r["setting"].get<std::string>());
    EXPECT_EQ(series.size(), 2u);
    // Headline metrics of a continuous study, the ones present, in order.
    EXPECT_EQ(spec["transform"][0]["filter"]["oneOf"],
              json::array({"recall", "precision", "frechet"}));
    EXPECT_EQ(spec["facet"]["sort"],
              json::array({"recall (higher is better)", "precision (higher is better)",
                           "frechet (lower is better)"}));
    EXPECT_EQ(spec["resolve"]["scale"]["y"], "independent");
    const json color = spec["spec"]["encoding"]["color"];
    EXPECT_EQ(color["field"], "setting");
    EXPECT_EQ(color["scale"]["domain"], json::array({"fully-synthetic", "fresh-data"}));
    const auto ls = layers(spec);
    ASSERT_EQ(ls.size(), 2u);
    EXPECT_EQ(ls[0]["mark"]["type"], "area");  // the 95% band
    EXPECT_EQ(ls[0]["encoding"]["y"]["field"], "ci95_low");
    EXPECT_EQ(ls[0]["encoding"]["y2"]["field"], "ci95_high");
    EXPECT_EQ(ls[1]["mark"]["type"], "line");
    EXPECT_EQ(ls[1]["encoding"]["y"]["field"], "mean");
    EXPECT_FALSE(ls[1]["encoding"]["tooltip"].empty());
    // A summary row carries the values of summary.json.
    const json& first = rows[0];
    EXPECT_EQ(first["setting"], "fully-synthetic");
    EXPECT_EQ(first["metric"], "frechet");
    EXPECT_EQ(first["generation"], 0);
    EXPECT_NEAR(first["mean"].get<double>(), (0.024 + 0.023 + 0.021) / 3.0, 1e-12);
    EXPECT_LT(first["ci95_low"].get<double>(), first["mean"].get<double>());
    EXPECT_GT(first["ci95_high"].get<double>(), first["mean"].get<double>());
}

TEST_F(ChartsTest, ExplorerBindsAMetricAndASettingSelector) {
    const StudyFolder f = read_study_folder(fixture("run"));
    const auto spec_views = report_views(f, {});
    const json& spec = find_view(spec_views, "explore")->spec;
    ASSERT_EQ(spec["params"].size(), 2u);
    const json& metric = spec["params"][0];
    EXPECT_EQ(metric["bind"]["input"], "select");
    EXPECT_EQ(metric["value"], "recall");
    EXPECT_EQ(metric["bind"]["options"],
              json::array({"recall", "precision", "frechet", "train_size"}));
    const json& setting = spec["params"][1];
    EXPECT_EQ(setting["bind"]["input"], "select");
    EXPECT_EQ(setting["bind"]["options"],
              json::array({"all settings", "fully-synthetic", "fresh-data"}));
    const std::string filter = spec["transform"][0]["filter"];
    EXPECT_NE(filter.find("metric_choice"), std::string::npos);
    EXPECT_NE(filter.find("setting_choice"), std::string::npos);
}

TEST_F(ChartsTest, FiguresHaveNoInputsAndOneChartPerMetric) {
    const StudyFolder f = read_study_folder(fixture("run"));
    const auto views = figure_views(f, {});
    EXPECT_EQ(find_view(views, "explore"), nullptr);
    for (const char* m :
         {"metric-recall", "metric-precision", "metric-frechet", "metric-train_size"}) {
        const ReportView* v = find_view(views, m);
        ASSERT_NE(v, nullptr) << m;
        EXPECT_FALSE(v->spec.contains("params")) << m;
    }
}

TEST_F(ChartsTest, QualityDiversityPlaneFollowsEachSettingByGeneration) {
    const StudyFolder f = read_study_folder(fixture("run"));
    const auto spec_views = report_views(f, {});
    const json& spec = find_view(spec_views, "qd-plane")->spec;
    const json& rows = spec["datasets"]["qd"];
    ASSERT_EQ(rows.size(), 2u * 4u);
    EXPECT_EQ(spec["encoding"]["x"]["field"], "recall");
    EXPECT_EQ(spec["encoding"]["y"]["field"], "precision");
    EXPECT_EQ(spec["encoding"]["order"]["field"], "generation");
    // fully-synthetic at generation 3: the summary's means.
    const json& last = rows[3];
    EXPECT_EQ(last["setting"], "fully-synthetic");
    EXPECT_EQ(last["generation"], 3);
    EXPECT_NEAR(last["recall"].get<double>(), 0.95 - 0.3 + 0.002 / 3.0, 1e-12);
    EXPECT_EQ(last["tag"], "g3");
    EXPECT_EQ(rows[1]["tag"], "");
}

TEST_F(ChartsTest, NoPlaneWithoutPrecisionAndRecall) {
    const StudyFolder f = read_study_folder(fixture("decompose"));
    auto copy = f;
    std::erase_if(copy.metrics, [](const std::string& m) { return m == "precision"; });
    EXPECT_EQ(find_view(report_views(copy, {}), "qd-plane"), nullptr);
    EXPECT_NE(find_view(report_views(f, {}), "qd-plane"), nullptr);
}

TEST_F(ChartsTest, SampleGridPutsRealPointsUnderEveryGenerationOfTheFirstSeed) {
    const StudyFolder f = read_study_folder(fixture("run"));
    const auto spec_views = report_views(f, {});
    const json& spec = find_view(spec_views, "samples")->spec;
    const json& rows = spec["datasets"]["samples"];
    // Per setting: 5 real points in each of the 3 stored generations, 4 points per model.
    ASSERT_EQ(rows.size(), 2u * (3u * 5u + 3u * 4u));
    std::size_t real = 0;
    for (const auto& r : rows) {
        real += r.value("real", false);
        EXPECT_NE(r["x"], 9.0) << "a second seed's samples are drawn";
    }
    EXPECT_EQ(real, 2u * 3u * 5u);
    EXPECT_TRUE(rows[0].value("real", false));     // drawn first, under the samples
    EXPECT_EQ(spec["transform"][0]["as"], "who");  // real test data, or the setting
    EXPECT_EQ(spec["facet"]["row"]["sort"], json::array({"fully-synthetic", "fresh-data"}));
    EXPECT_EQ(spec["facet"]["column"]["field"], "generation");
    EXPECT_EQ(spec["spec"]["encoding"]["color"]["scale"]["domain"],
              json::array({"real test data", "fully-synthetic", "fresh-data"}));

    ReportOptions few;
    few.max_points = 2;
    const auto capped_views = report_views(f, few);
    const json& capped = find_view(capped_views, "samples")->spec["datasets"]["samples"];
    EXPECT_EQ(capped.size(), 2u * (3u * 2u + 3u * 2u));  // every 3rd real, every 2nd sample
}

TEST_F(ChartsTest, OneColumnSamplesAreDrawnAsDensities) {
    const std::string dir = fixture("run");
    write(fs::path(dir) / "samples.json",
          R"({"samples": [{"setting": "fresh-data", "seed": 0, "generation": 0, "kind": "real",
                           "columns": 1, "points": [[0.5], [1.5]]},
                          {"setting": "fresh-data", "seed": 0, "generation": 2, "kind": "model",
                           "columns": 1, "points": [[0.25], [1.0], [2.0]]}]})");
    const StudyFolder f = read_study_folder(dir);
    const auto spec_views = report_views(f, {});
    const json& spec = find_view(spec_views, "samples")->spec;
    const json& density = spec["transform"][1];
    EXPECT_EQ(density["density"], "x");
    EXPECT_EQ(density["extent"], json::array({0.25, 2.0}));  // one grid for every cell
    // Scott's rule on the real points 0.5 and 1.5: 1.06 * sd * n^(-1/5), sd = 1/sqrt(2).
    EXPECT_NEAR(density["bandwidth"].get<double>(), 1.06 / std::sqrt(2.0) * std::pow(2.0, -0.2),
                1e-12);
    EXPECT_EQ(spec["datasets"]["samples"].size(), 5u);
}

TEST_F(ChartsTest, WithoutSamplesThereIsNoSampleGrid) {
    const std::string dir = fixture("run");
    fs::remove(fs::path(dir) / "samples.json");
    const StudyFolder f = read_study_folder(dir);
    EXPECT_EQ(find_view(report_views(f, {}), "samples"), nullptr);
}

TEST_F(ChartsTest, ThresholdMarksTheAnswerAndDrawsCandidatesInOrder) {
    const StudyFolder f = read_study_folder(fixture("threshold"));
    EXPECT_EQ(trajectory_settings(f),
              (std::vector<std::string>{"candidate n_real_fresh=0", "candidate n_real_fresh=100",
                                        "candidate n_real_fresh=400"}));
    const auto views = report_views(f, {});
    EXPECT_EQ(ids(views), (std::vector<std::string>{"headline", "explore", "threshold", "ess"}));
    const json& spec = find_view(views, "threshold")->spec;
    EXPECT_EQ(spec["datasets"]["candidates"].size(), 3u);
    bool answer_marked = false;
    for (const auto& l : spec["layer"])
        if (l.contains("data") && l["data"].contains("values"))
            for (const auto& v : l["data"]["values"])
                answer_marked =
                    answer_marked || (v.contains("n_real_fresh") && v["n_real_fresh"] == 100);
    EXPECT_TRUE(answer_marked);
    // The effective sample size as n_e / n_real_fresh.
    const json& ess = find_view(views, "ess")->spec["datasets"]["ess"];
    ASSERT_EQ(ess.size(), 3u);
    const json& point = f.analysis["effective_sample_size"]["points"][1];
    EXPECT_DOUBLE_EQ(ess[1]["ratio_low"].get<double>(),
                     point["n_e_ci95_low"].get<double>() / 100.0);
}

TEST_F(ChartsTest, DecomposeStacksStatisticalFunctionalAndInteraction) {
    const StudyFolder f = read_study_folder(fixture("decompose"));
    const auto spec_views = report_views(f, {});
    const json& spec = find_view(spec_views, "decompose")->spec;
    const json& parts = spec["datasets"]["parts"];
    ASSERT_EQ(parts.size(), 3u * 3u);
    EXPECT_EQ(parts[1]["part"], "functional");
    EXPECT_DOUBLE_EQ(parts[1]["mean"].get<double>(),
                     f.analysis["generations_table"][0]["functional"]["mean"].get<double>());
    EXPECT_EQ(spec["layer"][0]["encoding"]["y"]["stack"], "zero");
    EXPECT_EQ(spec["datasets"]["totals"].size(), 3u);
}

TEST(SettingColors, RepeatPastThePalette) {
    const auto colors = setting_colors(22);
    EXPECT_EQ(colors[0], "#4c78a8");
    EXPECT_EQ(colors[20], colors[0]);
    EXPECT_NE(colors[1], colors[0]);
}

}  // namespace
}  // namespace madlab
