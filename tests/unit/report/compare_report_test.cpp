#include "madlab/report/compare_report.h"

#include <gtest/gtest.h>

#include "madlab/core/error.h"
#include "report_fixture.h"

namespace madlab {
namespace {

using nlohmann::json;
using CompareReportTest = testing::ReportFolder;

TEST_F(CompareReportTest, CommonMetricsWithoutBookkeeping) {
    StudyFolder a = read_study_folder(fixture("run"));
    StudyFolder b = a;
    // The fixture records frechet, precision, recall and train_size (bookkeeping).
    EXPECT_EQ(common_metrics({a, b}), (std::vector<std::string>{"frechet", "precision", "recall"}));
    b.metrics = {"recall", "train_size", "perplexity"};
    EXPECT_EQ(common_metrics({a, b}), std::vector<std::string>{"recall"});
    b.metrics = {"train_size"};
    EXPECT_TRUE(common_metrics({a, b}).empty());
    EXPECT_THROW(render_comparison({a, b}), DataError);
    // Two studies of one name stay apart.
    EXPECT_EQ(study_labels({a, a}), (std::vector<std::string>{"tiny-grid", "tiny-grid (2)"}));
}

TEST_F(CompareReportTest, EveryStudysRowsOnTheCommonMetricsClipped) {
    const StudyFolder a = read_study_folder(fixture("run"));
    StudyFolder b = a;
    for (auto& r : b.summary) {
        r.mean += 1.0;  // tells b's rows apart
        if (r.metric == "recall") r.ci95_low = -2.0;
    }
    b.metrics = {"recall", "train_size"};
    const ReportView view = comparison_view({a, b});
    EXPECT_EQ(view.id, "compare");
    const json& rows = view.spec["datasets"]["compare"];
    // recall only: 2 studies x 2 settings x 4 generations.
    ASSERT_EQ(rows.size(), 16u);
    for (const auto& row : rows) {
        EXPECT_EQ(row["metric"], "recall");
        const bool second = row["study"] == "tiny-grid (2)";
        for (const auto& r : a.summary)
            if (r.setting == row["setting"] && r.metric == "recall" &&
                r.generation == row["generation"]) {
                EXPECT_DOUBLE_EQ(row["mean"].get<double>(), r.mean + (second ? 1.0 : 0.0));
                if (second) EXPECT_EQ(row["ci95_low"].get<double>(), 0.0);
            }
        EXPECT_EQ(row["series"],
                  row["study"].get<std::string>() + ": " + row["setting"].get<std::string>());
    }
    EXPECT_EQ(view.spec["spec"]["encoding"]["color"]["field"], "study");
    EXPECT_EQ(view.spec["facet"]["sort"], json::array({"recall (higher is better)"}));
    const std::string page = render_comparison({a, b});
    EXPECT_NE(page.find("<td>tiny-grid (2)</td>"), std::string::npos);
}

}  // namespace
}  // namespace madlab
