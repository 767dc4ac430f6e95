#pragma once
// Built-in real distributions: a Gaussian of any dimension and isotropic Gaussian mixtures (the
// benchmarks grid25, ring8 and two-gaussians). They know their exact density, so studies on them
// need no data file, and draw_train and draw_test both draw fresh i.i.d. points with the rng they
// are given (the caller keeps train and test apart by giving them different Rng streams).

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "madlab/core/matrix.h"
#include "madlab/core/rng.h"
#include "madlab/data/real_source.h"

namespace madlab {

// N(mean, covariance) in d = mean.size() dimensions.
//
// Sampling: x = mean + L z with z a vector of d standard normals drawn in component order (one
// row after another) and L a fixed factor with L L^T = covariance, computed once: the Cholesky
// factor when the covariance is positive definite, else V diag(sqrt(max(lambda, 0))) from its
// symmetric eigendecomposition (a singular covariance is allowed: the points then lie on a
// subspace, e.g. a point mass for covariance 0).
class GaussianSource final : public RealSource {
public:
    // Throws ConfigError naming source.mean or source.covariance if the mean is empty or not
    // finite, the covariance is not d x d, not finite, not symmetric (up to a relative 1e-9) or
    // not positive semi-definite (an eigenvalue below -1e-10 times the largest).
    GaussianSource(Vector mean, SquareMatrix covariance);

    std::string describe() const override;  // "gaussian (d = 3)"
    std::size_t dim() const override { return static_cast<std::size_t>(mean_.size()); }
    Matrix draw_train(std::size_t n, Rng& rng) const override { return sample(n, rng); }
    Matrix draw_test(std::size_t n, Rng& rng) const override { return sample(n, rng); }
    std::optional<GaussianParams> gaussian() const override {
        return GaussianParams{mean_, covariance_};
    }
    // Exact Gaussian NLL; nullopt if the covariance is singular (no density exists).
    std::optional<double> mean_nll(const Matrix& x) const override;

    // n i.i.d. points (what both draw functions return).
    Matrix sample(std::size_t n, Rng& rng) const;
    // The sampling factor L (L L^T = covariance).
    const SquareMatrix& factor() const { return factor_; }

private:
    Vector mean_;
    SquareMatrix covariance_;  // symmetrised copy of the argument
    SquareMatrix factor_;
    bool positive_definite_ = false;  // factor_ is the Cholesky factor
};

// Mixture of K isotropic Gaussians: component k has weight w_k, mean means.row(k) and standard
// deviation stds[k] in every coordinate.
//
// Sampling, per point: the component index (uniform_int(K) when all weights are equal, as in the
// reference scripts; otherwise the first k with cdf_k > uniform()), then mean_k + std_k * z with
// d standard normals z drawn in component order.
class GaussianMixtureSource final : public RealSource {
public:
    // weights: K values >= 0, not all 0 (normalised here); means: K x d with d >= 1; stds: K
    // values > 0. `name` is what describe() returns. Throws ConfigError naming source.weights,
    // source.means or source.stds otherwise.
    GaussianMixtureSource(std::vector<double> weights, Matrix means, std::vector<double> stds,
                          std::string name = "gaussian-mixture");

    std::string describe() const override { return name_; }
    std::size_t dim() const override { return static_cast<std::size_t>(means_.cols()); }
    Matrix draw_train(std::size_t n, Rng& rng) const override { return sample(n, rng); }
    Matrix draw_test(std::size_t n, Rng& rng) const override { return sample(n, rng); }
    // Exact mixture NLL (log-sum-exp over components).
    std::optional<double> mean_nll(const Matrix& x) const override;

    // n i.i.d. points; if `components` is not null it receives each point's component index.
    Matrix sample(std::size_t n, Rng& rng, std::vector<std::size_t>* components = nullptr) const;

    std::size_t num_components() const { return weights_.size(); }
    const std::vector<double>& weights() const { return weights_; }  // normalised, sum 1
    const Matrix& means() const { return means_; }                   // K x d
    const std::vector<double>& stds() const { return stds_; }

private:
    std::vector<double> weights_;
    Matrix means_;
    std::vector<double> stds_;
    std::string name_;
    std::vector<double> cdf_;    // cumulative weights, last entry exactly 1
    bool equal_weights_ = true;  // pick components with uniform_int(K)
};

// grid25: 25 equally weighted 2-D Gaussians with means spacing * (i, j), i, j in {-2..2}
// (component 5 * (i + 2) + (j + 2)), isotropic std; exactly the `grid25` of
// shared/bench/reference/common.py (spacing 2, std 0.05): the 5x5 grid of the GAN mode-collapse
// literature (e.g. Srivastava et al. 2017, VEEGAN).
GaussianMixtureSource make_grid25(double spacing = 2.0, double std = 0.05);

// ring8: 8 equally weighted 2-D Gaussians with means radius * (cos a_i, sin a_i), a_i =
// 2 pi i / 8, isotropic std; radius 2 and std 0.02 are the usual mode-collapse benchmark
// (Metz et al. 2017, Unrolled GANs).
GaussianMixtureSource make_ring8(double radius = 2.0, double std = 0.02);

// two-gaussians: the 1-D mixture 0.5 N(-offset, std^2) + 0.5 N(offset, std^2), by default
// 0.5 N(-2, 0.5^2) + 0.5 N(2, 0.5^2). SCIENCE.md section 4's functional-error example: a single
// Gaussian cannot represent it, so fitting one shows the expressivity error alone.
GaussianMixtureSource make_two_gaussians(double offset = 2.0, double std = 0.5);

// rosenbrock: a Rosenbrock-like banana in 2-D, the shape of the MAD paper's 2-D flow
// experiments (Alemohammad et al. 2023): x1 ~ N(0, 1), x2 | x1 ~ N(x1^2, 0.25^2) (madlab's
// parameters; a connected curved density a flow can fit, unlike the grid's isolated modes).
// Exact density; its entropy, the floor of a model's held-out NLL, is
// log(2 pi e) + log(0.25) = 1.4516 nats.
class RosenbrockSource final : public RealSource {
public:
    static constexpr double kNoiseSd = 0.25;
    std::string describe() const override { return "rosenbrock"; }
    std::size_t dim() const override { return 2; }
    Matrix draw_train(std::size_t n, Rng& rng) const override { return sample(n, rng); }
    Matrix draw_test(std::size_t n, Rng& rng) const override { return sample(n, rng); }
    std::optional<double> mean_nll(const Matrix& x) const override;
    // n i.i.d. points: per point z1 then z2 standard normal, x = (z1, z1^2 + kNoiseSd z2).
    Matrix sample(std::size_t n, Rng& rng) const;
};

// Names accepted by make_builtin_source, in order: grid25, ring8, two-gaussians, rosenbrock.
const std::vector<std::string>& builtin_source_names();

// The named mixture above with its default parameters. Throws ConfigError naming source.name
// and listing the known names if `name` is not one of them. (A "gaussian" source needs a mean
// and covariance: build GaussianSource directly.)
std::unique_ptr<RealSource> make_builtin_source(std::string_view name);

}  // namespace madlab
