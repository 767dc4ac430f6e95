#pragma once
// Helpers of the tests that run the examples (examples_test.cpp, neural_examples_test.cpp).

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "madlab/study/study_config.h"
#include "madlab/study/study_runner.h"

namespace madlab::testing_examples {

inline StudyConfig load_example(const std::string& name) {
    return load_study(std::string(MADLAB_SOURCE_DIR) + "/examples/" + name + ".toml");
}

// Whether an example needs what this build lacks: the neural families (model.family "vae",
// "flow" or "gpt") and LeNet features, which a build without LibTorch (MADLAB_NEURAL=OFF, such as
// scripts/sanitize.sh's) does not have. The tests that read every example leave those out there.
inline bool needs_missing_neural_families(const std::filesystem::path& example) {
#ifdef MADLAB_HAVE_NEURAL
    (void)example;
    return false;
#else
    std::ifstream in(example);
    std::stringstream text;
    text << in.rdbuf();
    // A key line (not a comment) that names one of them.
    static const std::regex neural(
        R"re((^|\n)[ \t]*((model\.)?family[ \t]*=[ \t]*"(vae|flow|gpt)"|)re"
        R"re((metrics\.)?features[ \t]*=[ \t]*"lenet"))re");
    return std::regex_search(text.str(), neural);
#endif
}

// On all cores, without progress output.
inline StudyResult run_quietly(const StudyConfig& study) {
    RunOptions options;
    options.threads = 0;
    options.progress = false;
    return run_study(study, options);
}

// values[{setting, generation}] of one metric (studies of one seed).
inline std::map<std::pair<std::string, int>, double> by_generation(const StudyResult& result,
                                                                   const std::string& metric) {
    std::map<std::pair<std::string, int>, double> out;
    for (const Record& r : result.records)
        if (r.metric == metric) out[{r.setting, r.generation}] = r.value;
    return out;
}

// The summary row of (setting, metric, generation) in `result`, or nullptr.
inline const SummaryRow* summary_row(const StudyResult& result, const std::string& setting,
                                     const std::string& metric, int generation) {
    for (const SummaryRow& r : result.summary)
        if (r.setting == setting && r.metric == metric && r.generation == generation) return &r;
    return nullptr;
}

// A number that an example's comment quotes from its own run: the summary's `field` ("mean",
// "median", "ci95_low" or "ci95_high") of (setting, metric, generation), as printed there
// ("0.90", "2.8e-10").
struct QuotedValue {
    std::string setting;
    std::string metric;
    int generation;
    std::string field;
    std::string printed;
};

// Expects every quoted value to be what `result` holds, rounded as printed: within half a unit of
// the last printed digit (the runs are deterministic, so this is exact, not statistical).
inline void expect_quoted(const StudyResult& result, const std::vector<QuotedValue>& quoted) {
    for (const QuotedValue& q : quoted) {
        const SummaryRow* row = summary_row(result, q.setting, q.metric, q.generation);
        ASSERT_NE(row, nullptr) << q.setting << " " << q.metric << " " << q.generation;
        const std::map<std::string, double> fields = {{"mean", row->mean},
                                                      {"median", row->median},
                                                      {"ci95_low", row->ci95_low},
                                                      {"ci95_high", row->ci95_high}};
        const double value = fields.at(q.field);
        // The unit of the last printed digit: 10^-(digits after the point) x 10^exponent.
        const auto e = q.printed.find('e');
        const std::string mantissa = q.printed.substr(0, e);
        const auto point = mantissa.find('.');
        const int decimals =
            point == std::string::npos ? 0 : static_cast<int>(mantissa.size() - point - 1);
        const int exponent = e == std::string::npos ? 0 : std::stoi(q.printed.substr(e + 1));
        const double unit = std::pow(10.0, exponent - decimals);
        EXPECT_NEAR(value, std::stod(q.printed), 0.5 * unit * (1 + 1e-9))
            << "the comment quotes " << q.field << " " << q.printed << " for " << q.setting << " "
            << q.metric << " at generation " << q.generation << "; the run gives " << value;
    }
}

}  // namespace madlab::testing_examples
