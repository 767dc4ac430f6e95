// The categorical sources and family in a study: the keys are read and checked, model.categories
// is filled in from the source, config.toml writes them back, and a run records the categorical
// metric.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "madlab/core/error.h"
#include "madlab/data/categorical_source.h"
#include "madlab/study/factory.h"
#include "madlab/study/memory_estimate.h"
#include "madlab/study/resolved_config.h"
#include "madlab/study/study_config.h"
#include "madlab/study/study_runner.h"

namespace madlab {
namespace {

using ::testing::HasSubstr;

std::string study(const std::string& source, const std::string& model = "") {
    return "[study]\nname = \"cat\"\nseeds = 2\ngenerations = 3\n[source]\n" + source +
           "\n[model]\nfamily = \"categorical\"\n" + model +
           "\n[schedule]\nn = 50\n[metrics]\nlist = [\"categorical\"]\nn_eval = 10\n";
}

std::string cat_config_error_of(const std::string& toml) {
    try {
        parse_study(toml, "cat.toml");
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "(no error)";
}

TEST(CategoricalStudy, ModelCategoriesComesFromTheSource) {
    StudyConfig s =
        parse_study(study("kind = \"zipf\"\ncategories = 40\nzipf_exponent = 1.5"), "cat.toml");
    EXPECT_EQ(s.base.source.category_count(), 40u);
    EXPECT_EQ(s.base.model.params.get_int("categories"), 40);
    EXPECT_EQ(s.base.source.zipf_exponent, 1.5);
    s = parse_study(study("kind = \"categorical\"\nprobabilities = [3, 1, 0, 1]"), "cat.toml");
    EXPECT_EQ(s.base.model.params.get_int("categories"), 4);
    // Defaults: zipf K = 1000, beta = 1; an explicit K at least the source's is kept.
    s = parse_study(study("kind = \"zipf\"", "categories = 1200\ntop_k = 10"), "cat.toml");
    EXPECT_EQ(s.base.source.categories, 1000u);
    EXPECT_EQ(s.base.source.zipf_exponent, 1.0);
    EXPECT_EQ(s.base.model.params.get_int("categories"), 1200);
    EXPECT_EQ(s.base.model.params.get_int("top_k"), 10);
    // Written back and read again: the same study.
    const std::string toml = to_toml(s);
    EXPECT_THAT(toml, HasSubstr("zipf_exponent = 1.0"));
    EXPECT_EQ(to_json(parse_study(toml, "again.toml")), to_json(s));
}

TEST(CategoricalStudy, SweepsOverTheSourcesKFillEachSetting) {
    const StudyConfig s = parse_study(
        study("kind = \"zipf\"") + "[sweep]\n\"source.categories\" = [10, 20]\n", "cat.toml");
    ASSERT_EQ(s.settings.size(), 2u);
    EXPECT_EQ(s.settings[0].config.model.params.get_int("categories"), 10);
    EXPECT_EQ(s.settings[1].config.model.params.get_int("categories"), 20);
    EXPECT_EQ(to_json(parse_study(to_toml(s), "again.toml")), to_json(s));
}

TEST(CategoricalStudy, BadKeysAreConfigErrors) {
    EXPECT_THAT(cat_config_error_of(study("kind = \"categorical\"")),
                HasSubstr("source.probabilities is required when source.kind = \"categorical\""));
    EXPECT_THAT(cat_config_error_of(study("kind = \"categorical\"\nprobabilities = [0.5, -0.5]")),
                HasSubstr("source.probabilities entry 1 (counting from 0) is -0.5"));
    EXPECT_THAT(cat_config_error_of(study("kind = \"categorical\"\nprobabilities = [0, 0]")),
                HasSubstr("source.probabilities sum to 0"));
    EXPECT_THAT(cat_config_error_of(study("kind = \"categorical\"\nprobabilities = []")),
                HasSubstr("source.probabilities is empty"));
    EXPECT_THAT(cat_config_error_of(study("kind = \"zipf\"\ncategories = 0")),
                HasSubstr("source.categories = 0 is out of range"));
    EXPECT_THAT(cat_config_error_of(study("kind = \"zipf\"\nzipf_exponent = -1")),
                HasSubstr("source.zipf_exponent = -1 is out of range"));
    EXPECT_THAT(cat_config_error_of(study("kind = \"words\"")),
                HasSubstr("source.path is required when source.kind = \"words\""));
    EXPECT_THAT(cat_config_error_of(study("kind = \"zipf\"\ncategories = 50", "categories = 10")),
                HasSubstr("model.categories = 10 is below the source's 50 categories"));
    EXPECT_THAT(cat_config_error_of(study("kind = \"grid25\"")),
                HasSubstr("model.family = \"categorical\" models category indices, but "
                          "source.kind = \"grid25\" is not categorical data"));
    EXPECT_THAT(cat_config_error_of(study("kind = \"zipf\"\nprobabilities = [1, 2]")),
                HasSubstr("source.probabilities does not apply here"));
    EXPECT_THAT(cat_config_error_of(study("kind = \"zipf\"", "smoothing = -1")),
                HasSubstr("model.smoothing = -1 is out of range"));
}

TEST(CategoricalStudy, FactoryBuildsEachSource) {
    StudyConfig s =
        parse_study(study("kind = \"zipf\"\ncategories = 4\nzipf_exponent = 1"), "cat.toml");
    auto source = make_source(s.base.source);
    const auto* categorical = dynamic_cast<const CategoricalSource*>(source.get());
    ASSERT_NE(categorical, nullptr);
    EXPECT_NEAR(categorical->probabilities()[0], 12.0 / 25, 1e-15);
    const std::string dir =
        std::filesystem::temp_directory_path() / ("madlab-words-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    { std::ofstream(dir + "/w.txt") << "the cat the dog the end\n"; }
    s = parse_study(study("kind = \"words\"\npath = \"" + dir + "/w.txt\"\ncategories = 2"),
                    "cat.toml");
    EXPECT_EQ(s.base.model.params.get_int("categories"), 2);
    source = make_source(s.base.source);
    categorical = dynamic_cast<const CategoricalSource*>(source.get());
    ASSERT_NE(categorical, nullptr);
    EXPECT_EQ(categorical->labels()[0], "the");
    EXPECT_DOUBLE_EQ(categorical->probabilities()[0], 0.75);
    std::filesystem::remove_all(dir);
    // The memory estimate counts one number per point.
    EXPECT_GT(estimate_memory(s, 1).bytes, 0.0);
}

// A run records the categorical metric every generation; under replace categories_kept never
// rises (zero is absorbing) and lost_mass never falls.
TEST(CategoricalStudy, RunRecordsTheMetric) {
    const StudyConfig s =
        parse_study(study("kind = \"zipf\"\ncategories = 30\nzipf_exponent = 1.2"), "cat.toml");
    RunOptions options;
    options.progress = false;
    const StudyResult result = run_study(s, options);
    std::map<std::uint64_t, std::vector<double>> kept, lost;
    for (const Record& r : result.records) {
        if (r.metric == "categories_kept") kept[r.seed].push_back(r.value);
        if (r.metric == "lost_mass") lost[r.seed].push_back(r.value);
    }
    ASSERT_EQ(kept.size(), 2u);
    for (const auto& [seed, k] : kept) {
        ASSERT_EQ(k.size(), 4u);
        for (std::size_t g = 1; g < k.size(); ++g) {
            EXPECT_LE(k[g], k[g - 1]);
            EXPECT_GE(lost[seed][g], lost[seed][g - 1]);
        }
    }
}

}  // namespace
}  // namespace madlab
