#include "madlab/data/regression_source.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "madlab/core/error.h"

namespace madlab {
namespace {

TEST(RegressionSource, DefaultWeightsHaveUnitNorm) {
    const Vector w = RegressionSource::default_weights(10);
    ASSERT_EQ(w.size(), 10);
    EXPECT_NEAR(w.norm(), 1.0, 1e-15);
    EXPECT_DOUBLE_EQ(w(3), 1.0 / std::sqrt(10.0));
}

TEST(RegressionSource, RowsAreFeaturesThenTheirNoisyLabel) {
    Vector w(3);
    w << 1.0, -2.0, 0.5;
    const RegressionSource source(w, 0.0);
    EXPECT_EQ(source.dim(), 4u);
    EXPECT_EQ(source.features(), 3u);
    Rng rng(7);
    const Matrix x = source.draw_train(50, rng);
    ASSERT_EQ(x.cols(), 4);
    // sigma = 0: every label is exactly x . w*.
    for (Eigen::Index i = 0; i < x.rows(); ++i)
        EXPECT_NEAR(x(i, 3), x.row(i).head(3).dot(w), 1e-12);
    // The documented draw order: d normals for x, then one for the noise.
    const RegressionSource noisy(w, 2.0);
    Rng a(3), b(3);
    const Matrix row = noisy.sample(1, a);
    Vector z(4);
    for (int j = 0; j < 4; ++j) z(j) = b.normal();
    EXPECT_DOUBLE_EQ(row(0, 0), z(0));
    EXPECT_DOUBLE_EQ(row(0, 2), z(2));
    EXPECT_NEAR(row(0, 3), z.head(3).dot(w) + 2.0 * z(3), 1e-12);
}

// The second moments of 200000 rows against the joint covariance gaussian() returns: entry (i, j)
// of the (zero-mean) moment matrix has standard error sqrt((S_ii S_jj + S_ij^2) / n), largest for
// the label's (2, 2): sqrt(2 * 1.25^2 / 200000) = 0.0040; 0.016 is 4 of them.
TEST(RegressionSource, SampleMomentsMatchTheJointGaussian) {
    Vector w(2);
    w << 0.6, -0.8;
    const RegressionSource source(w, 0.5);
    const GaussianParams g = *source.gaussian();
    EXPECT_TRUE(g.mean.isZero());
    EXPECT_NEAR(g.covariance(2, 2), 1.0 + 0.25, 1e-15);
    EXPECT_NEAR(g.covariance(0, 2), 0.6, 1e-15);
    EXPECT_NEAR(g.covariance(2, 1), -0.8, 1e-15);
    EXPECT_NEAR(g.covariance(0, 1), 0.0, 1e-15);
    Rng rng(11);
    const Matrix x = source.sample(200000, rng);
    const Matrix c = x.transpose() * x / static_cast<double>(x.rows());
    for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 3; ++j) EXPECT_NEAR(c(i, j), g.covariance(i, j), 0.016) << i << j;
}

TEST(RegressionSource, MeanNllIsTheJointGaussianDensity) {
    Vector w(2);
    w << 0.6, -0.8;
    const RegressionSource source(w, 0.5);
    Rng rng(5);
    const Matrix x = source.sample(7, rng);
    // Reference: the joint Gaussian's -log density by a direct inverse and determinant.
    const GaussianParams g = *source.gaussian();
    const SquareMatrix inverse = g.covariance.inverse();
    double expected = 0.0;
    for (Eigen::Index i = 0; i < x.rows(); ++i) {
        const Vector r = x.row(i).transpose();
        expected += 0.5 * (3.0 * std::log(2.0 * std::numbers::pi) +
                           std::log(g.covariance.determinant()) + r.dot(inverse * r));
    }
    EXPECT_NEAR(*source.mean_nll(x), expected / 7.0, 1e-12);
    EXPECT_FALSE(RegressionSource(w, 0.0).mean_nll(x).has_value());
}

TEST(RegressionSource, BadParametersNameTheirKey) {
    auto message = [](auto&& make) {
        try {
            make();
        } catch (const ConfigError& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    EXPECT_NE(message([] { RegressionSource(Vector(), 1.0); }).find("source.weights"),
              std::string::npos);
    EXPECT_NE(message([] { RegressionSource(Vector::Ones(2), -1.0); }).find("source.noise"),
              std::string::npos);
    EXPECT_NE(
        message([] { RegressionSource(Vector::Constant(2, NAN), 1.0); }).find("source.weights"),
        std::string::npos);
}

}  // namespace
}  // namespace madlab
