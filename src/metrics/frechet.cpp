#include "madlab/metrics/frechet.h"

#include <Eigen/Eigenvalues>
#include <algorithm>
#include <cmath>
#include <string>

#include "madlab/core/error.h"

namespace madlab {
namespace {

SquareMatrix symmetric_part(const SquareMatrix& s) { return 0.5 * (s + s.transpose()); }

// Symmetric square root of a symmetric matrix, negative eigenvalues (rounding) clamped at 0.
SquareMatrix psd_sqrt(const SquareMatrix& s) {
    const Eigen::SelfAdjointEigenSolver<SquareMatrix> eig(s);
    const Vector root = eig.eigenvalues().cwiseMax(0.0).cwiseSqrt();
    return eig.eigenvectors() * root.asDiagonal() * eig.eigenvectors().transpose();
}

}  // namespace

double frechet_distance(const Vector& mu1, const SquareMatrix& s1, const Vector& mu2,
                        const SquareMatrix& s2) {
    const Eigen::Index d = mu1.size();
    if (mu2.size() != d || s1.rows() != d || s1.cols() != d || s2.rows() != d || s2.cols() != d)
        throw DataError("Frechet distance: dimensions differ (means of size " +
                        std::to_string(mu1.size()) + " and " + std::to_string(mu2.size()) +
                        ", covariances " + std::to_string(s1.rows()) + "x" +
                        std::to_string(s1.cols()) + " and " + std::to_string(s2.rows()) + "x" +
                        std::to_string(s2.cols()) + ")");
    if (d == 0) return 0.0;
    const SquareMatrix a = psd_sqrt(symmetric_part(s1));
    const SquareMatrix sym2 = symmetric_part(s2);
    const SquareMatrix middle = symmetric_part(a * sym2 * a);
    const Eigen::SelfAdjointEigenSolver<SquareMatrix> eig(middle, Eigen::EigenvaluesOnly);
    const double trace_sqrt = eig.eigenvalues().cwiseMax(0.0).cwiseSqrt().sum();
    const double value = (mu1 - mu2).squaredNorm() + s1.trace() + sym2.trace() - 2.0 * trace_sqrt;
    return std::max(value, 0.0);
}

GaussianParams sample_mean_covariance(const Matrix& x) {
    if (x.rows() < 2)
        throw DataError("a sample covariance needs at least 2 points, got " +
                        std::to_string(x.rows()));
    GaussianParams out;
    out.mean = x.colwise().mean().transpose();
    const Matrix centred = x.rowwise() - out.mean.transpose();
    out.covariance = (centred.transpose() * centred) / static_cast<double>(x.rows() - 1);
    return out;
}

double frechet_distance(const Matrix& x, const Matrix& y) {
    if (x.cols() != y.cols())
        throw DataError("Frechet distance: point sets differ in dimension (" +
                        std::to_string(x.cols()) + " vs " + std::to_string(y.cols()) + ")");
    const GaussianParams px = sample_mean_covariance(x);
    const GaussianParams py = sample_mean_covariance(y);
    return frechet_distance(px.mean, px.covariance, py.mean, py.covariance);
}

MetricValues FrechetMetric::compute(const MetricInput& input) const {
    const auto* gaussian = dynamic_cast<const HasGaussianParams*>(&input.model);
    if (gaussian != nullptr && input.source_gaussian) {
        const GaussianParams model = gaussian->gaussian_params();
        const double value =
            frechet_distance(model.mean, model.covariance, input.source_gaussian->mean,
                             input.source_gaussian->covariance);
        if (std::isfinite(value)) return {{"frechet", value}};
        return {};
    }
    if (input.real_test.rows() < 2 || input.samples.rows() < 2 || !input.samples.allFinite() ||
        !input.real_test.allFinite())
        return {};
    const double value = frechet_distance(input.real_test, input.samples);
    if (!std::isfinite(value)) return {};
    return {{"frechet", value}};
}

}  // namespace madlab
