#pragma once
// Parameter drift of a Gaussian model away from a Gaussian source: how the mean wanders and how
// the covariance shrinks over generations (Shumailov et al. 2024 show the variance of a refitted
// Gaussian collapsing; SCIENCE.md). Exact: computed from the parameters, not from samples.
// Under sampling bias lambda < 1 it still scores the fit N(mu, Sigma), not the sampled
// N(mu, lambda Sigma): the fit is what the loop carries from generation to generation (lambda
// acts through the training data it makes), and the sampled values follow from the recorded
// ones (cov_trace_ratio times lambda, cov_logdet_ratio plus d log lambda).

#include <string>

#include "madlab/core/matrix.h"
#include "madlab/metrics/metric.h"

namespace madlab {

// Natural log of the determinant of a symmetric positive semi-definite matrix, from its
// eigenvalues clamped below at kLogdetFloor = 1e-300, so that a singular (collapsed) covariance
// gives a large negative but finite value (-690.8 per zero eigenvalue) instead of -infinity.
inline constexpr double kLogdetFloor = 1e-300;
double clamped_logdet(const SquareMatrix& s);

// Metric "gaussian_drift", only for a model that implements HasGaussianParams when the source's
// Gaussian parameters are known (otherwise the result is empty):
//   mean_sq_err      = ||mu_model - mu_source||^2
//   cov_logdet_ratio = clamped_logdet(S_model) - clamped_logdet(S_source)  (natural log)
//   cov_trace_ratio  = tr(S_model) / tr(S_source), left out when tr(S_source) == 0.
// Throws DataError when the model's and the source's dimensions differ.
class GaussianDriftMetric : public Metric {
public:
    std::string name() const override { return "gaussian_drift"; }
    MetricValues compute(const MetricInput& input) const override;
};

}  // namespace madlab
