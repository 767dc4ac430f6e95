// The external protocol on text (JSONL, docs/external.md) end to end through `madlab run`: a
// Python bigram model (examples/external/unigram_model.py) with a score command; a failing
// command, a wrong number of lines, invalid UTF-8, a line that is not JSON or has no "text",
// config errors, and a failed run resumed to the records of an uninterrupted one. The faulty
// models are one-line shell commands, so that those tests take milliseconds.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>

#include "cli_runner.h"
#include "madlab/data/npy_reader.h"

namespace madlab {
namespace external_text_cli_test {

// The model: a word unigram / bigram model in plain python3.
const std::string kScript = MADLAB_SOURCE_DIR "/examples/external/unigram_model.py";
const std::string kFit = "python3 " + kScript + " fit --order 2 --data {train} --out {model_dir}";
const std::string kSample = "python3 " + kScript +
                            " sample --model {model_dir} --n {n} --bias {bias} --seed {seed} "
                            "--out {samples}";
const std::string kScoreKey = "score = '''python3 " + kScript +
                              " score --model {model_dir} --text {text} --out {scores}'''\n";

namespace fs = std::filesystem;
using testing::expect_output;
using testing::read_file;
using testing::run_madlab;

class ExternalTextCli : public testing::TempDirTest {
protected:
    void SetUp() override {
        TempDirTest::SetUp();
        // A small corpus: 300 lines of 3..10 words over 40 words (every 10th line held out).
        std::ofstream corpus(dir_ / "corpus.txt");
        std::uint32_t x = 12345;
        for (int line = 0; line < 300; ++line) {
            x = x * 1664525u + 1013904223u;
            const int length = 3 + static_cast<int>((x >> 16) % 8);
            for (int w = 0; w < length; ++w) {
                x = x * 1664525u + 1013904223u;
                // Skewed towards small ids, as word frequencies are.
                const std::uint32_t u = (x >> 16) % 1600;
                corpus << (w ? " " : "") << "palabra" << (u * u / 64000);
            }
            corpus << "\n";
        }
    }
    // A text study of the external model; `fit` and `sample` are the commands, `extra` more
    // [model] keys.
    std::string study(const std::string& fit, const std::string& sample,
                      const std::string& extra = "", int generations = 2) const {
        const std::string path = (dir_ / "study.toml").string();
        std::ofstream(path) << "[study]\nname = \"ext-text\"\nseeds = 1\ngenerations = "
                            << generations << "\n[source]\nkind = \"text\"\npath = '"
                            << (dir_ / "corpus.txt").string()
                            << "'\nheld_out_every = 10\n[model]\nfamily = \"external\"\nfit = '''"
                            << fit << "'''\nsample = '''" << sample << "'''\n"
                            << extra
                            << "\n[schedule]\nn = 100\n[metrics]\nn_eval = 20\n"
                               "token_budget = 100\n";
        return path;
    }
    // Runs the study at `path` without a database; the output folder is out().
    testing::CliResult run(const std::string& path) const {
        return run_madlab("run " + path + " -q --no-db --out " + out());
    }
    // A run whose sampling writes `printf_format` (a printf(1) format: \n, octal escapes; JSON
    // braces doubled, as in every command): it fails at generation 0's scored samples, with
    // `parts` in its message and no results written.
    void expect_bad_samples(const std::string& printf_format,
                            std::initializer_list<std::string> parts) const {
        const auto r = run(study("true", "printf '" + printf_format + "' > {samples}"));
        expect_output(r, 1,
                      {"model.sample command", "(setting 'fully-synthetic', seed 0, generation 0)",
                       "wrote samples madlab cannot use"});
        expect_output(r, 1, parts);
        EXPECT_FALSE(fs::exists(out() + "/records.csv"));  // no partial results
    }
    std::string out() const { return (dir_ / "out").string(); }
};

bool has_metric(const std::string& records, int generation, const std::string& metric) {
    return records.find(",0," + std::to_string(generation) + "," + metric + ",") !=
           std::string::npos;
}

TEST_F(ExternalTextCli, RunsTheLoopScoresRealTextAndKeepsTheJsonlFiles) {
    const auto r = run_madlab("run " + study(kFit, kSample, kScoreKey) + " -q --out " + out());
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const std::string records = read_file(out() + "/records.csv");
    for (int g = 0; g <= 2; ++g) {
        for (const char* metric : {"perplexity", "distinct_1", "distinct_2", "unigram_entropy",
                                   "zipf", "mean_line_length", "sample_unk_rate", "train_size"})
            EXPECT_TRUE(has_metric(records, g, metric)) << metric << " at " << g;
        // Only the n-gram family says which words it can produce, or counts OOV words.
        EXPECT_FALSE(has_metric(records, g, "lost_types"));
        EXPECT_FALSE(has_metric(records, g, "perplexity_excluding_oov"));
    }
    const fs::path chain = fs::path(out()) / "models" / "fully-synthetic" / "seed-0";
    for (int g = 0; g <= 2; ++g) {
        const fs::path gen = chain / ("gen-000" + std::to_string(g));
        for (const char* file : {"train.jsonl", "model/model.json", "eval.jsonl", "eval.done",
                                 "heldout.jsonl", "scores.jsonl", "score.done", "fit.done"})
            EXPECT_TRUE(fs::exists(gen / file)) << gen / file;
        if (g < 2) {
            EXPECT_TRUE(fs::exists(gen / ("synthetic-" + std::to_string(g + 1) + "-0.jsonl")));
        }
    }
    // The training set as madlab wrote it: one {"text": ...} a line, words joined by spaces.
    const std::string train = read_file(chain / "gen-0000" / "train.jsonl");
    EXPECT_EQ(train.rfind("{\"text\":\"palabra", 0), 0u) << train.substr(0, 80);
    EXPECT_EQ(std::count(train.begin(), train.end(), '\n'), 100);
    // The provenance of every line: real at generation 0, generation 1's model at generation 2.
    for (int g : {0, 2}) {
        const Matrix origin =
            read_npy((chain / ("gen-000" + std::to_string(g)) / "train_origin.npy").string());
        ASSERT_EQ(origin.rows(), 100) << g;
        EXPECT_EQ(origin.minCoeff(), g == 0 ? -1.0 : 1.0) << g;
        EXPECT_EQ(origin.maxCoeff(), g == 0 ? -1.0 : 1.0) << g;
    }
    // Without model.score the sample metrics are recorded, perplexity is not.
    const auto plain = run_madlab("run " + study(kFit, kSample) + " -q --no-db --out " +
                                  (dir_ / "plain").string());
    ASSERT_EQ(plain.exit_code, 0) << plain.output;
    const std::string plain_records = read_file(dir_ / "plain" / "records.csv");
    EXPECT_FALSE(has_metric(plain_records, 0, "perplexity"));
    EXPECT_TRUE(has_metric(plain_records, 2, "distinct_2"));
}

TEST_F(ExternalTextCli, FailingCommandNamesCommandExitCodeAndStderr) {
    expect_output(run(study("true", "echo no GPU for {samples} >&2; exit 3")), 1,
                  {"model.sample command", "exited with code 3", "no GPU for", "generation 0"});
    EXPECT_FALSE(fs::exists(out() + "/records.csv"));
    const std::string score = "score = 'echo {scores} > /dev/null; exit 6'\n";
    expect_output(run(study(kFit, kSample, score)), 1,
                  {"model.score command", "exited with code 6"});
}

TEST_F(ExternalTextCli, WrongNumberOfLinesIsRejected) {
    // The first samples asked for are generation 0's n_eval = 20 scored ones.
    const auto one = run(study("true", "printf '{{\"text\": \"palabra1\"}}\\n' > {samples}"));
    expect_output(one, 1, {"wrote 1 lines to", "eval.jsonl; madlab asked for 20 samples"});
    expect_output(run(study("true", "true {samples}")), 1, {"did not write"});
}

TEST_F(ExternalTextCli, InvalidUtf8NamesTheFileAndTheLine) {
    // Line 2 holds "caf\xe9": Latin-1, not UTF-8.
    expect_bad_samples("{{\"text\": \"a\"}}\\n{{\"text\": \"caf\\351\"}}\\n",
                       {"invalid UTF-8", "eval.jsonl' at line 2, column 14 (byte 0xE9)"});
}

TEST_F(ExternalTextCli, LinesThatAreNotJsonOrHaveNoTextAreRejected) {
    expect_bad_samples("{{\"text\": \"a\"}}\\nnot json\\n",
                       {"bad JSONL line in", "eval.jsonl' at line 2"});
    expect_bad_samples("{{\"text\": \"a\"}}\\n\\n{{\"words\": 1}}\\n",
                       {"JSONL line 3 of", "has no field \"text\""});
    expect_bad_samples("{{\"text\": 5}}\\n", {"field \"text\" is a number, not a string"});
}

TEST_F(ExternalTextCli, ConfigErrorsNameTheKey) {
    // {dim} is for vectors; {text} and {scores} only for model.score.
    expect_output(run(study(kFit + " --dim {dim}", kSample)), 2,
                  {"model.fit", "{dim} is not available"});
    expect_output(run(study(kFit, kSample, "score = 'true {text}'\n")), 2,
                  {"model.score", "never names {scores}"});
}

TEST_F(ExternalTextCli, ResumeReusesFinishedStepsAndMatchesAnUninterruptedRun) {
    // Sampling fails at generation 1 the first time: its fit, generation 0's samples and
    // scores are reused, and the score command is part of the resumed study's config.
    testing::expect_resume_matches_uninterrupted_run(
        dir_,
        [&](const std::string& fit, const std::string& sample) {
            return study(fit, sample, kScoreKey, 2);
        },
        kFit, kSample, 1, 2);
}

}  // namespace external_text_cli_test
}  // namespace madlab
