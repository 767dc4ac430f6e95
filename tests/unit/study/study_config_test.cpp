#include "madlab/study/study_config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "../test_support.h"
#include "config_error.h"
#include "example_runs.h"
#include "madlab/core/error.h"
#include "madlab/study/resolved_config.h"

using madlab::testing::config_error_of;
using madlab::testing::contains;

namespace madlab {
namespace {

// The ConfigError message of parsing `text`, or "" if it parsed.
TEST(StudyConfig, DefaultsWhenEmpty) {
    const StudyConfig s = parse_study("", "empty.toml");
    EXPECT_EQ(s.seeds, 10);
    EXPECT_EQ(s.generations, 20);
    ASSERT_EQ(s.settings.size(), 1u);
    EXPECT_EQ(s.settings[0].name, "fully-synthetic");
    EXPECT_EQ(s.base.source.kind, "grid25");
    EXPECT_EQ(s.base.model.family, "gmm");
    EXPECT_EQ(s.base.model.bias, 1.0);
    EXPECT_EQ(s.base.schedule.n_real_initial, 1000u);
    EXPECT_EQ(s.base.schedule.n_synthetic, 1000u);
    EXPECT_EQ(s.base.metrics.params.get_int("k"), 5);
}

TEST(StudyConfig, DefaultStudyHasTheFourDesigns) {
    const StudyConfig s = parse_study(default_study_toml(), "<default>");
    ASSERT_EQ(s.settings.size(), 4u);
    EXPECT_EQ(s.seeds, 10);
    EXPECT_EQ(s.generations, 20);
    EXPECT_EQ(s.base.model.params.get_int("components"), 25);
    const auto& aug = s.settings[1].config.schedule;
    EXPECT_EQ(s.settings[1].name, "synthetic-augmentation");
    EXPECT_EQ(aug.n_real_fixed, 2000u);
    EXPECT_EQ(aug.n_synthetic, 2000u);
    const auto& fresh = s.settings[2].config.schedule;
    EXPECT_EQ(fresh.n_real_fresh, 2000u);
    EXPECT_EQ(fresh.n_real_fixed, 0u);
    EXPECT_TRUE(s.settings[3].config.schedule.accumulate);
    EXPECT_FALSE(s.settings[0].config.schedule.accumulate);
}

TEST(StudyConfig, ExampleFileIsTheBuiltInDefault) {
    std::ifstream in(std::string(MADLAB_SOURCE_DIR) + "/examples/default.toml");
    ASSERT_TRUE(in) << "examples/default.toml is missing";
    std::stringstream text;
    text << in.rdbuf();
    EXPECT_EQ(text.str(), default_study_toml());
}

TEST(StudyConfig, ExplicitKeysOverrideThePreset) {
    const StudyConfig s = parse_study(R"(
[schedule]
preset = "fresh-data"
n = 500
n_real_fresh = 50
synthetic_from_last_k = 3
)",
                                      "s.toml");
    EXPECT_EQ(s.base.schedule.n_real_initial, 500u);
    EXPECT_EQ(s.base.schedule.n_synthetic, 500u);
    EXPECT_EQ(s.base.schedule.n_real_fresh, 50u);
    EXPECT_EQ(s.base.schedule.synthetic_from_last_k, 3);
}

TEST(StudyConfig, UnknownKeyNamesLineAndSuggests) {
    const std::string e = config_error_of("[model]\nfamily = \"gmm\"\nbais = 0.5\n");
    EXPECT_TRUE(contains(e, "study.toml line 3")) << e;
    EXPECT_TRUE(contains(e, "model.bais")) << e;
    EXPECT_TRUE(contains(e, "did you mean 'model.bias'")) << e;
    const std::string section = config_error_of("[modle]\nbias = 0.5\n");
    EXPECT_TRUE(contains(section, "did you mean 'model.bias'")) << section;
    const std::string wrong_section = config_error_of("[schedule]\nk = 3\n");
    EXPECT_TRUE(contains(wrong_section, "metrics.k")) << wrong_section;
}

TEST(StudyConfig, OutOfRangeAndWrongTypeNameTheKey) {
    std::string e = config_error_of("[model]\nbias = 1.5\n");
    EXPECT_TRUE(contains(e, "line 2")) << e;
    EXPECT_TRUE(contains(e, "model.bias = 1.5 is out of range")) << e;
    e = config_error_of("[model]\nbias = 0\n");
    EXPECT_TRUE(contains(e, "(0, 1]")) << e;
    e = config_error_of("[study]\nseeds = \"ten\"\n");
    EXPECT_TRUE(contains(e, "study.seeds must be an integer")) << e;
    e = config_error_of("[study]\nseeds = 0\n");
    EXPECT_TRUE(contains(e, "study.seeds = 0 is out of range")) << e;
    e = config_error_of("[schedule]\npreset = \"fully-synth\"\n");
    EXPECT_TRUE(contains(e, "fully-synthetic")) << e;
    e = config_error_of("[model]\nfamily = \"kde\"\ncomponents = 3\n");
    EXPECT_TRUE(contains(e, "model.components does not apply")) << e;
    e = config_error_of("[schedule]\nn = 100\nn_real_fixed = 200\n");
    EXPECT_TRUE(contains(e, "n_real_fixed")) << e;
    e = config_error_of("[schedule]\nsubsample = 10\n");
    EXPECT_TRUE(contains(e, "accumulate")) << e;
    e = config_error_of("[source]\nkind = \"csv\"\n");
    EXPECT_TRUE(contains(e, "source.path is required")) << e;
    e = config_error_of("[metrics]\nn_eval = 4\n");
    EXPECT_TRUE(contains(e, "metrics.k")) << e;
    e = config_error_of("[source]\nkind = \"gaussian\"\ndim = 2\nmean = [1.0, 2.0, 3.0]\n");
    EXPECT_TRUE(contains(e, "source.mean has 3 entries")) << e;
    // The python family lives in the Python package; the library alone says where to find it.
    e = config_error_of("[model]\nfamily = \"python\"\n");
    EXPECT_TRUE(contains(e, "line 2")) << e;
    EXPECT_TRUE(contains(e, "madlab.run(config, models=...)")) << e;
}

TEST(StudyConfig, TomlSyntaxErrorNamesLineAndColumn) {
    const std::string e = config_error_of("[study]\nseeds = = 3\n");
    EXPECT_TRUE(contains(e, "study.toml line 2")) << e;
}

TEST(StudyConfig, SettingsOverrideTheBase) {
    const StudyConfig s = parse_study(R"(
[model]
family = "gmm"
components = 4
[[settings]]
name = "a"
[[settings]]
name = "b"
model.bias = 0.5
"schedule.preset" = "accumulate"
[[settings]]
name = "c"
model = { family = "kde", bandwidth = 0.3 }
)",
                                      "s.toml");
    ASSERT_EQ(s.settings.size(), 3u);
    EXPECT_EQ(s.settings[0].config.model.bias, 1.0);
    EXPECT_EQ(s.settings[1].config.model.bias, 0.5);
    EXPECT_EQ(s.settings[1].config.model.params.get_int("components"), 4);
    EXPECT_TRUE(s.settings[1].config.schedule.accumulate);
    EXPECT_EQ(s.settings[2].config.model.family, "kde");
    EXPECT_EQ(s.settings[2].config.model.params.get_double("bandwidth"), 0.3);
}

