// The linear-regression setting through the study layer: its source keys, its errors, the
// resolved config, and a study run end to end.

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "../test_support.h"
#include "config_error.h"
#include "madlab/core/error.h"
#include "madlab/data/regression_source.h"
#include "madlab/study/factory.h"
#include "madlab/study/resolved_config.h"
#include "madlab/study/study_config.h"
#include "madlab/study/study_runner.h"

using madlab::testing::config_error_of;
using madlab::testing::contains;

namespace madlab {
namespace {

const char* kBase = R"(
[source]
kind = "linear-regression"
[model]
family = "linear-regression"
[metrics]
list = ["regression"]
)";

TEST(RegressionStudy, SourceDefaultsAndKeys) {
    const StudyConfig defaults = parse_study(kBase, "a.toml");
    const SourceConfig& s = defaults.base.source;
    EXPECT_EQ(s.dim, 10);
    EXPECT_TRUE(s.weights.empty());
    EXPECT_EQ(s.noise, 1.0);
    EXPECT_EQ(defaults.base.model.params.get_string("noise"), "estimate");
    EXPECT_FALSE(defaults.base.model.params.get_bool("intercept"));
    const auto source = make_source(s);
    const auto& regression = dynamic_cast<const RegressionSource&>(*source);
    EXPECT_EQ(regression.dim(), 11u);
    EXPECT_EQ(regression.weights(), RegressionSource::default_weights(10));
    EXPECT_EQ(regression.noise(), 1.0);

    const StudyConfig given = parse_study(std::string(kBase) + R"(
[[settings]]
name = "x"
source.weights = [1.0, 2.0, 3.0]
source.noise = 0.5
model.noise = 0.5
model.intercept = true
)",
                                          "b.toml");
    const ChainConfig& c = given.settings[0].config;
    EXPECT_EQ(c.source.dim, 3);
    EXPECT_EQ(c.model.params.get_double("noise"), 0.5);
    EXPECT_TRUE(c.model.params.get_bool("intercept"));
    const auto built = make_source(c.source);
    const auto& r = dynamic_cast<const RegressionSource&>(*built);
    EXPECT_EQ(r.weights(), Eigen::Vector3d(1.0, 2.0, 3.0));
    EXPECT_EQ(r.noise(), 0.5);
}

TEST(RegressionStudy, BadKeysNameTheKeyAndTheFix) {
    const std::string base = kBase;
    std::string e = config_error_of(base + "[[settings]]\nname = \"x\"\nsource.noise = -1.0\n");
    EXPECT_TRUE(contains(e, "source.noise") && contains(e, ">= 0")) << e;
    e = config_error_of(base +
                        "[[settings]]\nname = \"x\"\nsource.dim = 2\nsource.weights = [1.0]\n");
    EXPECT_TRUE(contains(e, "source.weights") && contains(e, "source.dim = 2")) << e;
    e = config_error_of(base + "[[settings]]\nname = \"x\"\nmodel.noise = \"guess\"\n");
    EXPECT_TRUE(contains(e, "model.noise") && contains(e, "\"estimate\"")) << e;
    e = config_error_of(base + "[[settings]]\nname = \"x\"\nmodel.noise = -0.5\n");
    EXPECT_TRUE(contains(e, "model.noise") && contains(e, "out of range")) << e;
    e = config_error_of(base + "[[settings]]\nname = \"x\"\nmodel.intercept = 1\n");
    EXPECT_TRUE(contains(e, "model.intercept")) << e;
    // A key of another family.
    e = config_error_of(base + "[[settings]]\nname = \"x\"\nmodel.components = 3\n");
    EXPECT_TRUE(contains(e, "model.components") && contains(e, "does not apply")) << e;
}

TEST(RegressionStudy, ResolvedTomlReadsBackToTheSameStudy) {
    for (const std::string& extra :
         {std::string(), std::string("[[settings]]\nname = \"w\"\nsource.weights = [0.5, "
                                     "-1.0]\nsource.noise = 0.0\nmodel.noise = 2.0\n")}) {
        const StudyConfig first = parse_study(kBase + extra, "a.toml");
        const StudyConfig second = parse_study(to_toml(first), "b.toml");
        EXPECT_EQ(to_json(first), to_json(second)) << to_toml(first);
    }
}

// A study run end to end: every generation records test_error and test_mse; with sigma = 0 and
// more rows than features every fit is exact, so both are 0 up to rounding at every generation
// (the synthetic labels are exact too, model.noise being estimated as 0).
TEST(RegressionStudy, ExactLabelsGiveZeroErrorAtEveryGeneration) {
    StudyConfig study = parse_study(std::string(kBase) + R"(
[study]
seeds = 2
generations = 3
[schedule]
n = 30
[[settings]]
name = "replace"
source.dim = 4
source.noise = 0.0
[[settings]]
name = "accumulate"
source.dim = 4
source.noise = 0.0
schedule.preset = "accumulate"
)",
                                    "exact.toml");
    RunOptions options;
    options.progress = false;
    const StudyResult result = run_study(study, options);
    int seen = 0;
    for (const Record& r : result.records) {
        if (r.metric != "test_error" && r.metric != "test_mse") continue;
        EXPECT_LT(r.value, 1e-20) << r.setting << " " << r.metric << " gen " << r.generation;
        ++seen;
    }
    EXPECT_EQ(seen, 2 * 2 * 4 * 2);  // settings x seeds x generations x values
}

}  // namespace
}  // namespace madlab
