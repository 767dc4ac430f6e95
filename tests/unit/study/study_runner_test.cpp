#include "madlab/study/study_runner.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "madlab/core/error.h"
#include "madlab/store/record_files.h"
#include "madlab/study/resolved_config.h"

namespace madlab {
namespace study_runner_test {

const char* kStudy = R"(
[study]
name = "determinism"
seeds = 3
generations = 4
[source]
kind = "grid25"
[model]
family = "gmm"
components = 10
[schedule]
n = 300
[metrics]
n_eval = 300
[[settings]]
name = "replace"
[[settings]]
name = "fresh"
schedule.preset = "fresh-data"
[[settings]]
name = "kde-biased"
model = { family = "kde", bias = 0.5 }
schedule.preset = "accumulate-subsample"
)";

TEST(StudyRunner, RecordsDoNotDependOnTheThreadCount) {
    const StudyConfig study = parse_study(kStudy, "determinism.toml");
    RunOptions one, many;
    one.threads = 1;
    one.progress = false;
    many.threads = 4;  // more threads than cores: scheduling differs run to run
    many.progress = false;
    const auto a = run_study(study, one);
    const auto b = run_study(study, many);
    EXPECT_EQ(records_to_csv(a.records), records_to_csv(b.records));
    // 3 settings x 3 seeds x 5 generations; every record is finite.
    std::size_t generations_seen = 0;
    for (const auto& r : a.records) {
        EXPECT_TRUE(std::isfinite(r.value)) << r.setting << " " << r.metric;
        generations_seen += (r.metric == "train_size");
    }
    EXPECT_EQ(generations_seen, 3u * 3u * 5u);
}

TEST(StudyRunner, SettingsShareRealDataSeedBySeed) {
    // Common random numbers: generation 0 is identical across settings with the same model.
    const StudyConfig study = parse_study(kStudy, "determinism.toml");
    RunOptions options;
    options.progress = false;
    const auto result = run_study(study, options);
    std::map<std::pair<std::uint64_t, std::string>, std::vector<double>> gen0;
    for (const auto& r : result.records)
        if (r.generation == 0 && r.setting != "kde-biased")
            gen0[{r.seed, r.setting}].push_back(r.value);
    for (std::uint64_t seed = 0; seed < 3; ++seed)
        EXPECT_EQ((gen0[{seed, "replace"}]), (gen0[{seed, "fresh"}]));
}

TEST(StudyRunner, WritesTheThreeFilesAndATable) {
    const StudyConfig study = parse_study(kStudy, "determinism.toml");
    RunOptions options;
    options.progress = false;
    const auto result = run_study(study, options);
    const auto dir = std::filesystem::temp_directory_path() / "madlab_runner_test";
    std::filesystem::remove_all(dir);
    write_study_outputs(dir.string(), study, result);
    std::ifstream in(dir / "records.csv");
    std::stringstream text;
    text << in.rdbuf();
    EXPECT_EQ(records_from_csv(text.str()).size(), result.records.size());
    EXPECT_TRUE(std::filesystem::exists(dir / "summary.json"));
    EXPECT_TRUE(std::filesystem::exists(dir / "config.toml"));
    std::filesystem::remove_all(dir);

    const std::string table = format_summary_table(study, result.summary);
    for (const char* part :
         {"replace", "fresh", "kde-biased", "precision", "recall", "coverage", "frechet"})
        EXPECT_NE(table.find(part), std::string::npos) << part << "\n" << table;
}

// Text: the table shows the fixed-vocabulary perplexity in place of KenLM's when it is recorded
// (KenLM's can fall while the model loses words), KenLM's otherwise (the external family).
TEST(StudyRunner, TextTableLeadsWithTheFixedVocabularyPerplexity) {
    StudyConfig study;
    study.generations = 1;
    study.seeds = 1;
    study.settings.push_back(Setting{.name = "replace"});
    auto rows = [](std::vector<std::string> metrics) {
        std::vector<SummaryRow> out;
        for (int g : {0, 1})
            for (const auto& m : metrics)
                out.push_back(SummaryRow{
                    .setting = "replace", .generation = g, .metric = m, .count = 1, .mean = 1.5});
        return out;
    };
    const auto header = [](const std::string& table) {
        const auto at = table.find(" gen  ");  // the column header line
        return table.substr(at, table.find('\n', at) - at);
    };
    const std::string fixed = header(format_summary_table(
        study, rows({"perplexity", "perplexity_fixed_vocab", "lost_mass", "distinct_2"})));
    EXPECT_NE(fixed.find("perplexity_fixed_vocab"), std::string::npos) << fixed;
    EXPECT_EQ(fixed.find("perplexity "), std::string::npos) << fixed;
    EXPECT_LT(fixed.find("perplexity_fixed_vocab"), fixed.find("lost_mass")) << fixed;
    const std::string kenlm =
        header(format_summary_table(study, rows({"perplexity", "distinct_2"})));
    EXPECT_NE(kenlm.find("perplexity "), std::string::npos) << kenlm;
}

}  // namespace study_runner_test
}  // namespace madlab

