#include "madlab/metrics/kid.h"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <vector>

#include "blas_api.h"
#include "madlab/core/error.h"
#include "madlab/core/parallel.h"
#include "madlab/core/rng.h"
#include "madlab/metrics/metric_registry.h"

namespace madlab {
namespace {

// The first m entries of a uniformly random permutation of 0..n-1 (partial Fisher-Yates).
std::vector<Eigen::Index> draw_subset(Eigen::Index n, Eigen::Index m, Rng& rng) {
    std::vector<Eigen::Index> idx(static_cast<std::size_t>(n));
    std::iota(idx.begin(), idx.end(), Eigen::Index{0});
    for (Eigen::Index i = 0; i < m; ++i) {
        const auto j =
            i + static_cast<Eigen::Index>(rng.uniform_int(static_cast<std::uint64_t>(n - i)));
        std::swap(idx[static_cast<std::size_t>(i)], idx[static_cast<std::size_t>(j)]);
    }
    idx.resize(static_cast<std::size_t>(m));
    return idx;
}

// Upper triangle of the Gram matrix G = Z Z^T of the rows of z (2m x d, row-major), column-major.
void gram_upper(const Matrix& z, SquareMatrix& g) {
    const int n = static_cast<int>(z.rows()), d = static_cast<int>(z.cols());
    g.resize(n, n);
    if (const blas::Api* api = blas::api()) {
        // z row-major n x d is column-major d x n: G = z^T z in column-major terms.
        api->dsyrk(blas::kColMajor, blas::kUpper, blas::kTrans, n, d, 1.0, z.data(), d, 0.0,
                   g.data(), n);
    } else {
        g.setZero();
        g.selfadjointView<Eigen::Upper>().rankUpdate(z);
    }
}

// MMD^2_u of one subset pair from the upper triangle of the Gram matrix of [x; y].
double subset_mmd(const SquareMatrix& g, Eigen::Index m, double inv_d) {
    auto k = [inv_d](double dot) {
        const double t = dot * inv_d + 1.0;
        return t * t * t;
    };
    double xx = 0.0, yy = 0.0, xy = 0.0;
    for (Eigen::Index j = 0; j < 2 * m; ++j) {
        const double* col = g.data() + j * g.rows();
        if (j < m) {
            for (Eigen::Index i = 0; i < j; ++i) xx += k(col[i]);
        } else {
            for (Eigen::Index i = 0; i < m; ++i) xy += k(col[i]);
            for (Eigen::Index i = m; i < j; ++i) yy += k(col[i]);
        }
    }
    const double md = static_cast<double>(m);
    // Off-diagonal sums counted once (i < j): twice that over i != j.
    return 2.0 * (xx + yy) / (md * (md - 1.0)) - 2.0 * xy / (md * md);
}

}  // namespace

KidResult compute_kid(const MatrixView& real, const MatrixView& fake, const KidOptions& options) {
    if (options.subsets < 1)
        throw ConfigError("KID needs at least 1 subset, got " + std::to_string(options.subsets));
    if (options.subsets > kMaxKidSubsets)
        throw ConfigError(fmt::format(
            "KID takes at most {} subsets, got {}; the mean over subsets has long settled by "
            "then (100 is the usual choice)",
            kMaxKidSubsets, options.subsets));
    if (options.subset_size < 2)
        throw ConfigError("KID needs subsets of at least 2 points, got subset_size = " +
                          std::to_string(options.subset_size));
    if (real.cols() != fake.cols())
        throw DataError("KID: real points have " + std::to_string(real.cols()) +
                        " dimensions but generated points have " + std::to_string(fake.cols()));
    if (real.rows() < 2 || fake.rows() < 2)
        throw DataError("KID needs at least 2 points per set, got " + std::to_string(real.rows()) +
                        " real and " + std::to_string(fake.rows()) + " generated points");
    if (real.cols() < 1) throw DataError("KID needs points with at least 1 dimension");
    if (!real.allFinite() || !fake.allFinite())
        throw DataError("KID: the points contain NaN or infinite coordinates");

    const Eigen::Index m = std::min<Eigen::Index>({real.rows(), fake.rows(), options.subset_size});
    const Eigen::Index d = real.cols();
    const auto subsets = static_cast<std::size_t>(options.subsets);
    // All subsets are drawn first, in order, from one generator: the thread count cannot change
    // which points a subset holds.
    Rng rng(options.seed);
    std::vector<std::vector<Eigen::Index>> real_idx(subsets), fake_idx(subsets);
    for (std::size_t s = 0; s < subsets; ++s) {
        real_idx[s] = draw_subset(real.rows(), m, rng);
        fake_idx[s] = draw_subset(fake.rows(), m, rng);
    }
    // When m is the size of both sets every subset is the whole set (in another order, which a
    // sum does not depend on): one subset gives every value, and the std is 0.
    const bool whole = m == real.rows() && m == fake.rows();
    std::vector<double> mmd(whole ? 1 : subsets);
    const double inv_d = 1.0 / static_cast<double>(d);
    parallel_for(mmd.size(), options.threads, [&](std::size_t s) {
        Matrix z(2 * m, d);
        for (Eigen::Index i = 0; i < m; ++i) {
            z.row(i) = real.row(real_idx[s][static_cast<std::size_t>(i)]);
            z.row(m + i) = fake.row(fake_idx[s][static_cast<std::size_t>(i)]);
        }
        SquareMatrix g;
        gram_upper(z, g);
        mmd[s] = subset_mmd(g, m, inv_d);
    });

    KidResult out;
    out.subset_size = static_cast<int>(m);
    double sum = 0.0;
    for (double v : mmd) sum += v;
    out.kid = sum / static_cast<double>(mmd.size());
    double sq = 0.0;
    for (double v : mmd) sq += (v - out.kid) * (v - out.kid);
    out.kid_std = std::sqrt(sq / static_cast<double>(mmd.size()));
    return out;
}

KidMetric::KidMetric(KidOptions options) : options_(options) {
    if (options_.subsets < 1)
        throw ConfigError("metrics.kid_subsets must be >= 1, got " +
                          std::to_string(options_.subsets));
    if (options_.subset_size < 2)
        throw ConfigError("metrics.kid_subset_size must be >= 2, got " +
                          std::to_string(options_.subset_size));
}

MetricValues KidMetric::compute(const MetricInput& input) const {
    if (!input.samples.allFinite() || !input.real_test.allFinite()) return {};
    if (input.samples.rows() < 2 || input.real_test.rows() < 2) return {};
    if (input.samples.cols() != input.real_test.cols()) return {};
    const KidResult r = compute_kid(input.real_test, input.samples, options_);
    return {{"kid", r.kid}, {"kid_std", r.kid_std}};
}

}  // namespace madlab

namespace madlab {
namespace {

const MetricRegistrar kKidMetric({
    .name = "kid",
    .help = "kernel inception distance: unbiased MMD^2 with a cubic polynomial kernel (records "
            "kid, kid_std)",
    .make =
        [](const Params&, int threads) {
            KidOptions options;
            options.threads = threads;
            return std::unique_ptr<Metric>(new KidMetric(options));
        },
});

}  // namespace
}  // namespace madlab
