#include "madlab/metrics/regression_metrics.h"

#include <fmt/format.h>

#include "madlab/core/error.h"
#include "madlab/data/regression_source.h"
#include "madlab/metrics/metric_registry.h"

namespace madlab {

MetricValues RegressionMetric::compute(const MetricInput& input) const {
    const auto* fit = dynamic_cast<const HasRegressionWeights*>(&input.model);
    if (fit == nullptr) return {};
    const Vector& w = fit->regression_weights();
    const double b = fit->regression_intercept();
    const Eigen::Index d = w.size();
    MetricValues values;
    if (const auto* source = dynamic_cast<const RegressionSource*>(input.source)) {
        if (source->weights().size() != d)
            throw DataError(fmt::format(
                "regression: the model has {} features but the linear-regression source has {}", d,
                source->weights().size()));
        values.emplace_back("test_error", (w - source->weights()).squaredNorm() + b * b);
    }
    const Matrix& test = input.real_test;
    if (test.cols() != d + 1)
        throw DataError(fmt::format(
            "regression: the held-out rows have {} columns but the model predicts the last of {}",
            test.cols(), d + 1));
    if (test.rows() > 0) {
        const Vector residual = (test.leftCols(d) * w).array() + b - test.col(d).array();
        values.emplace_back("test_mse", residual.squaredNorm() / static_cast<double>(test.rows()));
    }
    return values;
}

namespace {

const MetricRegistrar kRegressionMetric({
    .name = "regression",
    .help = "for linear-regression models: test_error, the squared distance of the fitted "
            "weights from a linear-regression source's true ones, and test_mse, the squared "
            "error on the held-out rows",
    .make = [](const Params&, int) { return std::unique_ptr<Metric>(new RegressionMetric()); },
});

}  // namespace
}  // namespace madlab
