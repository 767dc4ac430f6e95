// End-to-end tests of the madlab binary: exit codes, messages and output files.

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "cli_runner.h"
#include "madlab/store/record_files.h"

namespace {

namespace fs = std::filesystem;
using madlab::testing::expect_output;
using madlab::testing::read_file;
using madlab::testing::run_madlab;

class Cli : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("madlab_cli_" +
                std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
        fs::remove_all(dir_);
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }
    fs::path write(const std::string& name, const std::string& text) {
        std::ofstream(dir_ / name) << text;
        return dir_ / name;
    }
    fs::path dir_;
};

const char* kSmallStudy = R"(
[study]
name = "small"
seeds = 2
generations = 3
[source]
kind = "ring8"
[model]
family = "gmm"
components = 8
[schedule]
n = 200
[metrics]
n_eval = 200
[[settings]]
name = "replace"
[[settings]]
name = "fresh"
schedule.preset = "fresh-data"
)";

TEST_F(Cli, VersionAndHelp) {
    auto r = run_madlab("--version");
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_NE(r.output.find("madlab 0."), std::string::npos) << r.output;
    r = run_madlab("--help");
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_NE(r.output.find("run"), std::string::npos);
    r = run_madlab("run --help");
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_NE(r.output.find("--threads"), std::string::npos);
}

TEST_F(Cli, BadCommandLineExitsTwo) {
    EXPECT_EQ(run_madlab("frobnicate").exit_code, 2);
    EXPECT_EQ(run_madlab("run --threads -3").exit_code, 2);
    EXPECT_EQ(run_madlab("run /no/such/file.toml").exit_code, 2);
}

TEST_F(Cli, RunWritesRecordsSummaryAndConfig) {
    const auto study = write("small.toml", kSmallStudy);
    const auto out = dir_ / "out";
    const auto r = run_madlab("run " + study.string() + " --out " + out.string() + " --threads 2");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("replace"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("precision"), std::string::npos) << r.output;

    const auto records = madlab::records_from_csv(read_file(out / "records.csv"));
    // 2 settings x 2 seeds x 4 generations x (frechet, 4 prdc, nll, train_size,
    // collapsed, real_fraction, fit_converged) = 16 x 10 records.
    EXPECT_EQ(records.size(), 16u * 10u);
    const std::string summary = read_file(out / "summary.json");
    EXPECT_NE(summary.find("\"madlab_version\""), std::string::npos);
    EXPECT_NE(summary.find("\"ci95_low\""), std::string::npos);
    // The resolved config runs again and gives the same records.
    const auto again = dir_ / "again";
    const auto r2 = run_madlab("run " + (out / "config.toml").string() + " --out " +
                               again.string() + " --threads 1 --quiet");
    ASSERT_EQ(r2.exit_code, 0) << r2.output;
    EXPECT_EQ(read_file(again / "records.csv"), read_file(out / "records.csv"));
    // No temporary files are left behind.
    for (const auto& entry : fs::directory_iterator(out))
        EXPECT_EQ(entry.path().string().find(".tmp"), std::string::npos) << entry.path();
}

TEST_F(Cli, SetOverridesKeysAndIsRecordedForResume) {
    const auto study = write("small.toml", kSmallStudy);
    const auto out = dir_ / "set";
    // A study file after a --set stays the study file (one KEY=VALUE per --set).
    const auto r =
        run_madlab("run --set study.seeds=1 --set 'study.name=\"renamed\"' " + study.string() +
                   " --set study.generations=2 --out " + out.string() + " --quiet --no-report");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const std::string config = read_file(out / "config.toml");
    EXPECT_NE(config.find("name = 'renamed'\n"), std::string::npos) << config;
    EXPECT_NE(config.find("seeds = 1\n"), std::string::npos) << config;
    EXPECT_NE(config.find("generations = 2\n"), std::string::npos) << config;
    // 2 settings x 1 seed x 3 generations x 10 values.
    EXPECT_EQ(madlab::records_from_csv(read_file(out / "records.csv")).size(), 6u * 10u);
    // The run again into its folder is refused (exit 2) and says how to resume it.
    expect_output(run_madlab("run " + study.string() + " --out " + out.string()), 2,
                  {"the folder holds a run already", "madlab run --resume " + out.string()});
    // Wrong keys and values: exit 2, placed at --set, nothing written.
    expect_output(run_madlab("run " + study.string() + " --set schedule.nn=5 --out " +
                             (dir_ / "bad").string()),
                  2, {"--set: unknown key 'schedule.nn'", "did you mean 'schedule.n'"});
    expect_output(run_madlab("run " + study.string() + " --set study.seeds=many --out " +
                             (dir_ / "bad").string()),
                  2, {"--set: study.seeds must be an integer"});
    expect_output(run_madlab("run --set study.seeds --out " + (dir_ / "bad").string()), 2,
                  {"--set study.seeds: write KEY=VALUE"});
    EXPECT_FALSE(fs::exists(dir_ / "bad"));
    expect_output(run_madlab("run --resume " + out.string() + " --set study.seeds=2"), 2,
                  {"--set"});
}

