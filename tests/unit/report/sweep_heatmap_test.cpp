#include "madlab/report/sweep_heatmap.h"

#include <fmt/core.h>
#include <gtest/gtest.h>

#include "madlab/report/charts.h"

namespace madlab {
namespace {

using nlohmann::json;

TEST(SweepGrid, ReadsTwoAxesFromTheSettingNames) {
    const auto grid =
        sweep_grid({"fresh n_real_fresh=0 bias=1", "fresh n_real_fresh=0 bias=0.9",
                    "fresh n_real_fresh=100 bias=1", "fresh n_real_fresh=100 bias=0.9"});
    ASSERT_TRUE(grid.has_value());
    EXPECT_EQ(grid->x_key, "n_real_fresh");
    EXPECT_EQ(grid->y_key, "bias");
    EXPECT_EQ(grid->x_values, (std::vector<std::string>{"0", "100"}));
    EXPECT_EQ(grid->y_values, (std::vector<std::string>{"1", "0.9"}));
    EXPECT_EQ(grid->named, (std::vector<std::string>{"fresh"}));
    ASSERT_EQ(grid->cells.size(), 4u);
    EXPECT_EQ(grid->cells[2].x, "100");
    EXPECT_EQ(grid->cells[2].y, "1");
}

TEST(SweepGrid, NoGridWithoutTwoSweptAxes) {
    EXPECT_FALSE(sweep_grid({"replace", "fresh"}).has_value());
    // One axis.
    EXPECT_FALSE(sweep_grid({"n_real_fresh=0", "n_real_fresh=100"}).has_value());
    // Three axes.
    EXPECT_FALSE(sweep_grid({"a=1 b=1 c=1", "a=2 b=2 c=2"}).has_value());
    // Different keys.
    EXPECT_FALSE(sweep_grid({"a=1 b=1", "a=2 c=2"}).has_value());
    // Two axes, but one of them with a single value.
    EXPECT_FALSE(sweep_grid({"a=1 b=1", "a=2 b=1"}).has_value());
}

// A 3 x 2 sweep, 3 generations, recall and frechet, each mean a function of the cell and the
// generation: the heatmap must hold the last generation's.
StudyFolder sweep_folder() {
    StudyFolder f;
    f.dir = "sweep";
    const std::vector<int> fresh = {0, 100, 500};
    const std::vector<std::string> bias = {"1", "0.7"};
    for (std::size_t i = 0; i < fresh.size(); ++i)
        for (std::size_t j = 0; j < bias.size(); ++j) {
            const std::string s = fmt::format("n_real_fresh={} bias={}", fresh[i], bias[j]);
            f.settings.push_back(s);
            for (int g = 0; g <= 2; ++g)
                for (const char* m : {"recall", "frechet"}) {
                    SummaryRow r;
                    r.setting = s;
                    r.generation = g;
                    r.metric = m;
                    r.count = 10;
                    r.mean = 0.1 * static_cast<double>(i) + 0.01 * static_cast<double>(j) +
                             0.001 * g + (m[0] == 'f' ? 1.0 : 0.0);
                    r.ci95_low = r.mean - 0.5;  // recall's reaches below 0: clipped
                    r.ci95_high = r.mean + 0.05;
                    f.summary.push_back(r);
                }
        }
    f.metrics = {"recall", "frechet"};
    return f;
}

TEST(SweepHeatmap, CellsAreTheLastGenerationsMeanOfEachSetting) {
    const StudyFolder f = sweep_folder();
    const auto views = report_views(f, {});
    ASSERT_FALSE(views.empty());
    // In place of the headline's lines in six colours.
    EXPECT_EQ(views.front().id, "sweep");
    for (const auto& v : views) EXPECT_NE(v.id, "headline");
    const json& spec = views.front().spec;
    const json& rows = spec["datasets"]["sweep"];
    ASSERT_EQ(rows.size(), 12u);  // 6 settings x 2 metrics
    for (const auto& r : rows) {
        const std::string setting = r["setting"].get<std::string>();
        const SummaryRow* expected = nullptr;
        for (const auto& s : f.summary)
            if (s.setting == setting && s.metric == r["metric"] && s.generation == 2) expected = &s;
        ASSERT_NE(expected, nullptr) << setting;
        EXPECT_EQ(r["generation"], 2);
        EXPECT_EQ(r["mean"].get<double>(), expected->mean) << setting;
        EXPECT_EQ(setting, fmt::format("n_real_fresh={} bias={}", r["x"].get<std::string>(),
                                       r["y"].get<std::string>()));
        if (r["metric"] == "recall") {
            EXPECT_EQ(r["ci95_low"].get<double>(), 0.0);  // mean - 0.5 < 0, clipped
        } else {
            EXPECT_DOUBLE_EQ(r["ci95_low"].get<double>(), expected->mean - 0.5);
        }
    }
    // Axes in the sweep's order, one panel per headline metric with its own colour scale.
    const json& enc = spec["spec"]["encoding"];
    EXPECT_EQ(enc["x"]["sort"], json::array({"0", "100", "500"}));
    EXPECT_EQ(enc["y"]["sort"], json::array({"1", "0.7"}));
    EXPECT_EQ(enc["x"]["title"], "n_real_fresh");
    EXPECT_EQ(enc["color"]["field"], "mean");
    EXPECT_EQ(spec["facet"]["sort"],
              json::array({"recall (higher is better)", "frechet (lower is better)"}));
    EXPECT_EQ(spec["resolve"]["scale"]["color"], "independent");
}

TEST(SweepHeatmap, SeveralNamedSettingsGetAPanelEach) {
    StudyFolder f = sweep_folder();
    // The same grid under two named settings.
    const std::size_t n = f.summary.size();
    for (std::size_t i = 0; i < n; ++i) {
        SummaryRow r = f.summary[i];
        f.summary[i].setting = "replace " + r.setting;
        r.setting = "fresh " + r.setting;
        f.summary.push_back(r);
    }
    std::vector<std::string> settings;
    for (const auto& s : f.settings) settings.push_back("replace " + s);
    for (const auto& s : f.settings) settings.push_back("fresh " + s);
    f.settings = settings;
    const auto grid = sweep_grid(settings);
    ASSERT_TRUE(grid.has_value());
    const json spec = sweep_heatmap_spec(f, *grid, {"recall"});
    EXPECT_EQ(spec["datasets"]["sweep"].size(), 12u);
    EXPECT_EQ(spec["facet"]["sort"], json::array({"recall (higher is better) \u00b7 replace",
                                                  "recall (higher is better) \u00b7 fresh"}));
}

}  // namespace
}  // namespace madlab
