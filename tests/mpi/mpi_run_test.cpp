// `mpirun -np N madlab run` end to end (cluster/mpi_executor.h): the records equal a single
// process's, a run killed whole or by losing one rank resumes to the same records, with or
// without mpirun. Skipped when madlab was built without MPI or mpirun is not installed.

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "../integration/cli_runner.h"
#include "madlab/store/results_db.h"

namespace madlab {
namespace {

using testing::read_file;
using testing::run_madlab;
namespace fs = std::filesystem;

// 2 settings x 4 seeds x 61 generations of a Gaussian mixture: a few seconds on two cores, so
// that a kill lands mid-run, and generations short enough that one lands soon.
constexpr int kTotalGenerations = 2 * 4 * 61;
constexpr const char* kStudy = R"([study]
name = "mpi-test"
seeds = 4
generations = 60

[source]
kind = "grid25"

[model]
family = "gmm"
components = 4

[schedule]
preset = "fully-synthetic"
n = 4000

[metrics]
list = ["frechet", "prdc"]
n_eval = 1000

[[settings]]
name = "replace"

[[settings]]
name = "fresh"
schedule.preset = "fresh-data"
schedule.n_real_fresh = 400
)";

bool on_path(const std::string& program) {
    const char* path = std::getenv("PATH");
    if (path == nullptr) return false;
    std::string dirs = path;
    std::size_t start = 0;
    while (start <= dirs.size()) {
        const std::size_t end = std::min(dirs.find(':', start), dirs.size());
        if (::access((dirs.substr(start, end - start) + "/" + program).c_str(), X_OK) == 0)
            return true;
        start = end + 1;
    }
    return false;
}

// `mpirun --oversubscribe -np RANKS madlab ARGUMENTS`, run through the shell.
testing::CliResult run_mpirun(int ranks, const std::string& arguments) {
    const std::string command = "mpirun --oversubscribe -np " + std::to_string(ranks) + " " +
                                MADLAB_BINARY + " " + arguments + " 2>&1";
    FILE* pipe = ::popen(command.c_str(), "r");
    std::string output;
    char buffer[4096];
    std::size_t n;
    while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) output.append(buffer, n);
    const int status = ::pclose(pipe);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

// Starts `mpirun --oversubscribe -np RANKS madlab ARGUMENTS` in a session of its own (mpirun
// puts every rank in a process group of its own, in its session), stderr to `err`; returns
// mpirun's pid, which is the session's id.
pid_t start_mpirun(int ranks, const std::string& arguments, const fs::path& err) {
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::setsid();
        const std::string line = "exec mpirun --oversubscribe -np " + std::to_string(ranks) + " " +
                                 MADLAB_BINARY + " " + arguments + " >/dev/null 2>" + err.string();
        ::execl("/bin/sh", "sh", "-c", line.c_str(), static_cast<char*>(nullptr));
        ::_exit(127);
    }
    return pid;
}

// The live (not zombie) processes of session `sid`.
std::vector<pid_t> session_processes(pid_t sid) {
    std::vector<pid_t> pids;
    for (const auto& entry : fs::directory_iterator("/proc")) {
        const std::string name = entry.path().filename();
        if (name.find_first_not_of("0123456789") != std::string::npos) continue;
        // /proc/PID/stat: pid (comm) state ppid pgrp session ...; comm may hold spaces.
        const std::string stat = read_file(entry.path() / "stat");
        const auto close = stat.rfind(')');
        if (close == std::string::npos) continue;
        std::istringstream fields(stat.substr(close + 2));
        char state = 0;
        long ppid = 0, pgrp = 0, session = 0;
        fields >> state >> ppid >> pgrp >> session;
        if (session == sid && state != 'Z') pids.push_back(static_cast<pid_t>(std::stol(name)));
    }
    return pids;
}

// SIGKILLs mpirun and every rank at once (a crashed node), and waits until they are gone.
void kill_session(pid_t sid) {
    ::kill(sid, SIGKILL);  // mpirun first, so that it does not react to its ranks' deaths
    for (pid_t pid : session_processes(sid)) ::kill(pid, SIGKILL);
    ::waitpid(sid, nullptr, 0);
    while (!session_processes(sid).empty())
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
}

// Exit status of a finished process: its code, or 128 + the signal that killed it.
int wait_status(pid_t pid) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Generations committed to the study in `db_path`, 0 while the database is not there yet.
int committed(const fs::path& db_path) {
    try {
        if (!fs::exists(db_path)) return 0;
        const auto db = ResultsDb::open(db_path.string(), ResultsDb::Mode::kReadOnly);
        int n = 0;
        for (const auto& study : db->studies())
            for (const auto& setting : db->settings(study.id))
                for (const auto& chain : db->chains(setting.id)) n += chain.last_generation + 1;
        return n;
    } catch (const std::exception&) {
        return 0;  // being created
    }
}

