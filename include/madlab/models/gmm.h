#pragma once
// Gaussian mixture with full covariances, fitted by expectation-maximisation.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "madlab/core/matrix.h"
#include "madlab/models/generative_model.h"

namespace madlab {

struct GmmOptions {
    int components = 8;       // model.components, >= 1
    int max_iter = 100;       // model.max_iter, >= 1: EM iterations per initialisation
    double tol = 1e-3;        // model.tol, >= 0: stop when the bound changes by less
    double reg_covar = 1e-6;  // model.reg_covar, >= 0: added to every covariance diagonal
    int n_init = 1;           // model.n_init, >= 1: restarts; the best lower bound is kept
};

// K-component full-covariance Gaussian mixture, EM as in scikit-learn's GaussianMixture
// (Dempster, Laird & Rubin 1977; Bishop 2006 section 9.2):
// - initialisation: greedy k-means++ seeding (Arthur & Vassilvitskii 2007, with scikit-learn's
//   2 + floor(ln K) candidates per centre), then Lloyd iterations until no label changes (at
//   most kLloydMaxIter); the responsibilities start as the one-hot k-means labels, followed by
//   an M-step. All randomness comes from the Rng passed to fit().
// - E-step: log r_ik = log w_k + log N(x_i; mu_k, Sigma_k) - logsumexp_k(...); the lower bound
//   is the mean over i of logsumexp_k (the mean log-likelihood of the parameters before the
//   M-step). M-step: N_k = sum_i r_ik + 10 eps, w_k = N_k / sum N, mu_k and Sigma_k the
//   r-weighted mean and covariance (divided by sum_i r_ik), plus reg_covar on the diagonal.
// - stop when |bound_t - bound_{t-1}| < tol; n_init restarts keep the largest final bound
//   (the first on ties), so n_init > 1 is never worse than n_init = 1 with the same Rng.
// Speed (the 25-mode benchmark needs it): responsibilities below e^-50 times the largest of
// their row are set to exactly 0 (they change the bound by < K * 2e-22 relative), whole chunks
// of them skip the exponential, and the points are reordered by their first k-means label so
// that each component's nonzero responsibilities occupy few chunks. EM does not depend on the
// order of the points except through rounding.
// Degenerate data (all points equal, fewer distinct points or fewer points than components):
// the number of components stays K. When k-means++ has no positive distance left to sample by,
// it picks centres uniformly (duplicates); a component with responsibility mass below
// kEmptyMass keeps its previous mean, gets covariance reg_covar * I and weight ~10 eps / n (as
// in scikit-learn), so it is practically never sampled. A covariance that is not positive
// definite (reg_covar = 0 on degenerate data) gets a growing jitter (from 1e-12 times its mean
// diagonal, or 1e-12 when zero). Either case sets FitInfo.degenerate.
// sample(): component by weight (cumulative table, binary search), then
// mu_k + sqrt(bias) L_k z with L_k the Cholesky factor of Sigma_k (SCIENCE.md section 3).
class GmmModel : public ContinuousModel {
public:
    static constexpr int kLloydMaxIter = 50;
    static constexpr double kEmptyMass = 1e-10;

    // Throws ConfigError naming the bad option.
    explicit GmmModel(GmmOptions options = {});

    std::string family() const override { return "gmm"; }
    // Exact mean of -log sum_k w_k N(x_i; mu_k, Sigma_k), by log-sum-exp.
    std::optional<double> mean_nll(const Matrix& x) const;
    std::unique_ptr<ContinuousModel> clone() const override;

    const GmmOptions& options() const { return options_; }
    int components() const { return options_.components; }
    // Fitted parameters (require a fit): K weights summing to 1, a K x d matrix of means (row k
    // is mu_k) and K covariances (reg_covar included).
    const Vector& weights() const { return weights_; }
    const Matrix& means() const { return means_; }
    const std::vector<SquareMatrix>& covariances() const { return covariances_; }
    // Final lower bound (mean log-likelihood) of the kept initialisation, and its value after
    // every E-step of that initialisation (one entry per iteration).
    double lower_bound() const { return lower_bound_; }
    const std::vector<double>& lower_bound_history() const { return bound_history_; }

protected:
    // Throws NumericalError on a matrix without columns.
    FitInfo do_fit(const Matrix& train, FitContext<Matrix>& context) override;
    Matrix do_sample(std::size_t n, double bias, Rng& rng, std::string_view purpose) const override;
    // {"nll", mean_nll(x)} when finite.
    NamedValues do_score_held_out(const Matrix& x) const override { return nll_score(mean_nll(x)); }

private:
    GmmOptions options_;
    Vector weights_;
    Matrix means_;
    std::vector<SquareMatrix> covariances_;
    // Per component: upper-triangular U_k with U_k U_k' = Sigma_k^-1 (scikit-learn's precision
    // Cholesky), sum_j log U_k(j, j), and the lower Cholesky factor L_k of Sigma_k for sampling.
    std::vector<SquareMatrix> precision_chol_;
    Vector log_det_precision_chol_;
    std::vector<SquareMatrix> covariance_chol_;
    Vector cumulative_weights_;
    double lower_bound_ = 0.0;
    std::vector<double> bound_history_;
};

}  // namespace madlab
