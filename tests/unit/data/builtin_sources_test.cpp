#include "madlab/data/builtin_sources.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <vector>

#include "../test_support.h"
#include "madlab/core/error.h"

using madlab::testing::error_of;

namespace madlab {
namespace {

using ::testing::HasSubstr;

// Pearson's chi-square statistic of observed counts against expected probabilities.
double chi_square(const std::vector<std::size_t>& counts, const std::vector<double>& p,
                  std::size_t n) {
    double stat = 0;
    for (std::size_t k = 0; k < counts.size(); ++k) {
        const double expected = p[k] * static_cast<double>(n);
        stat += std::pow(static_cast<double>(counts[k]) - expected, 2) / expected;
    }
    return stat;
}

TEST(Grid25, MeansMatchTheReferenceScript) {
    const GaussianMixtureSource grid = make_grid25();
    EXPECT_EQ(grid.describe(), "grid25");
    EXPECT_EQ(grid.dim(), 2u);
    ASSERT_EQ(grid.num_components(), 25u);
    // common.py: centers = 2 * [(i, j) for i in -2..2 for j in -2..2].
    for (int i = -2; i <= 2; ++i) {
        for (int j = -2; j <= 2; ++j) {
            const int c = 5 * (i + 2) + (j + 2);
            EXPECT_EQ(grid.means()(c, 0), 2.0 * i);
            EXPECT_EQ(grid.means()(c, 1), 2.0 * j);
            EXPECT_EQ(grid.stds()[c], 0.05);
            EXPECT_DOUBLE_EQ(grid.weights()[c], 1.0 / 25);
        }
    }
    EXPECT_FALSE(grid.gaussian().has_value());
}

TEST(Grid25, ComponentFrequenciesMeansAndVariances) {
    const GaussianMixtureSource grid = make_grid25();
    Rng rng(2024);
    const std::size_t n = 100000;
    std::vector<std::size_t> label;
    const Matrix x = grid.sample(n, rng, &label);
    ASSERT_EQ(x.rows(), static_cast<Eigen::Index>(n));
    ASSERT_EQ(x.cols(), 2);

    std::vector<std::size_t> counts(25, 0);
    std::vector<Eigen::Vector2d> sum(25, Eigen::Vector2d::Zero());
    std::vector<Eigen::Vector2d> sum2(25, Eigen::Vector2d::Zero());
    for (std::size_t i = 0; i < n; ++i) {
        const std::size_t c = label[i];
        ASSERT_LT(c, 25u);
        ++counts[c];
        const Eigen::Vector2d p = x.row(static_cast<Eigen::Index>(i)).transpose();
        sum[c] += p;
        sum2[c] += p.cwiseProduct(p);
        // std 0.05 against spacing 2: every point is nearest to its own mean.
        Eigen::Index nearest;
        (grid.means().rowwise() - x.row(static_cast<Eigen::Index>(i)))
            .rowwise()
            .squaredNorm()
            .minCoeff(&nearest);
        ASSERT_EQ(static_cast<std::size_t>(nearest), c);
    }
    // Uniform components: chi-square with 24 degrees of freedom, 0.999 quantile 51.18.
    EXPECT_LT(chi_square(counts, std::vector<double>(25, 1.0 / 25), n), 51.18);
    for (std::size_t c = 0; c < 25; ++c) {
        const double m = static_cast<double>(counts[c]);
        for (int j = 0; j < 2; ++j) {
            const double mean = sum[c](j) / m;
            const double var = sum2[c](j) / m - mean * mean;
            // Standard errors: 0.05 / sqrt(m) for the mean, 0.05^2 sqrt(2 / m) for the variance.
            EXPECT_NEAR(mean, grid.means()(static_cast<Eigen::Index>(c), j),
                        5 * 0.05 / std::sqrt(m));
            EXPECT_NEAR(var, 0.0025, 5 * 0.0025 * std::sqrt(2.0 / m));
        }
    }
}

TEST(Grid25, DrawsAreDeterministicAndLabelsDoNotChangeThem) {
    const GaussianMixtureSource grid = make_grid25();
    Rng a(7), b(7), c(7);
    std::vector<std::size_t> label;
    const Matrix x = grid.draw_train(500, a);
    const Matrix y = grid.draw_test(500, b);
    const Matrix z = grid.sample(500, c, &label);
    EXPECT_EQ(x, y);
    EXPECT_EQ(x, z);
}

TEST(Grid25, TrueNllOfItsOwnSampleIsItsEntropy) {
    const GaussianMixtureSource grid = make_grid25();
    Rng rng(3);
    const Matrix x = grid.sample(100000, rng);
    // Well-separated components: H = log 25 + (d / 2) log(2 pi e std^2).
    const double entropy = std::log(25.0) + std::log(2 * std::numbers::pi * std::exp(1.0) * 0.0025);
    const auto nll = grid.mean_nll(x);
    ASSERT_TRUE(nll.has_value());
    EXPECT_NEAR(*nll, entropy, 0.02);  // standard error 1 / sqrt(1e5) = 0.003
}

TEST(Ring8, RadiusAnglesAndFrequencies) {
    const GaussianMixtureSource ring = make_ring8();
    EXPECT_EQ(ring.describe(), "ring8");
    ASSERT_EQ(ring.num_components(), 8u);
    for (int i = 0; i < 8; ++i) {
        EXPECT_NEAR(ring.means()(i, 0), 2 * std::cos(std::numbers::pi * i / 4), 1e-15);
        EXPECT_NEAR(ring.means()(i, 1), 2 * std::sin(std::numbers::pi * i / 4), 1e-15);
        EXPECT_EQ(ring.stds()[i], 0.02);
    }
    Rng rng(11);
    const std::size_t n = 80000;
    std::vector<std::size_t> label;
    const Matrix x = ring.sample(n, rng, &label);
    std::vector<std::size_t> counts(8, 0);
    double sum_r = 0, sum_r2 = 0;
    for (std::size_t i = 0; i < n; ++i) {
        ++counts[label[i]];
        const double r = x.row(static_cast<Eigen::Index>(i)).norm();
        sum_r += r;
        sum_r2 += r * r;
        // The angle is within 6 std / radius of the component's angle.
        const double angle =
            std::atan2(x(static_cast<Eigen::Index>(i), 1), x(static_cast<Eigen::Index>(i), 0));
        const double expected = std::numbers::pi * static_cast<double>(label[i]) / 4;
        const double diff = std::remainder(angle - expected, 2 * std::numbers::pi);
        ASSERT_LT(std::fabs(diff), 6 * 0.02 / 2);
    }
    const double mean_r = sum_r / n;
    const double sd_r = std::sqrt(sum_r2 / n - mean_r * mean_r);
    // Radius of a point N(m, s^2 I) with |m| = 2: mean 2 + s^2 / 4 = 2.0001, sd about s.
    EXPECT_NEAR(mean_r, 2.0001, 5 * 0.02 / std::sqrt(n));
    EXPECT_NEAR(sd_r, 0.02, 0.02 * 5 * std::sqrt(0.5 / n));
    // Chi-square with 7 degrees of freedom, 0.999 quantile 24.32.
    EXPECT_LT(chi_square(counts, std::vector<double>(8, 1.0 / 8), n), 24.32);
}

TEST(TwoGaussians, MomentsAndDensity) {
    const GaussianMixtureSource two = make_two_gaussians();
    EXPECT_EQ(two.describe(), "two-gaussians");
    EXPECT_EQ(two.dim(), 1u);
    Rng rng(5);
    const std::size_t n = 200000;
    const Matrix x = two.sample(n, rng);
    const double mean = x.mean();
    const double var = (x.array() - mean).square().mean();
    std::size_t positive = 0;
    for (Eigen::Index i = 0; i < x.rows(); ++i) positive += x(i, 0) > 0;
    // Mean 0, variance 2^2 + 0.5^2 = 4.25 (fourth central moment 4^2+6*4*.25+3*.0625 = 22.19).
    EXPECT_NEAR(mean, 0.0, 5 * std::sqrt(4.25 / n));
    EXPECT_NEAR(var, 4.25, 5 * std::sqrt((22.1875 - 4.25 * 4.25) / n));
    EXPECT_NEAR(static_cast<double>(positive) / n, 0.5, 5 * 0.5 / std::sqrt(n));

    // p(x) = 0.5 N(x; -2, 0.25) + 0.5 N(x; 2, 0.25) at a few points.
    for (double v : {-2.0, 0.0, 0.7, 3.1}) {
        const auto normal = [](double y, double m) {
            return std::exp(-0.5 * (y - m) * (y - m) / 0.25) /
                   std::sqrt(2 * std::numbers::pi * 0.25);
        };
        Matrix point(1, 1);
        point << v;
        EXPECT_NEAR(*two.mean_nll(point), -std::log(0.5 * normal(v, -2) + 0.5 * normal(v, 2)),
                    1e-12);
    }
}

TEST(GaussianMixtureSource, UnequalWeightsAreFollowedAndZeroWeightsNeverDrawn) {
    Matrix means(3, 1);
    means << -5, 0, 5;
    const GaussianMixtureSource mix({1.0, 0.0, 3.0}, means, {1.0, 1.0, 1.0});
    EXPECT_EQ(mix.describe(), "gaussian-mixture");
    EXPECT_DOUBLE_EQ(mix.weights()[0], 0.25);
    EXPECT_DOUBLE_EQ(mix.weights()[2], 0.75);
    Rng rng(9);
    const std::size_t n = 40000;
    std::vector<std::size_t> label;
    mix.sample(n, rng, &label);
    std::vector<std::size_t> counts(3, 0);
    for (std::size_t c : label) ++counts[c];
    EXPECT_EQ(counts[1], 0u);
    // One degree of freedom: 0.999 quantile 10.83.
    EXPECT_LT(chi_square({counts[0], counts[2]}, {0.25, 0.75}, n), 10.83);
}

TEST(GaussianMixtureSource, RejectsBadParametersNamingTheKey) {
    Matrix means(2, 1);
    means << 0, 1;
    EXPECT_THAT(error_of([&] {
                    GaussianMixtureSource({1, -1}, means, {1, 1});
                }),
                HasSubstr("source.weights entry 2 is -1"));
    EXPECT_THAT(error_of([&] {
                    GaussianMixtureSource({0, 0}, means, {1, 1});
                }),
                HasSubstr("source.weights are all 0"));
    EXPECT_THAT(error_of([&] {
                    GaussianMixtureSource({1, 1}, means, {1, 0});
                }),
                HasSubstr("source.stds entry 2 is 0"));
    EXPECT_THAT(error_of([&] {
                    GaussianMixtureSource({1, 1}, means, {1});
                }),
                HasSubstr("source.stds has 1 entries but source.weights has 2"));
    EXPECT_THAT(error_of([&] {
                    GaussianMixtureSource({1, 1, 1}, means, {1, 1, 1});
                }),
                HasSubstr("source.means is 2 x 1 but source.weights has 3"));
    EXPECT_THROW(GaussianMixtureSource({}, Matrix(0, 1), {}), ConfigError);
}

TEST(Rosenbrock, MomentsAndEntropy) {
    const RosenbrockSource banana;
    Rng rng(4);
    const Matrix x = banana.sample(100000, rng);
    // x1 ~ N(0, 1): mean 0, variance 1; E[x2] = E[x1^2] = 1; Var x2 = Var(x1^2) + 0.0625 = 2.0625.
    // Standard errors at n = 1e5: 0.003 (mean x1), 0.0045 (var x1), 0.0045 (mean x2), 0.02
    // (var x2, fourth moments); tolerances are about 5 of them.
    const double m1 = x.col(0).mean(), m2 = x.col(1).mean();
    EXPECT_NEAR(m1, 0.0, 0.015);
    EXPECT_NEAR((x.col(0).array() - m1).square().mean(), 1.0, 0.025);
    EXPECT_NEAR(m2, 1.0, 0.025);
    EXPECT_NEAR((x.col(1).array() - m2).square().mean(), 2.0625, 0.1);
    // The NLL of its own sample is its entropy: log(2 pi e) + log(0.25).
    const double entropy = std::log(2 * std::numbers::pi * std::exp(1.0)) + std::log(0.25);
    EXPECT_NEAR(*banana.mean_nll(x), entropy, 0.02);  // standard error 1 / sqrt(1e5)
    EXPECT_EQ(banana.dim(), 2u);
}

TEST(BuiltinSources, ByName) {
    for (const std::string& name : builtin_source_names()) {
        const auto source = make_builtin_source(name);
        EXPECT_EQ(source->describe(), name);
    }
    EXPECT_EQ(make_builtin_source("two-gaussians")->dim(), 1u);
    EXPECT_THAT(error_of([] { make_builtin_source("grid52"); }),
                HasSubstr("source.name 'grid52' is not a built-in distribution; use one of "
                          "grid25, ring8, two-gaussians"));
}

SquareMatrix example_covariance() {
    SquareMatrix cov(3, 3);
    cov << 2.0, 0.6, -0.4,  //
        0.6, 1.0, 0.3,      //
        -0.4, 0.3, 0.5;
    return cov;
}

TEST(GaussianSource, SampleMeanAndCovarianceWithinStandardErrors) {
    Vector mean(3);
    mean << 1.0, -2.0, 0.5;
    const SquareMatrix cov = example_covariance();
    const GaussianSource source(mean, cov);
    EXPECT_EQ(source.dim(), 3u);
    EXPECT_EQ(source.describe(), "gaussian (d = 3)");
    EXPECT_TRUE((source.factor() * source.factor().transpose()).isApprox(cov, 1e-14));
    const auto params = source.gaussian();
    ASSERT_TRUE(params.has_value());
    EXPECT_EQ(params->mean, mean);
    EXPECT_EQ(params->covariance, cov);

    Rng rng(17);
    const std::size_t n = 200000;
    const Matrix x = source.draw_train(n, rng);
    const Vector m = x.colwise().mean().transpose();
    const Matrix centred = x.rowwise() - m.transpose();
    const SquareMatrix s = centred.transpose() * centred / static_cast<double>(n - 1);
    for (int i = 0; i < 3; ++i) {
        EXPECT_NEAR(m(i), mean(i), 5 * std::sqrt(cov(i, i) / n));
        for (int j = 0; j < 3; ++j) {
            // Var of a sample covariance entry: (S_ii S_jj + S_ij^2) / n.
            const double se = std::sqrt((cov(i, i) * cov(j, j) + cov(i, j) * cov(i, j)) / n);
            EXPECT_NEAR(s(i, j), cov(i, j), 5 * se) << i << "," << j;
        }
    }
}

TEST(GaussianSource, TrueNllIsTheGaussianLogDensity) {
    Vector mean(2);
    mean << 1.0, -1.0;
    SquareMatrix cov(2, 2);
    cov << 2.0, 0.5, 0.5, 1.0;
    const GaussianSource source(mean, cov);
    Matrix x(2, 2);
    x << 1.0, -1.0,  //
        0.0, 2.0;
    double expected = 0;
    for (int i = 0; i < 2; ++i) {
        const Vector r = x.row(i).transpose() - mean;
        expected += std::log(2 * std::numbers::pi) + 0.5 * std::log(cov.determinant()) +
                    0.5 * r.dot(cov.inverse() * r);
    }
    EXPECT_NEAR(*source.mean_nll(x), expected / 2, 1e-12);
}

TEST(GaussianSource, SingularCovarianceSamplesOnTheSubspace) {
    Vector mean(2);
    mean << 0.0, 3.0;
    SquareMatrix cov(2, 2);
    cov << 1.0, 1.0, 1.0, 1.0;  // x1 - x0 is constant
    const GaussianSource source(mean, cov);
    Rng rng(1);
    const Matrix x = source.draw_test(1000, rng);
    for (Eigen::Index i = 0; i < x.rows(); ++i) EXPECT_NEAR(x(i, 1) - x(i, 0), 3.0, 1e-12);
    EXPECT_NEAR((x.col(0).array() - x.col(0).mean()).square().mean(), 1.0, 0.15);
    EXPECT_FALSE(source.mean_nll(x).has_value());

    const GaussianSource point(mean, SquareMatrix::Zero(2, 2));
    const Matrix y = point.draw_train(10, rng);
    for (Eigen::Index i = 0; i < y.rows(); ++i) EXPECT_EQ(y.row(i), mean.transpose());
}

TEST(GaussianSource, RejectsBadCovarianceNamingTheKey) {
    Vector mean2 = Vector::Zero(2);
    SquareMatrix asym(2, 2);
    asym << 1.0, 0.5, 0.4, 1.0;
    EXPECT_THAT(error_of([&] { GaussianSource(mean2, asym); }),
                HasSubstr("source.covariance is not symmetric: row 1 column 2 is 0.5 but row 2 "
                          "column 1 is 0.4"));
    SquareMatrix indefinite(2, 2);
    indefinite << 1.0, 2.0, 2.0, 1.0;  // eigenvalues 3 and -1
    EXPECT_THAT(error_of([&] { GaussianSource(mean2, indefinite); }),
                HasSubstr("source.covariance is not positive semi-definite: its smallest "
                          "eigenvalue is -1"));
    EXPECT_THAT(error_of([&] { GaussianSource(Vector::Zero(3), SquareMatrix::Identity(2, 2)); }),
                HasSubstr("source.covariance is 2 x 2 but source.mean has 3 entries"));
    EXPECT_THAT(error_of([&] { GaussianSource(Vector(0), SquareMatrix(0, 0)); }),
                HasSubstr("source.mean is empty"));
    SquareMatrix nan_cov = SquareMatrix::Identity(2, 2);
    nan_cov(0, 0) = std::nan("");
    EXPECT_THROW(GaussianSource(mean2, nan_cov), ConfigError);
    // Round-off asymmetry is tolerated and symmetrised.
    SquareMatrix nearly = SquareMatrix::Identity(2, 2);
    nearly(0, 1) = 0.3;
    nearly(1, 0) = 0.3 + 1e-15;
    EXPECT_NO_THROW(GaussianSource(mean2, nearly));
}

}  // namespace
}  // namespace madlab
