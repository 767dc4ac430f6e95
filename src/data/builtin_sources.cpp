#include "madlab/data/builtin_sources.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <Eigen/Cholesky>
#include <Eigen/Eigenvalues>
#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

#include "madlab/core/error.h"

namespace madlab {

namespace {

constexpr double kLog2Pi = 1.8378770664093454835606594728112;  // log(2 pi)

}  // namespace

// ---------------------------------------------------------------------------------------------
// GaussianSource

GaussianSource::GaussianSource(Vector mean, SquareMatrix covariance)
    : mean_(std::move(mean)), covariance_(std::move(covariance)) {
    const Eigen::Index d = mean_.size();
    if (d == 0) {
        throw ConfigError(
            "source.mean is empty: give the mean as a list of d numbers, e.g. [0, 0]");
    }
    if (!mean_.allFinite()) {
        throw ConfigError(
            "source.mean has a value that is not a finite number; give d finite numbers");
    }
    if (covariance_.rows() != d || covariance_.cols() != d) {
        throw ConfigError(fmt::format(
            "source.covariance is {} x {} but source.mean has {} entries; give a {} x {} matrix "
            "(a list of {} rows of {} numbers)",
            covariance_.rows(), covariance_.cols(), d, d, d, d, d));
    }
    if (!covariance_.allFinite()) {
        throw ConfigError("source.covariance has an entry that is not a finite number");
    }
    const double scale = covariance_.cwiseAbs().maxCoeff();
    for (Eigen::Index i = 0; i < d; ++i) {
        for (Eigen::Index j = i + 1; j < d; ++j) {
            if (std::fabs(covariance_(i, j) - covariance_(j, i)) > 1e-9 * scale) {
                throw ConfigError(fmt::format(
                    "source.covariance is not symmetric: row {} column {} is {} but row {} column "
                    "{} is {}; a covariance matrix equals its transpose",
                    i + 1, j + 1, covariance_(i, j), j + 1, i + 1, covariance_(j, i)));
            }
        }
    }
    covariance_ = 0.5 * (covariance_ + covariance_.transpose()).eval();

    Eigen::SelfAdjointEigenSolver<SquareMatrix> eigen(covariance_);
    const Vector& lambda = eigen.eigenvalues();  // ascending
    if (lambda(0) < -1e-10 * std::max(lambda(d - 1), 0.0)) {
        throw ConfigError(fmt::format(
            "source.covariance is not positive semi-definite: its smallest eigenvalue is {:.6g}; "
            "a covariance needs every eigenvalue >= 0 (check that |c_ij| <= sqrt(c_ii * c_jj))",
            lambda(0)));
    }
    Eigen::LLT<SquareMatrix> llt(covariance_);
    if (llt.info() == Eigen::Success && lambda(0) > 0) {
        factor_ = llt.matrixL();
        positive_definite_ = (factor_.diagonal().array() > 0).all();
    }
    if (!positive_definite_) {
        factor_ = eigen.eigenvectors() * lambda.cwiseMax(0.0).cwiseSqrt().asDiagonal();
    }
}

std::string GaussianSource::describe() const { return fmt::format("gaussian (d = {})", dim()); }

Matrix GaussianSource::sample(std::size_t n, Rng& rng) const {
    const Eigen::Index d = mean_.size();
    Matrix x(static_cast<Eigen::Index>(n), d);
    Vector z(d);
    for (Eigen::Index i = 0; i < x.rows(); ++i) {
        for (Eigen::Index j = 0; j < d; ++j) z(j) = rng.normal();
        x.row(i) = (mean_ + factor_ * z).transpose();
    }
    return x;
}

std::optional<double> GaussianSource::mean_nll(const Matrix& x) const {
    if (!positive_definite_ || x.rows() == 0) return std::nullopt;
    const Eigen::Index d = mean_.size();
    const double log_det = 2.0 * factor_.diagonal().array().log().sum();
    // Mahalanobis terms ||L^{-1} (x_i - mean)||^2 for all rows at once.
    const Eigen::MatrixXd centred = (x.rowwise() - mean_.transpose()).transpose();  // d x n
    const Eigen::MatrixXd solved = factor_.triangularView<Eigen::Lower>().solve(centred);
    const double mahalanobis = solved.colwise().squaredNorm().sum();
    return 0.5 * (static_cast<double>(d) * kLog2Pi + log_det) +
           0.5 * mahalanobis / static_cast<double>(x.rows());
}

// ---------------------------------------------------------------------------------------------
// GaussianMixtureSource

GaussianMixtureSource::GaussianMixtureSource(std::vector<double> weights, Matrix means,
                                             std::vector<double> stds, std::string name)
    : weights_(std::move(weights)),
      means_(std::move(means)),
      stds_(std::move(stds)),
      name_(std::move(name)) {
    const std::size_t k = weights_.size();
    if (k == 0)
        throw ConfigError("source.weights is empty: a mixture needs at least one component");
    if (static_cast<std::size_t>(means_.rows()) != k || means_.cols() == 0) {
        throw ConfigError(fmt::format(
            "source.means is {} x {} but source.weights has {} entries; give one mean (a list of "
            "d >= 1 numbers) per component",
            means_.rows(), means_.cols(), k));
    }
    if (stds_.size() != k) {
        throw ConfigError(fmt::format(
            "source.stds has {} entries but source.weights has {}; give one standard deviation "
            "per component",
            stds_.size(), k));
    }
    if (!means_.allFinite()) {
        throw ConfigError("source.means has a value that is not a finite number");
    }
    double total = 0;
    for (std::size_t c = 0; c < k; ++c) {
        if (!std::isfinite(weights_[c]) || weights_[c] < 0) {
            throw ConfigError(
                fmt::format("source.weights entry {} is {}; weights must be finite and >= 0", c + 1,
                            weights_[c]));
        }
        if (!std::isfinite(stds_[c]) || stds_[c] <= 0) {
            throw ConfigError(fmt::format(
                "source.stds entry {} is {}; standard deviations must be finite and > 0", c + 1,
                stds_[c]));
        }
        total += weights_[c];
    }
    if (!(total > 0))
        throw ConfigError("source.weights are all 0; give at least one positive weight");
    cdf_.resize(k);
    double running = 0;
    for (std::size_t c = 0; c < k; ++c) {
        equal_weights_ = equal_weights_ && weights_[c] == weights_[0];
        weights_[c] /= total;
        running += weights_[c];
        cdf_[c] = running;
    }
    cdf_[k - 1] = 1.0;
}

Matrix GaussianMixtureSource::sample(std::size_t n, Rng& rng,
                                     std::vector<std::size_t>* components) const {
    const Eigen::Index d = means_.cols();
    const std::size_t k = weights_.size();
    Matrix x(static_cast<Eigen::Index>(n), d);
    if (components) components->resize(n);
    for (std::size_t i = 0; i < n; ++i) {
        std::size_t c;
        if (equal_weights_) {
            c = static_cast<std::size_t>(rng.uniform_int(k));
        } else {
            const double u = rng.uniform();
            c = static_cast<std::size_t>(std::upper_bound(cdf_.begin(), cdf_.end(), u) -
                                         cdf_.begin());
            c = std::min(c, k - 1);
        }
        if (components) (*components)[i] = c;
        const auto row = static_cast<Eigen::Index>(i);
        for (Eigen::Index j = 0; j < d; ++j) {
            x(row, j) = means_(static_cast<Eigen::Index>(c), j) + stds_[c] * rng.normal();
        }
    }
    return x;
}

std::optional<double> GaussianMixtureSource::mean_nll(const Matrix& x) const {
    if (x.rows() == 0) return std::nullopt;
    const Eigen::Index d = means_.cols();
    const std::size_t k = weights_.size();
    // log w_c - (d/2) log(2 pi std_c^2): the constant part of each component's log density.
    std::vector<double> offset(k);
    for (std::size_t c = 0; c < k; ++c) {
        offset[c] = std::log(weights_[c]) -
                    0.5 * static_cast<double>(d) * (kLog2Pi + 2.0 * std::log(stds_[c]));
    }
    std::vector<double> term(k);
    double total = 0;
    for (Eigen::Index i = 0; i < x.rows(); ++i) {
        double best = -std::numeric_limits<double>::infinity();
        for (std::size_t c = 0; c < k; ++c) {
            const double sq = (x.row(i) - means_.row(static_cast<Eigen::Index>(c))).squaredNorm();
            term[c] = offset[c] - 0.5 * sq / (stds_[c] * stds_[c]);
            best = std::max(best, term[c]);
        }
        double sum = 0;
        for (std::size_t c = 0; c < k; ++c) sum += std::exp(term[c] - best);
        total -= best + std::log(sum);
    }
    return total / static_cast<double>(x.rows());
}

// ---------------------------------------------------------------------------------------------
// The named benchmarks

GaussianMixtureSource make_grid25(double spacing, double std) {
    Matrix means(25, 2);
    for (int i = -2; i <= 2; ++i) {
        for (int j = -2; j <= 2; ++j) {
            const int c = 5 * (i + 2) + (j + 2);
            means(c, 0) = spacing * i;
            means(c, 1) = spacing * j;
        }
    }
    return GaussianMixtureSource(std::vector<double>(25, 1.0), std::move(means),
                                 std::vector<double>(25, std), "grid25");
}

GaussianMixtureSource make_ring8(double radius, double std) {
    Matrix means(8, 2);
    for (int i = 0; i < 8; ++i) {
        const double angle = 2.0 * std::numbers::pi * i / 8.0;
        means(i, 0) = radius * std::cos(angle);
        means(i, 1) = radius * std::sin(angle);
    }
    return GaussianMixtureSource(std::vector<double>(8, 1.0), std::move(means),
                                 std::vector<double>(8, std), "ring8");
}

GaussianMixtureSource make_two_gaussians(double offset, double std) {
    Matrix means(2, 1);
    means << -offset, offset;
    return GaussianMixtureSource({0.5, 0.5}, std::move(means), {std, std}, "two-gaussians");
}

Matrix RosenbrockSource::sample(std::size_t n, Rng& rng) const {
    Matrix x(n, 2);
    for (std::size_t i = 0; i < n; ++i) {
        const double z1 = rng.normal();
        const double z2 = rng.normal();
        x(i, 0) = z1;
        x(i, 1) = z1 * z1 + kNoiseSd * z2;
    }
    return x;
}

std::optional<double> RosenbrockSource::mean_nll(const Matrix& x) const {
    if (x.rows() == 0) return std::nullopt;
    // -log N(x1; 0, 1) - log N(x2; x1^2, kNoiseSd^2).
    const double log_norm = std::log(2.0 * std::numbers::pi) + std::log(kNoiseSd);
    double total = 0.0;
    for (Eigen::Index i = 0; i < x.rows(); ++i) {
        const double r = (x(i, 1) - x(i, 0) * x(i, 0)) / kNoiseSd;
        total += 0.5 * x(i, 0) * x(i, 0) + 0.5 * r * r + log_norm;
    }
    return total / static_cast<double>(x.rows());
}

const std::vector<std::string>& builtin_source_names() {
    static const std::vector<std::string> names = {"grid25", "ring8", "two-gaussians",
                                                   "rosenbrock"};
    return names;
}

std::unique_ptr<RealSource> make_builtin_source(std::string_view name) {
    if (name == "grid25") return std::make_unique<GaussianMixtureSource>(make_grid25());
    if (name == "ring8") return std::make_unique<GaussianMixtureSource>(make_ring8());
    if (name == "two-gaussians") {
        return std::make_unique<GaussianMixtureSource>(make_two_gaussians());
    }
    if (name == "rosenbrock") return std::make_unique<RosenbrockSource>();
    throw ConfigError(fmt::format(
        "source.name '{}' is not a built-in distribution; use one of {} (or a Gaussian with "
        "source.mean and source.covariance, or a data file with source.path)",
        name, fmt::join(builtin_source_names(), ", ")));
}

}  // namespace madlab
