// Names from data never leave their folder (study.name, metric names in a summary.json someone
// sent), and the temporaries of a killed writer are cleaned by the next resume or report.

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "cli_runner.h"

namespace {

namespace fs = std::filesystem;
using madlab::testing::expect_output;
using madlab::testing::read_file;
using madlab::testing::run_madlab;
using madlab::testing::TempDirTest;

// A small study named `name` (a TOML string, quotes included).
std::string small_study(const std::string& name) {
    return "[study]\nname = " + name + R"(
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
)";
}

// The names of the entries of `dir`.
std::vector<std::string> entries(const fs::path& dir) {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
    return out;
}

// A pid that no process has: a child that has exited and been reaped.
pid_t finished_pid() {
    const pid_t child = ::fork();
    if (child == 0) ::_exit(0);
    int status = 0;
    ::waitpid(child, &status, 0);
    return child;
}

class PathsCli : public TempDirTest {
protected:
    void SetUp() override {
        TempDirTest::SetUp();
        work_ = dir_ / "work";
        fs::create_directories(work_);
    }
    fs::path write(const std::string& file, const std::string& text) const {
        std::ofstream(dir_ / file) << text;
        return dir_ / file;
    }
    fs::path work_;  // the working folder of the commands: work_/madlab-results/...
};

TEST_F(PathsCli, AStudyNameThatClimbsOutStaysInMadlabResults) {
    // madlab-results/../../x from work_ would be dir_/x.
    const auto study = write("climb.toml", small_study("\"../../x\""));
    const auto r = run_madlab("run " + study.string() + " -q --no-db", true, work_);
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_FALSE(fs::exists(dir_ / "x"));
    const auto folders = entries(work_ / "madlab-results");
    ASSERT_EQ(folders.size(), 1u);
    EXPECT_EQ(folders[0].substr(0, 8), "_._.._x-");
    EXPECT_TRUE(fs::exists(work_ / "madlab-results" / folders[0] / "summary.json"));
    EXPECT_EQ(entries(work_), std::vector<std::string>{"madlab-results"});

    // The analyses' default folders too (madlab-results/<name>-threshold).
    const auto threshold = write("threshold.toml", R"([study]
name = "../../x"
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
)");
    const auto t = run_madlab("threshold " + threshold.string() + " -q", true, work_);
    ASSERT_EQ(t.exit_code, 0) << t.output;
    EXPECT_FALSE(fs::exists(dir_ / "x-threshold"));
    EXPECT_TRUE(
        fs::exists(work_ / "madlab-results" / (folders[0] + "-threshold") / "threshold.json"));
}

TEST_F(PathsCli, AStudyNameWithANewlineMakesNoFolderWithANewline) {
    const auto study = write("newline.toml", small_study("\"two\\nlines\""));
    const auto r = run_madlab("run " + study.string() + " -q --no-db", true, work_);
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const auto folders = entries(work_ / "madlab-results");
    ASSERT_EQ(folders.size(), 1u);
    EXPECT_EQ(folders[0].find('\n'), std::string::npos);
    EXPECT_EQ(folders[0].substr(0, 10), "two_lines-");
}

TEST_F(PathsCli, AnEmptyStudyNameIsAConfigError) {
    const auto study = write("empty.toml", small_study("\"\""));
    const auto r = run_madlab("run " + study.string() + " -q --no-db", true, work_);
    expect_output(r, 2, {"empty.toml", "study.name", "is empty", "study.name = \"my-study\""});
    EXPECT_TRUE(entries(work_).empty());  // nothing written, madlab-results/ itself untouched
}

TEST_F(PathsCli, ReportFiguresStayInTheFigureFolder) {
    const fs::path out = dir_ / "out";
    const auto study = write("study.toml", small_study("\"figures\""));
    ASSERT_EQ(run_madlab("run " + study.string() + " -q --no-db --no-report --out " + out.string())
                  .exit_code,
              0);
    // A results folder from someone else: a metric name that climbs out of the figure folder
    // (FIG/metric-density/../../escaped.svg is dir_/escaped.svg).
    std::string summary = read_file(out / "summary.json");
    for (std::size_t at = summary.find("\"density\""); at != std::string::npos;
         at = summary.find("\"density\"", at + 1))
        summary.replace(at, 9, "\"density/../../escaped\"");
    std::ofstream(out / "summary.json") << summary;
    const fs::path figures = dir_ / "figures";
    const auto r =
        run_madlab("report " + out.string() + " --figures " + figures.string() + " --svg-only");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_FALSE(fs::exists(dir_ / "escaped.svg"));
    int escaped = 0;
    for (const auto& name : entries(figures))
        if (name.rfind("metric-density_.._.._escaped-", 0) == 0 &&
            name.substr(name.size() - 4) == ".svg")
            ++escaped;
    EXPECT_EQ(escaped, 1);
    EXPECT_TRUE(fs::exists(figures / "metric-recall.svg"));  // safe names stay as they were
    for (const auto& name : entries(dir_)) EXPECT_NE(name, "escaped.svg");
}

TEST_F(PathsCli, ResumeAndReportRemoveStaleTemporariesOnly) {
    const fs::path out = dir_ / "out";
    const auto study = write("study.toml", small_study("\"temporaries\""));
    ASSERT_EQ(run_madlab("run " + study.string() + " -q --out " + out.string()).exit_code, 0);
    // What a run killed during its final writes leaves, and what a live writer (this test
    // process) is writing.
    const std::string dead = std::to_string(finished_pid());
    const std::string live = "records.csv.tmp." + std::to_string(::getpid());
    std::ofstream(out / ("summary.json.tmp." + dead)) << "partial";
    std::ofstream(out / live) << "being written";
    const auto resumed = run_madlab("run --resume " + out.string() + " -q");
    ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
    EXPECT_FALSE(fs::exists(out / ("summary.json.tmp." + dead)));
    EXPECT_EQ(read_file(out / live), "being written");

    std::ofstream(out / ("report.html.tmp." + dead + ".1")) << "partial";
    const auto report = run_madlab("report " + out.string());
    ASSERT_EQ(report.exit_code, 0) << report.output;
    EXPECT_FALSE(fs::exists(out / ("report.html.tmp." + dead + ".1")));
    EXPECT_EQ(read_file(out / live), "being written");
}

}  // namespace