TEST(StudyConfig, SettingErrorsNameTheSetting) {
    std::string e = config_error_of("[[settings]]\nname = \"x\"\nmodel.bais = 0.5\n");
    EXPECT_TRUE(contains(e, "line 3")) << e;
    EXPECT_TRUE(contains(e, "setting \"x\"")) << e;
    e = config_error_of("[[settings]]\nname = \"x\"\nstudy.seeds = 3\n");
    EXPECT_TRUE(contains(e, "cannot be set per setting")) << e;
    e = config_error_of("[[settings]]\nmodel.bias = 0.5\n");
    EXPECT_TRUE(contains(e, "needs a name")) << e;
    e = config_error_of("[[settings]]\nname = \"x\"\n[[settings]]\nname = \"x\"\n");
    EXPECT_TRUE(contains(e, "used twice")) << e;
}

TEST(StudyConfig, ResolvedTomlReadsBackToTheSameStudy) {
    for (const std::string& text : {default_study_toml(), std::string(R"(
[study]
name = "round \"trip\""
seeds = 3
[source]
kind = "gaussian"
dim = 2
mean = [1.0, -2.5]
covariance = [[2.0, 0.5], [0.5, 1.0]]
[model]
family = "gaussian"
estimator = "unbiased"
[[settings]]
name = "kde"
model = { family = "kde", bandwidth = "silverman" }
[[settings]]
name = "biased"
model.bias = 0.25
)")}) {
        const StudyConfig first = parse_study(text, "a.toml");
        const StudyConfig second = parse_study(to_toml(first), "b.toml");
        EXPECT_EQ(to_json(first), to_json(second)) << to_toml(first);
    }
}

}  // namespace
}  // namespace madlab

