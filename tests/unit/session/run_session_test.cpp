#include "madlab/session/run_session.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "madlab/core/error.h"
#include "madlab/study/study_config.h"

namespace madlab {
namespace {

namespace fs = std::filesystem;
using testing::HasSubstr;

const char* kStudy = R"(
[study]
name = "session"
seeds = 2
generations = 3
[source]
kind = "gaussian"
dim = 2
[model]
family = "gaussian"
[schedule]
n = 40
[metrics]
list = ["frechet"]
n_eval = 40
)";

std::string read(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

struct SessionTest : testing::Test {
    // One folder per process and test: ctest runs the tests of this file in parallel.
    fs::path dir =
        fs::temp_directory_path() / ("madlab_session_test_" + std::to_string(::getpid()) + "_" +
                                     testing::UnitTest::GetInstance()->current_test_info()->name());
    std::ostringstream console;
    void SetUp() override { fs::remove_all(dir); }
    void TearDown() override { fs::remove_all(dir); }
    SessionOptions options(const std::string& out = "") {
        SessionOptions o;
        o.out_dir = out;
        o.quiet = true;
        o.no_report = true;
        o.console = &console;
        return o;
    }
};

TEST_F(SessionTest, RunsIntoTheFolderAndResumesTheSameRecords) {
    const StudyConfig study = parse_study(kStudy, "test");
    const SessionResult run = run_session(study, options((dir / "run").string()));
    EXPECT_EQ(run.out_dir, (dir / "run").string());
    EXPECT_EQ(run.db_path, (dir / "run" / "results.sqlite").string());
    EXPECT_EQ(run.study_id, 1);
    EXPECT_EQ(run.report_path, "");  // no_report
    const std::string records = read(dir / "run" / "records.csv");
    // 2 seeds x 4 generations of one metric, plus the header and the training-set values.
    EXPECT_THAT(records, HasSubstr("setting,seed,generation,metric,value"));
    EXPECT_EQ(study_of_run((dir / "run").string()).name, "session");
    const SessionResult resumed = resume_session((dir / "run").string(), options());
    EXPECT_EQ(resumed.study_id, run.study_id);
    EXPECT_EQ(read(dir / "run" / "records.csv"), records);
    // Without a database the same records, and nothing to resume.
    SessionOptions no_db = options((dir / "files").string());
    no_db.no_db = true;
    // A scratch database left by a killed --no-db run (its process is gone) is removed too.
    fs::create_directories(dir / "files");
    std::ofstream(dir / "files" / ".no-db-records.2147483646.sqlite") << "left behind";
    std::ofstream(dir / "files" / ".no-db-records.2147483646.sqlite.lock");
    const SessionResult files = run_session(study, no_db);
    EXPECT_EQ(files.db_path, "");
    EXPECT_EQ(read(dir / "files" / "records.csv"), records);
    EXPECT_EQ(read(dir / "files" / "summary.json").substr(0, 200),
              read(dir / "run" / "summary.json").substr(0, 200));
    // The scratch database the records passed through is gone, with its lock; no run.json.
    std::vector<std::string> left;
    for (const auto& entry : fs::directory_iterator(dir / "files"))
        left.push_back(entry.path().filename().string());
    std::sort(left.begin(), left.end());
    EXPECT_EQ(left, (std::vector<std::string>{"config.toml", "records.csv", "samples.json",
                                              "summary.json"}));
}

TEST_F(SessionTest, RefusesImpossibleOptionsBeforeWritingAnything) {
    const StudyConfig study = parse_study(kStudy, "test");
    SessionOptions both = options((dir / "both").string());
    both.no_db = true;
    both.db_path = (dir / "x.sqlite").string();
    EXPECT_THROW(run_session(study, both), ConfigError);
    EXPECT_FALSE(fs::exists(dir / "both"));
    try {
        resume_session((dir / "nothing").string(), options());
        FAIL() << "resumed a folder without a run";
    } catch (const ConfigError& e) {
        EXPECT_THAT(e.what(), HasSubstr("run.json"));
    }
    EXPECT_THROW(resume_session((dir / "nothing").string(), options((dir / "x").string())),
                 ConfigError);
}

}  // namespace
}  // namespace madlab
