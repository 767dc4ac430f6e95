// Crash-proof runs: a real `madlab run` killed with SIGKILL mid-way and continued with --resume
// ends with records identical to an uninterrupted run.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "madlab/store/results_db.h"

namespace {

namespace fs = std::filesystem;

std::string read(const fs::path& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

int run_to_end(const std::string& arguments) {
    const int status =
        std::system((std::string(MADLAB_BINARY) + " " + arguments + " > /dev/null 2>&1").c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Generations committed so far over all chains of the database's first study (0 if none yet).
int committed_generations(const fs::path& db_path) {
    if (!fs::exists(db_path)) return 0;
    try {
        auto db = madlab::ResultsDb::open(db_path.string(), madlab::ResultsDb::Mode::kReadOnly);
        int total = 0;
        for (const auto& study : db->studies())
            for (const auto& setting : db->settings(study.id))
                for (const auto& chain : db->chains(setting.id)) total += chain.last_generation + 1;
        return total;
    } catch (const std::exception&) {
        return 0;  // the schema is being created
    }
}

const char* kStudy = R"(
[study]
name = "resume"
seeds = 3
generations = 12
threads = 2
[source]
kind = "grid25"
[model]
family = "gmm"
components = 25
[schedule]
n = 1500
[metrics]
n_eval = 1500
[[settings]]
name = "replace"
[[settings]]
name = "accumulate"
schedule.preset = "accumulate"
schedule.synthetic_from_last_k = 2
)";

// Runs `study_text` uninterrupted, then twice killed with SIGKILL (after 20% and 70% of its
// `total` generations, settings x seeds x generations) and resumed: records.csv and samples.json
// must be byte-identical to the uninterrupted run's. With `kept_file` (a file the models keep in
// every generation's folder, DIR/models/<setting>/seed-<s>/gen-<g>/), every such file of the
// uninterrupted run exists in each resumed run with the same bytes.
void expect_killed_runs_resume_identically(const std::string& name, const char* study_text,
                                           int total, const std::string& kept_file = "") {
    const fs::path dir = fs::temp_directory_path() / ("madlab_resume_test_" + name);
    fs::remove_all(dir);
    fs::create_directories(dir);
    const fs::path study = dir / "study.toml";
    std::ofstream(study) << study_text;

    ASSERT_EQ(run_to_end("run " + study.string() + " -q --out " + (dir / "clean").string()), 0);
    const std::string expected = read(dir / "clean" / "records.csv");
    const std::string expected_samples = read(dir / "clean" / "samples.json");
    EXPECT_NE(expected_samples.find("\"kind\":\"real\""), std::string::npos);

    // Kill at two different moments: early and after most generations.
    for (const double fraction : {0.2, 0.7}) {
        const fs::path out = dir / ("killed" + std::to_string(fraction));
        const pid_t pid = fork();
        ASSERT_GE(pid, 0);
        if (pid == 0) {
            execl(MADLAB_BINARY, MADLAB_BINARY, "run", study.c_str(), "-q", "--out", out.c_str(),
                  static_cast<char*>(nullptr));
            _exit(127);
        }
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
        bool finished = false;
        while (committed_generations(out / "results.sqlite") < fraction * total) {
            int status;
            if (waitpid(pid, &status, WNOHANG) == pid) {
                finished = true;
                break;
            }
            ASSERT_LT(std::chrono::steady_clock::now(), deadline);
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        if (!finished) {
            kill(pid, SIGKILL);
            waitpid(pid, nullptr, 0);
        }
        const int committed = committed_generations(out / "results.sqlite");
        EXPECT_LT(committed, total) << "the run finished before it could be killed";
        EXPECT_FALSE(fs::exists(out / "records.csv"));

        ASSERT_EQ(run_to_end("run -q --resume " + out.string()), 0);
        EXPECT_EQ(read(out / "records.csv"), expected) << "killed after " << committed;
        EXPECT_EQ(read(out / "samples.json"), expected_samples) << "killed after " << committed;
        if (!kept_file.empty()) {
            int kept = 0;
            for (const auto& entry : fs::recursive_directory_iterator(dir / "clean" / "models")) {
                if (entry.path().filename() != kept_file) continue;
                const fs::path resumed = out / fs::relative(entry.path(), dir / "clean");
                ASSERT_TRUE(fs::exists(resumed)) << resumed;
                EXPECT_EQ(read(resumed), read(entry.path())) << resumed;
                ++kept;
            }
            EXPECT_EQ(kept, total) << "one " << kept_file << " per generation of every chain";
        }
        // Resuming a finished run changes nothing.
        ASSERT_EQ(run_to_end("run -q --resume " + out.string()), 0);
        EXPECT_EQ(read(out / "records.csv"), expected);
    }
    fs::remove_all(dir);
}

TEST(Resume, KilledRunResumesToIdenticalRecords) {
    expect_killed_runs_resume_identically("gmm", kStudy, 2 * 3 * 13);
}

// A shard (`--shard 1/2`: chains 1, 3, 5 of the 6) killed half-way resumes as the same shard, and
// merged with shard 0/2 gives the records of the whole study run at once.
TEST(Resume, KilledShardResumesAndMergesToTheWholeRecords) {
    const fs::path dir = fs::temp_directory_path() / "madlab_resume_test_shard";
    fs::remove_all(dir);
    fs::create_directories(dir);
    const fs::path study = dir / "study.toml";
    std::ofstream(study) << kStudy;
    ASSERT_EQ(
        run_to_end("run " + study.string() + " -q --no-report --out " + (dir / "whole").string()),
        0);
    const fs::path shard = dir / "shard1";
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        execl(MADLAB_BINARY, MADLAB_BINARY, "run", study.c_str(), "-q", "--shard", "1/2", "--out",
              shard.c_str(), static_cast<char*>(nullptr));
        _exit(127);
    }
    const int total = 3 * 13;  // the shard's chains x generations
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (committed_generations(shard / "results.sqlite") < total / 2) {
        int status;
        ASSERT_NE(waitpid(pid, &status, WNOHANG), pid) << "the shard finished before the kill";
        ASSERT_LT(std::chrono::steady_clock::now(), deadline);
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    EXPECT_LT(committed_generations(shard / "results.sqlite"), total);
    // Unfinished, the shard cannot be merged: merge names its chains.
    ASSERT_EQ(run_to_end("run " + study.string() + " -q --no-report --shard 0/2 --out " +
                         (dir / "shard0").string()),
              0);
    const std::string merge = "merge " + (dir / "merged").string() + " " +
                              (dir / "shard0").string() + " " + shard.string() + " -q --no-report";
    EXPECT_EQ(run_to_end(merge), 2);
    ASSERT_EQ(run_to_end("run -q --no-report --resume " + shard.string()), 0);
    // The resumed shard ran its own chains only: one per seed index 1, 3, 5 of 0..5.
    EXPECT_EQ(committed_generations(shard / "results.sqlite"), total);
    ASSERT_EQ(run_to_end(merge), 0);
    EXPECT_EQ(read(dir / "merged" / "records.csv"), read(dir / "whole" / "records.csv"));
    fs::remove_all(dir);
}

#ifdef MADLAB_HAVE_NEURAL
// Neural families fine-tuned from the previous generation (model.init = "previous"): the chain's
// checkpoint holds the kept models' weights, so a resumed chain continues from exactly the
// weights it had (tiny networks: the point is the bits, not the fit). Six generations: kills
// after 20% and 70% of them still fall between committed generations; longer chains are killed
// with the gmm family above.
const char* kFlowStudy = R"(
[study]
name = "resume-flow"
seeds = 2
generations = 6
threads = 2
[source]
kind = "rosenbrock"
[model]
family = "flow"
coupling_layers = 2
width = 16
depth = 1
steps = 40
batch_size = 64
init = "previous"
[schedule]
n = 400
[metrics]
list = ["prdc", "nll"]
n_eval = 300
[[settings]]
name = "replace"
[[settings]]
name = "accumulate"
schedule.preset = "accumulate"
)";

const char* kGptStudy = R"(
[study]
name = "resume-gpt"
seeds = 2
generations = 6
threads = 2
[source]
kind = "text"
path = "fortunes-es"
tokens = "char"
[model]
family = "gpt"
width = 16
depth = 1
heads = 2
context = 32
steps = 15
batch_size = 16
init = "previous"
max_line_length = 60
[schedule]
n = 100
[metrics]
n_eval = 50
n_test = 100
[[settings]]
name = "replace"
)";

TEST(Resume, KilledNeuralRunsFineTuningFromThePreviousWeightsResumeIdentically) {
    expect_killed_runs_resume_identically("flow", kFlowStudy, 2 * 2 * 7, "weights.madlabnn");
    expect_killed_runs_resume_identically("gpt", kGptStudy, 1 * 2 * 7, "weights.madlabnn");
}
#endif

TEST(Resume, SecondWriterGetsAClearError) {
    const fs::path dir = fs::temp_directory_path() / "madlab_lock_test";
    fs::remove_all(dir);
    fs::create_directories(dir);
    const fs::path db_path = dir / "shared.sqlite";
    auto holder = madlab::ResultsDb::open(db_path.string(), madlab::ResultsDb::Mode::kReadWrite);
    std::ofstream(dir / "s.toml") << "[study]\nseeds = 1\ngenerations = 1\n[schedule]\nn = 100\n"
                                     "[metrics]\nn_eval = 50\n";
    const std::string command = std::string(MADLAB_BINARY) + " run " + (dir / "s.toml").string() +
                                " -q --out " + (dir / "out").string() + " --db " +
                                db_path.string() + " 2>&1";
    FILE* pipe = popen(command.c_str(), "r");
    std::string output;
    char buffer[4096];
    std::size_t n;
    while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) output.append(buffer, n);
    const int status = pclose(pipe);
    EXPECT_NE(WEXITSTATUS(status), 0);
    EXPECT_NE(output.find("in use by another madlab run"), std::string::npos) << output;
    holder.reset();
    fs::remove_all(dir);
}

}  // namespace