namespace madlab {
namespace {

TEST(StudyConfig, EveryExampleParses) {
    int count = 0;
    for (const auto& entry :
         std::filesystem::directory_iterator(std::string(MADLAB_SOURCE_DIR) + "/examples")) {
        if (entry.path().extension() != ".toml") continue;
        if (testing_examples::needs_missing_neural_families(entry.path())) continue;
        EXPECT_NO_THROW(load_study(entry.path().string())) << entry.path();
        ++count;
    }
    EXPECT_GE(count, 5);
}

}  // namespace
}  // namespace madlab

namespace madlab {
namespace {

TEST(StudySweep, CartesianGridTimesNamedSettings) {
    const StudyConfig s = parse_study(R"(
[schedule]
preset = "fresh-data"
n = 100
[sweep]
"schedule.n_real_fresh" = [0, 10, 50]
"model.bias" = [1.0, 0.5]
[[settings]]
name = "gmm"
[[settings]]
name = "kde"
model = { family = "kde" }
)",
                                      "sweep.toml");
    ASSERT_EQ(s.settings.size(), 12u);
    // Axes in written order; the last axis varies fastest.
    EXPECT_EQ(s.settings[0].name, "gmm n_real_fresh=0 bias=1.0");
    EXPECT_EQ(s.settings[1].name, "gmm n_real_fresh=0 bias=0.5");
    EXPECT_EQ(s.settings[2].name, "gmm n_real_fresh=10 bias=1.0");
    EXPECT_EQ(s.settings[1].label, "gmm: schedule.n_real_fresh=0, model.bias=0.5");
    EXPECT_EQ(s.settings[5].config.schedule.n_real_fresh, 50u);
    EXPECT_EQ(s.settings[5].config.model.bias, 0.5);
    EXPECT_EQ(s.settings[6].config.model.family, "kde");
    EXPECT_EQ(s.settings[6].config.schedule.n_real_fresh, 0u);
}

TEST(StudySweep, WithoutNamedSettingsNamesAreTheValues) {
    const StudyConfig s = parse_study("[sweep]\n\"model.bias\" = [0.9, 0.7]\n", "s.toml");
    ASSERT_EQ(s.settings.size(), 2u);
    EXPECT_EQ(s.settings[0].name, "bias=0.9");
    EXPECT_EQ(s.settings[1].config.model.bias, 0.7);
}

TEST(StudySweep, BadSweepsAreErrorsWithLines) {
    EXPECT_TRUE(contains(config_error_of("[sweep]\n\"model.bias\" = 0.5\n"), "non-empty array"));
    EXPECT_TRUE(contains(config_error_of("[sweep]\n\"model.bias\" = []\n"), "line 2"));
    const std::string e = config_error_of("[sweep]\n\"model.bais\" = [0.5]\n");
    EXPECT_TRUE(contains(e, "line 2")) << e;
    EXPECT_TRUE(contains(e, "model.bias")) << e;
    EXPECT_TRUE(contains(config_error_of("[sweep]\n\"model.bias\" = [1.5]\n"), "out of range"));
    EXPECT_TRUE(
        contains(config_error_of("[sweep]\n\"study.seeds\" = [1, 2]\n"), "cannot be swept"));
}

TEST(StudySweep, ResolvedTomlReadsBackToTheSameSettings) {
    const StudyConfig first = parse_study(
        "[sweep]\n\"schedule.n_real_fresh\" = [0, 20]\n\"model.bias\" = [1.0, 0.8]\n", "a.toml");
    const StudyConfig second = parse_study(to_toml(first), "b.toml");
    EXPECT_EQ(to_json(first), to_json(second)) << to_toml(first);
}

}  // namespace
}  // namespace madlab

namespace madlab {
namespace {

TEST(StudyConfigText, TextSourcesPairWithTheNgramFamily) {
    const StudyConfig s = parse_study(R"(
[source]
kind = "text"
path = "corpus.txt"
tokens = "char"
held_out_every = 10
[model]
family = "ngram"
order = 4
discount_fallback = true
top_k = 40
top_p = 0.95
[metrics]
token_budget = 500
)",
                                      "text.toml");
    EXPECT_EQ(s.base.source.tokens, "char");
    EXPECT_EQ(s.base.source.held_out_every, 10u);
    EXPECT_EQ(s.base.model.params.get_int("order"), 4);
    EXPECT_TRUE(s.base.model.params.get_bool("discount_fallback"));
    EXPECT_EQ(s.base.metrics.token_budget, 500u);
    EXPECT_EQ(s.base.model.params.get_int("top_k"), 40);
    EXPECT_EQ(s.base.model.params.get_double("top_p"), 0.95);
    const StudyConfig again = parse_study(to_toml(s), "again.toml");
    EXPECT_EQ(to_json(s), to_json(again));
    EXPECT_EQ(again.base.model.params.get_int("top_k"), 40);

