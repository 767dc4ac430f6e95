#include "madlab/metrics/collapse.h"

#include <fmt/core.h>

#include <cmath>

#include "madlab/core/error.h"

namespace madlab {

namespace {

// Sum of the per-column variances (divide by n - 1; 0 for fewer than two rows).
double total_variance(const Matrix& x) {
    if (x.rows() < 2) return 0.0;
    const Eigen::RowVectorXd mean = x.colwise().mean();
    return (x.rowwise() - mean).squaredNorm() / static_cast<double>(x.rows() - 1);
}

}  // namespace

CollapseMetric::CollapseMetric(double ratio) : ratio_(ratio) {
    if (!(ratio > 0.0 && ratio < 1.0))
        throw ConfigError(fmt::format("metrics.collapse_ratio = {} must be in (0, 1)", ratio));
}

MetricValues CollapseMetric::compute(const MetricInput& input) const {
    const double fake = total_variance(input.samples);
    const double real = total_variance(input.real_test);
    if (!std::isfinite(fake)) return {{"collapsed", 1.0}};
    return {{"collapsed", fake < ratio_ * real ? 1.0 : 0.0}};
}

}  // namespace madlab
