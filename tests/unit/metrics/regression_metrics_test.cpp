#include "madlab/metrics/regression_metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <string>

#include "madlab/core/error.h"
#include "madlab/data/builtin_sources.h"
#include "madlab/data/regression_source.h"
#include "madlab/metrics/metric_registry.h"
#include "test_models.h"

namespace madlab {
namespace regression_metrics_test {

// y_hat = b + x . w with fixed w and b (the metrics layer does not depend on the families).
class FixedRegressionModel : public ContinuousModel, public HasRegressionWeights {
public:
    FixedRegressionModel(Vector w, double b) : w_(std::move(w)), b_(b) { mark_fitted(); }
    std::string family() const override { return "fixed_regression"; }
    std::unique_ptr<ContinuousModel> clone() const override {
        return std::make_unique<FixedRegressionModel>(*this);
    }
    const Vector& regression_weights() const override { return w_; }
    double regression_intercept() const override { return b_; }

protected:
    FitInfo do_fit(const Matrix&, FitContext<Matrix>&) override { return {}; }
    Matrix do_sample(std::size_t n, double, Rng&, std::string_view) const override {
        return Matrix::Zero(static_cast<Eigen::Index>(n), w_.size() + 1);
    }

private:
    Vector w_;
    double b_;
};

std::map<std::string, double> as_map(const MetricValues& values) {
    return {values.begin(), values.end()};
}

MetricValues compute(const Matrix& test, const ContinuousModel& model,
                     const DataSource<Matrix>* source) {
    const Matrix samples = Matrix::Zero(2, test.cols());
    MetricInput input{test, samples, model};
    input.source = source;
    return RegressionMetric().compute(input);
}

// test_error against a brute-force Monte Carlo of its definition E_x[(y_hat(x) - x . w*)^2]
// over 200000 fresh x ~ N(0, I): e = b + x . (w - w*) is N(mu, s^2) with mu = 0.3, s^2 = 0.3125,
// so e^2 has mean 0.4025 and variance 2 s^4 + 4 mu^2 s^2 = 0.308: the Monte Carlo mean's
// standard error is 0.0012 (0.3%), and 2% is over 4 of them. test_mse against the mean over the
// rows computed one by one.
TEST(RegressionMetric, TestErrorAndTestMseMatchTheirDefinitions) {
    Vector w_star(3);
    w_star << 1.0, 0.0, -1.0;
    const RegressionSource source(w_star, 0.5);
    Vector w(3);
    w << 1.5, 0.25, -1.0;
    const double b = 0.3;
    const FixedRegressionModel model(w, b);
    Rng rng(1);
    const Matrix test = source.draw_test(100, rng);
    const auto values = as_map(compute(test, model, &source));
    ASSERT_EQ(values.size(), 2u);
    EXPECT_NEAR(values.at("test_error"), 0.25 + 0.0625 + 0.09, 1e-15);

    const Matrix fresh = source.sample(200000, rng);
    double brute = 0.0;
    for (Eigen::Index i = 0; i < fresh.rows(); ++i) {
        const double e = b + fresh.row(i).head(3).dot(w - w_star);
        brute += e * e;
    }
    brute /= static_cast<double>(fresh.rows());
    EXPECT_NEAR(values.at("test_error"), brute, 0.02 * brute);

    double mse = 0.0;
    for (Eigen::Index i = 0; i < test.rows(); ++i) {
        double prediction = b;
        for (int j = 0; j < 3; ++j) prediction += test(i, j) * w(j);
        mse += (prediction - test(i, 3)) * (prediction - test(i, 3));
    }
    EXPECT_NEAR(values.at("test_mse"), mse / 100.0, 1e-12);
}

TEST(RegressionMetric, WithoutARegressionSourceOnlyTestMse) {
    const FixedRegressionModel model(Vector::Ones(1), 0.0);
    Matrix test(2, 2);
    test << 1.0, 1.5, 2.0, 2.0;  // predictions 1 and 2: squared errors 0.25 and 0
    const GaussianSource gaussian(Vector::Zero(2), SquareMatrix::Identity(2, 2));
    for (const DataSource<Matrix>* source : {static_cast<const DataSource<Matrix>*>(nullptr),
                                             static_cast<const DataSource<Matrix>*>(&gaussian)}) {
        const auto values = as_map(compute(test, model, source));
        ASSERT_EQ(values.size(), 1u);
        EXPECT_DOUBLE_EQ(values.at("test_mse"), 0.125);
    }
}

TEST(RegressionMetric, OtherModelsGetNoValues) {
    const testing::FixedGaussianModel gaussian(Vector::Zero(2), SquareMatrix::Identity(2, 2));
    const RegressionSource source(Vector::Ones(1), 1.0);
    EXPECT_TRUE(compute(Matrix::Zero(3, 2), gaussian, &source).empty());
}

TEST(RegressionMetric, MismatchedWidthsAreDataErrors) {
    const FixedRegressionModel model(Vector::Ones(2), 0.0);
    const RegressionSource three(Vector::Ones(3), 1.0);
    EXPECT_THROW(compute(Matrix::Zero(3, 3), model, &three), DataError);
    EXPECT_THROW(compute(Matrix::Zero(3, 5), model, nullptr), DataError);
}

TEST(RegressionMetric, IsRegistered) {
    const MetricEntry* entry = find_metric("regression");
    ASSERT_NE(entry, nullptr);
    EXPECT_EQ(entry->make(Params(), 1)->name(), "regression");
}

}  // namespace regression_metrics_test
}  // namespace madlab
