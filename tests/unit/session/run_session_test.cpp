#include "madlab/session/run_session.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "madlab/core/error.h"
#include "madlab/store/results_db.h"
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
    EXPECT_THAT(records, HasSubstr("study,setting,label,seed,generation,metric,value\n"));
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

// PRAGMA page_count or page_size of the database at `path` (closed by its writer).
std::int64_t pragma(const fs::path& path, const char* name) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
    sqlite3_stmt* statement = nullptr;
    EXPECT_EQ(
        sqlite3_prepare_v2(db, (std::string("PRAGMA ") + name).c_str(), -1, &statement, nullptr),
        SQLITE_OK);
    std::int64_t value = -1;
    if (sqlite3_step(statement) == SQLITE_ROW) value = sqlite3_column_int64(statement, 0);
    sqlite3_finalize(statement);
    sqlite3_close(db);
    return value;
}

// The checkpoints left in the database of a run folder: their count and total bytes.
std::pair<std::size_t, std::size_t> checkpoints_of(const fs::path& db_path) {
    const auto db = ResultsDb::open(db_path.string(), ResultsDb::Mode::kReadOnly);
    std::size_t count = 0, bytes = 0;
    for (const auto& study : db->studies())
        for (const auto& setting : db->settings(study.id))
            for (const auto& chain : db->chains(setting.id))
                if (const auto state = db->checkpoint(chain.id)) {
                    ++count;
                    bytes += state->size();
                }
    return {count, bytes};
}

TEST_F(SessionTest, AFinishedStudyDropsItsCheckpointsAndTheFileShrinks) {
    // Checkpoints of 2000 2-D points (the fixed real set and the last training set): tens of
    // kilobytes per chain, many pages.
    const StudyConfig study = parse_study(kStudy, "test", {"schedule.n=2000"});
    SessionOptions keep = options((dir / "keep").string());
    keep.keep_checkpoints = true;
    run_session(study, keep);
    run_session(study, options((dir / "drop").string()));
    const auto [kept, kept_bytes] = checkpoints_of(dir / "keep" / "results.sqlite");
    EXPECT_EQ(kept, 2u);  // one per chain
    EXPECT_EQ(checkpoints_of(dir / "drop" / "results.sqlite").first, 0u);
    EXPECT_EQ(read(dir / "drop" / "records.csv"), read(dir / "keep" / "records.csv"));
    // A blob of B bytes fills more than B / page size - 1 pages of its own (overflow pages),
    // which the VACUUM gives back; the rest of the file can only shrink.
    const std::int64_t page = pragma(dir / "keep" / "results.sqlite", "page_size");
    const std::int64_t keep_pages = pragma(dir / "keep" / "results.sqlite", "page_count");
    const std::int64_t drop_pages = pragma(dir / "drop" / "results.sqlite", "page_count");
    EXPECT_GT(kept_bytes, 2u * 2000 * 2 * sizeof(double));  // the last training sets at least
    const auto blob_pages = static_cast<std::int64_t>(kept_bytes) / page - 2;
    EXPECT_LE(drop_pages, keep_pages - blob_pages) << keep_pages << " pages with checkpoints";
    EXPECT_EQ(static_cast<std::int64_t>(fs::file_size(dir / "drop" / "results.sqlite")),
              drop_pages * page);
    // Resuming the finished run writes the same files again, without its checkpoints.
    const std::string records = read(dir / "drop" / "records.csv");
    fs::remove(dir / "drop" / "records.csv");
    resume_session((dir / "drop").string(), options());
    EXPECT_EQ(read(dir / "drop" / "records.csv"), records);
    EXPECT_EQ(checkpoints_of(dir / "drop" / "results.sqlite").first, 0u);
}

TEST_F(SessionTest, ASecondStudyIntoAFolderThatHoldsOneIsRefused) {
    const StudyConfig study = parse_study(kStudy, "test");
    const std::string out = (dir / "run").string();
    run_session(study, options(out));
    const std::string records = read(dir / "run" / "records.csv");
    try {
        run_session(study, options(out));
        FAIL() << "ran a second study into " << out;
    } catch (const ConfigError& e) {
        EXPECT_THAT(e.what(), HasSubstr("--out " + out + ": the folder holds a run already"));
        EXPECT_THAT(e.what(), HasSubstr("madlab run --resume " + out));
        EXPECT_THAT(e.what(), HasSubstr("--db"));
    }
    SessionOptions no_db = options(out);
    no_db.no_db = true;
    EXPECT_THROW(run_session(study, no_db), ConfigError);
    EXPECT_EQ(read(dir / "run" / "records.csv"), records);
    EXPECT_EQ(
        ResultsDb::open(out + "/results.sqlite", ResultsDb::Mode::kReadOnly)->studies().size(), 1u);
    // A database with a study but no run.json (written through the API) is a run too.
    fs::create_directories(dir / "bare");
    {
        const auto db = ResultsDb::open((dir / "bare" / "results.sqlite").string(),
                                        ResultsDb::Mode::kReadWrite);
        db->add_study(StudyRow{0, "other", "", "", "", "", "finished"});
    }
    try {
        run_session(study, options((dir / "bare").string()));
        FAIL() << "ran into a folder whose database holds a study";
    } catch (const ConfigError& e) {
        EXPECT_THAT(e.what(), HasSubstr("study 'other' in"));
    }
    // Naming the database with --db collects studies in it on purpose.
    SessionOptions shared = options((dir / "second").string());
    shared.db_path = out + "/results.sqlite";
    const SessionResult second = run_session(study, shared);
    EXPECT_EQ(second.study_id, 2);
    EXPECT_EQ(
        ResultsDb::open(out + "/results.sqlite", ResultsDb::Mode::kReadOnly)->studies().size(), 2u);
}

// The setting's value of each parameter column of records.csv, computed from its name
// ("n=40 bias=0.5").
TEST_F(SessionTest, RecordsHaveOneColumnPerSweptKey) {
    const StudyConfig study =
        parse_study(kStudy, "test", {"sweep.schedule.n=[40, 60]", "sweep.model.bias=[1.0, 0.5]"});
    run_session(study, options((dir / "run").string()));
    std::istringstream lines(read(dir / "run" / "records.csv"));
    std::string line;
    std::getline(lines, line);
    EXPECT_EQ(line, "study,setting,label,seed,generation,metric,value,schedule.n,model.bias");
    std::size_t rows = 0;
    while (std::getline(lines, line)) {
        ++rows;
        // study,setting,label (quoted: it has a comma),seed,generation,metric,value,n,bias
        const std::string setting = line.substr(8, line.find(',', 8) - 8);
        const std::string n = setting.substr(2, setting.find(' ') - 2);
        const std::string bias = setting.substr(setting.find("bias=") + 5);
        EXPECT_EQ(line.substr(0, 8), "session,");
        EXPECT_THAT(line, HasSubstr(",\"schedule.n=" + n + ", model.bias=" + bias + "\","));
        EXPECT_EQ(line.substr(line.size() - n.size() - bias.size() - 2), "," + n + "," + bias)
            << line;
    }
    // 4 settings x 2 seeds x 4 generations x the values of one generation (frechet and the
    // training set's): more than one row per chain and generation.
    EXPECT_GE(rows, 4u * 2 * 4);
    // Resumed, the columns come back from the database: the same file.
    const std::string records = read(dir / "run" / "records.csv");
    resume_session((dir / "run").string(), options());
    EXPECT_EQ(read(dir / "run" / "records.csv"), records);
}

}  // namespace
}  // namespace madlab
