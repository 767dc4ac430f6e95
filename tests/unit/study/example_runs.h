#pragma once
// Helpers of the tests that run the examples (examples_test.cpp, neural_examples_test.cpp).

#include <map>
#include <string>
#include <utility>

#include "madlab/study/study_config.h"
#include "madlab/study/study_runner.h"

namespace madlab::testing_examples {

inline StudyConfig load_example(const std::string& name) {
    return load_study(std::string(MADLAB_SOURCE_DIR) + "/examples/" + name + ".toml");
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

}  // namespace madlab::testing_examples
