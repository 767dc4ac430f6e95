#include "madlab/models/gaussian.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <vector>

#include "madlab/core/error.h"

namespace madlab {
namespace {

using Estimator = GaussianOptions::Estimator;

GaussianModel make(Estimator estimator, double reg_covar = 0.0) {
    GaussianOptions options;
    options.estimator = estimator;
    options.reg_covar = reg_covar;
    return GaussianModel(options);
}

// Hand-worked example: mean (2, 3); centred rows (-1,-1), (1,2), (2,1), (-2,-2); scatter matrix
// [[10, 9], [9, 10]].
Matrix small_data() {
    Matrix x(4, 2);
    x << 1, 2, 3, 5, 4, 4, 0, 1;
    return x;
}

// n draws of N(mean, L L').
Matrix gaussian_data(const Vector& mean, const SquareMatrix& chol, Eigen::Index n, Rng& rng) {
    Matrix x(n, mean.size());
    Vector z(mean.size());
    for (Eigen::Index i = 0; i < n; ++i) {
        for (Eigen::Index j = 0; j < z.size(); ++j) z(j) = rng.normal();
        x.row(i) = (mean + chol * z).transpose();
    }
    return x;
}

Vector sample_mean(const Matrix& x) { return x.colwise().mean().transpose(); }

SquareMatrix sample_cov(const Matrix& x) {
    const Matrix c = x.rowwise() - x.colwise().mean();
    return c.transpose() * c / static_cast<double>(x.rows() - 1);
}

TEST(GaussianModel, MleAndUnbiasedMatchHandComputedValues) {
    Rng rng(1);
    GaussianModel mle = make(Estimator::kMle);
    const FitInfo info = mle.fit(small_data(), rng);
    EXPECT_FALSE(info.degenerate);
    EXPECT_EQ(info.iterations, 0);
    const GaussianParams p = mle.gaussian_params();
    EXPECT_NEAR(p.mean(0), 2.0, 1e-15);
    EXPECT_NEAR(p.mean(1), 3.0, 1e-15);
    EXPECT_NEAR(p.covariance(0, 0), 10.0 / 4, 1e-14);
    EXPECT_NEAR(p.covariance(0, 1), 9.0 / 4, 1e-14);
    EXPECT_NEAR(p.covariance(1, 0), 9.0 / 4, 1e-14);
    EXPECT_NEAR(p.covariance(1, 1), 10.0 / 4, 1e-14);

    GaussianModel unbiased = make(Estimator::kUnbiased);
    unbiased.fit(small_data(), rng);
    const GaussianParams q = unbiased.gaussian_params();
    EXPECT_NEAR(q.covariance(0, 0), 10.0 / 3, 1e-14);
    EXPECT_NEAR(q.covariance(0, 1), 9.0 / 3, 1e-14);
    EXPECT_NEAR(q.covariance(1, 1), 10.0 / 3, 1e-14);

    GaussianModel regularised = make(Estimator::kMle, 0.5);
    regularised.fit(small_data(), rng);
    const GaussianParams r = regularised.gaussian_params();
    EXPECT_NEAR(r.covariance(0, 0), 3.0, 1e-14);
    EXPECT_NEAR(r.covariance(0, 1), 2.25, 1e-14);
}

TEST(GaussianModel, MeanNllIsTheExactGaussianDensity) {
    Rng rng(1);
    GaussianModel model = make(Estimator::kMle);
    model.fit(small_data(), rng);
    // Sigma = [[2.5, 2.25], [2.25, 2.5]], det = 1.1875, Sigma^-1 = [[2.5, -2.25], [-2.25, 2.5]]
    // / det. Row 1 is the mean (Mahalanobis 0); row 2 is mean + (1, 0): Mahalanobis 2.5 / det.
    Matrix x(2, 2);
    x << 2, 3, 3, 3;
    const double det = 1.1875;
    const double base = std::log(2.0 * std::numbers::pi) + 0.5 * std::log(det);
    const double expected = base + 0.5 * (0.5 * 2.5 / det);
    EXPECT_NEAR(*model.mean_nll(x), expected, 1e-14 * std::abs(expected));
}

TEST(GaussianModel, SampleMomentsConvergeAndBiasScalesTheCovariance) {
    Rng data_rng(2);
    Vector mean(3);
    mean << 1.0, -2.0, 0.5;
    SquareMatrix chol(3, 3);
    chol << 1.5, 0, 0, 0.4, 0.8, 0, -0.3, 0.2, 0.5;
    GaussianModel model = make(Estimator::kMle);
    model.fit(gaussian_data(mean, chol, 500, data_rng), data_rng);
    const GaussianParams p = model.gaussian_params();

    const Eigen::Index n = 200000;
    for (double bias : {1.0, 0.25}) {
        Rng rng(3);
        const Matrix s = model.sample(static_cast<std::size_t>(n), bias, rng);
        const SquareMatrix sigma = bias * p.covariance;
        const Vector m = sample_mean(s);
        const SquareMatrix c = sample_cov(s);
        for (Eigen::Index j = 0; j < 3; ++j) {
            // Standard error of a mean: sqrt(sigma_jj / n); allow 5 of them.
            EXPECT_NEAR(m(j), p.mean(j), 5.0 * std::sqrt(sigma(j, j) / n)) << "bias " << bias;
            for (Eigen::Index k = 0; k < 3; ++k) {
                // Standard error of a Gaussian sample covariance:
                // sqrt((sigma_jj sigma_kk + sigma_jk^2) / n).
                const double se =
                    std::sqrt((sigma(j, j) * sigma(k, k) + sigma(j, k) * sigma(j, k)) / n);
                EXPECT_NEAR(c(j, k), sigma(j, k), 5.0 * se) << "bias " << bias;
            }
        }
    }
}

// Runs `chains` replace loops of a 1-D Gaussian with n samples per generation and returns
// s2_t / s2_0 for every chain at each generation in `at`.
std::vector<std::vector<double>> variance_ratios(Estimator estimator, int n, int chains,
                                                 const std::vector<int>& at) {
    std::vector<std::vector<double>> ratios(at.size());
    GaussianModel model = make(estimator);
    Rng rng(12345);
    Matrix data(n, 1);
    for (int c = 0; c < chains; ++c) {
        for (int i = 0; i < n; ++i) data(i, 0) = rng.normal();
        model.fit(data, rng);
        const double s2_0 = model.gaussian_params().covariance(0, 0);
        int next = 0;
        for (int t = 1; t <= at.back(); ++t) {
            model.fit(model.sample(static_cast<std::size_t>(n), 1.0, rng), rng);
            if (t == at[static_cast<std::size_t>(next)]) {
                ratios[static_cast<std::size_t>(next++)].push_back(
                    model.gaussian_params().covariance(0, 0) / s2_0);
            }
        }
    }
    return ratios;
}

double mean_of(const std::vector<double>& v) {
    double s = 0.0;
    for (double x : v) s += x;
    return s / static_cast<double>(v.size());
}

TEST(GaussianModel, MleReplaceLoopFollowsTheClosedForms) {
    // SCIENCE.md section 5: s2_t = s2_{t-1} chi2_{n-1} / n, so with n = 10
    //   E[log s2_t - log s2_0] = t (digamma(9/2) + log(2/10)),
    //   digamma(9/2) = digamma(1/2) + 2 + 2/3 + 2/5 + 2/7 = -gamma - 2 ln 2 + 3.352380952...
    //                = 1.388870926359529, so the drift is -0.2205669860745714 per generation;
    //   Var[log(chi2_9 / 10)] = trigamma(9/2) = pi^2/2 - (4 + 4/9 + 4/25 + 4/49) = 0.248725103;
    //   E[s2_t / s2_0] = 0.9^t and E[(s2_t / s2_0)^2] = (9 * 11 / 100)^t = 0.99^t.
    const int chains = 4000;
    const auto ratios = variance_ratios(Estimator::kMle, 10, chains, {10, 20});
    const double drift = 1.388870926359529 + std::log(0.2);
    const double trigamma = 0.24872510303901035;
    for (std::size_t a = 0; a < 2; ++a) {
        const int t = a == 0 ? 10 : 20;
        std::vector<double> logs;
        for (double r : ratios[a]) logs.push_back(std::log(r));
        // The mean of `chains` independent sums of t terms: standard error sqrt(t trigamma /
        // chains); allow 4.
        EXPECT_NEAR(mean_of(logs), t * drift, 4.0 * std::sqrt(t * trigamma / chains)) << t;
        const double expected = std::pow(0.9, t);
        const double sd = std::sqrt(std::pow(0.99, t) - expected * expected);
        EXPECT_NEAR(mean_of(ratios[a]), expected, 4.0 * sd / std::sqrt(chains)) << t;
    }
}

TEST(GaussianModel, UnbiasedReplaceLoopCollapsesAlmostSurely) {
    // SCIENCE.md section 5 gives P(s2_t < 0.01 s2_0) "about 0.64" at t = 50 and "about 0.93" at
    // t = 100 for n = 10. The exact values of P(sum_{i<=t} log(chi2_9 / 9) < log 0.01), by a
    // 2,000,000-chain simulation of the chi-square recursion (standard error 3.5e-4), are 0.6244
    // and 0.9184; SCIENCE.md's figures are rounded approximations. The unbiased estimator keeps
    // E[s2_t] = s2_0 while the median collapses.
    const int chains = 2000;
    const auto ratios = variance_ratios(Estimator::kUnbiased, 10, chains, {50, 100});
    const double exact[2] = {0.6244, 0.9184};
    for (std::size_t a = 0; a < 2; ++a) {
        int collapsed = 0;
        for (double r : ratios[a]) collapsed += r < 0.01;
        const double p = exact[a];
        // Binomial standard error sqrt(p (1 - p) / chains); allow 4.
        EXPECT_NEAR(static_cast<double>(collapsed) / chains, p,
                    4.0 * std::sqrt(p * (1 - p) / chains))
            << (a == 0 ? 50 : 100);
    }
}

TEST(GaussianModel, AllPointsEqualIsDegenerateButUsable) {
    Matrix x(5, 2);
    for (int i = 0; i < 5; ++i) x.row(i) << 0.1, -2.7;
    Rng rng(4);
    for (Estimator e : {Estimator::kMle, Estimator::kUnbiased}) {
        GaussianModel model = make(e);
        const FitInfo info = model.fit(x, rng);
        EXPECT_TRUE(info.degenerate);
        EXPECT_TRUE(model.degenerate());
        EXPECT_EQ(model.gaussian_params().mean(0), 0.1);  // two-pass mean: exact
        EXPECT_EQ(model.gaussian_params().covariance.norm(), 0.0);
        const Matrix s = model.sample(100, 1.0, rng);
        for (Eigen::Index i = 0; i < s.rows(); ++i) {
            EXPECT_EQ(s(i, 0), 0.1);
            EXPECT_EQ(s(i, 1), -2.7);
        }
        // Density of Sigma = eps I, eps = kJitter, at the point itself: log(2 pi eps).
        const double nll = *model.mean_nll(x);
        EXPECT_NEAR(nll, std::log(2.0 * std::numbers::pi * GaussianModel::kJitter), 1e-9);
        Matrix far(1, 2);
        far << 3.0, 4.0;
        EXPECT_TRUE(std::isfinite(*model.mean_nll(far)));
    }
}

TEST(GaussianModel, SinglePointIsDegenerateForBothEstimators) {
    Matrix x(1, 3);
    x << 1.0, 2.0, 3.0;
    Rng rng(5);
    for (Estimator e : {Estimator::kMle, Estimator::kUnbiased}) {
        GaussianModel model = make(e);
        EXPECT_TRUE(model.fit(x, rng).degenerate);
        EXPECT_TRUE(std::isfinite(*model.mean_nll(x)));
        const Matrix s = model.sample(3, 0.5, rng);
        EXPECT_EQ(s.row(2), x.row(0));
    }
}

TEST(GaussianModel, RankDeficientCovarianceSamplesOnTheSubspace) {
    // Two points in 3-D: the covariance has rank 1; samples must lie on the line through them.
    Matrix x(2, 3);
    x << 1.0, 2.0, 3.0, 3.0, 3.0, 1.0;
    Rng rng(6);
    GaussianModel model = make(Estimator::kMle);
    EXPECT_TRUE(model.fit(x, rng).degenerate);
    const Eigen::RowVector3d a = x.row(0), dir = (x.row(1) - x.row(0)).normalized();
    const Matrix s = model.sample(1000, 1.0, rng);
    double spread = 0.0;
    for (Eigen::Index i = 0; i < s.rows(); ++i) {
        const Eigen::RowVector3d v = s.row(i) - a;
        const Eigen::RowVector3d off = v - v.dot(dir) * dir;
        EXPECT_LT(off.norm(), 1e-12 * (1.0 + v.norm()));  // rounding only
        spread += std::abs(v.dot(dir));
    }
    EXPECT_GT(spread, 0.0);
    EXPECT_TRUE(s.allFinite());
    EXPECT_TRUE(std::isfinite(*model.mean_nll(x)));
}

TEST(GaussianModel, ErrorsNameTheProblem) {
    GaussianModel model;
    Rng rng(7);
    EXPECT_THROW(model.sample(1, 1.0, rng), Error);
    EXPECT_THROW(model.mean_nll(small_data()), Error);
    EXPECT_THROW(model.gaussian_params(), Error);
    EXPECT_THROW(model.fit(Matrix(0, 2), rng), NumericalError);
    model.fit(small_data(), rng);
    EXPECT_THROW(model.sample(1, 0.0, rng), ConfigError);
    EXPECT_THROW(model.sample(1, 1.5, rng), ConfigError);
    EXPECT_THROW(model.mean_nll(Matrix::Zero(2, 3)), DataError);
    try {
        GaussianModel bad(GaussianOptions{Estimator::kMle, -1.0});
        FAIL() << "negative reg_covar accepted";
    } catch (const ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("model.reg_covar"), std::string::npos);
    }
    try {
        model.sample(1, 2.0, rng);
    } catch (const ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("model.bias"), std::string::npos);
    }
}

TEST(GaussianModel, CloneAndDeterminism) {
    Rng rng(8);
    GaussianModel model;
    EXPECT_EQ(model.family(), "gaussian");
    model.fit(small_data(), rng);
    const auto copy = model.clone();
    Rng a(9), b(9);
    EXPECT_EQ(model.sample(50, 0.7, a), copy->sample(50, 0.7, b));
    EXPECT_EQ(model.score_held_out(small_data()), copy->score_held_out(small_data()));
}

}  // namespace
}  // namespace madlab