namespace madlab {
namespace study_runner_test {

// The database holds the same records, in the same order, whatever the thread count.
TEST(StudyRunner, DatabaseContentsDoNotDependOnTheThreadCount) {
    const StudyConfig study = parse_study(kStudy, "determinism.toml");
    const auto dir = std::filesystem::temp_directory_path() / "madlab_runner_db_test";
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    std::vector<std::string> csv;
    for (int threads : {1, 4}) {
        const std::string path = (dir / ("t" + std::to_string(threads) + ".sqlite")).string();
        {
            auto db = ResultsDb::open(path, ResultsDb::Mode::kReadWrite);
            const StudyIds ids = register_study(*db, study);
            RunOptions options;
            options.threads = threads;
            options.progress = false;
            run_study(study, options, db.get(), &ids);
        }
        auto db = ResultsDb::open(path, ResultsDb::Mode::kReadOnly);
        const auto records = db->records({});
        // 3 seeds x 5 generations x (frechet, 4 prdc, nll, collapsed, train_size,
        // real_fraction, and fit_converged for the two gmm settings).
        EXPECT_EQ(records.size(), 3u * 5u * (10u + 10u + 9u));
        csv.push_back(records_to_csv(records));
    }
    EXPECT_EQ(csv[0], csv[1]);
    // The in-memory run gives the same records as the database.
    RunOptions options;
    options.progress = false;
    EXPECT_EQ(records_to_csv(run_study(study, options).records), csv[0]);
    std::filesystem::remove_all(dir);
}

}  // namespace study_runner_test
}  // namespace madlab

namespace madlab {
namespace study_runner_test {

// Samples kept for the report: the first seed of each setting, at the chosen generations, the
// same with and without a database (the database path reads them back).
TEST(StudyRunner, KeptSamplesAreTheFirstSeedsAndMatchTheDatabase) {
    std::string text = kStudy;
    text.replace(text.find("generations = 4"), 15,
                 "generations = 4\nsample_generations = [1, -1]\nsample_points = 40");
    const StudyConfig study = parse_study(text, "samples.toml");
    RunOptions options;
    options.progress = false;
    const auto memory = run_study(study, options);
    // 3 settings x (generation 1: model; generation 4: model); no real set without generation 0.
    ASSERT_EQ(memory.samples.size(), 6u);
    for (std::size_t i = 0; i < memory.samples.size(); ++i) {
        const SampleRow& row = memory.samples[i];
        EXPECT_EQ(row.seed, 0u);
        EXPECT_EQ(row.generation, i % 2 == 0 ? 1 : 4);
        EXPECT_EQ(row.samples.kind, "model");
        EXPECT_EQ(row.samples.columns, 2u);
        EXPECT_EQ(row.samples.rows(), 40u);
    }
    EXPECT_EQ(memory.samples[0].setting, "replace");
    EXPECT_EQ(memory.samples[5].setting, "kde-biased");
    // The default: generations 0, 1 and the last (5 and 10 are beyond 4), plus the real points.
    const StudyConfig defaults = parse_study(kStudy, "defaults.toml");
    EXPECT_TRUE(keeps_samples(defaults, false, 0));
    EXPECT_TRUE(keeps_samples(defaults, false, 4));
    EXPECT_FALSE(keeps_samples(defaults, false, 2));
    EXPECT_TRUE(keeps_samples(defaults, true, 2));  // text keeps every generation

    const auto dir = std::filesystem::temp_directory_path() / "madlab_runner_samples_test";
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    {
        auto db = ResultsDb::open((dir / "r.sqlite").string(), ResultsDb::Mode::kReadWrite);
        const StudyIds ids = register_study(*db, study);
        const auto stored = run_study(study, options, db.get(), &ids);
        EXPECT_EQ(samples_file_json(stored.samples), samples_file_json(memory.samples));
        write_study_outputs(dir.string(), study, stored);
    }
    std::ifstream in(dir / "samples.json");
    const auto file = nlohmann::json::parse(in);
    ASSERT_EQ(file["samples"].size(), 6u);
    EXPECT_EQ(file["samples"][1]["generation"], 4);
    EXPECT_EQ(file["samples"][1]["points"].size(), 40u);
    std::filesystem::remove_all(dir);

    // The model samples are the first rows of what the metrics scored: generation 0's real
    // set comes with it when generation 0 is kept.
    const auto with_real = run_study(defaults, options);
    ASSERT_FALSE(with_real.samples.empty());
    EXPECT_EQ(with_real.samples[0].generation, 0);
    EXPECT_EQ(with_real.samples[0].samples.kind, "model");
    EXPECT_EQ(with_real.samples[1].samples.kind, "real");
    EXPECT_EQ(with_real.samples[1].samples.rows(), 300u);  // n_test = 300 < sample_points
}

TEST(StudyConfig, SampleKeysAreCheckedAndRoundTrip) {
    std::string text = kStudy;
    text.replace(text.find("generations = 4"), 15, "generations = 4\nsample_generations = [0, 7]");
    try {
        parse_study(text, "bad.toml");
        ADD_FAILURE() << "no error";
    } catch (const ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("study.sample_generations"), std::string::npos);
        EXPECT_NE(std::string(e.what()).find("contains 7"), std::string::npos);
    }
    text = kStudy;
    text.replace(text.find("generations = 4"), 15,
                 "generations = 4\nsample_generations = [2, -1]\nsample_lines = 3");
    const StudyConfig study = parse_study(text, "ok.toml");
    const StudyConfig back = parse_study(to_toml(study), "back.toml");
    EXPECT_EQ(back.sample_generations, (std::vector<int>{2, -1}));
    EXPECT_EQ(back.sample_lines, 3u);
    EXPECT_EQ(back.sample_points, 500u);
}

}  // namespace study_runner_test
}  // namespace madlab
