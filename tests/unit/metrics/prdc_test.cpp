#include "madlab/metrics/prdc.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "madlab/core/error.h"
#include "madlab/core/rng.h"
#include "naive_reference.h"
#include "test_models.h"

namespace madlab {
namespace prdc_test {

using testing::FixedGaussianModel;
using testing::gaussian_points;
using testing::naive_kth;
using testing::naive_prdc;
using testing::naive_sq_dist;

// The naive O(N M) references are in naive_reference.h.

void expect_same(const PrdcResult& got, const PrdcResult& expected, const std::string& what) {
    // Exact: both count the same pairs and divide the same integers.
    EXPECT_EQ(got.precision, expected.precision) << what;
    EXPECT_EQ(got.recall, expected.recall) << what;
    EXPECT_EQ(got.density, expected.density) << what;
    EXPECT_EQ(got.coverage, expected.coverage) << what;
}

KnnOptions with_method(KnnMethod method, int threads = 0) {
    KnnOptions options;
    options.method = method;
    options.threads = threads;
    return options;
}

// Rows drawn with replacement from `distinct` points: many exact duplicates.
Matrix with_duplicates(Eigen::Index n, Eigen::Index d, Eigen::Index distinct, std::uint64_t seed) {
    const Matrix base = gaussian_points(distinct, d, seed);
    Rng rng(seed + 77);
    Matrix x(n, d);
    for (Eigen::Index i = 0; i < n; ++i)
        x.row(i) = base.row(static_cast<Eigen::Index>(rng.uniform_int(distinct)));
    return x;
}

Matrix lattice_points(Eigen::Index n, Eigen::Index d, std::uint64_t seed) {
    Rng rng(seed);
    Matrix x(n, d);
    for (Eigen::Index i = 0; i < n; ++i)
        for (Eigen::Index j = 0; j < d; ++j) x(i, j) = static_cast<double>(rng.uniform_int(3));
    return x;
}

// ---- exactness against the naive definition -------------------------------------------------

TEST(Prdc, MatchesNaiveOnBothPaths) {
    struct Case {
        std::string name;
        Matrix real, fake;
    };
    for (Eigen::Index d : {2, 32}) {
        std::vector<Case> cases;
        cases.push_back({"gaussian", gaussian_points(400, d, 1), gaussian_points(330, d, 2, 0.3)});
        cases.push_back(
            {"shifted, wider", gaussian_points(300, d, 3), gaussian_points(350, d, 4, 0.5, 1.5)});
        cases.push_back(
            {"duplicates", with_duplicates(300, d, 30, 5), with_duplicates(260, d, 30, 5)});
        cases.push_back({"lattice", lattice_points(300, d, 6), lattice_points(280, d, 7)});
        // A collapsed model: all its samples at one real point.
        Matrix collapsed = gaussian_points(250, d, 8);
        Matrix one_point(120, d);
        one_point.rowwise() = collapsed.row(3);
        cases.push_back({"collapsed", collapsed, one_point});
        for (const Case& c : cases) {
            for (int k : {1, 5, 10}) {
                const PrdcResult expected = naive_prdc(c.real, c.fake, k);
                for (KnnMethod method : {KnnMethod::kKdTree, KnnMethod::kBruteForce})
                    expect_same(compute_prdc(c.real, c.fake, k, with_method(method)), expected,
                                c.name + " d=" + std::to_string(d) + " k=" + std::to_string(k));
            }
        }
    }
}

TEST(Prdc, DoesNotDependOnThreads) {
    const Matrix real = gaussian_points(1500, 3, 9), fake = gaussian_points(1200, 3, 10, 0.2);
    for (KnnMethod method : {KnnMethod::kKdTree, KnnMethod::kBruteForce}) {
        const PrdcResult one = compute_prdc(real, fake, 5, with_method(method, 1));
        expect_same(compute_prdc(real, fake, 5, with_method(method, 2)), one, "2 threads");
        expect_same(compute_prdc(real, fake, 5, with_method(method, 5)), one, "5 threads");
    }
}

// ---- closed-form cases ------------------------------------------------------------------------

TEST(Prdc, AllPointsEqualGivesOneWithInclusiveBalls) {
    // Every radius is 0; with `<=` every fake point lies in every real ball: precision, recall,
    // coverage 1 and density N / k (each of M fake points in N balls, divided by k M).
    const Matrix real = Matrix::Constant(60, 2, 0.7), fake = Matrix::Constant(40, 2, 0.7);
    for (KnnMethod method : {KnnMethod::kKdTree, KnnMethod::kBruteForce}) {
        const PrdcResult r = compute_prdc(real, fake, 5, with_method(method));
        EXPECT_EQ(r.precision, 1.0);
        EXPECT_EQ(r.recall, 1.0);
        EXPECT_EQ(r.coverage, 1.0);
        EXPECT_EQ(r.density, 60.0 / 5.0);
    }
}

TEST(Prdc, FakeEqualToRealGivesOneAndDensityKPlusOneOverK) {
    // Each point lies in its own ball (distance 0) and, without ties, in exactly the balls of
    // the points that have it among their k nearest: k + 1 balls per real ball on average, so
    // density = (k + 1) / k.
    for (Eigen::Index d : {2, 20}) {
        const Matrix x = gaussian_points(500, d, 11);
        for (int k : {1, 5}) {
            const PrdcResult r = compute_prdc(x, x, k);
            EXPECT_EQ(r.precision, 1.0);
            EXPECT_EQ(r.recall, 1.0);
            EXPECT_EQ(r.coverage, 1.0);
            EXPECT_DOUBLE_EQ(r.density, (k + 1.0) / k);
        }
    }
}

TEST(Prdc, DisjointDistributionsGiveZero) {
    for (Eigen::Index d : {2, 32}) {
        const Matrix real = gaussian_points(300, d, 12), fake = gaussian_points(200, d, 13, 1000.0);
        const PrdcResult r = compute_prdc(real, fake, 5);
        EXPECT_EQ(r.precision, 0.0);
        EXPECT_EQ(r.recall, 0.0);
        EXPECT_EQ(r.density, 0.0);
        EXPECT_EQ(r.coverage, 0.0);
    }
}

TEST(Prdc, CollapsedModelHasFullPrecisionAndNoRecall) {
    // All samples at one real point: inside that point's ball (precision 1), but the fake
    // radii are 0, so no real point except that one is recalled.
    const Matrix real = gaussian_points(400, 2, 14);
    Matrix fake(100, 2);
    fake.rowwise() = real.row(17);
    const PrdcResult r = compute_prdc(real, fake, 5);
    EXPECT_EQ(r.precision, 1.0);
    EXPECT_EQ(r.recall, 1.0 / 400.0);
    // The samples lie in the balls of x_17 and of the real points that have x_17 among their k
    // nearest: c balls each, so density = c / k and coverage = c / N.
    const auto radii = naive_kth(real, 5);
    int c = 0;
    for (Eigen::Index i = 0; i < real.rows(); ++i)
        c += naive_sq_dist(real, i, real, 17) <= radii[static_cast<std::size_t>(i)];
    EXPECT_GE(c, 1);
    EXPECT_DOUBLE_EQ(r.density, c / 5.0);
    EXPECT_DOUBLE_EQ(r.coverage, c / 400.0);
}

// ---- statistical expectations for two samples of one distribution ----------------------------

struct Moments {
    double mean = 0.0;
    double se = 0.0;  // standard error of the mean
};

Moments moments(const std::vector<double>& v) {
    Moments m;
    for (double x : v) m.mean += x;
    m.mean /= static_cast<double>(v.size());
    double ss = 0.0;
    for (double x : v) ss += (x - m.mean) * (x - m.mean);
    m.se = std::sqrt(ss / static_cast<double>(v.size() - 1) / static_cast<double>(v.size()));
    return m;
}

// E[coverage] = 1 - prod_{j<k} (N-1-j) / (N+M-1-j) (Naeem et al. 2020, for any continuous
// distribution), E[density] = 1; E[precision] = E[recall] when N = M (the two samples play
// symmetric roles). Tolerances: 4 standard errors of the mean over the seeds, plus a floor of
// 1e-3 for a run whose seeds happen to agree closely.
void check_same_distribution(Eigen::Index d, Eigen::Index n, int seeds, KnnMethod method) {
    const int k = 5;
    std::vector<double> coverage, density, precision_minus_recall, precision;
    for (int s = 0; s < seeds; ++s) {
        const Matrix real = gaussian_points(n, d, 1000 + 2 * s);
        const Matrix fake = gaussian_points(n, d, 1001 + 2 * s);
        const PrdcResult r = compute_prdc(real, fake, k, with_method(method));
        coverage.push_back(r.coverage);
        density.push_back(r.density);
        precision_minus_recall.push_back(r.precision - r.recall);
        precision.push_back(r.precision);
    }
    double prod = 1.0;
    for (int j = 0; j < k; ++j)
        prod *= static_cast<double>(n - 1 - j) / static_cast<double>(2 * n - 1 - j);
    const double expected_coverage = 1.0 - prod;

    const Moments c = moments(coverage), dn = moments(density),
                  pr = moments(precision_minus_recall);
    EXPECT_NEAR(c.mean, expected_coverage, 4.0 * c.se + 1e-3) << "d=" << d;
    EXPECT_NEAR(dn.mean, 1.0, 4.0 * dn.se + 1e-3) << "d=" << d;
    EXPECT_NEAR(pr.mean, 0.0, 4.0 * pr.se + 1e-3) << "d=" << d;
    // The tests above must not pass merely because the spread is huge.
    EXPECT_LT(c.se, 0.01);
    EXPECT_LT(dn.se, 0.05);
    if (d == 2) {
        EXPECT_GT(moments(precision).mean, 0.9);
    }
}

TEST(Prdc, SameDistributionMatchesExpectationsIn2D) {
    // N = M = 2000, k = 5: E[coverage] = 0.9688.
    check_same_distribution(2, 2000, 12, KnnMethod::kAuto);
}

TEST(Prdc, SameDistributionMatchesExpectationsIn32D) {
    check_same_distribution(32, 1000, 8, KnnMethod::kBruteForce);
}

// ---- errors and the Metric wrapper -------------------------------------------------------------

TEST(Prdc, TooFewPointsIsADataErrorThatSaysWhatToDo) {
    const Matrix three = gaussian_points(3, 2, 15), many = gaussian_points(50, 2, 16);
    try {
        compute_prdc(three, many, 5);
        FAIL() << "expected DataError";
    } catch (const DataError& e) {
        EXPECT_NE(std::string(e.what()).find(
                      "need at least k+1 = 6 points per set, got 3 real points; raise "
                      "metrics.n_eval or lower metrics.k"),
                  std::string::npos)
            << e.what();
    }
    EXPECT_THROW(compute_prdc(many, three, 5), DataError);
    EXPECT_NO_THROW(compute_prdc(gaussian_points(6, 2, 17), gaussian_points(6, 2, 18), 5));
    EXPECT_THROW(compute_prdc(many, many, 0), DataError);
    EXPECT_THROW(compute_prdc(many, gaussian_points(50, 3, 19), 5), DataError);
}

TEST(PrdcMetric, ReportsFourValuesOfTheTestSetAgainstTheSamples) {
    const Matrix real = gaussian_points(300, 2, 20), samples = gaussian_points(250, 2, 21, 0.1);
    const FixedGaussianModel model(Vector::Zero(2), SquareMatrix::Identity(2, 2));
    const MetricInput input{real, samples, model, std::nullopt};
    const PrdcMetric metric(5, 1);
    EXPECT_EQ(metric.name(), "prdc");
    const MetricValues values = metric.compute(input);
    const PrdcResult expected = naive_prdc(real, samples, 5);
    ASSERT_EQ(values.size(), 4u);
    EXPECT_EQ(values[0], (std::pair<std::string, double>{"precision", expected.precision}));
    EXPECT_EQ(values[1], (std::pair<std::string, double>{"recall", expected.recall}));
    EXPECT_EQ(values[2], (std::pair<std::string, double>{"density", expected.density}));
    EXPECT_EQ(values[3], (std::pair<std::string, double>{"coverage", expected.coverage}));

    Matrix broken = samples;
    broken(4, 0) = std::numeric_limits<double>::infinity();
    EXPECT_TRUE(metric.compute(MetricInput{real, broken, model, std::nullopt}).empty());
    EXPECT_THROW(PrdcMetric(0), ConfigError);
}

}  // namespace prdc_test
}  // namespace madlab
