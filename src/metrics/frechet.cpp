#include "madlab/metrics/frechet.h"

#include <Eigen/Eigenvalues>
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "blas_api.h"
#include "madlab/core/error.h"
#include "madlab/core/parallel.h"
#include "madlab/metrics/metric_registry.h"

namespace madlab {
namespace {

// From this dimension on, covariances and the trace term go through OpenBLAS/LAPACK when it is
// loaded (blas.h): Eigen's unblocked eigensolver takes about 16 s at d = 2048 on this machine,
// LAPACK about 1.2 s (bench/RESULTS.md). Below it the Eigen path
// keeps the records of small studies bit for bit as they were.
constexpr Eigen::Index kBlasMinDim = 128;

SquareMatrix symmetric_part(const SquareMatrix& s) { return 0.5 * (s + s.transpose()); }

// Eigenvalues of a symmetric matrix (the triangle `uplo`, 'U' or 'L', is read; `a` is
// overwritten) by LAPACK dsyevd, with eigenvectors in `a` when `vectors`. Throws
// NumericalError if LAPACK fails.
Vector lapack_eigen(const blas::Api& api, SquareMatrix& a, bool vectors, char uplo = 'U') {
    const int n = static_cast<int>(a.rows());
    Vector w(n);
    const char jobz = vectors ? 'V' : 'N';
    int lwork = -1, liwork = -1, info = 0, iwork_size = 0;
    double work_size = 0.0;
    api.dsyevd(&jobz, &uplo, &n, a.data(), &n, w.data(), &work_size, &lwork, &iwork_size, &liwork,
               &info, 1, 1);
    lwork = static_cast<int>(work_size) + 1;
    liwork = std::max(iwork_size, 1);
    std::vector<double> work(static_cast<std::size_t>(lwork));
    std::vector<int> iwork(static_cast<std::size_t>(liwork));
    api.dsyevd(&jobz, &uplo, &n, a.data(), &n, w.data(), work.data(), &lwork, iwork.data(), &liwork,
               &info, 1, 1);
    if (info != 0)
        throw NumericalError(
            "Frechet distance: LAPACK dsyevd failed (info = " + std::to_string(info) + ")");
    return w;
}

// sum_i sqrt(max(eig_i(S1^(1/2) S2 S1^(1/2)), 0)) through LAPACK. When S1 is positive definite
// (Cholesky S1 = L L^T succeeds) the eigenvalues are those of L^T S2 L, which is similar to
// S1 S2 and to S1^(1/2) S2 S1^(1/2): one Cholesky, one dsygst (LAPACK's reduction of the
// generalised problem S2 S1 x = lambda x, itype 2, which forms L^T S2 L in its lower triangle
// with n^3 flops against 2 n^3 for two triangular products; 10-25% less time at d = 2048) and one
// eigenvalues-only decomposition. Otherwise (a collapsed, singular S1) S1^(1/2) comes from a full
// eigendecomposition with eigenvalues clamped at 0, as in the Eigen path.
double lapack_trace_sqrt(const blas::Api& api, const SquareMatrix& s1, const SquareMatrix& s2) {
    const int n = static_cast<int>(s1.rows());
    SquareMatrix l = s1;
    int info = 0;
    const char lower = 'L';
    api.dpotrf(&lower, &n, l.data(), &n, &info, 1);
    if (info == 0) {
        SquareMatrix middle = s2;
        const int itype = 2;
        api.dsygst(&itype, &lower, &n, middle.data(), &n, l.data(), &n, &info, 1);
        if (info != 0)
            throw NumericalError(
                "Frechet distance: LAPACK dsygst failed (info = " + std::to_string(info) + ")");
        // Only the lower triangle of L^T S2 L is formed; dsyevd reads just that.
        const Vector eig = lapack_eigen(api, middle, false, lower);
        return eig.cwiseMax(0.0).cwiseSqrt().sum();
    }
    SquareMatrix v = s1;
    const Vector w = lapack_eigen(api, v, true);
    // A = V diag(sqrt w+) V^T = B B^T with B = V diag(w+^(1/4)).
    const Vector quarter = w.cwiseMax(0.0).cwiseSqrt().cwiseSqrt();
    const SquareMatrix b = v * quarter.asDiagonal();
    SquareMatrix a = SquareMatrix::Zero(n, n);
    api.dsyrk(blas::kColMajor, blas::kUpper, blas::kNoTrans, n, n, 1.0, b.data(), n, 0.0, a.data(),
              n);
    a.triangularView<Eigen::StrictlyLower>() = a.transpose();
    SquareMatrix t(n, n);
    api.dgemm(blas::kColMajor, blas::kNoTrans, blas::kNoTrans, n, n, n, 1.0, s2.data(), n, a.data(),
              n, 0.0, t.data(), n);
    SquareMatrix middle(n, n);
    api.dgemm(blas::kColMajor, blas::kNoTrans, blas::kNoTrans, n, n, n, 1.0, a.data(), n, t.data(),
              n, 0.0, middle.data(), n);
    middle = symmetric_part(middle);
    const Vector eig = lapack_eigen(api, middle, false);
    return eig.cwiseMax(0.0).cwiseSqrt().sum();
}

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
    const SquareMatrix sym2 = symmetric_part(s2);
    double trace_sqrt = 0.0;
    if (const blas::Api* api = d >= kBlasMinDim ? blas::api() : nullptr) {
        trace_sqrt = lapack_trace_sqrt(*api, symmetric_part(s1), sym2);
    } else {
        const SquareMatrix a = psd_sqrt(symmetric_part(s1));
        const SquareMatrix middle = symmetric_part(a * sym2 * a);
        const Eigen::SelfAdjointEigenSolver<SquareMatrix> eig(middle, Eigen::EigenvaluesOnly);
        trace_sqrt = eig.eigenvalues().cwiseMax(0.0).cwiseSqrt().sum();
    }
    const double value = (mu1 - mu2).squaredNorm() + s1.trace() + sym2.trace() - 2.0 * trace_sqrt;
    return std::max(value, 0.0);
}

GaussianParams sample_mean_covariance(const MatrixView& x, int threads) {
    if (x.rows() < 2)
        throw DataError("a sample covariance needs at least 2 points, got " +
                        std::to_string(x.rows()));
    GaussianParams out;
    out.mean = x.colwise().mean().transpose();
    const Matrix centred = x.rowwise() - out.mean.transpose();
    const blas::Api* api = x.cols() >= kBlasMinDim ? blas::api() : nullptr;
    if (api == nullptr) {
        out.covariance = (centred.transpose() * centred) / static_cast<double>(x.rows() - 1);
        return out;
    }
    // centred is row-major n x d, i.e. column-major d x n (C below); the covariance C C^T / (n-1)
    // is computed in fixed tiles of kTile x kTile, one BLAS call each (dsyrk on the diagonal,
    // dgemm above it), in parallel: a tile's value never depends on the thread count.
    constexpr int kTile = 512;
    const int d = static_cast<int>(x.cols()), n = static_cast<int>(x.rows());
    const int tiles = (d + kTile - 1) / kTile;
    std::vector<std::pair<int, int>> jobs;
    for (int tj = 0; tj < tiles; ++tj)
        for (int ti = 0; ti <= tj; ++ti) jobs.emplace_back(ti, tj);
    const double scale = 1.0 / static_cast<double>(n - 1);
    out.covariance.resize(d, d);
    double* cov = out.covariance.data();
    const double* c = centred.data();
    parallel_for(jobs.size(), threads, [&](std::size_t job) {
        const auto [ti, tj] = jobs[job];
        const int i0 = ti * kTile, j0 = tj * kTile;
        const int ni = std::min(kTile, d - i0), nj = std::min(kTile, d - j0);
        double* tile = cov + static_cast<std::size_t>(j0) * d + i0;
        if (ti == tj)
            api->dsyrk(blas::kColMajor, blas::kUpper, blas::kNoTrans, ni, n, scale, c + i0, d, 0.0,
                       tile, d);
        else
            api->dgemm(blas::kColMajor, blas::kNoTrans, blas::kTrans, ni, nj, n, scale, c + i0, d,
                       c + j0, d, 0.0, tile, d);
    });
    out.covariance.triangularView<Eigen::StrictlyLower>() = out.covariance.transpose();
    return out;
}

double frechet_distance(const MatrixView& x, const MatrixView& y, int threads) {
    if (x.cols() != y.cols())
        throw DataError("Frechet distance: point sets differ in dimension (" +
                        std::to_string(x.cols()) + " vs " + std::to_string(y.cols()) + ")");
    const GaussianParams px = sample_mean_covariance(x, threads);
    const GaussianParams py = sample_mean_covariance(y, threads);
    return frechet_distance(px.mean, px.covariance, py.mean, py.covariance);
}

MetricValues FrechetMetric::compute(const MetricInput& input) const {
    const auto* gaussian = dynamic_cast<const HasGaussianParams*>(&input.model);
    if (gaussian != nullptr && input.source_gaussian) {
        // The samples come from N(mu, lambda Sigma) (models/gaussian.h), so that is what the
        // exact form scores, as the sample-based value of every other family does.
        const GaussianParams model = gaussian->gaussian_params();
        const double value =
            frechet_distance(model.mean, input.bias * model.covariance, input.source_gaussian->mean,
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

namespace madlab {
namespace {

const MetricRegistrar kFrechetMetric({
    .name = "frechet",
    .help = "Frechet distance between Gaussians fitted to the test set and the samples "
            "(records frechet)",
    .make = [](const Params&, int) { return std::unique_ptr<Metric>(new FrechetMetric()); },
});

}  // namespace
}  // namespace madlab
