#pragma once
// Principal component analysis as a fixed linear map: fitted once (on real training data only),
// then applied unchanged to every generation's data, so that features of different generations
// are comparable.
//
// Fit: mean m = column means of X (n x d); covariance C = (X - m)^T (X - m) / (n - 1); the
// components are the eigenvectors of C for its k largest eigenvalues (Eigen's
// SelfAdjointEigenSolver), each signed so that its entry of largest magnitude is positive (a
// deterministic orientation, as scikit-learn's svd_flip). No whitening: projected coordinates
// keep the data's scale, so Euclidean distances between projections are pixel distances within
// the k-dimensional principal subspace.
//
// project(x) = (x - m) W (n x k, W = d x k components); reconstruct(z) = z W^T + m, the
// orthogonal projection onto the principal affine subspace when applied after project().

#include <cstddef>
#include <vector>

#include "madlab/core/matrix.h"

namespace madlab {

class Pca {
public:
    // Fits k = `components` components to the rows of x. Requires n >= 2 rows and
    // 1 <= k <= d (ConfigError naming `key` otherwise, e.g. "model.pca_components").
    static Pca fit(const Matrix& x, std::size_t components, const char* key = "pca_components");
    // The same fitted to the rows `rows` of x (all rows when empty), without copying them.
    static Pca fit_rows(const Matrix& x, const std::vector<std::size_t>& rows,
                        std::size_t components, const char* key = "pca_components");

    std::size_t input_dim() const { return static_cast<std::size_t>(mean_.size()); }
    std::size_t components() const { return static_cast<std::size_t>(basis_.cols()); }

    Matrix project(const Matrix& x) const;      // n x d -> n x k
    Matrix reconstruct(const Matrix& z) const;  // n x k -> n x d

    // The first k components of this fit (k <= components()).
    Pca truncated(std::size_t k) const;

    const Vector& mean() const { return mean_; }
    const Eigen::MatrixXd& basis() const { return basis_; }  // d x k, orthonormal columns
    // The k largest eigenvalues of C, in decreasing order (variance along each component).
    const Vector& explained_variance() const { return explained_; }
    // trace(C): the total variance, of which explained_variance() is a part.
    double total_variance() const { return total_variance_; }

private:
    Vector mean_;
    Eigen::MatrixXd basis_;
    Vector explained_;
    double total_variance_ = 0.0;
};

}  // namespace madlab
