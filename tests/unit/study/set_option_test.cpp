// `madlab run --set KEY=VALUE` (parse_study's `set`) and study.parameters, the parameter columns.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "madlab/core/error.h"
#include "madlab/study/resolved_config.h"
#include "madlab/study/study_config.h"

namespace madlab {
namespace {

const char* kSweep = R"([study]
name = "sweep"
seeds = 2
[schedule]
preset = "fresh-data"
n = 100
[sweep]
"schedule.n_real_fresh" = [0, 50]
"model.bias" = [1.0, 0.9]
)";

// The ConfigError message of parsing `text` with `set`, or "" if it parsed.
std::string error_of(const std::string& text, const std::vector<std::string>& set) {
    try {
        parse_study(text, "study.toml", set);
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "";
}

std::vector<std::string> names(const StudyConfig& study) {
    std::vector<std::string> out;
    for (const auto& s : study.settings) out.push_back(s.name);
    return out;
}

TEST(SetOption, ReplacesAndAddsKeysOfTheFile) {
    const StudyConfig s = parse_study(
        kSweep, "study.toml",
        {"study.seeds=3", "schedule.n=500", "metrics.n_eval=200", "study.name=\"quick run\""});
    EXPECT_EQ(s.seeds, 3);
    EXPECT_EQ(s.name, "quick run");
    ASSERT_EQ(s.settings.size(), 4u);
    for (const auto& setting : s.settings) {
        EXPECT_EQ(setting.config.n, 500u);
        EXPECT_EQ(setting.config.metrics.n_eval, 200u);
    }
    // The last --set of a key wins, as a later line of a file would.
    EXPECT_EQ(parse_study(kSweep, "f", {"study.seeds=3", "study.seeds=5"}).seeds, 5);
}

TEST(SetOption, AValueThatIsNotTomlIsAString) {
    // The shell drops the quotes of --set study.name="x" and of a path.
    EXPECT_EQ(parse_study(kSweep, "f", {"study.name=bare-word"}).name, "bare-word");
    EXPECT_EQ(parse_study("", "f", {"source.kind=csv", "source.path=data/points.csv"})
                  .settings[0]
                  .config.source.path,
              "data/points.csv");
}

TEST(SetOption, SweepAxesKeepTheirPlaceAndNewOnesComeLast) {
    const StudyConfig file = parse_study(kSweep, "f");
    EXPECT_EQ(names(file),
              (std::vector<std::string>{"n_real_fresh=0 bias=1.0", "n_real_fresh=0 bias=0.9",
                                        "n_real_fresh=50 bias=1.0", "n_real_fresh=50 bias=0.9"}));
    EXPECT_EQ(file.parameters, (std::vector<std::string>{"schedule.n_real_fresh", "model.bias"}));
    // Replacing the first axis keeps it first; a new axis is the last (varies fastest).
    const StudyConfig set =
        parse_study(kSweep, "f", {"sweep.schedule.n_real_fresh=[10]", "sweep.schedule.n=[80, 90]"});
    EXPECT_EQ(set.parameters,
              (std::vector<std::string>{"schedule.n_real_fresh", "model.bias", "schedule.n"}));
    EXPECT_EQ(names(set), (std::vector<std::string>{
                              "n_real_fresh=10 bias=1.0 n=80", "n_real_fresh=10 bias=1.0 n=90",
                              "n_real_fresh=10 bias=0.9 n=80", "n_real_fresh=10 bias=0.9 n=90"}));
    EXPECT_EQ(set.settings[3].config.n, 90u);
    EXPECT_EQ(set.settings[3].config.schedule.n_real_fresh, 10u);
}

TEST(SetOption, WrongKeysAndValuesAreReportedAtSet) {
    std::string e = error_of(kSweep, {"schedule.nn=5"});
    EXPECT_NE(e.find("--set: unknown key 'schedule.nn'"), std::string::npos) << e;
    EXPECT_NE(e.find("did you mean 'schedule.n'"), std::string::npos) << e;
    e = error_of(kSweep, {"schedule.n=\"many\""});
    EXPECT_NE(e.find("--set: schedule.n must be an integer"), std::string::npos) << e;
    e = error_of(kSweep, {"study.seeds=0"});
    EXPECT_NE(e.find("--set: study.seeds = 0 is out of range"), std::string::npos) << e;
    e = error_of(kSweep, {"model.bias=1.5"});
    EXPECT_NE(e.find("--set"), std::string::npos) << e;
    EXPECT_NE(e.find("model.bias"), std::string::npos) << e;
    for (const char* bad : {"schedule.n", "=5", "schedule.n="}) {
        e = error_of(kSweep, {bad});
        EXPECT_NE(e.find(std::string("--set ") + bad), std::string::npos) << e;
        EXPECT_NE(e.find("KEY=VALUE"), std::string::npos) << e;
    }
    e = error_of(kSweep, {"settings.name=x"});
    EXPECT_NE(e.find("[[settings]] cannot be changed with --set"), std::string::npos) << e;
    e = error_of(kSweep, {"schedule..n=5"});
    EXPECT_NE(e.find("is not a config key"), std::string::npos) << e;
    e = error_of(kSweep, {"schedule.n=5\nstudy.seeds=9"});
    EXPECT_NE(e.find("one line"), std::string::npos) << e;
}

TEST(SetOption, TheResolvedConfigHoldsTheOverridesAndParameters) {
    const StudyConfig s =
        parse_study(kSweep, "f", {"study.seeds=3", "schedule.n=500", "sweep.model.bias=[0.7]"});
    const std::string toml = to_toml(s);
    EXPECT_NE(toml.find("parameters = ['schedule.n_real_fresh', 'model.bias']"), std::string::npos)
        << toml;
    // config.toml lists the sweep's cells as [[settings]]; read back, it is the same study with
    // the same parameter columns.
    const StudyConfig back = parse_study(toml, "config.toml");
    EXPECT_EQ(back.seeds, 3);
    EXPECT_EQ(back.parameters, s.parameters);
    EXPECT_EQ(names(back), names(s));
    for (std::size_t i = 0; i < s.settings.size(); ++i) {
        EXPECT_EQ(back.settings[i].config.n, 500u);
        EXPECT_EQ(back.settings[i].config.model.bias, 0.7);
        EXPECT_EQ(back.settings[i].config.schedule.n_real_fresh,
                  s.settings[i].config.schedule.n_real_fresh);
    }
    EXPECT_EQ(to_toml(back), toml);
}

TEST(StudyParameters, NamedKeysAreCheckedAndKeptInOrder) {
    const char* settings = R"([study]
parameters = ["schedule.preset", "model.bias"]
[[settings]]
name = "a"
schedule.preset = "fresh-data"
[[settings]]
name = "b"
model.bias = 0.8
)";
    EXPECT_EQ(parse_study(settings, "f").parameters,
              (std::vector<std::string>{"schedule.preset", "model.bias"}));
    EXPECT_TRUE(parse_study(settings, "f", {}).explicit_settings);
    // No sweep, no parameters.
    EXPECT_TRUE(parse_study("[[settings]]\nname = \"a\"\n", "f").parameters.empty());
    std::string e = error_of("[study]\nparameters = [\"model.bais\"]\n", {});
    EXPECT_NE(e.find("study.toml line 2: study.parameters contains \"model.bais\""),
              std::string::npos)
        << e;
    EXPECT_NE(e.find("did you mean \"model.bias\""), std::string::npos) << e;
    e = error_of("[study]\nparameters = [\"study.seeds\"]\n", {});
    EXPECT_NE(e.find("not a key of [source], [model], [schedule] or [metrics]"), std::string::npos)
        << e;
    e = error_of("[study]\nparameters = [\"model.bias\", \"model.bias\"]\n", {});
    EXPECT_NE(e.find("twice"), std::string::npos) << e;
    e = error_of("[study]\nparameters = \"model.bias\"\n", {});
    EXPECT_NE(e.find("must be an array"), std::string::npos) << e;
    e = error_of("[study]\nparameters = [1]\n", {});
    EXPECT_NE(e.find("array of strings"), std::string::npos) << e;
}

}  // namespace
}  // namespace madlab
