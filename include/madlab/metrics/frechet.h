#pragma once
// Frechet distance between two Gaussians (Dowson & Landau 1982; as "FID" on network features,
// Heusel et al. 2017):
//   FD = ||mu_1 - mu_2||^2 + tr(S_1 + S_2 - 2 (S_1 S_2)^{1/2}),
// the squared 2-Wasserstein distance between N(mu_1, S_1) and N(mu_2, S_2). The trace term is
// computed stably (SCIENCE.md section 6): A = S_1^{1/2} by a symmetric eigendecomposition
// (eigenvalues clamped at 0), then tr((S_1 S_2)^{1/2}) = sum_i sqrt(max(eig_i(A S_2 A), 0)),
// because A S_2 A is symmetric positive semi-definite and similar to S_1 S_2 when S_1 is
// invertible. It never fails on singular covariances (a collapsed model has one).
//
// From d = 128 on, when OpenBLAS is loaded (blas.h), the same value comes from LAPACK: with a
// Cholesky factor S_1 = L L^T (when S_1 is positive definite) the eigenvalues of L^T S_2 L,
// which is similar to S_1 S_2; otherwise S_1^{1/2} by dsyevd as above. About 1.2 s of one core at d
// = 2048 against about 16.5 s (CPU) for Eigen's eigensolvers (bench/RESULTS.md).

#include <string>

#include "madlab/core/matrix.h"
#include "madlab/metrics/metric.h"

namespace madlab {

// Frechet distance between N(mu1, s1) and N(mu2, s2). Covariances must be square, of the
// dimension of the means, and symmetric positive semi-definite up to rounding (their
// symmetric part is used). Throws DataError on mismatched dimensions. Result >= 0.
double frechet_distance(const Vector& mu1, const SquareMatrix& s1, const Vector& mu2,
                        const SquareMatrix& s2);

// Sample mean and covariance of the rows of x, the covariance divided by N - 1 (pytorch-fid and
// clean-fid convention). Requires N >= 2 rows (throws DataError otherwise). From d = 128 on,
// with OpenBLAS loaded (blas.h), the covariance is computed by BLAS in fixed tiles on `threads`
// threads (0 = all cores); the result never depends on `threads`.
GaussianParams sample_mean_covariance(const MatrixView& x, int threads = 1);

// Frechet distance between Gaussians fitted to the rows of x and y by sample_mean_covariance.
// Requires at least 2 rows each and equal dimensions (throws DataError otherwise).
double frechet_distance(const MatrixView& x, const MatrixView& y, int threads = 1);

// Metric "frechet": value "frechet". From samples (real test set vs model samples) normally;
// when the model is one Gaussian (implements HasGaussianParams) and the source's Gaussian
// parameters are known, the exact closed form instead (the squared 2-Wasserstein distance, free
// of sampling noise) between the source and the distribution the samples come from:
// N(mu, lambda Sigma) for the fitted N(mu, Sigma) and the sampling bias lambda = input.bias
// (SCIENCE.md section 3), not the fit itself. Both forms therefore score the same distribution
// at every lambda, whatever the family. Left out when a sample-based value is undefined (fewer
// than 2 points, non-finite samples).
class FrechetMetric : public Metric {
public:
    std::string name() const override { return "frechet"; }
    MetricValues compute(const MetricInput& input) const override;
};

}  // namespace madlab