// Waits until at least `n` generations are committed; false after 60 s.
bool wait_for_commits(const fs::path& db_path, int n) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
        if (committed(db_path) >= n) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
}

// The pid of the process running as MPI rank `rank` with `marker` in its command line.
std::optional<pid_t> rank_pid(int rank, const std::string& marker) {
    for (const auto& entry : fs::directory_iterator("/proc")) {
        const std::string name = entry.path().filename();
        if (name.find_first_not_of("0123456789") != std::string::npos) continue;
        const std::string cmdline = read_file(entry.path() / "cmdline");
        if (cmdline.find(marker) == std::string::npos ||
            cmdline.rfind("mpirun", std::string::npos) == 0)
            continue;
        const std::string environ = read_file(entry.path() / "environ");
        const std::string wanted = "OMPI_COMM_WORLD_RANK=" + std::to_string(rank);
        for (std::size_t at = 0; (at = environ.find(wanted, at)) != std::string::npos;
             at += wanted.size())
            if ((at == 0 || environ[at - 1] == '\0') &&
                (at + wanted.size() == environ.size() || environ[at + wanted.size()] == '\0'))
                return static_cast<pid_t>(std::stoi(name));
    }
    return std::nullopt;
}

std::string study_status(const fs::path& db_path) {
    const auto db = ResultsDb::open(db_path.string(), ResultsDb::Mode::kReadOnly);
    const auto studies = db->studies();
    return studies.size() == 1 ? studies[0].status
                               : "(" + std::to_string(studies.size()) + " studies)";
}

class MpiRunTest : public testing::TempDirTest {
protected:
    static void SetUpTestSuite() {
#ifndef MADLAB_HAVE_MPI
        skip_ = "madlab was built without MPI";
        return;
#endif
        if (!on_path("mpirun")) {
            skip_ = "mpirun is not installed (openmpi-bin)";
            return;
        }
        ::setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 1);
        ::setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 1);
        // The records of one plain process, which every MPI run must reproduce byte for byte.
        reference_dir_ = fs::temp_directory_path() / ("madlab_mpi_ref_" + std::to_string(getpid()));
        fs::create_directories(reference_dir_);
        std::ofstream(reference_dir_ / "study.toml") << kStudy;
        const auto r = run_madlab("run " + (reference_dir_ / "study.toml").string() + " --out " +
                                  (reference_dir_ / "out").string() + " --quiet --no-report");
        ASSERT_EQ(r.exit_code, 0) << r.output;
        reference_ = read_file(reference_dir_ / "out" / "records.csv");
    }
    static void TearDownTestSuite() {
        std::error_code ignored;
        if (!reference_dir_.empty()) fs::remove_all(reference_dir_, ignored);
    }
    void SetUp() override {
        if (!skip_.empty()) GTEST_SKIP() << skip_;
        TempDirTest::SetUp();
        study_ = (dir_ / "study.toml").string();
        std::ofstream(study_) << kStudy;
    }

    static inline std::string skip_;
    static inline fs::path reference_dir_;
    static inline std::string reference_;
    std::string study_;
};

TEST_F(MpiRunTest, ThreeRanksWriteTheRecordsOfOneProcess) {
    ASSERT_GT(std::count(reference_.begin(), reference_.end(), '\n'), kTotalGenerations);
    const fs::path out = dir_ / "mpi";
    const auto r = run_mpirun(
        3, "run " + study_ + " --out " + out.string() + " --quiet --no-report --threads 1");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_EQ(read_file(out / "records.csv"), reference_);
    EXPECT_EQ(read_file(out / "samples.json"), read_file(reference_dir_ / "out" / "samples.json"));
    EXPECT_EQ(study_status(out / "results.sqlite"), "finished");
    EXPECT_EQ(committed(out / "results.sqlite"), kTotalGenerations);
    // Only rank 0 writes: one line of results, no file from another rank.
    EXPECT_EQ(r.output.find("results:"), r.output.rfind("results:")) << r.output;
}