TEST_F(Cli, ConfigErrorExitsTwoNamingLineAndKey) {
    const auto study = write("bad.toml", "[model]\nfamily = \"gmm\"\ncomponnets = 3\n");
    const auto out = dir_ / "out";
    const auto r = run_madlab("run " + study.string() + " --out " + out.string());
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.output.find("bad.toml line 3"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("did you mean 'model.components'"), std::string::npos) << r.output;
    EXPECT_FALSE(fs::exists(out / "records.csv"));
}

TEST_F(Cli, BadDataFileExitsTwoAndWritesNothing) {
    write("data.csv", "x,y\n1,2\n3,nan\n");
    const auto study = write(
        "s.toml", "[source]\nkind = \"csv\"\npath = \"" + (dir_ / "data.csv").string() + "\"\n");
    const auto out = dir_ / "out";
    const auto r = run_madlab("run " + study.string() + " --out " + out.string());
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_NE(r.output.find("data.csv"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("line 3"), std::string::npos) << r.output;
    EXPECT_FALSE(fs::exists(out));
}

// Sizes no machine holds are refused from the config's memory estimate, before anything is
// written (they used to end in std::bad_alloc after the study was registered).
TEST_F(Cli, StudiesThatCannotFitInMemoryExitTwoNamingTheKey) {
    for (const auto& [text, key] :
         {std::pair{"[schedule]\nn = 1000000000000\n", "schedule.n"},
          std::pair{"[metrics]\nn_eval = 1000000000000\n", "metrics.n_eval"},
          std::pair{"[source]\nkind = \"gaussian\"\ndim = 100000\n[model]\nfamily = \"gaussian\"\n",
                    "source.dim"}}) {
        const auto study = write("huge.toml", text);
        const auto out = dir_ / "huge";
        const auto r = run_madlab("run " + study.string() + " -q --out " + out.string());
        EXPECT_EQ(r.exit_code, 2) << r.output;
        EXPECT_NE(r.output.find(std::string(key) + " (setting"), std::string::npos) << r.output;
        EXPECT_NE(r.output.find("of memory at its peak"), std::string::npos) << r.output;
        EXPECT_FALSE(fs::exists(out));
    }
}

TEST_F(Cli, UnwritableOutputFolderExitsTwoNamingOut) {
    const auto study = write("s.toml", kSmallStudy);
    const auto file = write("a-file", "not a folder\n");
    const auto r = run_madlab("run " + study.string() + " -q --out " + (file / "out").string());
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_NE(r.output.find("--out " + (file / "out").string()), std::string::npos) << r.output;
    EXPECT_EQ(read_file(file), "not a folder\n");
}

TEST_F(Cli, CsvSourceFromSharedDataRuns) {
    const std::string faithful = std::string(MADLAB_SHARED_DIR) + "/data/tabular/faithful.csv";
    if (!fs::exists(faithful)) GTEST_SKIP() << "shared data not present";
    const auto study = write("faithful.toml",
                             "[study]\nseeds = 2\ngenerations = 2\n"
                             "[source]\nkind = \"csv\"\npath = \"" +
                                 faithful +
                                 "\"\n[model]\nfamily = \"gaussian\"\n"
                                 "[schedule]\nn = 100\n[metrics]\nn_eval = 50\n"
                                 "n_test = 50\n");
    const auto r =
        run_madlab("run " + study.string() + " --out " + (dir_ / "out").string() + " -q");
    EXPECT_EQ(r.exit_code, 0) << r.output;
}

}  // namespace