    std::string e = config_error_of("[source]\nkind = \"text\"\npath = \"x.txt\"\n");
    EXPECT_TRUE(contains(e, "model.family = \"gmm\" cannot model text")) << e;
    e = config_error_of("[model]\nfamily = \"ngram\"\n");
    EXPECT_TRUE(contains(e, "needs source.kind = \"text\"")) << e;
    e = config_error_of("[source]\nkind = \"text\"\n[model]\nfamily = \"ngram\"\n");
    EXPECT_TRUE(contains(e, "source.path is required")) << e;
    e = config_error_of(
        "[source]\nkind = \"text\"\npath = \"x\"\n[model]\nfamily = \"ngram\"\norder = 7\n");
    EXPECT_TRUE(contains(e, "model.order = 7 is out of range")) << e;
    e = config_error_of(
        "[source]\nkind = \"text\"\npath = \"x\"\n[model]\nfamily = \"ngram\"\ntop_p = 0\n");
    EXPECT_TRUE(contains(e, "model.top_p")) << e;
    e = config_error_of(
        "[source]\nkind = \"text\"\npath = \"x\"\n[model]\nfamily = \"ngram\"\ntop_k = -1\n");
    EXPECT_TRUE(contains(e, "model.top_k")) << e;
    e = config_error_of("[model]\nfamily = \"gmm\"\ntop_k = 5\n");
    EXPECT_TRUE(contains(e, "model.top_k")) << e;
    e = config_error_of(
        "[source]\nkind = \"text\"\npath = \"x\"\n[model]\nfamily = \"ngram\"\n"
        "[metrics]\nlist = [\"prdc\"]\n");
    EXPECT_TRUE(contains(e, "metrics.list applies to continuous data")) << e;
}

}  // namespace
}  // namespace madlab

namespace madlab {
namespace {

// Review findings: each of these once failed to read back the same study.
TEST(StudyConfigRoundTrip, SingleNamedSettingKeepsItsName) {
    const StudyConfig s = parse_study("[[settings]]\nname = \"foo\"\n", "a.toml");
    const StudyConfig again = parse_study(to_toml(s), "b.toml");
    ASSERT_EQ(again.settings.size(), 1u);
    EXPECT_EQ(again.settings[0].name, "foo");
}

TEST(StudyConfigRoundTrip, ChangingKindOrFamilyStartsFromItsDefaults) {
    const StudyConfig s = parse_study(R"(
[source]
kind = "csv"
path = "d.csv"
test_fraction = 0.5
split_seed = 7
[model]
family = "gaussian"
reg_covar = 0.5
bias = 0.9
[[settings]]
name = "text"
source = { kind = "text", path = "t.txt" }
model = { family = "ngram" }
[[settings]]
name = "gmm"
model.family = "gmm"
[[settings]]
name = "gaussian-again"
model = { family = "gmm", reg_covar = 0.5 }
)",
                                      "a.toml");
    EXPECT_EQ(s.settings[0].config.source.test_fraction, 0.0);  // every 20th line, not 50%
    EXPECT_EQ(s.settings[0].config.source.held_out_every, 20u);
    EXPECT_EQ(s.settings[1].config.model.params.get_double("reg_covar"), 1e-6);  // gmm's default
    EXPECT_EQ(s.settings[1].config.model.bias, 0.9);                             // bias is kept
    EXPECT_EQ(s.settings[2].config.model.params.get_double("reg_covar"), 0.5);
    const StudyConfig again = parse_study(to_toml(s), "b.toml");
    EXPECT_EQ(to_json(s), to_json(again)) << to_toml(s);
}

TEST(StudyConfigRoundTrip, SweepLabelsSurviveAndInlineAxesKeepTheirOrder) {
    const StudyConfig s =
        parse_study("sweep = { \"schedule.n\" = [10, 20], \"model.bias\" = [0.5, 1.0] }\n", "a");
    ASSERT_EQ(s.settings.size(), 4u);
    EXPECT_EQ(s.settings[0].name, "n=10 bias=0.5");
    const StudyConfig again = parse_study(to_toml(s), "b.toml");
    for (std::size_t i = 0; i < s.settings.size(); ++i)
        EXPECT_EQ(again.settings[i].label, s.settings[i].label);
}

TEST(StudyConfigRoundTrip, AKnownKeyOfAnotherKindSaysSo) {
    const std::string e = config_error_of("[source]\nkind = \"grid25\"\ndim = 3\n");
    EXPECT_TRUE(contains(e, "source.dim does not apply here")) << e;
    EXPECT_FALSE(contains(e, "did you mean 'source.dim'")) << e;
}

}  // namespace
}  // namespace madlab
