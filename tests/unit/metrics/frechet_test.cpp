#include "madlab/metrics/frechet.h"

#include <gtest/gtest.h>

#include <Eigen/QR>
#include <cmath>
#include <utility>
#include <vector>

#include "madlab/core/error.h"
#include "madlab/core/rng.h"
#include "madlab/metrics/blas.h"
#include "test_models.h"

namespace madlab {
namespace {

using testing::FixedGaussianModel;
using testing::gaussian_points;
using testing::NoDensityModel;

Vector random_vector(Eigen::Index d, Rng& rng, double scale = 1.0) {
    Vector v(d);
    for (Eigen::Index i = 0; i < d; ++i) v[i] = scale * rng.normal();
    return v;
}

SquareMatrix random_orthogonal(Eigen::Index d, Rng& rng) {
    SquareMatrix a(d, d);
    for (Eigen::Index i = 0; i < d; ++i)
        for (Eigen::Index j = 0; j < d; ++j) a(i, j) = rng.normal();
    return Eigen::HouseholderQR<SquareMatrix>(a).householderQ();
}

SquareMatrix random_spd(Eigen::Index d, Rng& rng) {
    SquareMatrix a(d, d);
    for (Eigen::Index i = 0; i < d; ++i)
        for (Eigen::Index j = 0; j < d; ++j) a(i, j) = rng.normal();
    return a * a.transpose() / static_cast<double>(d) + 0.1 * SquareMatrix::Identity(d, d);
}

// ||mu1 - mu2||^2 + sum_i (sqrt(a_i) - sqrt(b_i))^2: the Frechet distance of Gaussians whose
// covariances share eigenvectors, with eigenvalues a and b.
double commuting_closed_form(const Vector& mu1, const Vector& a, const Vector& mu2,
                             const Vector& b) {
    return (mu1 - mu2).squaredNorm() + (a.cwiseSqrt() - b.cwiseSqrt()).squaredNorm();
}

TEST(FrechetDistance, DiagonalCovariancesMatchTheClosedForm) {
    Rng rng(1);
    for (Eigen::Index d : {1, 3, 10}) {
        const Vector mu1 = random_vector(d, rng), mu2 = random_vector(d, rng);
        Vector a(d), b(d);
        for (Eigen::Index i = 0; i < d; ++i) {
            a[i] = 0.1 + 3.0 * rng.uniform();
            b[i] = 0.1 + 3.0 * rng.uniform();
        }
        const double expected = commuting_closed_form(mu1, a, mu2, b);
        EXPECT_NEAR(frechet_distance(mu1, a.asDiagonal().toDenseMatrix(), mu2,
                                     b.asDiagonal().toDenseMatrix()),
                    expected, 1e-12 * (1.0 + expected));
    }
}

TEST(FrechetDistance, CommutingCovariancesMatchTheClosedForm) {
    Rng rng(2);
    const Eigen::Index d = 6;
    const SquareMatrix q = random_orthogonal(d, rng);
    Vector a(d), b(d);
    for (Eigen::Index i = 0; i < d; ++i) {
        a[i] = 0.05 + 2.0 * rng.uniform();
        b[i] = 0.05 + 2.0 * rng.uniform();
    }
    const SquareMatrix s1 = q * a.asDiagonal() * q.transpose();
    const SquareMatrix s2 = q * b.asDiagonal() * q.transpose();
    const Vector mu1 = random_vector(d, rng), mu2 = random_vector(d, rng);
    const double expected = commuting_closed_form(mu1, a, mu2, b);
    EXPECT_NEAR(frechet_distance(mu1, s1, mu2, s2), expected, 1e-10 * (1.0 + expected));
}

TEST(FrechetDistance, NonCommuting2x2MatchesTheTraceFormula) {
    // For 2 x 2 matrices, tr sqrt(M) = sqrt(tr M + 2 sqrt(det M)) with M similar to S1 S2, so
    // tr (S1 S2)^{1/2} = sqrt(tr(S1 S2) + 2 sqrt(det S1 det S2)): an independent formula.
    SquareMatrix s1(2, 2), s2(2, 2);
    s1 << 2.0, 0.6, 0.6, 1.0;
    s2 << 0.5, -0.3, -0.3, 1.5;
    Vector mu1(2), mu2(2);
    mu1 << 1.0, -2.0;
    mu2 << 0.5, 0.5;
    const double trace_sqrt =
        std::sqrt((s1 * s2).trace() + 2.0 * std::sqrt(s1.determinant() * s2.determinant()));
    const double expected = (mu1 - mu2).squaredNorm() + s1.trace() + s2.trace() - 2.0 * trace_sqrt;
    EXPECT_NEAR(frechet_distance(mu1, s1, mu2, s2), expected, 1e-12);
}

TEST(FrechetDistance, SingularAndZeroCovariancesDoNotFail) {
    Vector mu1(3), mu2(3);
    mu1 << 0.0, 1.0, 2.0;
    mu2 << 1.0, 1.0, 0.0;
    Vector a(3), b(3);
    a << 1.0, 0.0, 4.0;  // rank deficient
    b << 0.0, 2.0, 1.0;  // rank deficient, other null space
    EXPECT_NEAR(
        frechet_distance(mu1, a.asDiagonal().toDenseMatrix(), mu2, b.asDiagonal().toDenseMatrix()),
        commuting_closed_form(mu1, a, mu2, b), 1e-12);

    // Rank one against full rank, non-commuting (2-D): tr sqrt = sqrt(tr(S1 S2)) as det S1 = 0.
    SquareMatrix v(2, 1);
    v << 1.0, 2.0;
    const SquareMatrix s1 = v * v.transpose();
    SquareMatrix s2(2, 2);
    s2 << 1.0, 0.3, 0.3, 0.5;
    const Vector zero = Vector::Zero(2);
    EXPECT_NEAR(frechet_distance(zero, s1, zero, s2),
                s1.trace() + s2.trace() - 2.0 * std::sqrt((s1 * s2).trace()), 1e-12);

    // A zero covariance (a fully collapsed model): ||mu1 - mu2||^2 + tr S2.
    const SquareMatrix z = SquareMatrix::Zero(3, 3);
    const SquareMatrix s3 = b.asDiagonal().toDenseMatrix();
    EXPECT_NEAR(frechet_distance(mu1, z, mu2, s3), (mu1 - mu2).squaredNorm() + s3.trace(), 1e-12);
    EXPECT_NEAR(frechet_distance(mu2, s3, mu1, z), (mu1 - mu2).squaredNorm() + s3.trace(), 1e-12);
    EXPECT_EQ(frechet_distance(mu1, z, mu1, z), 0.0);
}

TEST(FrechetDistance, IdenticalIsZeroAndTheDistanceIsSymmetric) {
    Rng rng(3);
    for (Eigen::Index d : {2, 16, 64}) {
        const SquareMatrix s = random_spd(d, rng), t = random_spd(d, rng);
        const Vector mu = random_vector(d, rng), nu = random_vector(d, rng);
        EXPECT_NEAR(frechet_distance(mu, s, mu, s), 0.0, 1e-9) << "d=" << d;
        EXPECT_GE(frechet_distance(mu, s, mu, s), 0.0);
        const double st = frechet_distance(mu, s, nu, t), ts = frechet_distance(nu, t, mu, s);
        EXPECT_NEAR(st, ts, 1e-10 * (1.0 + st)) << "d=" << d;
        EXPECT_GT(st, 0.0);
    }
}

TEST(FrechetDistance, RejectsMismatchedDimensions) {
    const Vector mu = Vector::Zero(2);
    const SquareMatrix s = SquareMatrix::Identity(2, 2), s3 = SquareMatrix::Identity(3, 3);
    EXPECT_THROW(frechet_distance(mu, s, Vector::Zero(3), s3), DataError);
    EXPECT_THROW(frechet_distance(mu, s, mu, s3), DataError);
    EXPECT_THROW(frechet_distance(gaussian_points(10, 2, 1), gaussian_points(10, 3, 2)), DataError);
    EXPECT_THROW(frechet_distance(gaussian_points(1, 2, 1), gaussian_points(10, 2, 2)), DataError);
}

TEST(SampleMeanCovariance, DividesByNMinusOne) {
    Matrix x(3, 2);
    x << 0.0, 1.0, 2.0, 1.0, 4.0, 4.0;
    const GaussianParams p = sample_mean_covariance(x);
    EXPECT_DOUBLE_EQ(p.mean[0], 2.0);
    EXPECT_DOUBLE_EQ(p.mean[1], 2.0);
    EXPECT_DOUBLE_EQ(p.covariance(0, 0), 4.0);  // (4 + 0 + 4) / 2
    EXPECT_DOUBLE_EQ(p.covariance(1, 1), 3.0);  // (1 + 1 + 4) / 2
    EXPECT_DOUBLE_EQ(p.covariance(0, 1), 3.0);  // (2 + 0 + 4) / 2
    EXPECT_DOUBLE_EQ(p.covariance(1, 0), 3.0);
    EXPECT_THROW(sample_mean_covariance(Matrix(1, 2)), DataError);
}

TEST(FrechetDistance, SampleEstimateConvergesToTheClosedForm) {
    // x ~ N(mu1, S1), y ~ N(mu2, S2) with n = 200000 each in 3-D; the estimate's bias is
    // O(d / n) and its spread O(1 / sqrt(n)), about 0.01 here.
    Rng rng(4);
    SquareMatrix s1(3, 3), s2(3, 3);
    s1 << 1.0, 0.3, 0.0, 0.3, 0.5, 0.1, 0.0, 0.1, 2.0;
    s2 << 0.4, -0.1, 0.0, -0.1, 1.5, 0.2, 0.0, 0.2, 0.8;
    Vector mu1(3), mu2(3);
    mu1 << 0.0, 1.0, -1.0;
    mu2 << 0.5, 0.5, 0.0;
    const FixedGaussianModel p(mu1, s1), q(mu2, s2);
    const Matrix x = p.sample(200000, 1.0, rng), y = q.sample(200000, 1.0, rng);
    const double exact = frechet_distance(mu1, s1, mu2, s2);
    EXPECT_NEAR(frechet_distance(x, y), exact, 0.03);
    EXPECT_NEAR(frechet_distance(x, y), frechet_distance(y, x), 1e-10);
}

TEST(FrechetMetric, UsesTheClosedFormForAGaussianModelAndSource) {
    Rng rng(5);
    const SquareMatrix s_model = random_spd(2, rng), s_source = random_spd(2, rng);
    Vector mu_model(2), mu_source(2);
    mu_model << 0.3, -0.2;
    mu_source << 0.0, 0.0;
    const FixedGaussianModel model(mu_model, s_model);
    const Matrix real = gaussian_points(500, 2, 6), samples = model.sample(400, 1.0, rng);
    const FrechetMetric metric;
    EXPECT_EQ(metric.name(), "frechet");

    const MetricValues exact =
        metric.compute(MetricInput{real, samples, model, GaussianParams{mu_source, s_source}});
    ASSERT_EQ(exact.size(), 1u);
    EXPECT_EQ(exact[0].first, "frechet");
    EXPECT_DOUBLE_EQ(exact[0].second, frechet_distance(mu_model, s_model, mu_source, s_source));

    // Without the source's parameters: from the samples.
    const MetricValues sampled = metric.compute(MetricInput{real, samples, model, std::nullopt});
    ASSERT_EQ(sampled.size(), 1u);
    EXPECT_DOUBLE_EQ(sampled[0].second, frechet_distance(real, samples));
}

TEST(FrechetMetric, TheClosedFormScoresTheBiasedDistributionTheSamplesComeFrom) {
    // A model N(mu, Q diag(a) Q^T) sampled with bias lambda draws from N(mu, lambda Q diag(a)
    // Q^T); against a source N(mu_s, Q diag(b) Q^T) (the same eigenvectors) the squared
    // 2-Wasserstein distance is ||mu - mu_s||^2 + sum_i (sqrt(lambda a_i) - sqrt(b_i))^2.
    Rng rng(11);
    const Eigen::Index d = 3;
    const SquareMatrix q = random_orthogonal(d, rng);
    Vector a(d), b(d);
    a << 2.0, 0.7, 0.05;
    b << 1.0, 1.5, 0.3;
    const SquareMatrix s_model = q * a.asDiagonal() * q.transpose();
    const SquareMatrix s_source = q * b.asDiagonal() * q.transpose();
    const Vector mu_model = random_vector(d, rng), mu_source = random_vector(d, rng);
    const FixedGaussianModel model(mu_model, s_model);
    const Matrix real = gaussian_points(50, d, 12);
    const FrechetMetric metric;
    for (const double lambda : {1.0, 0.9, 0.5, 0.1}) {
        const Matrix samples = model.sample(50, lambda, rng);
        const MetricValues v = metric.compute(
            MetricInput{real, samples, model, GaussianParams{mu_source, s_source}, lambda});
        ASSERT_EQ(v.size(), 1u);
        const double expected = commuting_closed_form(mu_model, lambda * a, mu_source, b);
        EXPECT_NEAR(v[0].second, expected, 1e-12 * (1.0 + expected)) << "lambda = " << lambda;
        // Not the fit's distance (which ignores lambda) unless lambda = 1.
        if (lambda < 1.0) {
            EXPECT_GT(std::abs(v[0].second - commuting_closed_form(mu_model, a, mu_source, b)),
                      1e-3)
                << "lambda = " << lambda;
        }
    }
    // A source equal to the biased model is at distance 0.
    const MetricValues same = metric.compute(
        MetricInput{real, real, model, GaussianParams{mu_model, 0.25 * s_model}, 0.25});
    ASSERT_EQ(same.size(), 1u);
    EXPECT_NEAR(same[0].second, 0.0, 1e-12);
}

TEST(FrechetMetric, TheClosedFormAgreesWithTheSampleEstimateUnderBias) {
    // The exact value for a biased Gaussian model and the sample-based value of its own biased
    // samples estimate the same quantity. With N = M = 100000 points in 2-D the sample
    // estimate's standard deviation is O(1 / sqrt(N)) times the scale of the covariances (about
    // 0.005 here; its bias is O(d / N)), so 0.03 is about 6 standard deviations; the fit's
    // distance (lambda ignored) is 0.10 away at lambda = 0.5 and would fail.
    Rng rng(13);
    SquareMatrix s_source(2, 2);
    s_source << 1.0, 0.3, 0.3, 0.6;
    const Vector mu_source = Vector::Zero(2);
    const FixedGaussianModel source(mu_source, s_source);
    const FixedGaussianModel model(mu_source, s_source);  // the fit is exact
    const Matrix real = source.sample(100000, 1.0, rng);
    const Matrix samples = model.sample(100000, 0.5, rng);
    const FrechetMetric metric;
    const MetricValues exact =
        metric.compute(MetricInput{real, samples, model, GaussianParams{mu_source, s_source}, 0.5});
    ASSERT_EQ(exact.size(), 1u);
    // Closed form: tr(S) (1 - sqrt(lambda))^2 = 1.6 * 0.0858 = 0.1373.
    EXPECT_NEAR(exact[0].second, 1.6 * std::pow(1.0 - std::sqrt(0.5), 2), 1e-12);
    EXPECT_NEAR(exact[0].second, frechet_distance(real, samples), 0.03);
}

TEST(FrechetMetric, UsesSamplesForOtherModelsAndSkipsUndefinedValues) {
    const NoDensityModel model;
    const Matrix real = gaussian_points(300, 2, 7), samples = gaussian_points(200, 2, 8, 0.5);
    const GaussianParams source{Vector::Zero(2), SquareMatrix::Identity(2, 2)};
    const FrechetMetric metric;
    const MetricValues v = metric.compute(MetricInput{real, samples, model, source});
    ASSERT_EQ(v.size(), 1u);
    EXPECT_DOUBLE_EQ(v[0].second, frechet_distance(real, samples));
    EXPECT_TRUE(metric.compute(MetricInput{real, Matrix(1, 2), model, source}).empty());
    Matrix broken = samples;
    broken(0, 1) = std::numeric_limits<double>::quiet_NaN();
    EXPECT_TRUE(metric.compute(MetricInput{real, broken, model, source}).empty());
}

// ---- large d: the LAPACK path (blas.h) against the Eigen path and closed forms -------------

// Q D Q^T with Q a product of a permutation and random 2 x 2 rotations: covariances that share
// eigenvectors, cheap to build at d = 2048 (a dense random orthogonal matrix is not).
SquareMatrix rotated_diagonal(const Vector& eig, const std::vector<Eigen::Index>& perm,
                              const Vector& angles) {
    const Eigen::Index d = eig.size();
    SquareMatrix out = SquareMatrix::Zero(d, d);
    // Q's columns i and i + 1 (i even) are c e_p + s e_q and -s e_p + c e_q with p = perm[i],
    // q = perm[i + 1]: S = sum_k eig_k q_k q_k^T touches a 2 x 2 block per pair.
    for (Eigen::Index i = 0; i + 1 < d; i += 2) {
        const double c = std::cos(angles[i / 2]), s = std::sin(angles[i / 2]);
        const Eigen::Index p = perm[static_cast<std::size_t>(i)];
        const Eigen::Index q = perm[static_cast<std::size_t>(i + 1)];
        out(p, p) = c * c * eig[i] + s * s * eig[i + 1];
        out(q, q) = s * s * eig[i] + c * c * eig[i + 1];
        out(p, q) = out(q, p) = c * s * (eig[i] - eig[i + 1]);
    }
    if (d % 2 == 1) {
        const Eigen::Index p = perm[static_cast<std::size_t>(d - 1)];
        out(p, p) = eig[d - 1];
    }
    return out;
}

TEST(FrechetDistance, LapackPathMatchesTheClosedFormAtD2048) {
    if (!blas_available()) GTEST_SKIP() << blas_description();
    Rng rng(51);
    const Eigen::Index d = 2048;
    std::vector<Eigen::Index> perm(static_cast<std::size_t>(d));
    for (Eigen::Index i = 0; i < d; ++i) perm[static_cast<std::size_t>(i)] = i;
    for (Eigen::Index i = d - 1; i > 0; --i)
        std::swap(perm[static_cast<std::size_t>(i)],
                  perm[rng.uniform_int(static_cast<std::uint64_t>(i + 1))]);
    Vector angles(d / 2), a(d), b(d);
    for (Eigen::Index i = 0; i < d / 2; ++i) angles[i] = 6.28 * rng.uniform();
    for (Eigen::Index i = 0; i < d; ++i) {
        a[i] = 0.01 + 2.0 * rng.uniform();
        b[i] = 0.01 + 2.0 * rng.uniform();
    }
    const Vector mu1 = random_vector(d, rng), mu2 = random_vector(d, rng, 0.5);
    const double expected = commuting_closed_form(mu1, a, mu2, b);
    const SquareMatrix s1 = rotated_diagonal(a, perm, angles);
    const SquareMatrix s2 = rotated_diagonal(b, perm, angles);
    // Positive definite S1: the Cholesky route. Relative 1e-9: eigenvalues of a well-conditioned
    // (condition ~200) matrix are exact to ~1e-16 * d * norm; summed over 2048 square roots.
    EXPECT_NEAR(frechet_distance(mu1, s1, mu2, s2), expected, 1e-9 * expected);
    // Singular S1 (a quarter of its eigenvalues 0): the eigendecomposition route.
    Vector a0 = a;
    for (Eigen::Index i = 0; i < d; i += 4) a0[i] = 0.0;
    const SquareMatrix s1_singular = rotated_diagonal(a0, perm, angles);
    const double expected0 = commuting_closed_form(mu1, a0, mu2, b);
    EXPECT_NEAR(frechet_distance(mu1, s1_singular, mu2, s2), expected0, 1e-7 * expected0);
}

TEST(FrechetDistance, LapackPathMatchesTheEigenPath) {
    // d = 200 (above the switch at 128): random dense covariances, positive definite and rank
    // deficient (the last rank-deficient case exercises the eigendecomposition fallback).
    Rng rng(52);
    const Eigen::Index d = 200;
    const SquareMatrix s1 = random_spd(d, rng), s2 = random_spd(d, rng);
    Matrix low(d, 50);
    for (Eigen::Index i = 0; i < low.size(); ++i) low.data()[i] = rng.normal();
    const SquareMatrix s3 = low * low.transpose() / 50.0;  // rank 50
    const Vector mu1 = random_vector(d, rng), mu2 = random_vector(d, rng);
    for (const auto& [x, y] : {std::pair{&s1, &s2}, {&s3, &s2}, {&s2, &s3}, {&s3, &s3}}) {
        set_blas_enabled(false);
        const double eigen = frechet_distance(mu1, *x, mu2, *y);
        set_blas_enabled(true);
        const double lapack = frechet_distance(mu1, *x, mu2, *y);
        // Both are backward stable; the trace term of a rank-deficient S1 loses ~sqrt(eps) on the
        // clamped eigenvalues (sqrt of a 1e-16 rounding residue), hence 1e-6 absolute.
        EXPECT_NEAR(lapack, eigen, 1e-9 * eigen + 1e-6);
    }
}

TEST(SampleMeanCovariance, BlasTilesMatchEigenAndDoNotDependOnThreads) {
    // d = 1100: three tiles of 512 per side, with a ragged last one.
    const Matrix x = gaussian_points(1200, 1100, 53, 0.5, 2.0);
    set_blas_enabled(false);
    const GaussianParams eigen = sample_mean_covariance(x);
    set_blas_enabled(true);
    const GaussianParams one = sample_mean_covariance(x, 1);
    const GaussianParams two = sample_mean_covariance(x, 2);
    EXPECT_EQ(one.covariance, two.covariance);
    EXPECT_EQ(one.mean, eigen.mean);
    // Entries are ~4 (variance 4) summed over 1200 products: rounding ~1e-13.
    EXPECT_LT((one.covariance - eigen.covariance).cwiseAbs().maxCoeff(), 1e-11);
    EXPECT_EQ(one.covariance, one.covariance.transpose());
}

}  // namespace
}  // namespace madlab
