#include "madlab/study/memory_estimate.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "example_runs.h"
#include "madlab/core/error.h"

namespace madlab {
namespace {

using ::testing::HasSubstr;

// A laptop: the examples must fit in it.
constexpr double kLaptop = 16e9;

StudyConfig study_with(const std::string& extra) {
    return parse_study("[study]\nname = \"m\"\nseeds = 4\ngenerations = 10\n" + extra, "m.toml");
}

std::string refusal(const StudyConfig& study, double available = kLaptop, int threads = 2) {
    try {
        check_memory(study, threads, available);
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "";
}

TEST(MemoryEstimate, HugeSizesAreRefusedNamingTheKey) {
    const StudyConfig n = study_with("[schedule]\nn = 1000000000000\n");
    // 1e12 rows of 2 doubles and an origin: 20 TB per chain, two chains at once.
    EXPECT_GT(estimate_memory(n, 2).bytes, 4e13);
    EXPECT_THAT(refusal(n), HasSubstr("schedule.n (setting"));
    EXPECT_THAT(refusal(n), HasSubstr("TB of memory"));
    EXPECT_THAT(refusal(n), HasSubstr("lower schedule.n"));
    const StudyConfig eval = study_with("[metrics]\nn_eval = 1000000000000\n");
    EXPECT_THAT(refusal(eval), HasSubstr("metrics.n_eval"));
    // A 100000-dimensional Gaussian: reading the config builds no matrix, the estimate counts
    // its 80 GB covariance (three copies with the factors) and refuses it on a laptop.
    const StudyConfig dim =
        study_with("[source]\nkind = \"gaussian\"\ndim = 100000\n[model]\nfamily = \"gaussian\"\n");
    EXPECT_TRUE(dim.settings.front().config.source.covariance.empty());
    EXPECT_GE(estimate_memory(dim, 1).bytes, 3 * 8e10);
    EXPECT_THAT(refusal(dim), HasSubstr("source.dim"));
}

TEST(MemoryEstimate, EveryExampleFitsOnALaptop) {
    int count = 0;
    for (const auto& entry :
         std::filesystem::directory_iterator(std::string(MADLAB_SOURCE_DIR) + "/examples")) {
        if (entry.path().extension() != ".toml") continue;
        if (testing_examples::needs_missing_neural_families(entry.path())) continue;
        const StudyConfig study = load_study(entry.path().string());
        EXPECT_EQ(refusal(study, kLaptop, 2), "") << entry.path();
        ++count;
    }
    EXPECT_GE(count, 20);  // 23 without the neural examples
}

TEST(MemoryEstimate, ScalesWithTheLoopAndTheThreads) {
    const std::string gaussian = "[model]\nfamily = \"gaussian\"\n";
    const StudyConfig replace = study_with(gaussian + "[schedule]\nn = 100000\n");
    const StudyConfig accumulate =
        study_with(gaussian + "[schedule]\npreset = \"accumulate\"\nn = 100000\n");
    const auto training = [](const MemoryEstimate& e) {
        for (const MemoryTerm& t : e.terms)
            if (t.what.find("training set") != std::string::npos) return t.bytes;
        return 0.0;
    };
    // A 2-D row: 2 doubles and a 4-byte origin, and the fit's (1 component + 2) doubles.
    EXPECT_DOUBLE_EQ(training(estimate_memory(replace, 1)), 100000.0 * (20.0 + 24.0));
    // The accumulated pool holds generation 0's rows plus 10 generations of new ones: 11 times
    // the replace design's training set.
    EXPECT_DOUBLE_EQ(training(estimate_memory(accumulate, 1)), 11.0 * 100000.0 * 44.0);
    // Chains at once multiply the chain's terms, up to the number of chains (4 seeds).
    EXPECT_DOUBLE_EQ(training(estimate_memory(replace, 3)), 3.0 * 100000.0 * 44.0);
    EXPECT_DOUBLE_EQ(training(estimate_memory(replace, 16)), 4.0 * 100000.0 * 44.0);
    // And the refusal says so when they are the largest part.
    EXPECT_THAT(refusal(replace, 1e6, 3), HasSubstr("--threads"));
}

TEST(MemoryEstimate, FormatsBytes) {
    EXPECT_EQ(format_bytes(999), "999 B");
    EXPECT_EQ(format_bytes(1.5e9), "1.5 GB");
    EXPECT_EQ(format_bytes(8e10), "80 GB");
    EXPECT_EQ(format_bytes(2.4e14), "240 TB");
    EXPECT_GT(available_memory_bytes(), 1e8);  // any machine that builds madlab
}

}  // namespace
}  // namespace madlab
