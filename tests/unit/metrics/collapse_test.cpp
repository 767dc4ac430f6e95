#include "madlab/metrics/collapse.h"

#include <gtest/gtest.h>

#include "madlab/core/error.h"
#include "test_models.h"

namespace madlab {
namespace {

double collapsed(const Matrix& real, const Matrix& fake, double ratio = 0.01) {
    const testing::FixedGaussianModel model(Vector::Zero(real.cols()),
                                            SquareMatrix::Identity(real.cols(), real.cols()));
    return CollapseMetric(ratio).compute({real, fake, model, std::nullopt}).at(0).second;
}

TEST(CollapseMetric, ComparesTotalVarianceAgainstTheRatio) {
    // Real: variance 1 per column (x = +-1). Fake: +-s, variance s^2 n/(n-1) per column.
    Matrix real(4, 2), fake(4, 2);
    real << 1, 1, -1, -1, 1, -1, -1, 1;
    fake = 0.09 * real;  // variance ratio 0.0081 < 0.01
    EXPECT_EQ(collapsed(real, fake), 1.0);
    fake = 0.11 * real;  // 0.0121 > 0.01
    EXPECT_EQ(collapsed(real, fake), 0.0);
    EXPECT_EQ(collapsed(real, fake, 0.5), 1.0);
    // All samples equal: collapsed.
    EXPECT_EQ(collapsed(real, Matrix::Constant(4, 2, 3.0)), 1.0);
}

TEST(CollapseMetric, RatioMustBeAFraction) {
    EXPECT_THROW(CollapseMetric(0.0), ConfigError);
    EXPECT_THROW(CollapseMetric(1.0), ConfigError);
}

}  // namespace
}  // namespace madlab