// A shard run across ranks hands out only its own chains: merged with the other shard (run
// without MPI) it gives the records of the whole study.
TEST_F(MpiRunTest, AShardAcrossRanksMergesToTheRecordsOfOneProcess) {
    const fs::path shard0 = dir_ / "shard0", shard1 = dir_ / "shard1";
    const auto r = run_mpirun(2, "run " + study_ + " --shard 1/2 --out " + shard1.string() +
                                     " --quiet --no-report --threads 1");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_EQ(committed(shard1 / "results.sqlite"), kTotalGenerations / 2);
    ASSERT_EQ(run_madlab("run " + study_ + " --shard 0/2 --out " + shard0.string() +
                         " --quiet --no-report")
                  .exit_code,
              0);
    const auto merged = run_madlab("merge " + (dir_ / "merged").string() + " " + shard0.string() +
                                   " " + shard1.string() + " --quiet --no-report");
    ASSERT_EQ(merged.exit_code, 0) << merged.output;
    EXPECT_EQ(read_file(dir_ / "merged" / "records.csv"), reference_);
}

TEST_F(MpiRunTest, ABadConfigEndsEveryRankWithExitCode2AndOneMessage) {
    std::ofstream(dir_ / "bad.toml") << "[study]\nname = \"bad\"\nseeds = 0\n";
    const auto r = run_mpirun(
        3, "run " + (dir_ / "bad.toml").string() + " --out " + (dir_ / "bad").string() + " -q");
    EXPECT_EQ(r.exit_code, 2) << r.output;
    const auto first = r.output.find("madlab: config error");
    ASSERT_NE(first, std::string::npos) << r.output;
    EXPECT_EQ(first, r.output.rfind("madlab: config error")) << r.output;
}

TEST_F(MpiRunTest, AKilledRunResumesWithOrWithoutMpirun) {
    for (const bool with_mpirun : {false, true}) {
        SCOPED_TRACE(with_mpirun ? "resumed under mpirun" : "resumed alone");
        const fs::path out = dir_ / (with_mpirun ? "killed_mpi" : "killed_plain");
        const pid_t mpirun = start_mpirun(
            3, "run " + study_ + " --out " + out.string() + " --quiet --no-report --threads 1",
            dir_ / "err.txt");
        ASSERT_TRUE(wait_for_commits(out / "results.sqlite", kTotalGenerations / 8));
        kill_session(mpirun);
        const int at_kill = committed(out / "results.sqlite");
        ASSERT_LT(at_kill, kTotalGenerations) << "the run ended before the kill";
        const std::string resume = "run --resume " + out.string() + " --quiet --no-report";
        const auto r = with_mpirun ? run_mpirun(2, resume) : run_madlab(resume);
        ASSERT_EQ(r.exit_code, 0) << r.output;
        EXPECT_EQ(read_file(out / "records.csv"), reference_);
        EXPECT_EQ(study_status(out / "results.sqlite"), "finished");
    }
}

TEST_F(MpiRunTest, LosingAWorkerRankStopsTheRunWithAMessageAndItResumes) {
    const fs::path out = dir_ / "lost";
    const fs::path err = dir_ / "err.txt";
    const pid_t mpirun = start_mpirun(
        3, "run " + study_ + " --out " + out.string() + " --quiet --no-report --threads 1", err);
    ASSERT_TRUE(wait_for_commits(out / "results.sqlite", kTotalGenerations / 8));
    const auto worker = rank_pid(2, out.string());
    ASSERT_TRUE(worker.has_value());
    ::kill(*worker, SIGKILL);
    const int status = wait_status(mpirun);
    EXPECT_NE(status, 0);
    const std::string stderr_text = read_file(err);
    // Rank 0 says what happened, where the generations are and how to continue.
    EXPECT_NE(stderr_text.find("madlab: the MPI run stopped (mpirun is ending the job with "
                               "signal SIGCONT, most likely because another rank died"),
              std::string::npos)
        << stderr_text;
    EXPECT_NE(stderr_text.find("committed so far are in " + (out / "results.sqlite").string()),
              std::string::npos)
        << stderr_text;
    EXPECT_NE(stderr_text.find("madlab run --resume " + out.string()), std::string::npos)
        << stderr_text;
    const int at_stop = committed(out / "results.sqlite");
    EXPECT_GE(at_stop, kTotalGenerations / 8);
    EXPECT_LT(at_stop, kTotalGenerations);
    // Rank 0 marks it failed, unless mpirun's SIGKILL came first; committed is committed.
    EXPECT_NE(study_status(out / "results.sqlite"), "finished");
    const auto r = run_madlab("run --resume " + out.string() + " --quiet --no-report");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_EQ(read_file(out / "records.csv"), reference_);
    EXPECT_EQ(study_status(out / "results.sqlite"), "finished");
}

}  // namespace
}  // namespace madlab
