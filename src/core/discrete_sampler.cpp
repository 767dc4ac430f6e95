#include "madlab/core/discrete_sampler.h"

#include <algorithm>
#include <cmath>

#include "madlab/core/error.h"

namespace madlab {

DiscreteSampler::DiscreteSampler(std::span<const double> weights) {
    if (weights.empty()) throw Error("DiscreteSampler: no categories");
    double total = 0.0;
    std::size_t last_positive = 0;
    for (std::size_t i = 0; i < weights.size(); ++i) {
        if (!(weights[i] >= 0.0) || !std::isfinite(weights[i]))
            throw Error("DiscreteSampler: a weight is negative or not finite");
        total += weights[i];
        if (weights[i] > 0.0) last_positive = i;
    }
    if (!(total > 0.0)) throw Error("DiscreteSampler: the weights sum to 0");
    cdf_.resize(weights.size());
    double running = 0.0;
    for (std::size_t i = 0; i < weights.size(); ++i) {
        running += weights[i];
        cdf_[i] = i >= last_positive ? 1.0 : running / total;
    }
}

std::size_t DiscreteSampler::draw(Rng& rng) const {
    const double u = rng.uniform();
    const auto it = std::upper_bound(cdf_.begin(), cdf_.end(), u);
    // u < 1 = the last entry, so `it` is never end(); the guard keeps that an invariant.
    return std::min(static_cast<std::size_t>(it - cdf_.begin()), cdf_.size() - 1);
}

}  // namespace madlab
