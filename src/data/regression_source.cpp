#include "madlab/data/regression_source.h"

#include <fmt/format.h>

#include <cmath>
#include <numbers>

#include "madlab/core/error.h"

namespace madlab {

Vector RegressionSource::default_weights(std::size_t d) {
    return Vector::Constant(static_cast<Eigen::Index>(d), 1.0 / std::sqrt(static_cast<double>(d)));
}

RegressionSource::RegressionSource(Vector weights, double noise)
    : weights_(std::move(weights)), noise_(noise) {
    if (weights_.size() == 0)
        throw ConfigError(
            "source.weights is empty: give the true weights w* as a list of d numbers (or leave "
            "it out for the default 1/sqrt(d) each)");
    if (!weights_.allFinite())
        throw ConfigError("source.weights has a value that is not a finite number");
    if (!std::isfinite(noise_) || noise_ < 0.0)
        throw ConfigError(fmt::format(
            "source.noise = {} is not valid: the label noise sigma must be a finite number >= 0",
            noise_));
}

std::string RegressionSource::describe() const {
    return fmt::format("linear-regression (d = {}, sigma = {})", features(), noise_);
}

Matrix RegressionSource::sample(std::size_t n, Rng& rng) const {
    const Eigen::Index d = weights_.size();
    Matrix out(static_cast<Eigen::Index>(n), d + 1);
    for (Eigen::Index i = 0; i < out.rows(); ++i) {
        double signal = 0.0;
        for (Eigen::Index j = 0; j < d; ++j) {
            const double x = rng.normal();
            out(i, j) = x;
            signal += x * weights_(j);
        }
        out(i, d) = signal + noise_ * rng.normal();
    }
    return out;
}

std::optional<GaussianParams> RegressionSource::gaussian() const {
    const Eigen::Index d = weights_.size();
    GaussianParams p{Vector::Zero(d + 1), SquareMatrix::Identity(d + 1, d + 1)};
    p.covariance.block(0, d, d, 1) = weights_;
    p.covariance.block(d, 0, 1, d) = weights_.transpose();
    p.covariance(d, d) = weights_.squaredNorm() + noise_ * noise_;
    return p;
}

std::optional<double> RegressionSource::mean_nll(const Matrix& x) const {
    if (!(noise_ > 0.0) || x.rows() == 0) return std::nullopt;
    const Eigen::Index d = weights_.size();
    const double log_2pi = std::log(2.0 * std::numbers::pi);
    const auto features = x.leftCols(d);
    const Vector residual = x.col(d) - features * weights_;
    const double n = static_cast<double>(x.rows());
    // sum over rows of (|x|^2 + log 2pi d) / 2 + (r^2 / sigma^2 + log 2pi sigma^2) / 2.
    const double x_part = 0.5 * (features.squaredNorm() / n + static_cast<double>(d) * log_2pi);
    const double y_part =
        0.5 * (residual.squaredNorm() / (n * noise_ * noise_) + log_2pi) + std::log(noise_);
    return x_part + y_part;
}

}  // namespace madlab
