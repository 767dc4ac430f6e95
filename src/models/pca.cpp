#include "madlab/models/pca.h"

#include <fmt/format.h>

#include <Eigen/Eigenvalues>
#include <algorithm>

#include "madlab/core/error.h"

namespace madlab {

Pca Pca::fit(const Matrix& x, std::size_t components, const char* key) {
    return fit_rows(x, {}, components, key);
}

Pca Pca::fit_rows(const Matrix& x, const std::vector<std::size_t>& rows, std::size_t components,
                  const char* key) {
    const bool all = rows.empty();
    const auto n = all ? x.rows() : static_cast<Eigen::Index>(rows.size());
    const auto d = x.cols();
    const auto row = [&](Eigen::Index i) {
        return x.row(all ? i : static_cast<Eigen::Index>(rows[static_cast<std::size_t>(i)]));
    };
    if (n < 2) throw ConfigError(fmt::format("{}: PCA needs at least 2 rows, got {}", key, n));
    if (components < 1 || components > static_cast<std::size_t>(d))
        throw ConfigError(
            fmt::format("{} = {} must be in 1..{} (the data's dimension)", key, components, d));
    Pca pca;
    pca.mean_ = Vector::Zero(d);
    for (Eigen::Index i = 0; i < n; ++i) pca.mean_ += row(i).transpose();
    pca.mean_ /= static_cast<double>(n);
    // Centred in blocks of rows, so that a large data set (60,000 x 784 Fashion-MNIST images)
    // is never copied whole.
    constexpr Eigen::Index kBlock = 2048;
    Eigen::MatrixXd cov = Eigen::MatrixXd::Zero(d, d);
    Eigen::MatrixXd centred(kBlock, d);
    for (Eigen::Index start = 0; start < n; start += kBlock) {
        const Eigen::Index size = std::min(kBlock, n - start);
        for (Eigen::Index i = 0; i < size; ++i)
            centred.row(i) = row(start + i) - pca.mean_.transpose();
        cov.selfadjointView<Eigen::Lower>().rankUpdate(centred.topRows(size).transpose(),
                                                       1.0 / static_cast<double>(n - 1));
    }
    cov = cov.selfadjointView<Eigen::Lower>();
    pca.total_variance_ = cov.trace();
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(cov);
    if (eig.info() != Eigen::Success)
        throw NumericalError(fmt::format("{}: the PCA eigendecomposition did not converge", key));
    const auto k = static_cast<Eigen::Index>(components);
    pca.basis_.resize(d, k);
    pca.explained_.resize(k);
    for (Eigen::Index j = 0; j < k; ++j) {
        const Eigen::Index src = d - 1 - j;  // eigenvalues come in increasing order
        Eigen::VectorXd v = eig.eigenvectors().col(src);
        Eigen::Index largest = 0;
        v.cwiseAbs().maxCoeff(&largest);
        if (v(largest) < 0) v = -v;
        pca.basis_.col(j) = v;
        pca.explained_(j) = std::max(eig.eigenvalues()(src), 0.0);
    }
    return pca;
}

Matrix Pca::project(const Matrix& x) const {
    if (x.cols() != mean_.size())
        throw Error(fmt::format("PCA of {}-dimensional data applied to {} columns", mean_.size(),
                                x.cols()));
    return (x.rowwise() - mean_.transpose()) * basis_;
}

Matrix Pca::reconstruct(const Matrix& z) const {
    if (z.cols() != basis_.cols())
        throw Error(fmt::format("PCA with {} components asked to reconstruct {} columns",
                                basis_.cols(), z.cols()));
    Matrix x = z * basis_.transpose();
    x.rowwise() += mean_.transpose();
    return x;
}

Pca Pca::truncated(std::size_t k) const {
    if (k < 1 || k > components())
        throw Error(fmt::format("PCA with {} components truncated to {}", components(), k));
    Pca out;
    out.mean_ = mean_;
    out.basis_ = basis_.leftCols(static_cast<Eigen::Index>(k));
    out.explained_ = explained_.head(static_cast<Eigen::Index>(k));
    out.total_variance_ = total_variance_;
    return out;
}

}  // namespace madlab
