#include "madlab/metrics/likelihood.h"

#include <cmath>
#include <optional>

namespace madlab {

MetricValues NllMetric::compute(const MetricInput& input) const {
    const std::optional<double> nll = input.model.mean_nll(input.real_test);
    if (!nll || !std::isfinite(*nll)) return {};
    return {{"nll", *nll}};
}

}  // namespace madlab
