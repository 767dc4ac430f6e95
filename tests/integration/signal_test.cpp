// A `madlab run` stopped by SIGINT or SIGTERM while an external model command runs: the signal
// reaches the command (its own process group), madlab says how to resume and exits 128 +
// signal, and --resume completes with the records of an uninterrupted run. A run killed with
// SIGKILL leaves its command running: `show` calls the study interrupted, and --resume refuses
// to start the same step beside it until it has ended. A folder whose study never finished
// registering resumes from its config.toml. `show` rolls back the journal of a writer killed
// inside a transaction instead of calling the database read-only.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "cli_runner.h"
#include "madlab/core/child_process.h"
#include "madlab/store/results_db.h"

namespace madlab {
namespace signal_test {

namespace fs = std::filesystem;
using testing::expect_output;
using testing::read_file;
using testing::run_madlab;

const std::string kScript = MADLAB_SOURCE_DIR "/examples/external/gaussian_model.py";

class SignalStop : public testing::TempDirTest {
protected:
    // A 2-D Gaussian study with the external model (one setting, one seed, 3 generations);
    // from generation 1 on, while the file `hold` exists, its fit command writes its process
    // group to `sleeper` and sleeps for a minute before fitting.
    std::string study() const {
        const std::string path = (dir_ / "study.toml").string();
        const std::string fit = "if [ {generation} -ge 1 ] && [ -e " + hold() +
                                " ]; then echo $$ > " + sleeper() + "; sleep 60; fi; python3 " +
                                kScript + " fit --data {train} --out {model_dir} --seed {seed}";
        const std::string sample = "python3 " + kScript +
                                   " sample --model {model_dir} --n {n} --bias {bias} --seed "
                                   "{seed} --out {samples}";
        std::ofstream(path) << "[study]\nname = \"ext\"\nseeds = 1\ngenerations = 3\n"
                            << "[source]\nkind = \"gaussian\"\ndim = 2\n[model]\nfamily = "
                               "\"external\"\nfit = '''"
                            << fit << "'''\nsample = '''" << sample
                            << "'''\n[schedule]\nn = 20\n[metrics]\nlist = [\"frechet\", "
                               "\"prdc\"]\nn_eval = 50\n";
        return path;
    }
    std::string hold() const { return (dir_ / "hold").string(); }
    std::string sleeper() const { return (dir_ / "sleeper").string(); }
    std::string out() const { return (dir_ / "out").string(); }
    std::string log() const { return (dir_ / "madlab.log").string(); }

