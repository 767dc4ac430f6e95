#include "madlab/models/kde.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <vector>

#include "madlab/core/error.h"

namespace madlab {
namespace {

using Rule = KdeOptions::Rule;

KdeModel make(Rule rule, double bandwidth = 0.0) {
    KdeOptions o;
    o.rule = rule;
    o.bandwidth = bandwidth;
    return KdeModel(o);
}

Matrix normal_data(Eigen::Index n, Eigen::Index d, double scale, Rng& rng) {
    Matrix x(n, d);
    for (Eigen::Index i = 0; i < n; ++i) {
        for (Eigen::Index j = 0; j < d; ++j) x(i, j) = scale * rng.normal() + 0.5 * j;
    }
    return x;
}

// The definition, term by term: -mean_i log((1/n) sum_j (2 pi h^2)^(-d/2) exp(-|x_i - y_j|^2 /
// (2 h^2))), with the largest exponent factored out so that nothing underflows.
double naive_mean_nll(const Matrix& train, const Matrix& x, double h) {
    const auto n = static_cast<double>(train.rows());
    const auto d = static_cast<double>(train.cols());
    double total = 0.0;
    for (Eigen::Index i = 0; i < x.rows(); ++i) {
        std::vector<double> e;
        double max_e = -std::numeric_limits<double>::infinity();
        for (Eigen::Index j = 0; j < train.rows(); ++j) {
            double sq = 0.0;
            for (Eigen::Index l = 0; l < train.cols(); ++l) {
                const double diff = x(i, l) - train(j, l);
                sq += diff * diff;
            }
            e.push_back(-sq / (2 * h * h));
            max_e = std::max(max_e, e.back());
        }
        double s = 0.0;
        for (double v : e) s += std::exp(v - max_e);
        total +=
            -(max_e + std::log(s)) + std::log(n) + 0.5 * d * std::log(2 * std::numbers::pi * h * h);
    }
    return total / static_cast<double>(x.rows());
}

TEST(KdeModel, BandwidthRulesMatchHandComputation) {
    // Columns (0, 1, 2, 3, 4) and (1, 1, 1, 1, 6): sample variances (n - 1) 2.5 and 5, so
    // sigma = sqrt(3.75).
    Matrix x(5, 2);
    x << 0, 1, 1, 1, 2, 1, 3, 1, 4, 6;
    const double sigma = std::sqrt(3.75);
    Rng rng(1);
    KdeModel scott = make(Rule::kScott);
    EXPECT_FALSE(scott.fit(x, rng).degenerate);
    EXPECT_NEAR(scott.bandwidth(), sigma * std::pow(5.0, -1.0 / 6.0), 1e-15);
    KdeModel silverman = make(Rule::kSilverman);
    silverman.fit(x, rng);
    // (n (d + 2) / 4) = n when d = 2: Silverman's rule equals Scott's in two dimensions.
    EXPECT_NEAR(silverman.bandwidth(), sigma * std::pow(5.0, -1.0 / 6.0), 1e-15);
    // In one dimension (first column, sigma^2 = 2.5): n^(-1/5) versus (3 n / 4)^(-1/5).
    const Matrix x1 = x.leftCols(1);
    scott.fit(x1, rng);
    silverman.fit(x1, rng);
    EXPECT_NEAR(scott.bandwidth(), std::sqrt(2.5) * std::pow(5.0, -0.2), 1e-15);
    EXPECT_NEAR(silverman.bandwidth(), std::sqrt(2.5) * std::pow(3.75, -0.2), 1e-15);
    KdeModel fixed = make(Rule::kFixed, 0.3);
    fixed.fit(x, rng);
    EXPECT_EQ(fixed.bandwidth(), 0.3);
}

TEST(KdeModel, MeanNllMatchesTheNaiveDoubleLoop) {
    Rng rng(2);
    struct Case {
        Eigen::Index n, d;
        double h;
    };
    // Low dimensions use the k-d tree (with pruning), d = 20 the matrix-product path; small
    // bandwidths make most kernel terms underflow, large ones keep them all.
    for (const Case c : {Case{500, 1, 0.05}, Case{800, 2, 0.1}, Case{800, 2, 3.0},
                         Case{300, 5, 0.4}, Case{200, 20, 1.5}, Case{1, 2, 0.2}}) {
        const Matrix train = normal_data(c.n, c.d, 1.0, rng);
        Matrix test = normal_data(150, c.d, 1.3, rng);
        test.row(0).setConstant(25.0);  // far from every training point
        KdeModel model = make(Rule::kFixed, c.h);
        model.fit(train, rng);
        const double naive = naive_mean_nll(train, test, c.h);
        // The tree skips only terms below e^-40 of the total (4e-18 relative) and otherwise
        // sums the same values in another order; the d = 20 path forms |x|^2 + |y|^2 - 2 x.y,
        // which loses a few digits to cancellation.
        const double rel = c.d > KdeModel::kTreeMaxDim ? 1e-10 : 1e-12;
        EXPECT_NEAR(*model.mean_nll(test), naive, rel * std::abs(naive))
            << "n " << c.n << " d " << c.d << " h " << c.h;
    }
}

TEST(KdeModel, GridDataMatchesTheNaiveDoubleLoop) {
    // The benchmark setting: 25 tight clusters, bandwidth 0.1, heavy pruning.
    Rng rng(3);
    auto grid = [&rng](Eigen::Index n) {
        Matrix x(n, 2);
        for (Eigen::Index i = 0; i < n; ++i) {
            const auto k = static_cast<int>(rng.uniform_int(25));
            x(i, 0) = 2.0 * (k / 5 - 2) + 0.05 * rng.normal();
            x(i, 1) = 2.0 * (k % 5 - 2) + 0.05 * rng.normal();
        }
        return x;
    };
    const Matrix train = grid(1000), test = grid(1000);
    KdeModel model = make(Rule::kFixed, 0.1);
    model.fit(train, rng);
    const double naive = naive_mean_nll(train, test, 0.1);
    EXPECT_NEAR(*model.mean_nll(test), naive, 1e-12 * std::abs(naive));
}

// Expected per-dimension variance of one draw Y_J + s Z (J uniform over the training rows,
// Z ~ N(0, 1)) and the standard error of its estimate from m draws, (mu4 - mu2^2) / m with
// mu2 = mean(a^2) + s^2, mu4 = mean(a^4) + 6 s^2 mean(a^2) + 3 s^4 (a = y - mean(y)).
struct VarianceTarget {
    double variance, se;
};

VarianceTarget variance_target(const Matrix& train, Eigen::Index dim, double s, Eigen::Index m) {
    const Eigen::ArrayXd a = train.col(dim).array() - train.col(dim).mean();
    const double a2 = a.square().mean(), a4 = a.square().square().mean();
    const double mu2 = a2 + s * s;
    const double mu4 = a4 + 6 * s * s * a2 + 3 * s * s * s * s;
    return {mu2, std::sqrt((mu4 - mu2 * mu2) / static_cast<double>(m))};
}

TEST(KdeModel, SampleVarianceIsDataVariancePlusBiasTimesBandwidthSquared) {
    // SCIENCE.md sections 3 and 4: each refit adds h^2 (times the bias lambda) to the variance.
    Rng rng(4);
    const Matrix train = normal_data(400, 2, 1.0, rng);
    KdeModel model = make(Rule::kScott);
    model.fit(train, rng);
    const double h = model.bandwidth();
    const Eigen::Index m = 200000;
    for (double bias : {1.0, 0.25}) {
        const Matrix s = model.sample(static_cast<std::size_t>(m), bias, rng);
        for (Eigen::Index dim = 0; dim < 2; ++dim) {
            const VarianceTarget t = variance_target(train, dim, h * std::sqrt(bias), m);
            const Eigen::ArrayXd c = s.col(dim).array() - s.col(dim).mean();
            const double var = c.square().sum() / static_cast<double>(m - 1);
            EXPECT_NEAR(var, t.variance, 5.0 * t.se) << "bias " << bias << " dim " << dim;
            EXPECT_NEAR(s.col(dim).mean(), train.col(dim).mean(),
                        5.0 * std::sqrt(t.variance / static_cast<double>(m)));
        }
    }
}

TEST(KdeModel, AllPointsEqualIsDegenerateButFinite) {
    Matrix x(20, 2);
    x.rowwise() = Eigen::RowVector2d(3.0, -40.0);
    Rng rng(5);
    for (Rule rule : {Rule::kScott, Rule::kSilverman}) {
        KdeModel model = make(rule);
        const FitInfo info = model.fit(x, rng);
        EXPECT_TRUE(info.degenerate);
        // The floor scales with the data's magnitude: kBandwidthFloor * max(1, 40).
        EXPECT_EQ(model.bandwidth(), KdeModel::kBandwidthFloor * 40.0);
        const double h = model.bandwidth();
        // At the point itself every kernel term is (2 pi h^2)^(-1).
        EXPECT_NEAR(*model.mean_nll(x.topRows(1)), std::log(2 * std::numbers::pi * h * h), 1e-12);
        Matrix other(1, 2);
        other << 0.0, 0.0;
        EXPECT_TRUE(std::isfinite(*model.mean_nll(other)));
        const Matrix s = model.sample(100, 1.0, rng);
        EXPECT_TRUE(s.allFinite());
        EXPECT_LT((s.rowwise() - x.row(0)).cwiseAbs().maxCoeff(), 10 * h);
    }
    Matrix one(1, 3);
    one << 1.0, 2.0, 3.0;
    KdeModel model = make(Rule::kScott);
    EXPECT_TRUE(model.fit(one, rng).degenerate);
    EXPECT_TRUE(std::isfinite(*model.mean_nll(one)));
}

TEST(KdeModel, ErrorsAndDeterminism) {
    try {
        make(Rule::kFixed, 0.0);
        FAIL() << "zero bandwidth accepted";
    } catch (const ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("model.bandwidth"), std::string::npos);
    }
    EXPECT_THROW(make(Rule::kFixed, -1.0), ConfigError);
    EXPECT_NO_THROW(make(Rule::kScott, 0.0));
    KdeModel model;
    EXPECT_EQ(model.family(), "kde");
    Rng rng(6);
    EXPECT_THROW(model.sample(1, 1.0, rng), Error);
    EXPECT_THROW(model.mean_nll(Matrix::Zero(1, 2)), Error);
    EXPECT_THROW(model.fit(Matrix(0, 2), rng), NumericalError);
    const Matrix train = normal_data(100, 2, 1.0, rng);
    model.fit(train, rng);
    EXPECT_EQ(model.points(), train);
    EXPECT_THROW(model.sample(1, 0.0, rng), ConfigError);
    EXPECT_THROW(model.sample(1, 2.0, rng), ConfigError);
    EXPECT_THROW(model.mean_nll(Matrix::Zero(1, 3)), DataError);
    const auto copy = model.clone();
    Rng a(7), b(7);
    EXPECT_EQ(model.sample(50, 0.5, a), copy->sample(50, 0.5, b));
    EXPECT_EQ(model.score_held_out(train), copy->score_held_out(train));
    EXPECT_EQ(model.score_held_out(train).at(0).second, *model.mean_nll(train));
}

}  // namespace
}  // namespace madlab
