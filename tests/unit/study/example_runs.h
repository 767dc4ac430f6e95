#pragma once
// Helpers of the tests that run the examples (examples_test.cpp, neural_examples_test.cpp).

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <utility>

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

}  // namespace madlab::testing_examples
