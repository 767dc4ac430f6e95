#include "madlab/models/linear_regression.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "madlab/core/error.h"
#include "madlab/models/model_registry.h"

namespace madlab {
namespace linear_regression_test {

// n rows [x, y] with x standard normal and y = b + x . w + sigma z.
Matrix rows(const Vector& w, double b, double sigma, Eigen::Index n, Rng& rng) {
    const Eigen::Index d = w.size();
    Matrix out(n, d + 1);
    for (Eigen::Index i = 0; i < n; ++i) {
        for (Eigen::Index j = 0; j < d; ++j) out(i, j) = rng.normal();
        out(i, d) = b + out.row(i).head(d).dot(w) + sigma * rng.normal();
    }
    return out;
}

LinearRegressionModel make(std::optional<double> noise, bool intercept = false) {
    LinearRegressionOptions options;
    options.noise = noise;
    options.intercept = intercept;
    return LinearRegressionModel(options);
}

TEST(LinearRegression, RecoversExactWeightsWithoutNoise) {
    Rng rng(1);
    Vector w(4);
    w << 1.5, -2.0, 0.25, 3.0;
    const Matrix data = rows(w, 0.0, 0.0, 30, rng);
    LinearRegressionModel model = make(std::nullopt);
    const FitInfo info = model.fit(data, rng);
    EXPECT_FALSE(info.degenerate);
    EXPECT_EQ(model.rank(), 4);
    EXPECT_LT((model.regression_weights() - w).norm(), 1e-12);
    EXPECT_EQ(model.regression_intercept(), 0.0);
    // The residuals are rounding only, so the estimated noise is ~0.
    EXPECT_LT(model.noise_sd(), 1e-12);
}

TEST(LinearRegression, InterceptIsRecoveredWhenAsked) {
    Rng rng(2);
    Vector w(2);
    w << 0.5, -1.0;
    const Matrix data = rows(w, 4.0, 0.0, 10, rng);
    LinearRegressionModel with = make(1.0, true);
    with.fit(data, rng);
    EXPECT_LT((with.regression_weights() - w).norm(), 1e-12);
    EXPECT_NEAR(with.regression_intercept(), 4.0, 1e-12);
    // Without an intercept the line through the origin cannot fit: weights differ.
    LinearRegressionModel without = make(1.0, false);
    without.fit(data, rng);
    EXPECT_GT((without.regression_weights() - w).norm(), 1e-3);
}

// Noisy data: the weights are the normal equations' solution (X'X)^-1 X'y, computed here by a
// Cholesky solve instead of the model's orthogonal decomposition, and the estimated noise is
// sqrt(RSS / (N - d)).
TEST(LinearRegression, NoisyFitMatchesTheNormalEquations) {
    Rng rng(3);
    const Vector w = Vector::LinSpaced(5, -1.0, 1.0);
    const Matrix data = rows(w, 0.0, 0.7, 40, rng);
    const Eigen::MatrixXd x = data.leftCols(5);
    const Vector y = data.col(5);
    const Vector expected = (x.transpose() * x).llt().solve(x.transpose() * y);
    const double rss = (y - x * expected).squaredNorm();
    LinearRegressionModel estimated = make(std::nullopt);
    estimated.fit(data, rng);
    EXPECT_LT((estimated.regression_weights() - expected).norm(), 1e-10);
    EXPECT_NEAR(estimated.noise_sd(), std::sqrt(rss / 35.0), 1e-10);
    LinearRegressionModel known = make(0.3);
    known.fit(data, rng);
    EXPECT_EQ(known.noise_sd(), 0.3);
}

// Fewer rows than features: the minimum-norm solution is X' (X X')^-1 y, which fits every
// label exactly; a duplicated column: the minimum-norm solution splits the weight equally.
TEST(LinearRegression, RankDeficientDesignsGiveTheMinimumNormSolution) {
    Rng rng(4);
    const Vector w = Vector::Ones(6);
    const Matrix wide = rows(w, 0.0, 1.0, 3, rng);
    const Eigen::MatrixXd x = wide.leftCols(6);
    const Vector y = wide.col(6);
    const Vector min_norm = x.transpose() * (x * x.transpose()).llt().solve(y);
    LinearRegressionModel model = make(std::nullopt);
    const FitInfo info = model.fit(wide, rng);
    EXPECT_TRUE(info.degenerate);
    EXPECT_NE(info.note.find("rank 3 < 6"), std::string::npos) << info.note;
    EXPECT_NE(info.note.find("minimum-norm"), std::string::npos) << info.note;
    EXPECT_NE(info.note.find("no residual degrees of freedom"), std::string::npos) << info.note;
    EXPECT_LT((model.regression_weights() - min_norm).norm(), 1e-10);
    EXPECT_EQ(model.noise_sd(), 0.0);  // 3 rows, 3 parameters: no estimate

    Matrix duplicated(20, 3);
    for (Eigen::Index i = 0; i < 20; ++i) {
        const double v = rng.normal();
        duplicated(i, 0) = v;
        duplicated(i, 1) = v;
        duplicated(i, 2) = 3.0 * v;
    }
    LinearRegressionModel twin = make(1.0);
    EXPECT_TRUE(twin.fit(duplicated, rng).degenerate);
    EXPECT_EQ(twin.rank(), 1);
    EXPECT_NEAR(twin.regression_weights()(0), 1.5, 1e-10);
    EXPECT_NEAR(twin.regression_weights()(1), 1.5, 1e-10);

    // All rows equal (a collapsed training set): still a fit, no crash.
    const Matrix same = Matrix::Constant(8, 3, 2.0);
    LinearRegressionModel flat = make(std::nullopt, true);
    EXPECT_TRUE(flat.fit(same, rng).degenerate);
    EXPECT_TRUE(flat.regression_weights().isZero());
    EXPECT_NEAR(flat.regression_intercept(), 2.0, 1e-12);
}

TEST(LinearRegression, SamplesRelabelTheTrainingDesignInOrder) {
    Rng rng(5);
    Vector w(2);
    w << 1.0, 2.0;
    const Matrix data = rows(w, 0.0, 0.0, 4, rng);
    LinearRegressionModel model = make(0.0);
    model.fit(data, rng);
    // n > N: rows 0..3, then 0..2 again; sigma = 0: labels are exactly x . w_hat.
    const Matrix s = model.sample(7, 1.0, rng);
    ASSERT_EQ(s.rows(), 7);
    ASSERT_EQ(s.cols(), 3);
    for (Eigen::Index i = 0; i < 7; ++i) {
        EXPECT_EQ(s.row(i).head(2), data.row(i % 4).head(2));
        EXPECT_NEAR(s(i, 2), data(i % 4, 2), 1e-12);
    }
}

// The label noise of the samples is N(0, lambda sigma^2): over m = 40000 labels the mean square
// of the residuals y - x . w_hat has standard error lambda sigma^2 sqrt(2 / m) = 0.0071 lambda
// sigma^2, so 4 of them bound it.
TEST(LinearRegression, SamplingBiasScalesTheNoiseVariance) {
    Rng rng(6);
    Vector w(3);
    w << 0.3, -0.2, 0.1;
    const Matrix data = rows(w, 0.0, 1.0, 50, rng);
    const double sigma = 2.0;
    LinearRegressionModel model = make(sigma);
    model.fit(data, rng);
    constexpr Eigen::Index kM = 40000;
    for (double lambda : {1.0, 0.25}) {
        const Matrix s = model.sample(kM, lambda, rng);
        const Vector residual = s.col(3) - s.leftCols(3) * model.regression_weights();
        const double variance = lambda * sigma * sigma;
        EXPECT_NEAR(residual.squaredNorm() / kM, variance, 4.0 * variance * std::sqrt(2.0 / kM))
            << "lambda = " << lambda;
    }
}

TEST(LinearRegression, ErrorsSayWhatToDo) {
    LinearRegressionModel model = make(std::nullopt);
    Rng rng(7);
    try {
        model.fit(Matrix::Ones(5, 1), rng);
        ADD_FAILURE() << "one column accepted";
    } catch (const DataError& e) {
        EXPECT_NE(std::string(e.what()).find("label last"), std::string::npos) << e.what();
    }
    EXPECT_THROW(model.sample(3, 1.0, rng), Error);  // not fitted
    try {
        make(-1.0);
        ADD_FAILURE() << "negative noise accepted";
    } catch (const ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("model.noise"), std::string::npos) << e.what();
    }
}

TEST(LinearRegression, RegistryBuildsTheFamilyFromItsKeys) {
    const ModelFamily* family = find_model_family("linear-regression");
    ASSERT_NE(family, nullptr);
    EXPECT_TRUE(family->models_vectors());
    EXPECT_FALSE(family->models_text());
    Params defaults = family->defaults(false);
    EXPECT_EQ(defaults.get_string("noise"), "estimate");
    EXPECT_FALSE(defaults.get_bool("intercept"));
    auto model = family->make_vectors(defaults);
    EXPECT_EQ(model->family(), "linear-regression");
    auto* fit = dynamic_cast<LinearRegressionModel*>(model.get());
    ASSERT_NE(fit, nullptr);
    EXPECT_FALSE(fit->options().noise.has_value());
    Params known = defaults;
    known.set("noise", 0.5);
    known.set("intercept", true);
    auto with = family->make_vectors(known);
    const auto& options = dynamic_cast<LinearRegressionModel&>(*with).options();
    EXPECT_EQ(options.noise, 0.5);
    EXPECT_TRUE(options.intercept);
}

}  // namespace linear_regression_test
}  // namespace madlab
