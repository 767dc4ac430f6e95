#include "madlab/core/statistics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <vector>

namespace madlab {
namespace {

TEST(StudentT, MatchesTablesAndTheNormalLimit) {
    EXPECT_NEAR(student_t_975(1), 12.7062, 1e-4);
    EXPECT_NEAR(student_t_975(9), 2.2622, 1e-4);
    EXPECT_NEAR(student_t_975(30), 2.0423, 1e-4);
    // Tabulated values (e.g. R's qt(0.975, df)): 40 -> 2.021075, 120 -> 1.979930.
    EXPECT_NEAR(student_t_975(40), 2.021075, 2e-4);
    EXPECT_NEAR(student_t_975(120), 1.979930, 1e-4);
    EXPECT_NEAR(student_t_975(1000000), 1.959964, 1e-5);
}

TEST(StudentT, MatchesTheClosedFormsOfSmallDegreesOfFreedom) {
    // t's quantile function has closed forms for df = 1, 2, 4 (Hill 1970); p = 0.975 and the
    // table's values are rounded to 4 decimals.
    const double p = 0.975;
    EXPECT_NEAR(student_t_975(1), std::tan(std::numbers::pi * (p - 0.5)), 1e-4);
    EXPECT_NEAR(student_t_975(2), (2 * p - 1) / std::sqrt(2 * p * (1 - p)), 1e-4);
    const double a = 4 * p * (1 - p);
    const double q = std::cos(std::acos(std::sqrt(a)) / 3) / std::sqrt(a);
    EXPECT_NEAR(student_t_975(4), 2 * std::sqrt(q - 1), 1e-4);
    EXPECT_EQ(student_t_975(0), 0.0);
}

TEST(SampleStatistics, MeanAndStandardDeviationOfKnownValues) {
    const std::vector<double> v{1.0, 2.0, 3.0, 4.0};
    EXPECT_EQ(sample_mean(v), 2.5);
    // sum of squares 2.25 + 0.25 + 0.25 + 2.25 = 5 over n - 1 = 3.
    EXPECT_EQ(sample_std(v, 2.5), std::sqrt(5.0 / 3.0));
    EXPECT_EQ(sample_std(std::vector<double>{7.0}, 7.0), 0.0);
    EXPECT_EQ(sample_std(std::vector<double>{}, 0.0), 0.0);
    EXPECT_TRUE(std::isnan(sample_mean(std::vector<double>{})));
    EXPECT_EQ(sample_mean(std::vector<double>{-3.0}), -3.0);
}

TEST(SampleStatistics, ConfidenceIntervalHalfWidth) {
    // sd 2 over n = 4: standard error 1, half-width t_3.
    EXPECT_EQ(standard_error(2.0, 4), 1.0);
    EXPECT_EQ(ci95_half_width(2.0, 4), student_t_975(3) * 2.0 / 2.0);
    EXPECT_NEAR(ci95_half_width(std::sqrt(5.0 / 3.0), 4), 3.1824 * std::sqrt(5.0 / 3.0) / 2.0,
                1e-4);
    // One value: the interval is the value itself.
    EXPECT_EQ(ci95_half_width(3.0, 1), 0.0);
    EXPECT_EQ(ci95_half_width(3.0, 0), 0.0);
}

}  // namespace
}  // namespace madlab