    // Starts `madlab run STUDY -q --out OUT` with stdout and stderr in log(), and waits until
    // its fit command of generation 1 sleeps; returns madlab's pid and sets `group` to the
    // command's process group.
    pid_t start_run_until_the_command_sleeps(int& group) {
        std::ofstream(hold()) << "x";
        const std::string path = study();
        const pid_t pid = fork();
        if (pid == 0) {
            const int fd = ::open(log().c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
            dup2(fd, 1);
            dup2(fd, 2);
            execl(MADLAB_BINARY, MADLAB_BINARY, "run", path.c_str(), "-q", "--out", out().c_str(),
                  static_cast<char*>(nullptr));
            _exit(127);
        }
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
        group = 0;
        while (std::chrono::steady_clock::now() < deadline) {
            std::ifstream in(sleeper());
            if (in >> group && group > 0) break;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(200));  // sleep has started
        return pid;
    }

    // Waits up to `seconds` for `pid` to end; its wait status, or -1 if it did not end.
    static int wait_for(pid_t pid, double seconds) {
        const auto deadline =
            std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
        int status = 0;
        while (std::chrono::steady_clock::now() < deadline) {
            if (waitpid(pid, &status, WNOHANG) == pid) return status;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        return -1;
    }

    static bool ends_within(int group, double seconds) {
        const auto deadline =
            std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
        while (std::chrono::steady_clock::now() < deadline) {
            if (!process_group_lives(group)) return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        return false;
    }

    // The run resumed (the command no longer sleeps) ends with the records of an uninterrupted
    // run of the same study.
    void expect_resume_completes() {
        fs::remove(hold());
        const auto resumed = run_madlab("run --resume " + out() + " -q");
        ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
        const auto whole =
            run_madlab("run " + study() + " -q --no-db --out " + (dir_ / "whole").string());
        ASSERT_EQ(whole.exit_code, 0) << whole.output;
        EXPECT_EQ(read_file(out() + "/records.csv"), read_file(dir_ / "whole" / "records.csv"));
    }

    void expect_signal_stops_cleanly(int signal, int exit_code, const std::string& name) {
        int group = 0;
        const pid_t pid = start_run_until_the_command_sleeps(group);
        ASSERT_GT(group, 0) << read_file(log());
        ASSERT_TRUE(process_group_lives(group));
        ASSERT_EQ(kill(pid, signal), 0);
        const int status = wait_for(pid, 30);
        if (status == -1) {
            kill(pid, SIGKILL);
            kill(-group, SIGKILL);
            FAIL() << "madlab did not end after " << name << ": " << read_file(log());
        }
        const std::string said = read_file(log());
        ASSERT_TRUE(WIFEXITED(status)) << "killed by signal " << WTERMSIG(status) << ": " << said;
        EXPECT_EQ(WEXITSTATUS(status), exit_code) << said;
        for (const std::string& part : {"interrupted by " + name, std::string("committed so far"),
                                        "madlab run --resume " + out() + "`"})
            EXPECT_NE(said.find(part), std::string::npos) << "no '" << part << "' in " << said;
        // The model command got the signal and is gone: nothing writes into the folder.
        EXPECT_TRUE(ends_within(group, 2.0)) << "the model command outlived madlab";
        EXPECT_FALSE(fs::exists(out() + "/models/fully-synthetic/seed-0/gen-0001/fit.pid"));
        expect_output(run_madlab("show " + out() + "/results.sqlite"), 0,
                      {"interrupted (stopped by a signal; continue it with `madlab run --resume " +
                       out() + "`)"});
        expect_resume_completes();
    }
};

TEST_F(SignalStop, SigintEndsTheModelCommandSaysHowToResumeAndExits130) {
    expect_signal_stops_cleanly(SIGINT, 130, "SIGINT");
}

TEST_F(SignalStop, SigtermEndsTheModelCommandSaysHowToResumeAndExits143) {
    expect_signal_stops_cleanly(SIGTERM, 143, "SIGTERM");
}

TEST_F(SignalStop, AStepLeftRunningByAKilledRunIsNotStartedTwice) {
    int group = 0;
    const pid_t pid = start_run_until_the_command_sleeps(group);
    ASSERT_GT(group, 0) << read_file(log());
    kill(pid, SIGKILL);  // madlab cannot end its command
    waitpid(pid, nullptr, 0);
    ASSERT_TRUE(process_group_lives(group));
    const std::string db = out() + "/results.sqlite";
    expect_output(run_madlab("show " + db), 0,
                  {"interrupted (the run that wrote it is gone; continue it with `madlab run "
                   "--resume " +
                   out() + "`)"});
    const auto refused = run_madlab("run --resume " + out() + " -q");
    expect_output(refused, 1,
                  {"still running from an earlier madlab run",
                   "process group " + std::to_string(group), "gen-0001/fit.pid"});
    EXPECT_TRUE(process_group_lives(group)) << "the resume must not touch the running step";
    kill(-group, SIGKILL);
    ASSERT_TRUE(ends_within(group, 5.0));
    expect_resume_completes();
}

// run.json is written just before the registration commits: a run killed in between leaves a
// run.json naming a study the database does not hold. --resume starts it from config.toml.
TEST_F(SignalStop, AFolderWhoseStudyNeverCommittedResumesFromItsConfig) {
    const std::string path = study();
    const auto whole = run_madlab("run " + path + " -q --out " + out());
    ASSERT_EQ(whole.exit_code, 0) << whole.output;
    const std::string expected = read_file(out() + "/records.csv");
    for (const char* name : {"results.sqlite", "results.sqlite-wal", "results.sqlite-shm",
                             "records.csv", "summary.json", "samples.json", "report.html"})
        fs::remove(fs::path(out()) / name);
    fs::remove_all(fs::path(out()) / "models");
    ResultsDb::open(out() + "/results.sqlite", ResultsDb::Mode::kReadWrite);  // schema only
    const auto resumed = run_madlab("run --resume " + out() + " -q");
    ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
    EXPECT_EQ(read_file(out() + "/records.csv"), expected);
    expect_output(run_madlab("show " + out() + "/results.sqlite"), 0, {"finished"});
    // Without config.toml it says what to do.
    for (const char* name : {"results.sqlite", "results.sqlite-wal", "results.sqlite-shm"})
        fs::remove(fs::path(out()) / name);
    fs::remove(fs::path(out()) / "config.toml");
    ResultsDb::open(out() + "/results.sqlite", ResultsDb::Mode::kReadWrite);
    expect_output(run_madlab("run --resume " + out() + " -q"), 2,
                  {"killed before it registered its study", "config.toml",
                   "madlab run STUDY.toml --out " + out()});
}

// A writer killed inside a transaction in rollback-journal mode (as while the schema is
// created) leaves a hot journal; `show` opens the database read-only, which cannot roll it
// back, and used to call the writable file read-only.
TEST_F(SignalStop, ShowRollsBackTheJournalOfAKilledWriter) {
    const std::string path = (dir_ / "gmm.toml").string();
    std::ofstream(path) << "[study]\nname = \"hot\"\nseeds = 1\ngenerations = 1\n[source]\n"
                           "kind = \"grid25\"\n[model]\nfamily = \"gmm\"\ncomponents = 5\n"
                           "[schedule]\nn = 200\n[metrics]\nn_eval = 200\n";
    ASSERT_EQ(run_madlab("run " + path + " -q --no-report --out " + out()).exit_code, 0);
    const std::string db = out() + "/results.sqlite";
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        sqlite3* raw = nullptr;
        if (sqlite3_open(db.c_str(), &raw) != SQLITE_OK) _exit(3);
        const char* steps[] = {
            "PRAGMA journal_mode = DELETE",
            "PRAGMA cache_size = 1",
            "BEGIN IMMEDIATE",
            "UPDATE studies SET status = 'half-written'",
            "CREATE TABLE filler (x BLOB)",
            "INSERT INTO filler WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c "
            "WHERE i < 3000) SELECT randomblob(2000) FROM c",
            "UPDATE studies SET status = 'half-written-2'"};
        for (const char* step : steps)
            if (sqlite3_exec(raw, step, nullptr, nullptr, nullptr) != SQLITE_OK) _exit(4);
        _exit(0);  // killed: no commit, no rollback
    }
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << WEXITSTATUS(status);
    ASSERT_TRUE(fs::exists(db + "-journal"));
    ASSERT_GT(fs::file_size(db + "-journal"), 0u);
    const auto shown = run_madlab("show " + db);
    expect_output(shown, 0, {"study 'hot' (id 1): finished"});
    EXPECT_EQ(shown.output.find("read-only"), std::string::npos) << shown.output;
    EXPECT_EQ(shown.output.find("half-written"), std::string::npos) << shown.output;
}

}  // namespace signal_test
}  // namespace madlab
