#include "madlab/metrics/gaussian_drift.h"

#include <gtest/gtest.h>

#include <cmath>

#include "../test_support.h"
#include "madlab/core/error.h"
#include "test_models.h"

using madlab::testing::value_of;

namespace madlab {
namespace {

using testing::FixedGaussianModel;
using testing::NoDensityModel;

TEST(GaussianDrift, MeanErrorLogdetAndTraceRatios) {
    SquareMatrix s_model(2, 2), s_source(2, 2);
    s_model << 2.0, 0.5, 0.5, 1.0;   // det 1.75, trace 3
    s_source << 1.0, 0.0, 0.0, 4.0;  // det 4, trace 5
    Vector mu_model(2), mu_source(2);
    mu_model << 1.0, 2.0;
    mu_source << 0.0, 0.0;
    const FixedGaussianModel model(mu_model, s_model);
    const Matrix x = Matrix::Zero(4, 2);
    const GaussianDriftMetric metric;
    EXPECT_EQ(metric.name(), "gaussian_drift");
    const MetricValues v =
        metric.compute(MetricInput{x, x, model, GaussianParams{mu_source, s_source}});
    ASSERT_EQ(v.size(), 3u);
    EXPECT_NEAR(value_of(v, "mean_sq_err"), 5.0, 1e-12);
    EXPECT_NEAR(value_of(v, "cov_logdet_ratio"), std::log(1.75) - std::log(4.0), 1e-12);
    EXPECT_NEAR(value_of(v, "cov_trace_ratio"), 3.0 / 5.0, 1e-12);
}

TEST(GaussianDrift, SingularModelCovarianceGivesAFiniteLogdet) {
    SquareMatrix s_model = SquareMatrix::Zero(2, 2);
    s_model(0, 0) = 1.0;  // rank one
    const SquareMatrix s_source = SquareMatrix::Identity(2, 2);
    const FixedGaussianModel model(Vector::Zero(2), SquareMatrix::Identity(2, 2));
    EXPECT_NEAR(clamped_logdet(s_model), std::log(kLogdetFloor), 1e-9);
    EXPECT_TRUE(std::isfinite(clamped_logdet(SquareMatrix::Zero(3, 3))));
    EXPECT_NEAR(clamped_logdet(SquareMatrix::Zero(3, 3)), 3.0 * std::log(kLogdetFloor), 1e-9);
    EXPECT_NEAR(clamped_logdet(s_source), 0.0, 1e-15);
}

TEST(GaussianDrift, LeftOutWithoutAGaussianModelOrSource) {
    const Matrix x = Matrix::Zero(4, 2);
    const GaussianParams source{Vector::Zero(2), SquareMatrix::Identity(2, 2)};
    const FixedGaussianModel gaussian(Vector::Zero(2), SquareMatrix::Identity(2, 2));
    const NoDensityModel other;
    const GaussianDriftMetric metric;
    EXPECT_TRUE(metric.compute(MetricInput{x, x, gaussian, std::nullopt}).empty());
    EXPECT_TRUE(metric.compute(MetricInput{x, x, other, source}).empty());
    const GaussianParams zero_source{Vector::Zero(2), SquareMatrix::Zero(2, 2)};
    const MetricValues v = metric.compute(MetricInput{x, x, gaussian, zero_source});
    EXPECT_EQ(v.size(), 2u);  // no trace ratio against a zero trace
    const GaussianParams wrong{Vector::Zero(3), SquareMatrix::Identity(3, 3)};
    EXPECT_THROW(metric.compute(MetricInput{x, x, gaussian, wrong}), DataError);
}

}  // namespace
}  // namespace madlab
