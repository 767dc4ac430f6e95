#pragma once
// Exact draws from a finite discrete distribution by inverse transform sampling: category i is
// drawn with probability w_i / sum(w), up to the rounding of the cumulative sums (DESIGN.md,
// "Determinism": madlab writes its own samplers over its fixed generator instead of
// std::discrete_distribution, whose output differs between standard libraries).
//
// One draw takes one Rng::uniform() value u in [0, 1) and returns the first i whose cumulative
// probability exceeds u (a binary search, O(log K)). A category of weight 0 is never drawn: its
// cumulative probability equals its predecessor's, and the cumulative probability of the last
// category of positive weight and of every category after it is exactly 1.

#include <cstddef>
#include <span>
#include <vector>

#include "madlab/core/rng.h"

namespace madlab {

class DiscreteSampler {
public:
    // weights: K >= 1 finite values >= 0 with a positive sum. Throws Error otherwise (callers
    // check user input and name the config key first).
    explicit DiscreteSampler(std::span<const double> weights);

    // One category index in [0, K).
    std::size_t draw(Rng& rng) const;

    std::size_t size() const { return cdf_.size(); }

private:
    std::vector<double> cdf_;  // cumulative probabilities, exactly 1 from the last positive on
};

}  // namespace madlab
