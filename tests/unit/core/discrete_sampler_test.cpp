#include "madlab/core/discrete_sampler.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "madlab/core/error.h"

namespace madlab {
namespace {

// Frequencies of 200000 draws against w / sum(w): each within 4 binomial standard errors
// sqrt(p (1 - p) / n) (about one false alarm in 16000 per assertion); a weight of 0 is never
// drawn, wherever it is (first, inside, last).
TEST(DiscreteSampler, DrawsEachCategoryWithItsProbability) {
    const std::vector<double> weights = {0.0, 5.0, 0.0, 3.0, 2.0, 0.0};
    const DiscreteSampler sampler(weights);
    EXPECT_EQ(sampler.size(), 6u);
    Rng rng(17);
    const std::size_t n = 200000;
    std::vector<double> counts(weights.size(), 0.0);
    for (std::size_t i = 0; i < n; ++i) counts[sampler.draw(rng)] += 1.0;
    for (std::size_t k = 0; k < weights.size(); ++k) {
        const double p = weights[k] / 10.0;
        if (p == 0.0) {
            EXPECT_EQ(counts[k], 0.0) << "category " << k;
            continue;
        }
        EXPECT_NEAR(counts[k] / n, p, 4.0 * std::sqrt(p * (1 - p) / n)) << "category " << k;
    }
}

TEST(DiscreteSampler, OneCategoryAndTheSameStreamGiveTheSameDraws) {
    const DiscreteSampler one(std::vector<double>{0.0, 0.0, 7.0});
    Rng rng(1);
    for (int i = 0; i < 100; ++i) EXPECT_EQ(one.draw(rng), 2u);
    const DiscreteSampler s(std::vector<double>{0.2, 0.3, 0.5});
    Rng a(9), b(9);
    for (int i = 0; i < 100; ++i) EXPECT_EQ(s.draw(a), s.draw(b));
}

// Inverse transform: u in [0, 0.2) gives 0, [0.2, 0.5) gives 1, [0.5, 1) gives 2; the draw uses
// exactly one uniform, so a copy of the generator predicts it.
TEST(DiscreteSampler, IsTheInverseOfTheCumulativeDistribution) {
    const DiscreteSampler s(std::vector<double>{0.2, 0.3, 0.5});
    Rng rng(3);
    for (int i = 0; i < 1000; ++i) {
        Rng copy = rng;
        const double u = copy.uniform();
        const std::size_t expected = u < 0.2 ? 0 : u < 0.5 ? 1 : 2;
        EXPECT_EQ(s.draw(rng), expected) << "u = " << u;
        EXPECT_EQ(rng.state(), copy.state());
    }
}

TEST(DiscreteSampler, RejectsBadWeights) {
    EXPECT_THROW(DiscreteSampler(std::vector<double>{}), Error);
    EXPECT_THROW(DiscreteSampler(std::vector<double>{0.0, 0.0}), Error);
    EXPECT_THROW(DiscreteSampler(std::vector<double>{1.0, -0.1}), Error);
    EXPECT_THROW(DiscreteSampler(std::vector<double>{1.0, std::nan("")}), Error);
    EXPECT_THROW(DiscreteSampler(std::vector<double>{std::numeric_limits<double>::infinity()}),
                 Error);
}

}  // namespace
}  // namespace madlab
