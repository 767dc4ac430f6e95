#include "madlab/metrics/gaussian_drift.h"

#include <Eigen/Eigenvalues>
#include <cmath>
#include <string>
#include <vector>

#include "madlab/core/error.h"
#include "madlab/metrics/metric_registry.h"
#include "madlab/models/generative_model.h"

namespace madlab {

double clamped_logdet(const SquareMatrix& s) {
    // Fast path: a clearly positive-definite matrix has log det = 2 sum log L_jj. Pivots near
    // zero (relative to the diagonal) fall through to the eigenvalues, which clamp exactly.
    const Eigen::LLT<SquareMatrix> llt(s);
    if (llt.info() == Eigen::Success) {
        const auto& l = llt.matrixLLT();
        bool clear = true;
        for (Eigen::Index j = 0; j < s.rows() && clear; ++j)
            clear = l(j, j) * l(j, j) > 1e-8 * s(j, j) && l(j, j) * l(j, j) > kLogdetFloor;
        if (clear) return 2.0 * l.diagonal().array().log().sum();
    }
    const SquareMatrix sym = 0.5 * (s + s.transpose());
    const Eigen::SelfAdjointEigenSolver<SquareMatrix> eig(sym, Eigen::EigenvaluesOnly);
    return eig.eigenvalues().cwiseMax(kLogdetFloor).array().log().sum();
}

MetricValues GaussianDriftMetric::compute(const MetricInput& input) const {
    const auto* gaussian = dynamic_cast<const HasGaussianParams*>(&input.model);
    if (gaussian == nullptr || !input.source_gaussian) return {};
    const GaussianParams model = gaussian->gaussian_params();
    const GaussianParams& source = *input.source_gaussian;
    const Eigen::Index d = source.mean.size();
    if (model.mean.size() != d || model.covariance.rows() != d || model.covariance.cols() != d ||
        source.covariance.rows() != d || source.covariance.cols() != d)
        throw DataError("gaussian_drift: the model has dimension " +
                        std::to_string(model.mean.size()) + " but the source has " +
                        std::to_string(d));
    MetricValues out;
    out.emplace_back("mean_sq_err", (model.mean - source.mean).squaredNorm());
    out.emplace_back("cov_logdet_ratio",
                     clamped_logdet(model.covariance) - clamped_logdet(source.covariance));
    const double source_trace = source.covariance.trace();
    if (source_trace > 0.0)
        out.emplace_back("cov_trace_ratio", model.covariance.trace() / source_trace);
    // Values must be finite (metric.h); parameters with NaN give nothing rather than NaN.
    std::erase_if(out, [](const auto& v) { return !std::isfinite(v.second); });
    return out;
}

}  // namespace madlab

namespace madlab {
namespace {

const MetricRegistrar kGaussianDriftMetric({
    .name = "gaussian_drift",
    .help = "for one-Gaussian models and sources: the drift of the fitted mean and covariance "
            "from the source's",
    .make = [](const Params&, int) { return std::unique_ptr<Metric>(new GaussianDriftMetric()); },
});

}  // namespace
}  // namespace madlab
