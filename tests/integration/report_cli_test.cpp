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
    // The study with a biased model, the change whose effect a comparison shows, written to
    // biased.toml; returns its path.
    std::string biased_study() const {
        std::string toml = read_file(dir_ / "study.toml");
        toml.replace(toml.find("name = \"report-cli\""), 19, "name = \"report-cli-biased\"");
        toml.insert(toml.find("[schedule]"), "bias = 0.8\n");
        std::ofstream(dir_ / "biased.toml") << toml;
        return (dir_ / "biased.toml").string();
    }
    // Runs `madlab report ARGUMENTS`, expects the comparison of report-cli and report-cli-biased
    // written to `page`, and returns the page.
    static std::string expect_comparison(const std::string& arguments, const fs::path& page) {
        const auto r = run_madlab("report " + arguments);
        EXPECT_EQ(r.exit_code, 0) << r.output;
        EXPECT_NE(r.output.find("report: " + page.string() + " (2 studies)"), std::string::npos)
            << r.output;
        const std::string html = read_file(page);
        EXPECT_NE(html.find("<td>report-cli</td>"), std::string::npos);
        EXPECT_NE(html.find("<td>report-cli-biased</td>"), std::string::npos);
        return html;
    }
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

namespace {

// `madlab report A B`: the studies side by side; a folder that is not a study, and studies with
// no metric in common, exit 2 with a message naming the folder or the studies.
TEST_F(ReportCli, CompareStudiesOnTheirCommonMetrics) {
    const fs::path a = dir_ / "a";
    ASSERT_EQ(
        run_madlab("run " + study() + " -q --no-db --no-report --out " + a.string()).exit_code, 0);
    const fs::path b = dir_ / "b";
    const auto rb =
        run_madlab("run " + biased_study() + " -q --no-db --no-report --out " + b.string());
    ASSERT_EQ(rb.exit_code, 0) << rb.output;

    const std::string html = expect_comparison(a.string() + " " + b.string(), a / "compare.html");
    EXPECT_NE(html.find("id=\"view-compare\""), std::string::npos);
    EXPECT_NE(html.find("\"study\":\"report-cli-biased\""), std::string::npos);
    // Both studies' metrics are shared; the page leads with recall and coverage.
    EXPECT_NE(html.find("recall (higher is better)"), std::string::npos);

    // A folder that is not a study.
    fs::create_directories(dir_ / "empty");
    const auto bad = run_madlab("report " + a.string() + " " + (dir_ / "empty").string());
    EXPECT_EQ(bad.exit_code, 2);
    EXPECT_NE(bad.output.find((dir_ / "empty").string()), std::string::npos) << bad.output;
    EXPECT_NE(bad.output.find("summary.json"), std::string::npos) << bad.output;

    // No metric in common: a study of frechet only against one of prdc only.
    std::string only = read_file(dir_ / "study.toml");
    only.replace(only.find("list = [\"frechet\", \"prdc\"]"), 26, "list = [\"prdc\"]");
    std::ofstream(dir_ / "prdc.toml") << only;
    std::string toml = read_file(dir_ / "study.toml");
    toml.replace(toml.find("list = [\"frechet\", \"prdc\"]"), 26, "list = [\"frechet\"]");
    std::ofstream(dir_ / "frechet.toml") << toml;
    for (const char* name : {"prdc", "frechet"})
        ASSERT_EQ(run_madlab("run " + (dir_ / (std::string(name) + ".toml")).string() +
                             " -q --no-db --no-report --out " + (dir_ / name).string())
                      .exit_code,
                  0);
    const auto none =
        run_madlab("report " + (dir_ / "prdc").string() + " " + (dir_ / "frechet").string());
    EXPECT_EQ(none.exit_code, 2);
    EXPECT_NE(none.output.find("share no metric"), std::string::npos) << none.output;
    EXPECT_NE(none.output.find((dir_ / "frechet").string()), std::string::npos) << none.output;
    // --figures takes one study.
    const auto figures = run_madlab("report " + a.string() + " " + b.string() + " --figures " +
                                    (dir_ / "f").string());
    EXPECT_EQ(figures.exit_code, 2);
    EXPECT_NE(figures.output.find("--figures takes one study folder"), std::string::npos);
}

}  // namespace

namespace {

// The embedded data of a page: its charts' specs and datasets (not the header's folder names).
std::string page_data(const std::string& page) {
    const auto begin = page.find("id=\"madlab-data\">");
    return page.substr(begin, page.find("</script>", begin) - begin);
}

// `madlab report lab.sqlite`: the studies run into one database side by side, with the values
// of `madlab report DIR_A DIR_B` of their folders; --study chooses, one study gets its own page.
TEST_F(ReportCli, CompareTheStudiesOfOneDatabase) {
    const fs::path db = dir_ / "lab.sqlite";
    const fs::path a = dir_ / "a";
    const auto ra = run_madlab("run " + study() + " -q --no-report --db " + db.string() +
                               " --out " + a.string());
    ASSERT_EQ(ra.exit_code, 0) << ra.output;
    const fs::path b = dir_ / "b";
    const auto rb = run_madlab("run " + biased_study() + " -q --no-report --db " + db.string() +
                               " --out " + b.string());
    ASSERT_EQ(rb.exit_code, 0) << rb.output;

    const std::string html = expect_comparison(db.string(), dir_ / "lab.compare.html");
    EXPECT_NE(html.find("<td>" + db.string() + " (study 2)</td>"), std::string::npos);
    EXPECT_NE(html.find("\"study\":\"report-cli-biased\""), std::string::npos);
    // The same values as the comparison of the two folders.
    const fs::path folders = dir_ / "folders.html";
    ASSERT_EQ(run_madlab("report " + a.string() + " " + b.string() + " --out " + folders.string())
                  .exit_code,
              0);
    EXPECT_EQ(page_data(html), page_data(read_file(folders)));

    // --study by id and by name, in the order given.
    const fs::path chosen = dir_ / "chosen.html";
    const auto rc = run_madlab("report " + db.string() + " --study 2 --study report-cli --out " +
                               chosen.string());
    ASSERT_EQ(rc.exit_code, 0) << rc.output;
    const fs::path reversed = dir_ / "reversed.html";
    ASSERT_EQ(run_madlab("report " + b.string() + " " + a.string() + " --out " + reversed.string())
                  .exit_code,
              0);
    EXPECT_EQ(page_data(read_file(chosen)), page_data(read_file(reversed)));

    // One study: its own page, the same as the folder's.
    const auto one = run_madlab("report " + db.string() + " --study report-cli");
    ASSERT_EQ(one.exit_code, 0) << one.output;
    const fs::path single = dir_ / "lab.report.html";
    EXPECT_NE(one.output.find("report: " + single.string()), std::string::npos) << one.output;
    ASSERT_EQ(run_madlab("report " + a.string()).exit_code, 0);
    const std::string own = read_file(single);
    EXPECT_NE(own.find("<h1>report-cli</h1>"), std::string::npos);
    EXPECT_EQ(page_data(own), page_data(read_file(a / "report.html")));

    // --figures takes one study.
    const auto figures =
        run_madlab("report " + db.string() + " --figures " + (dir_ / "f").string());
    EXPECT_EQ(figures.exit_code, 2);
    EXPECT_NE(figures.output.find("--figures takes one study"), std::string::npos)
        << figures.output;
}

}  // namespace
