// The external model protocol end to end through `madlab run`: a Python script
// (examples/external/gaussian_model.py) as the model; success and the files kept for audit, a
// failing command, a wrong shape, a NaN, a timeout, retries, and a failed run resumed without
// refitting finished generations.

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "cli_runner.h"
#include "madlab/data/npy_reader.h"

namespace madlab {
namespace {

namespace fs = std::filesystem;
using testing::read_file;
using testing::run_madlab;

const std::string kScript = MADLAB_SOURCE_DIR "/examples/external/gaussian_model.py";

class ExternalCli : public testing::TempDirTest {
protected:
    // A 2-D Gaussian study with the external model; `fit` and `sample` are the commands and
    // `extra` more [model] keys.
    std::string study(const std::string& fit, const std::string& sample,
                      const std::string& extra = "", int generations = 3) const {
        const std::string path = (dir_ / "study.toml").string();
        std::ofstream(path) << "[study]\nname = \"ext\"\nseeds = 1\ngenerations = " << generations
                            << "\n[source]\nkind = \"gaussian\"\ndim = 2\n[model]\nfamily = "
                               "\"external\"\nfit = '''"
                            << fit << "'''\nsample = '''" << sample << "'''\n"
                            << extra
                            << "\n[schedule]\nn = 20\n[metrics]\nlist = [\"frechet\", "
                               "\"prdc\"]\nn_eval = 50\n";
        return path;
    }
    std::string fit_command() const {
        return "python3 " + kScript + " fit --data {train} --out {model_dir} --seed {seed}";
    }
    std::string sample_command(const std::string& fault = "none") const {
        return "python3 " + kScript +
               " sample --model {model_dir} --n {n} --bias {bias} --seed {seed} --out {samples} "
               "--fault " +
               fault;
    }
    std::string out() const { return (dir_ / "out").string(); }
};

TEST_F(ExternalCli, RunsTheLoopAndKeepsEveryGenerationsFiles) {
    const auto r =
        run_madlab("run " + study(fit_command(), sample_command()) + " -q --out " + out());
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const std::string records = read_file(out() + "/records.csv");
    for (int g = 0; g <= 3; ++g)
        EXPECT_NE(records.find(",0," + std::to_string(g) + ",frechet,"), std::string::npos) << g;
    const fs::path chain = fs::path(out()) / "models" / "fully-synthetic" / "seed-0";
    for (int g = 0; g <= 3; ++g) {
        const fs::path gen = chain / ("gen-000" + std::to_string(g));
        EXPECT_TRUE(fs::exists(gen / "train.npy")) << gen;
        EXPECT_TRUE(fs::exists(gen / "model" / "gaussian.json")) << gen;
        EXPECT_TRUE(fs::exists(gen / "eval.npy")) << gen;
        EXPECT_TRUE(fs::exists(gen / "fit.done")) << gen;
        EXPECT_TRUE(fs::exists(gen / "fit.stderr")) << gen;
        // The provenance of every training row: real at generation 0, then (fully synthetic)
        // samples of the previous generation's model, one entry a row of train.npy.
        const Matrix origin = read_npy((gen / "train_origin.npy").string());
        ASSERT_EQ(origin.rows(), read_npy((gen / "train.npy").string()).rows()) << gen;
        ASSERT_EQ(origin.cols(), 1) << gen;
        EXPECT_EQ(origin.minCoeff(), g == 0 ? -1.0 : g - 1.0) << gen;
        EXPECT_EQ(origin.maxCoeff(), g == 0 ? -1.0 : g - 1.0) << gen;
        // The samples that trained the next generation came from this one.
        if (g < 3) {
            EXPECT_TRUE(fs::exists(gen / ("synthetic-" + std::to_string(g + 1) + "-0.npy")));
        }
    }
    // The same run again gives the same records (deterministic seeds for the commands).
    const auto again = run_madlab("run " + (dir_ / "study.toml").string() + " -q --no-db --out " +
                                  (dir_ / "again").string());
    ASSERT_EQ(again.exit_code, 0) << again.output;
    EXPECT_EQ(read_file(dir_ / "again" / "records.csv"), records);
}

TEST_F(ExternalCli, PruneKeepsOnlyTheFoldersLaterGenerationsNeed) {
    const auto r = run_madlab("run " + study(fit_command(), sample_command(), "prune = true\n") +
                              " -q --no-db --out " + out());
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const fs::path chain = fs::path(out()) / "models" / "fully-synthetic" / "seed-0";
    // synthetic_from_last_k = 1: only the last generation's folder is left.
    for (int g = 0; g <= 2; ++g)
        EXPECT_FALSE(fs::exists(chain / ("gen-000" + std::to_string(g)))) << g;
    EXPECT_TRUE(fs::exists(chain / "gen-0003" / "model" / "gaussian.json"));
}

TEST_F(ExternalCli, FailingCommandNamesCommandExitCodeAndStderr) {
    const auto r = run_madlab("run " + study(fit_command(), sample_command("fail")) +
                              " -q --no-db --out " + out());
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find("model.sample command"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("exited with code 3"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("simulated failure while sampling"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("generation 0"), std::string::npos) << r.output;
    EXPECT_FALSE(fs::exists(out() + "/records.csv"));  // no partial results
    const auto f =
        run_madlab("run " + study("sh -c 'echo no GPU here >&2; exit 7'", sample_command()) +
                   " -q --no-db --out " + out());
    EXPECT_EQ(f.exit_code, 1);
    EXPECT_NE(f.output.find("model.fit command"), std::string::npos) << f.output;
    EXPECT_NE(f.output.find("exited with code 7"), std::string::npos) << f.output;
    EXPECT_NE(f.output.find("no GPU here"), std::string::npos) << f.output;
}

TEST_F(ExternalCli, WrongShapeAndNaNAreRejected) {
    const auto shape = run_madlab("run " + study(fit_command(), sample_command("shape")) +
                                  " -q --no-db --out " + out());
    EXPECT_EQ(shape.exit_code, 1);
    // The first samples asked for are generation 0's n_eval = 50 scored ones.
    EXPECT_NE(shape.output.find("49 x 2"), std::string::npos) << shape.output;
    EXPECT_NE(shape.output.find("shape (50, 2)"), std::string::npos) << shape.output;
    const auto nan = run_madlab("run " + study(fit_command(), sample_command("nan")) +
                                " -q --no-db --out " + out());
    EXPECT_EQ(nan.exit_code, 1);
    EXPECT_NE(nan.output.find("cannot use"), std::string::npos) << nan.output;
    EXPECT_NE(nan.output.find("row 25"), std::string::npos) << nan.output;  // 50 rows, the middle
    const auto none =
        run_madlab("run " + study(fit_command(), "true {samples}") + " -q --no-db --out " + out());
    EXPECT_EQ(none.exit_code, 1);
    EXPECT_NE(none.output.find("did not write"), std::string::npos) << none.output;
    // Not a .npy file at all (the encoding check).
    const auto text = run_madlab("run " + study(fit_command(), "echo hello > {samples}") +
                                 " -q --no-db --out " + out());
    EXPECT_EQ(text.exit_code, 1);
    EXPECT_NE(text.output.find("cannot use"), std::string::npos) << text.output;
    EXPECT_NE(text.output.find("is not a NumPy .npy file"), std::string::npos) << text.output;
    const auto config = run_madlab("run " + study(fit_command(), "python3 x.py {output}") +
                                   " -q --no-db --out " + out());
    EXPECT_EQ(config.exit_code, 2);
    EXPECT_NE(config.output.find("unknown placeholder {output}"), std::string::npos)
        << config.output;
}

TEST_F(ExternalCli, TimeoutKillsAHungCommandAndRetriesOnlyWhenAsked) {
    const auto start = std::chrono::steady_clock::now();
    const auto hung =
        run_madlab("run " + study(fit_command(), sample_command("hang"), "timeout_s = 1\n") +
                   " -q --no-db --out " + out());
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_EQ(hung.exit_code, 1);
    EXPECT_NE(hung.output.find("did not finish within model.timeout_s = 1 s"), std::string::npos)
        << hung.output;
    EXPECT_LT(seconds, 20.0);
    const auto flaky = run_madlab("run " + study(fit_command(), sample_command("flaky")) +
                                  " -q --no-db --out " + out());
    EXPECT_EQ(flaky.exit_code, 1) << flaky.output;  // no retries by default
    EXPECT_NE(flaky.output.find("exited with code 4"), std::string::npos) << flaky.output;
    const auto retried =
        run_madlab("run " + study(fit_command(), sample_command("flaky"), "retries = 1\n") +
                   " -q --no-db --out " + (dir_ / "retried").string());
    EXPECT_EQ(retried.exit_code, 0) << retried.output;
}

// A run into the folder of an earlier run whose fit command changed refits every generation;
// the earlier model's samples must not be reused for the new model. The sample command logs
// each call into the model folder, which a refit empties: the log is there again only if the
// new model was sampled.
TEST_F(ExternalCli, ARefitNeverReusesTheOldModelsSamples) {
    const std::string sample = sample_command() + " && echo sampled >> {model_dir}/calls.log";
    auto r =
        run_madlab("run " + study(fit_command(), sample, "", 1) + " -q --no-db --out " + out());
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const fs::path gen0 = fs::path(out()) / "models" / "fully-synthetic" / "seed-0" / "gen-0000";
    ASSERT_TRUE(fs::exists(gen0 / "model" / "calls.log"));
    r = run_madlab("run " + study(fit_command() + " # version 2", sample, "", 1) +
                   " -q --no-db --out " + out());
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_TRUE(fs::exists(gen0 / "model" / "calls.log"));
    EXPECT_NE(read_file(gen0 / "fit.done").find("# version 2"), std::string::npos);
}

TEST_F(ExternalCli, ResumeReusesFinishedFitsAndMatchesAnUninterruptedRun) {
    // Sampling fails at generation 2 the first time; generations 0..2 are fitted once.
    testing::expect_resume_matches_uninterrupted_run(
        dir_,
        [&](const std::string& fit, const std::string& sample) {
            return study(fit, sample, "", 4);
        },
        fit_command(), sample_command(), 2, 4);
}

}  // namespace
}  // namespace madlab
