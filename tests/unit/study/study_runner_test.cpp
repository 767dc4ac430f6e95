#include "madlab/study/study_runner.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "madlab/store/record_files.h"

namespace madlab {
namespace {

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

}  // namespace
}  // namespace madlab

namespace madlab {
namespace {

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

}  // namespace
}  // namespace madlab
