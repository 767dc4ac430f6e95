// `madlab run --shard K/N` and `madlab merge`: shards merged equal the study run whole.

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "cli_runner.h"

namespace madlab::testing {
namespace {

namespace fs = std::filesystem;

// Two settings x 5 seeds = 10 chains: shards of 3 hold 4, 3 and 3 of them.
constexpr const char* kStudy = R"(
[study]
name = "sharded"
seeds = 5
generations = 4
[source]
kind = "gaussian"
dim = 2
[model]
family = "gmm"
components = 2
[schedule]
n = 60
[metrics]
list = ["frechet", "prdc"]
n_eval = 60
[[settings]]
name = "replace"
[[settings]]
name = "fresh"
schedule.n_real_fresh = 20
)";

// The rows of a query of a database, each as its columns' text followed by a space.
std::vector<std::string> query_rows(const fs::path& db_path, const std::string& sql) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
    sqlite3_stmt* select = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &select, nullptr), SQLITE_OK) << sql;
    std::vector<std::string> rows;
    while (sqlite3_step(select) == SQLITE_ROW) {
        std::string row;
        for (int c = 0; c < sqlite3_column_count(select); ++c)
            row += std::string(reinterpret_cast<const char*>(sqlite3_column_text(select, c))) + " ";
        rows.push_back(row);
    }
    sqlite3_finalize(select);
    sqlite3_close(db);
    return rows;
}

// The records of the one study in a database, as "setting seed generation metric bits" lines.
std::string database_records(const fs::path& db_path) {
    std::string out;
    for (const auto& row : query_rows(db_path,
                                      "SELECT setting, seed, generation, metric, quote(value) "
                                      "FROM results ORDER BY setting_position, seed, generation, "
                                      "position"))
        out += row + "\n";
    return out;
}

// The chains' checkpoints in a database, as "setting seed generation hex(state)" rows.
std::set<std::string> database_checkpoints(const fs::path& db_path) {
    const auto rows =
        query_rows(db_path,
                   "SELECT s.name, c.seed, k.generation, hex(k.state) FROM checkpoints k "
                   "JOIN chains c ON c.id = k.chain_id JOIN settings s ON s.id = c.setting_id");
    return {rows.begin(), rows.end()};
}

class ShardTest : public TempDirTest {
protected:
    void SetUp() override {
        TempDirTest::SetUp();
        study_ = dir_ / "study.toml";
        std::ofstream(study_) << kStudy;
    }
    CliResult run(const std::string& arguments) {
        return run_madlab("run " + study_.string() + " --quiet --no-report " + arguments);
    }
    std::string out(const std::string& name) { return (dir_ / name).string(); }

    fs::path study_;
};

TEST_F(ShardTest, ThreeShardsMergedEqualTheWholeRun) {
    ASSERT_EQ(run("--out " + out("whole")).exit_code, 0);
    for (int k = 0; k < 3; ++k) {
        const auto r =
            run("--shard " + std::to_string(k) + "/3 --out " + out("s" + std::to_string(k)));
        ASSERT_EQ(r.exit_code, 0) << r.output;
        EXPECT_NE(read_file(dir_ / ("s" + std::to_string(k)) / "run.json")
                      .find("\"shard\": \"" + std::to_string(k) + "/3\""),
                  std::string::npos);
    }
    // Shard 1 of 3 holds chains 1, 4, 7: seeds 1 and 4 of replace, seed 2 of fresh.
    const std::string shard1 = read_file(dir_ / "s1" / "records.csv");
    EXPECT_NE(shard1.find("\nsharded,replace,replace,1,0,"), std::string::npos);
    EXPECT_NE(shard1.find("\nsharded,fresh,fresh,2,0,"), std::string::npos);
    EXPECT_EQ(shard1.find("\nsharded,replace,replace,0,"), std::string::npos);

    // Given in any order.
    const auto merged = run_madlab("merge " + out("merged") + " " + out("s2") + " " + out("s0") +
                                   " " + out("s1") + " --quiet --no-report");
    ASSERT_EQ(merged.exit_code, 0) << merged.output;
    const std::string whole = read_file(dir_ / "whole" / "records.csv");
    EXPECT_GT(whole.size(), 1000u);
    EXPECT_EQ(read_file(dir_ / "merged" / "records.csv"), whole);
    EXPECT_EQ(database_records(dir_ / "merged" / "results.sqlite"),
              database_records(dir_ / "whole" / "results.sqlite"));
    // The summary too, but for the run's wall time.
    const auto summary_rows = [&](const std::string& name) {
        const std::string text = read_file(dir_ / name / "summary.json");
        return text.substr(text.find("\"summary\""));
    };
    EXPECT_EQ(summary_rows("merged"), summary_rows("whole"));
    EXPECT_EQ(read_file(dir_ / "merged" / "samples.json"),
              read_file(dir_ / "whole" / "samples.json"));
    // The merged run is a finished run like any other: the report and resume work on it.
    expect_output(run_madlab("report " + out("merged")), 0, {"report.html"});
    ASSERT_EQ(run_madlab("run --resume " + out("merged") + " --quiet --no-report").exit_code, 0);
    EXPECT_EQ(read_file(dir_ / "merged" / "records.csv"), whole);
}

