#pragma once
// One multivariate Gaussian with full covariance, fitted in closed form.

#include <memory>
#include <optional>
#include <string>

#include "madlab/core/matrix.h"
#include "madlab/models/generative_model.h"

namespace madlab {

struct GaussianOptions {
    // kMle divides the scatter matrix by n (the maximum-likelihood estimate, whose 1-D refit loop
    // has E[s2_t] = ((n-1)/n)^t s2_0); kUnbiased divides by n - 1 (SCIENCE.md section 5).
    enum class Estimator { kMle, kUnbiased };
    Estimator estimator = Estimator::kMle;
    // Added to every diagonal entry of the fitted covariance (config key model.reg_covar); >= 0.
    double reg_covar = 0.0;
};

// N(mu, Sigma) with mu the sample mean and Sigma the MLE (1/n) or unbiased (1/(n-1)) sample
// covariance plus reg_covar * I; sample() draws from N(mu, lambda * Sigma) (Alemohammad et al.
// 2023's sampling bias, SCIENCE.md section 3) and mean_nll() is the exact Gaussian negative
// log-density -log N(x; mu, Sigma) = (d log 2 pi + log det Sigma + (x-mu)' Sigma^-1 (x-mu)) / 2.
//
// Degenerate fits (collapse makes them common): when Sigma is singular or zero (all points equal,
// n <= d, n = 1) the fit succeeds and FitInfo.degenerate is set. Sampling then uses Sigma's
// eigendecomposition V diag(sqrt(ev)) with eigenvalues below kSingular times the largest set to
// 0, so samples lie on Sigma's range around mu (to rounding) and are exactly mu when Sigma = 0. The
// density uses Sigma + eps I with eps = kJitter * tr(Sigma)/d, or eps = kJitter (in squared data
// units) when Sigma = 0, which keeps mean_nll finite. "Singular" means the Cholesky factorisation
// fails or some pivot L_jj^2 <= kSingular * Sigma_jj (dimension j is, to rounding, a linear
// function of the earlier ones). A positive-definite covariance is used exactly as estimated, with
// no added term.
class GaussianModel : public ContinuousModel, public HasGaussianParams {
public:
    static constexpr double kJitter = 1e-12;
    static constexpr double kSingular = 1e-12;

    // Throws ConfigError if options.reg_covar is negative or not finite.
    explicit GaussianModel(GaussianOptions options = {});

    std::string family() const override { return "gaussian"; }
    // Throws Error if not fitted or x has the wrong number of columns.
    std::optional<double> mean_nll(const Matrix& x) const;
    std::unique_ptr<ContinuousModel> clone() const override;

    // The fitted mean and covariance (reg_covar included, density jitter not). Requires a fit.
    GaussianParams gaussian_params() const override;

    const GaussianOptions& options() const { return options_; }
    // True if the last fit found a singular covariance (see the class comment).
    bool degenerate() const { return degenerate_; }

protected:
    // Throws NumericalError on a matrix without columns.
    FitInfo do_fit(const Matrix& train, FitContext<Matrix>& context) override;
    Matrix do_sample(std::size_t n, double bias, Rng& rng, std::string_view purpose) const override;
    // {"nll", mean_nll(x)} when finite.
    NamedValues do_score_held_out(const Matrix& x) const override { return nll_score(mean_nll(x)); }

private:
    GaussianOptions options_;
    bool degenerate_ = false;
    Vector mean_;
    SquareMatrix covariance_;
    // Sampling factor A with A A' = Sigma: the lower Cholesky factor, or V diag(sqrt(ev)).
    SquareMatrix sample_factor_;
    // Density: lower Cholesky factor of Sigma (or of Sigma + eps I when degenerate) and the log
    // normalising constant (d log 2 pi + log det) / 2.
    SquareMatrix density_chol_;
    double log_norm_ = 0.0;
};

}  // namespace madlab
