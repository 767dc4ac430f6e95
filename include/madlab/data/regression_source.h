#pragma once
// Supervised data for linear regression, after Gerstgrasser et al. 2024 ("Is Model Collapse
// Inevitable?", arXiv 2404.01413, section 3): a row is [x_1 .. x_d, y], the label last, with
//   x ~ N(0, I_d),  y = x . w* + eps,  eps ~ N(0, sigma^2)  independent of x.
// The linear-regression family (models/linear_regression.h) fits such rows and the regression
// metric (metrics/regression_metrics.h) scores the fit against w* through this class.

#include <cstddef>
#include <optional>
#include <string>

#include "madlab/core/matrix.h"
#include "madlab/core/rng.h"
#include "madlab/data/real_source.h"

namespace madlab {

// The linear-regression source (source.kind = "linear-regression"). dim() = d + 1.
//
// Sampling, per row: d standard normals for x (component order), then one standard normal z,
// y = x . w* + sigma z. draw_train and draw_test both draw fresh i.i.d. rows with the rng they
// are given.
//
// The row (x, y) is jointly Gaussian with mean 0 and covariance [[I, w*], [w*', |w*|^2 +
// sigma^2]]: gaussian() returns it, so the Gaussian closed forms of the metrics apply.
class RegressionSource final : public RealSource {
public:
    // The default true weights of d features: every entry 1 / sqrt(d), so |w*| = 1 and the
    // signal x . w* has variance 1 (the noise's at sigma = 1).
    static Vector default_weights(std::size_t d);

    // weights: w* (d >= 1 finite entries); noise: sigma, finite and >= 0 (0: exact labels).
    // Throws ConfigError naming source.weights or source.noise otherwise.
    RegressionSource(Vector weights, double noise);

    std::string describe() const override;  // "linear-regression (d = 10, sigma = 1)"
    std::size_t dim() const override { return static_cast<std::size_t>(weights_.size()) + 1; }
    Matrix draw_train(std::size_t n, Rng& rng) const override { return sample(n, rng); }
    Matrix draw_test(std::size_t n, Rng& rng) const override { return sample(n, rng); }
    std::optional<GaussianParams> gaussian() const override;
    // -log N(x; 0, I) - log N(y; x . w*, sigma^2), averaged over the rows; nullopt for sigma = 0
    // (no density) or no rows.
    std::optional<double> mean_nll(const Matrix& x) const override;

    // n i.i.d. rows [x, y].
    Matrix sample(std::size_t n, Rng& rng) const;

    std::size_t features() const { return static_cast<std::size_t>(weights_.size()); }
    const Vector& weights() const { return weights_; }  // w*
    double noise() const { return noise_; }             // sigma

private:
    Vector weights_;
    double noise_;
};

}  // namespace madlab
