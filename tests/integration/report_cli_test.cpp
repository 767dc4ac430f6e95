// `madlab report` and the report that run, threshold and decompose write at their end.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "cli_runner.h"

namespace {

namespace fs = std::filesystem;
using madlab::testing::read_file;
using madlab::testing::run_madlab;

class ReportCli : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("madlab_report_cli_" +
                std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
        fs::remove_all(dir_);
        fs::create_directories(dir_);
        std::ofstream(dir_ / "study.toml") << R"([study]
name = "report-cli"
description = "Is <this> escaped?"
seeds = 2
generations = 2
[source]
kind = "gaussian"
dim = 2
[model]
family = "gaussian"
[schedule]
n = 50
[metrics]
list = ["frechet", "prdc"]
n_eval = 50
[[settings]]
name = "replace"
schedule.preset = "fully-synthetic"
[[settings]]
name = "fresh"
schedule.preset = "fresh-data"
)";
    }
    void TearDown() override { fs::remove_all(dir_); }
    std::string study() const { return (dir_ / "study.toml").string(); }
    fs::path dir_;
};

TEST_F(ReportCli, RunWritesTheReportUnlessToldNot) {
    const fs::path out = dir_ / "out";
    const auto r = run_madlab("run " + study() + " -q --no-db --out " + out.string());
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("report: " + (out / "report.html").string()), std::string::npos)
        << r.output;
    const std::string html = read_file(out / "report.html");
    EXPECT_NE(html.find("<h1>report-cli</h1>"), std::string::npos);
    EXPECT_NE(html.find("Is &lt;this&gt; escaped?"), std::string::npos);
    EXPECT_NE(html.find("id=\"view-samples\""), std::string::npos);

    const fs::path quiet = dir_ / "quiet";
    const auto n = run_madlab("run " + study() + " -q --no-db --no-report --out " + quiet.string());
    ASSERT_EQ(n.exit_code, 0) << n.output;
    EXPECT_TRUE(fs::exists(quiet / "summary.json"));
    EXPECT_FALSE(fs::exists(quiet / "report.html"));
    // Written later, the same page.
    const auto later = run_madlab("report " + quiet.string());
    ASSERT_EQ(later.exit_code, 0) << later.output;
    // The same charts and data as the page the run wrote: only the folder named differs.
    const auto data = [](const std::string& page) {
        const auto begin = page.find("id=\"madlab-data\">");
        return page.substr(begin, page.find("</script>", begin) - begin);
    };
    const std::string b = read_file(quiet / "report.html");
    EXPECT_EQ(data(b), data(html));
    EXPECT_NE(b.find("<h1>report-cli</h1>"), std::string::npos);
    EXPECT_NE(b.find("none (run with --no-db)"), std::string::npos);
}

TEST_F(ReportCli, OutAndFiguresAsSvg) {
    const fs::path out = dir_ / "out";
    ASSERT_EQ(run_madlab("run " + study() + " -q --no-report --out " + out.string()).exit_code, 0);
    const fs::path page = dir_ / "page.html";
    const fs::path figures = dir_ / "figures";
    const auto r = run_madlab("report " + out.string() + " --out " + page.string() + " --figures " +
                              figures.string() + " --svg-only");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_TRUE(fs::exists(page));
    EXPECT_FALSE(fs::exists(out / "report.html"));
    for (const char* chart :
         {"headline", "qd-plane", "samples", "metric-recall", "metric-frechet"}) {
        const std::string svg = read_file(figures / (std::string(chart) + ".svg"));
        EXPECT_NE(svg.find("<svg"), std::string::npos) << chart;
        EXPECT_NE(svg.find("role-mark"), std::string::npos) << chart;  // drawn data marks
    }
    EXPECT_NE(r.output.find("SVG"), std::string::npos) << r.output;
}

TEST_F(ReportCli, AFolderWithoutResultsExitsTwoSayingWhatToDo) {
    fs::create_directories(dir_ / "empty");
    const auto r = run_madlab("report " + (dir_ / "empty").string());
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.output.find("summary.json"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("madlab run"), std::string::npos) << r.output;

    std::ofstream(dir_ / "empty" / "summary.json") << "{";
    const auto bad = run_madlab("report " + (dir_ / "empty").string());
    EXPECT_EQ(bad.exit_code, 2);
    EXPECT_NE(bad.output.find("summary.json is not valid JSON"), std::string::npos) << bad.output;
}

TEST_F(ReportCli, ThresholdAndDecomposeWriteTheirReport) {
    std::ofstream(dir_ / "threshold.toml") << R"([study]
name = "th"
seeds = 3
generations = 2
[source]
kind = "gaussian"
dim = 2
[model]
family = "gaussian"
[schedule]
preset = "fresh-data"
n = 50
n_synthetic = 50
[metrics]
list = ["frechet"]
n_eval = 50
[threshold]
candidates = [0, 50]
refine = 0
ess = false
)";
    const fs::path out = dir_ / "th";
    const auto r =
        run_madlab("threshold " + (dir_ / "threshold.toml").string() + " -q --out " + out.string());
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const std::string html = read_file(out / "report.html");
    EXPECT_NE(html.find("id=\"view-threshold\""), std::string::npos);
    EXPECT_EQ(html.find("id=\"view-ess\""), std::string::npos);  // ess = false

    std::ofstream(dir_ / "decompose.toml") << R"([study]
name = "dec"
seeds = 2
generations = 2
[source]
kind = "grid25"
[model]
family = "gmm"
components = 8
[schedule]
preset = "fully-synthetic"
n = 200
[metrics]
list = ["prdc"]
n_eval = 200
[decompose]
metric = "coverage"
large_n = 1000
)";
    const fs::path dec = dir_ / "dec";
    const auto d =
        run_madlab("decompose " + (dir_ / "decompose.toml").string() + " -q --out " + dec.string());
    ASSERT_EQ(d.exit_code, 0) << d.output;
    const std::string dec_html = read_file(dec / "report.html");
    EXPECT_NE(dec_html.find("id=\"view-decompose\""), std::string::npos);
    EXPECT_EQ(dec_html.find("id=\"view-threshold\""), std::string::npos);
}

}  // namespace
