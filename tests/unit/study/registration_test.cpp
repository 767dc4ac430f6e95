// A study is registered whole or not at all (register_study's one transaction), and a chain
// whose checkpoint cannot be read is recomputed, with a warning that names it and its database.

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <stdexcept>
#include <string>

#include "madlab/store/record_files.h"
#include "madlab/store/results_db.h"
#include "madlab/study/study_runner.h"

namespace madlab {
namespace registration_test {

namespace fs = std::filesystem;

const char* kStudy = R"(
[study]
name = "registered"
seeds = 2
generations = 3
[source]
kind = "grid25"
[model]
family = "gmm"
components = 5
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

class Registration : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("madlab_registration_" +
                std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + "_" +
                std::to_string(::getpid()));
        fs::remove_all(dir_);
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }
    std::string db_path() const { return (dir_ / "results.sqlite").string(); }

    fs::path dir_;
};

// The settings and chains of every study in the database at `path`.
std::size_t settings_in(const std::string& path, std::size_t* chains) {
    const auto db = ResultsDb::open(path, ResultsDb::Mode::kReadOnly);
    std::size_t settings = 0;
    *chains = 0;
    for (const auto& study : db->studies())
        for (const auto& setting : db->settings(study.id)) {
            ++settings;
            *chains += db->chains(setting.id).size();
        }
    return settings;
}

TEST_F(Registration, AFailureBeforeTheCommitLeavesNothingOfTheStudy) {
    const StudyConfig study = parse_study(kStudy, "registered.toml");
    {
        const auto db = ResultsDb::open(db_path(), ResultsDb::Mode::kReadWrite);
        std::int64_t seen = 0;
        EXPECT_THROW(register_study(*db, study,
                                    [&](const StudyIds& ids) {
                                        seen = ids.study_id;
                                        throw std::runtime_error("killed");
                                    }),
                     std::runtime_error);
        EXPECT_GT(seen, 0);  // the study, settings and chains were written, then rolled back
        EXPECT_TRUE(db->studies().empty());
        EXPECT_FALSE(db->study(seen).has_value());
        // The same database registers the study whole afterwards.
        const StudyIds ids = register_study(*db, study);
        ASSERT_EQ(ids.chain_ids.size(), 2u);
        EXPECT_EQ(ids.chain_ids[1].size(), 2u);
    }
    std::size_t chains = 0;
    EXPECT_EQ(settings_in(db_path(), &chains), 2u);
    EXPECT_EQ(chains, 4u);
}

// A process killed (here: _exit) inside the registration, after before_commit ran, leaves no
// study, no setting and no chain behind.
TEST_F(Registration, AProcessKilledWhileItRegistersLeavesNothing) {
    const StudyConfig study = parse_study(kStudy, "registered.toml");
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        try {
            const auto db = ResultsDb::open(db_path(), ResultsDb::Mode::kReadWrite);
            register_study(*db, study, [](const StudyIds&) { _exit(9); });
        } catch (...) {
        }
        _exit(0);
    }
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    ASSERT_EQ(WEXITSTATUS(status), 9);
    std::size_t chains = 0;
    EXPECT_EQ(settings_in(db_path(), &chains), 0u);
    EXPECT_EQ(chains, 0u);
    const auto db = ResultsDb::open(db_path(), ResultsDb::Mode::kReadOnly);
    EXPECT_TRUE(db->studies().empty());
}

TEST_F(Registration, AnUnreadableCheckpointIsNamedAndItsChainRecomputed) {
    const StudyConfig study = parse_study(kStudy, "registered.toml");
    RunOptions options;
    options.progress = false;
    options.threads = 1;
    options.checkpoint_seconds = 0.0;
    std::string expected;
    std::int64_t study_id = 0;
    {
        const auto db = ResultsDb::open(db_path(), ResultsDb::Mode::kReadWrite);
        const StudyIds ids = register_study(*db, study);
        study_id = ids.study_id;
        expected = records_to_csv(run_study(study, options, db.get(), &ids).records);
    }
    // A checkpoint cut short, as a disk that filled up or a copy that broke off leaves it.
    const std::int64_t chain_id = [&] {
        const auto db = ResultsDb::open(db_path(), ResultsDb::Mode::kReadOnly);
        return db->chains(db->settings(study_id).at(1).id).at(1).id;
    }();
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(db_path().c_str(), &raw), SQLITE_OK);
    const std::string truncate =
        "UPDATE checkpoints SET state = substr(state, 1, 20) WHERE chain_id = " +
        std::to_string(chain_id);
    ASSERT_EQ(sqlite3_exec(raw, truncate.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    ASSERT_EQ(sqlite3_changes(raw), 1);
    sqlite3_close(raw);

    const auto db = ResultsDb::open(db_path(), ResultsDb::Mode::kReadWrite);
    const StudyIds ids = find_study(*db, study_id, study);
    ::testing::internal::CaptureStderr();
    const StudyResult resumed = run_study(study, options, db.get(), &ids);
    const std::string warning = ::testing::internal::GetCapturedStderr();
    for (const std::string& part :
         {"checkpoint of chain " + std::to_string(chain_id), std::string("setting 'fresh'"),
          std::string("seed 1"), db_path(), std::string("truncated"),
          std::string("recomputing that chain from generation 0")})
        EXPECT_NE(warning.find(part), std::string::npos) << "no '" << part << "' in " << warning;
    EXPECT_EQ(warning.find("delete"), std::string::npos) << warning;
    EXPECT_EQ(records_to_csv(resumed.records), expected);
    // The recomputed chain's checkpoint replaced the bad one.
    const auto state = db->checkpoint(chain_id);
    ASSERT_TRUE(state.has_value());
    EXPECT_GT(state->size(), 20u);
}

}  // namespace registration_test
}  // namespace madlab
