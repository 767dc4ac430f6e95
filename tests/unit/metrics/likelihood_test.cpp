#include "madlab/metrics/likelihood.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "test_models.h"

namespace madlab {
namespace {

using testing::FixedGaussianModel;
using testing::NoDensityModel;

TEST(NllMetric, IsTheModelsMeanNllOfTheTestSet) {
    // 1-D N(1, 4) on the points {1, 3}: nll = 0.5 log(2 pi 4) + mean((x - 1)^2 / 8).
    Matrix real(2, 1);
    real << 1.0, 3.0;
    const FixedGaussianModel model(Vector::Constant(1, 1.0), SquareMatrix::Constant(1, 1, 4.0));
    const NllMetric metric;
    EXPECT_EQ(metric.name(), "nll");
    const MetricValues v = metric.compute(MetricInput{real, real, model, std::nullopt});
    ASSERT_EQ(v.size(), 1u);
    EXPECT_EQ(v[0].first, "nll");
    EXPECT_NEAR(v[0].second, 0.5 * std::log(2.0 * std::numbers::pi * 4.0) + 0.5 * (0.0 + 0.5),
                1e-12);
}

TEST(NllMetric, LeftOutWithoutADensity) {
    const Matrix real = Matrix::Zero(3, 1);
    const NoDensityModel model;
    EXPECT_TRUE(NllMetric().compute(MetricInput{real, real, model, std::nullopt}).empty());
}

}  // namespace
}  // namespace madlab