// `merge --keep-checkpoints` keeps every chain's checkpoint, copied from the shard that ran it
// with `run --keep-checkpoints`; without it the merged study, finished, has none.
TEST_F(ShardTest, MergeKeepsTheShardsCheckpointsWhenAsked) {
    std::set<std::string> shards;
    for (int k = 0; k < 2; ++k) {
        const std::string name = "s" + std::to_string(k);
        const auto r =
            run("--shard " + std::to_string(k) + "/2 --keep-checkpoints --out " + out(name));
        ASSERT_EQ(r.exit_code, 0) << r.output;
        const auto kept = database_checkpoints(dir_ / name / "results.sqlite");
        EXPECT_EQ(kept.size(), 5u);  // 10 chains, every other one
        shards.insert(kept.begin(), kept.end());
    }
    const auto kept = run_madlab("merge " + out("kept") + " " + out("s0") + " " + out("s1") +
                                 " --keep-checkpoints --quiet --no-report");
    ASSERT_EQ(kept.exit_code, 0) << kept.output;
    EXPECT_EQ(database_checkpoints(dir_ / "kept" / "results.sqlite"), shards);
    const auto dropped = run_madlab("merge " + out("dropped") + " " + out("s0") + " " + out("s1") +
                                    " --quiet --no-report");
    ASSERT_EQ(dropped.exit_code, 0) << dropped.output;
    EXPECT_TRUE(database_checkpoints(dir_ / "dropped" / "results.sqlite").empty());
    EXPECT_EQ(read_file(dir_ / "kept" / "records.csv"),
              read_file(dir_ / "dropped" / "records.csv"));
}

// examples/slurm/shards.sbatch as the tasks of a 2-task job array would run it (Slurm's
// variables set by hand), twice for the first task (a requeued task resumes), then merged.
TEST_F(ShardTest, TheSlurmJobArrayScriptRunsEachShardAndTheyMerge) {
    ASSERT_EQ(run("--out " + out("whole")).exit_code, 0);
    fs::create_directories(dir_ / "build");
    fs::create_symlink(MADLAB_BINARY, dir_ / "build" / "madlab");
    const auto task = [&](int id) {
        const std::string command =
            "cd " + dir_.string() + " && STUDY=" + study_.string() +
            " SLURM_ARRAY_TASK_ID=" + std::to_string(id) +
            " SLURM_ARRAY_TASK_COUNT=2 SLURM_CPUS_PER_TASK=1 bash " MADLAB_SOURCE_DIR
            "/examples/slurm/shards.sbatch > task.log 2>&1";
        const int status = std::system(command.c_str());
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    };
    for (int id : {0, 1, 0}) ASSERT_EQ(task(id), 0) << read_file(dir_ / "task.log");
    EXPECT_NE(read_file(dir_ / "sweep-shards" / "1" / "run.json").find("1/2"), std::string::npos);
    const auto merged = run_madlab("merge " + out("sweep") + " " + out("sweep-shards/0") + " " +
                                   out("sweep-shards/1") + " --quiet --no-report");
    ASSERT_EQ(merged.exit_code, 0) << merged.output;
    EXPECT_EQ(read_file(dir_ / "sweep" / "records.csv"), read_file(dir_ / "whole" / "records.csv"));
}

TEST_F(ShardTest, MergeRefusesShardsThatDoNotBelongTogether) {
    for (int k = 0; k < 3; ++k)
        ASSERT_EQ(run("--shard " + std::to_string(k) + "/3 --out " + out("s" + std::to_string(k)))
                      .exit_code,
                  0);
    // A missing shard: its chains are named, and nothing is written.
    expect_output(run_madlab("merge " + out("m") + " " + out("s0") + " " + out("s2")), 2,
                  {"chains are missing",
                   "shard 1/3 (not given): 3 chains: 'replace' seed 1, "
                   "'replace' seed 4, 'fresh' seed 2",
                   "--shard K/N"});
    EXPECT_FALSE(fs::exists(dir_ / "m"));
    // A shard given twice.
    expect_output(run_madlab("merge " + out("m") + " " + out("s0") + " " + out("s0")), 2,
                  {"are both shard 0/3"});
    // A shard of another split.
    ASSERT_EQ(run("--shard 1/2 --out " + out("half")).exit_code, 0);
    expect_output(run_madlab("merge " + out("m") + " " + out("s0") + " " + out("half")), 2,
                  {"is shard 0/3 but", "is shard 1/2"});
    // A shard of another config.
    std::string other = kStudy;
    other.replace(other.find("seeds = 5"), 9, "seeds = 6");
    std::ofstream(dir_ / "other.toml") << other;
    ASSERT_EQ(run_madlab("run " + (dir_ / "other.toml").string() +
                         " --quiet --no-report --shard 1/3 --out " + out("other"))
                  .exit_code,
              0);
    expect_output(
        run_madlab("merge " + out("m") + " " + out("s0") + " " + out("other") + " " + out("s2")), 2,
        {"configs differ", "seeds = 5", "seeds = 6"});
    // Not a run folder; an output folder that holds a run already.
    expect_output(run_madlab("merge " + out("m") + " " + dir_.string()), 2, {"holds no run"});
    expect_output(run_madlab("merge " + out("s1") + " " + out("s0")), 2, {"already holds a run"});
    EXPECT_FALSE(fs::exists(dir_ / "m"));
}

TEST_F(ShardTest, BadShardsAreRefusedOnTheCommandLine) {
    expect_output(run("--shard 3/3 --out " + out("x")), 2, {"--shard 3/3", "between 0 and 2"});
    expect_output(run("--shard two/3 --out " + out("x")), 2, {"'two' is not a whole number"});
    expect_output(run("--shard 1 --out " + out("x")), 2, {"K/N"});
    expect_output(run("--shard 0/2 --no-db --out " + out("x")), 2, {"--no-db"});
    EXPECT_FALSE(fs::exists(dir_ / "x"));
}

}  // namespace
}  // namespace madlab::testing
