#include "madlab/metrics/kid.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

#include "madlab/core/error.h"
#include "madlab/core/rng.h"
#include "madlab/metrics/blas.h"
#include "test_models.h"

namespace madlab {
namespace {

using testing::FixedGaussianModel;
using testing::gaussian_points;

// ---- naive reference, straight from the definition (kid.h) ---------------------------------

double cubic(const Matrix& a, Eigen::Index i, const Matrix& b, Eigen::Index j) {
    double dot = 0.0;
    for (Eigen::Index t = 0; t < a.cols(); ++t) dot += a(i, t) * b(j, t);
    const double u = dot / static_cast<double>(a.cols()) + 1.0;
    return u * u * u;
}

double naive_mmd(const Matrix& x, const Matrix& y) {
    const Eigen::Index m = x.rows();
    double xx = 0.0, yy = 0.0, xy = 0.0;
    for (Eigen::Index i = 0; i < m; ++i)
        for (Eigen::Index j = 0; j < m; ++j) {
            if (i != j) {
                xx += cubic(x, i, x, j);
                yy += cubic(y, i, y, j);
            }
            xy += cubic(x, i, y, j);
        }
    const double md = static_cast<double>(m);
    return (xx + yy) / (md * (md - 1.0)) - 2.0 * xy / (md * md);
}

// The documented draw: for each subset in order, a partial Fisher-Yates shuffle of the real set,
// then one of the generated set, from one Rng(seed).
Matrix draw(const Matrix& x, Eigen::Index m, Rng& rng) {
    std::vector<Eigen::Index> idx(static_cast<std::size_t>(x.rows()));
    std::iota(idx.begin(), idx.end(), Eigen::Index{0});
    Matrix out(m, x.cols());
    for (Eigen::Index i = 0; i < m; ++i) {
        const auto j = i + static_cast<Eigen::Index>(
                               rng.uniform_int(static_cast<std::uint64_t>(x.rows() - i)));
        std::swap(idx[static_cast<std::size_t>(i)], idx[static_cast<std::size_t>(j)]);
        out.row(i) = x.row(idx[static_cast<std::size_t>(i)]);
    }
    return out;
}

KidResult naive_kid(const Matrix& real, const Matrix& fake, const KidOptions& o) {
    const Eigen::Index m = std::min<Eigen::Index>({real.rows(), fake.rows(), o.subset_size});
    Rng rng(o.seed);
    std::vector<double> v;
    for (int s = 0; s < o.subsets; ++s) {
        const Matrix x = draw(real, m, rng);
        const Matrix y = draw(fake, m, rng);
        v.push_back(naive_mmd(x, y));
    }
    KidResult r;
    for (double a : v) r.kid += a / static_cast<double>(v.size());
    for (double a : v) r.kid_std += (a - r.kid) * (a - r.kid) / static_cast<double>(v.size());
    r.kid_std = std::sqrt(r.kid_std);
    r.subset_size = static_cast<int>(m);
    return r;
}

KidOptions options(int subsets, int size, std::uint64_t seed = 3, int threads = 0) {
    KidOptions o;
    o.subsets = subsets;
    o.subset_size = size;
    o.seed = seed;
    o.threads = threads;
    return o;
}

// Rounding: kernel values are O(10) and each sum has ~m^2 terms; double sums in another order
// (BLAS blocking) differ by ~1e-16 * m^2 * 10 in the worst case, ~1e-11 for m = 60. 1e-9 leaves
// room and is still far below any formula error (those are O(1/m) or larger).
constexpr double kTol = 1e-9;

TEST(Kid, MatchesTheNaiveDefinitionWithAndWithoutBlas) {
    const Matrix real = gaussian_points(150, 7, 1);
    const Matrix fake = gaussian_points(130, 7, 2, 0.3, 1.2);
    const KidOptions o = options(12, 60);
    const KidResult expected = naive_kid(real, fake, o);
    for (bool blas : {true, false}) {
        set_blas_enabled(blas);
        const KidResult got = compute_kid(real, fake, o);
        EXPECT_EQ(got.subset_size, 60);
        EXPECT_NEAR(got.kid, expected.kid, kTol) << "blas " << blas;
        EXPECT_NEAR(got.kid_std, expected.kid_std, kTol) << "blas " << blas;
    }
    set_blas_enabled(true);
}

TEST(Kid, WholeSetsWhenSmallerThanTheSubsetSize) {
    // m = min(N, M, 1000) = 80: every subset is the whole (80-point) real set and a subset of
    // the 90 generated points.
    const Matrix real = gaussian_points(80, 3, 4);
    const Matrix fake = gaussian_points(90, 3, 5, 1.0);
    const KidOptions o = options(5, 1000);
    const KidResult got = compute_kid(real, fake, o);
    EXPECT_EQ(got.subset_size, 80);
    EXPECT_NEAR(got.kid, naive_kid(real, fake, o).kid, kTol);
    // Both sets of the subset size: one value, std 0.
    const Matrix fake80 = fake.topRows(80);
    const KidResult whole = compute_kid(real, fake80, o);
    EXPECT_NEAR(whole.kid, naive_mmd(real, fake80), kTol);
    EXPECT_EQ(whole.kid_std, 0.0);
}

TEST(Kid, DoesNotDependOnThreadsAndDependsOnTheSeed) {
    const Matrix real = gaussian_points(400, 16, 6);
    const Matrix fake = gaussian_points(400, 16, 7, 0.1);
    const KidResult one = compute_kid(real, fake, options(20, 100, 9, 1));
    const KidResult two = compute_kid(real, fake, options(20, 100, 9, 2));
    const KidResult all = compute_kid(real, fake, options(20, 100, 9, 0));
    EXPECT_EQ(one.kid, two.kid);
    EXPECT_EQ(one.kid_std, two.kid_std);
    EXPECT_EQ(one.kid, all.kid);
    EXPECT_NE(compute_kid(real, fake, options(20, 100, 10, 1)).kid, one.kid);
}

TEST(Kid, SameDistributionIsZeroWithinItsSpread) {
    // Two independent samples of N(0, I_16): E[KID] = 0 (unbiased). The mean over subsets
    // varies less than one subset's value (a mean of correlated values has at most their
    // standard deviation), so |kid| <= 3 kid_std fails with probability < 0.3% for a correct
    // estimator; fixed seeds make the test deterministic.
    const Matrix real = gaussian_points(3000, 16, 11);
    const Matrix fake = gaussian_points(3000, 16, 12);
    const KidResult r = compute_kid(real, fake, options(100, 500));
    EXPECT_GT(r.kid_std, 0.0);
    EXPECT_LT(std::abs(r.kid), 3.0 * r.kid_std) << r.kid << " +- " << r.kid_std;
    // A biased (V-statistic) estimate would sit near (E k(x,x) - E k(x,x'))*2/m > 0: here
    // E k(x,x) = E (|x|^2/d + 1)^3 ~ 8.6 against E k(x,x') = 1 + 3/d, i.e. ~0.03 at m = 500,
    // far outside 3 kid_std.
    EXPECT_LT(std::abs(r.kid), 0.005);
}

// E[(1 + S/d)^3] for S = x.y, x ~ N(a 1, I_d) and y ~ N(b 1, I_d) independent: S is a sum of d
// i.i.d. products u = x_j y_j with E u = ab, E u^2 = (a^2 + 1)(b^2 + 1),
// E u^3 = (a^3 + 3a)(b^3 + 3b); cumulants add over coordinates.
double expected_kernel(double a, double b, double d) {
    const double m1 = a * b, m2 = (a * a + 1) * (b * b + 1),
                 m3 = (a * a * a + 3 * a) * (b * b * b + 3 * b);
    const double mean = d * m1, var = d * (m2 - m1 * m1),
                 k3 = d * (m3 - 3 * m1 * m2 + 2 * m1 * m1 * m1);
    const double s2 = var + mean * mean, s3 = k3 + 3 * mean * var + mean * mean * mean;
    return 1.0 + 3.0 * mean / d + 3.0 * s2 / (d * d) + s3 / (d * d * d);
}

TEST(Kid, ShiftedGaussianMatchesTheClosedForm) {
    // X ~ N(0, I_8), Y ~ N(0.5 * 1, I_8): MMD^2 = E k(x,x') + E k(y,y') - 2 E k(x,y).
    const double d = 8, shift = 0.5;
    const double expected = expected_kernel(0, 0, d) + expected_kernel(shift, shift, d) -
                            2.0 * expected_kernel(0, shift, d);
    ASSERT_GT(expected, 0.1);  // ~0.37: a clear signal
    const Matrix real = gaussian_points(4000, 8, 21);
    const Matrix fake = gaussian_points(4000, 8, 22, shift);
    const KidResult r = compute_kid(real, fake, options(100, 1000));
    // Unbiased: E[kid] = expected. Its spread is at most kid_std (see above); 3 kid_std.
    EXPECT_NEAR(r.kid, expected, 3.0 * r.kid_std) << "kid_std " << r.kid_std;
    EXPECT_LT(r.kid_std, 0.1 * expected);  // the test has power: 3 sd < 30% of the value
}

TEST(Kid, RejectsBadInput) {
    const Matrix x = gaussian_points(10, 3, 31);
    EXPECT_THROW(compute_kid(x, gaussian_points(10, 4, 32)), DataError);
    EXPECT_THROW(compute_kid(x, gaussian_points(1, 3, 33)), DataError);
    Matrix bad = x;
    bad(4, 1) = std::numeric_limits<double>::quiet_NaN();
    EXPECT_THROW(compute_kid(bad, x), DataError);
    EXPECT_THROW(compute_kid(x, x, options(0, 10)), ConfigError);
    EXPECT_THROW(compute_kid(x, x, options(10, 1)), ConfigError);
    EXPECT_THROW(KidMetric(options(0, 10)), ConfigError);
}

TEST(KidMetric, ReportsKidAndItsStd) {
    const FixedGaussianModel model(Vector::Zero(2), SquareMatrix::Identity(2, 2));
    const Matrix real = gaussian_points(50, 2, 41);
    const Matrix samples = gaussian_points(50, 2, 42, 3.0);
    const KidMetric metric;
    EXPECT_EQ(metric.name(), "kid");
    const MetricValues v = metric.compute({real, samples, model, std::nullopt});
    ASSERT_EQ(v.size(), 2u);
    EXPECT_EQ(v[0].first, "kid");
    EXPECT_NEAR(v[0].second, naive_mmd(real, samples), kTol);
    EXPECT_EQ(v[1].first, "kid_std");
    Matrix bad = samples;
    bad(0, 0) = std::numeric_limits<double>::infinity();
    EXPECT_TRUE(metric.compute({real, bad, model, std::nullopt}).empty());
}

}  // namespace
}  // namespace madlab
