#pragma once
// Ordinary least squares as a generative model of supervised rows [x_1 .. x_d, y] (the label
// last), for the linear-regression setting of Gerstgrasser et al. 2024 ("Is Model Collapse
// Inevitable?", arXiv 2404.01413, section 3; SCIENCE.md section 5): each generation refits OLS
// on labels that the previous generation's fit produced for a fixed design, plus noise.

#include <memory>
#include <optional>
#include <string>

#include "madlab/core/matrix.h"
#include "madlab/models/generative_model.h"

namespace madlab {

struct LinearRegressionOptions {
    // The label noise sigma of the synthetic data: a known value (Gerstgrasser et al. give the
    // fit the true sigma; config model.noise = <number>), or nullopt to estimate it from the
    // fit's residuals (model.noise = "estimate"): sigma_hat^2 = RSS / (N - p), p the rank of
    // the design (plus 1 with an intercept), the unbiased estimate.
    std::optional<double> noise;
    // Fit an intercept (model.intercept): OLS on centred data, b = mean(y) - mean(x) . w. Off
    // by default, as in Gerstgrasser et al.
    bool intercept = false;
};

// Family "linear-regression". fit(): the least-squares weights of the last column on the
// others, by a complete orthogonal decomposition (Eigen's CompleteOrthogonalDecomposition, with
// its default rank threshold): the unique OLS solution for a design of full column rank, and
// the minimum-norm least-squares solution when the design is rank deficient (fewer rows than
// features, collinear or constant columns); FitInfo then says degenerate, with the rank.
//
// sample(n, lambda): the fixed design of Gerstgrasser et al.: row i is [x_r, y] with x_r the
// features of training row r = i mod N (rows 0, 1, ... of the training set, in order, cycled
// when n > N) and y = b + x_r . w + sqrt(lambda) sigma z, z standard normal (one per row, in row
// order). So the sampling bias lambda scales the noise variance, N(x . w, lambda sigma^2), as
// the gaussian family samples N(mu, lambda Sigma) (SCIENCE.md section 3). Under the
// fully-synthetic (replace) schedule with n_synthetic = N every generation relabels the same X;
// under accumulate the first N rows of the pool are generation 0's real X, so the synthetic rows
// relabel the real design.
//
// No density of the rows (the model says nothing about x): score_held_out is empty.
class LinearRegressionModel : public ContinuousModel, public HasRegressionWeights {
public:
    // Throws ConfigError naming model.noise if a known noise is negative or not finite.
    explicit LinearRegressionModel(LinearRegressionOptions options = {});

    std::string family() const override { return "linear-regression"; }
    std::unique_ptr<ContinuousModel> clone() const override;

    // The fitted weights and intercept. Require a fit.
    const Vector& regression_weights() const override;
    double regression_intercept() const override;
    // The noise sigma the samples are drawn with (known or estimated). Requires a fit.
    double noise_sd() const;
    // The numerical rank of the last fit's (centred, with an intercept) design.
    Eigen::Index rank() const { return rank_; }

    const LinearRegressionOptions& options() const { return options_; }

protected:
    // Throws DataError for data with fewer than 2 columns (features, then the label).
    FitInfo do_fit(const Matrix& train, FitContext<Matrix>& context) override;
    Matrix do_sample(std::size_t n, double bias, Rng& rng, std::string_view purpose) const override;

private:
    LinearRegressionOptions options_;
    Matrix design_;  // N x d: the features of the training rows, in order
    Vector weights_;
    double intercept_ = 0.0;
    double noise_sd_ = 0.0;
    Eigen::Index rank_ = 0;
};

}  // namespace madlab
