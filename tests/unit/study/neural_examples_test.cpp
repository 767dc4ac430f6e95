// The neural examples (examples/flow_bias.toml, mnist_vae.toml, fashion_mnist_vae.toml,
// shakespeare_gpt.toml) at reduced size: the same loops and networks, fewer seeds,
// generations and training steps, with the effects their comments report asserted. The full
// examples are not run in CI (minutes each); their comments hold the numbers of full runs.

#include <gtest/gtest.h>

#include <string>

#include "example_runs.h"

namespace madlab {
namespace {

using testing_examples::by_generation;
using testing_examples::load_example;
using testing_examples::run_quietly;

#ifdef MADLAB_HAVE_NEURAL

// examples/flow_bias.toml at 1 seed and 5 generations: under lambda = 0.5 recall collapses
// while precision stays at the top; unbiased sampling keeps both (the full run's generation-5
// means: recall 0.99 vs 0.12, precision 0.99 vs 1.00).
TEST(NeuralExamples, FlowBiasKeepsPrecisionAndLosesRecall) {
    StudyConfig study = load_example("flow_bias");
    study.seeds = 1;
    study.generations = 5;
    const StudyResult result = run_quietly(study);
    const auto recall = by_generation(result, "recall");
    const auto precision = by_generation(result, "precision");
    const auto nll = by_generation(result, "nll");
    // Generation 0 is the same fit of real data in every setting (same seed).
    EXPECT_EQ(nll.at({"lambda=1", 0}), nll.at({"lambda=0.5", 0}));
    // The flow fits the banana: its NLL is near the true entropy, 1.45 nats.
    EXPECT_LT(nll.at({"lambda=1", 0}), 1.6);
    EXPECT_GT(recall.at({"lambda=1", 5}), 0.9);
    EXPECT_LT(recall.at({"lambda=0.5", 5}), 0.5);
    EXPECT_LT(recall.at({"lambda=0.8", 5}), recall.at({"lambda=1", 5}));
    EXPECT_GE(precision.at({"lambda=0.5", 5}), precision.at({"lambda=1", 5}) - 0.01);
    EXPECT_GT(nll.at({"lambda=0.5", 5}), nll.at({"lambda=1", 5}));
}

#else

TEST(NeuralExamples, NeedTheNeuralLayer) { GTEST_SKIP() << "built with MADLAB_NEURAL=OFF"; }

#endif

}  // namespace
}  // namespace madlab
