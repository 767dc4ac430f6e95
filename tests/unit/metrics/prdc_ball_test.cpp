// The two ball conventions of precision, recall, density and coverage (prdc.h): closed balls
// (`<=`, Kynkaanniemi et al.'s code, madlab's default) and open balls (`<`, Naeem et al.'s prdc
// code), each held exactly to a plain double-precision reference written here, on both k-NN
// paths, with several thread counts, on random data and on data with ties (lattices,
// duplicates, points placed on a radius) where the two conventions differ.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "madlab/core/error.h"
#include "madlab/core/rng.h"
#include "madlab/metrics/knn.h"
#include "madlab/metrics/metric_registry.h"
#include "madlab/metrics/prdc.h"
#include "test_models.h"

namespace madlab {
namespace prdc_ball_test {

using testing::FixedGaussianModel;
using testing::gaussian_points;

// ---- the reference: plain loops in double, straight from the definitions --------------------

double sq_dist(const Matrix& a, Eigen::Index i, const Matrix& b, Eigen::Index j) {
    double s = 0.0;
    for (Eigen::Index t = 0; t < a.cols(); ++t) s += (a(i, t) - b(j, t)) * (a(i, t) - b(j, t));
    return s;
}

// Squared distance of each row to its k-th nearest other row (duplicates count).
std::vector<double> kth_radii(const Matrix& x, int k) {
    std::vector<double> out;
    for (Eigen::Index i = 0; i < x.rows(); ++i) {
        std::vector<double> dist;
        for (Eigen::Index j = 0; j < x.rows(); ++j)
            if (j != i) dist.push_back(sq_dist(x, i, x, j));
        std::sort(dist.begin(), dist.end());
        out.push_back(dist[static_cast<std::size_t>(k - 1)]);
    }
    return out;
}

bool inside(double e, double r2, bool open) { return open ? e < r2 : e <= r2; }

PrdcResult reference_prdc(const Matrix& real, const Matrix& fake, int k, bool open) {
    const std::vector<double> rr = kth_radii(real, k), rf = kth_radii(fake, k);
    const Eigen::Index n = real.rows(), m = fake.rows();
    long long precise = 0, inside_count = 0, recalled = 0, covered = 0;
    for (Eigen::Index j = 0; j < m; ++j) {
        long long balls = 0;
        for (Eigen::Index i = 0; i < n; ++i)
            balls += inside(sq_dist(real, i, fake, j), rr[static_cast<std::size_t>(i)], open);
        inside_count += balls;
        precise += balls > 0;
    }
    for (Eigen::Index i = 0; i < n; ++i) {
        bool in_fake_ball = false, has_fake = false;
        for (Eigen::Index j = 0; j < m; ++j) {
            const double e = sq_dist(real, i, fake, j);
            in_fake_ball = in_fake_ball || inside(e, rf[static_cast<std::size_t>(j)], open);
            has_fake = has_fake || inside(e, rr[static_cast<std::size_t>(i)], open);
        }
        recalled += in_fake_ball;
        covered += has_fake;
    }
    PrdcResult r;
    r.precision = static_cast<double>(precise) / static_cast<double>(m);
    r.recall = static_cast<double>(recalled) / static_cast<double>(n);
    r.density =
        static_cast<double>(inside_count) / (static_cast<double>(k) * static_cast<double>(m));
    r.coverage = static_cast<double>(covered) / static_cast<double>(n);
    return r;
}

// ---- data ---------------------------------------------------------------------------------

// Points of the lattice step * {0, 1, 2}^d: squared distances tie everywhere, and many points
// lie exactly on the k-th radius of others.
Matrix lattice(Eigen::Index n, Eigen::Index d, double step, std::uint64_t seed) {
    Rng rng(seed);
    Matrix x(n, d);
    for (Eigen::Index i = 0; i < x.size(); ++i)
        x.data()[i] = step * static_cast<double>(rng.uniform_int(3));
    return x;
}

// Rows drawn with replacement from n / 8 + 1 distinct points (a collapsing model's samples).
Matrix duplicates(Eigen::Index n, Eigen::Index d, std::uint64_t seed) {
    const Matrix base = gaussian_points(n / 8 + 1, d, seed);
    Rng rng(seed + 7);
    Matrix x(n, d);
    for (Eigen::Index i = 0; i < n; ++i)
        x.row(i) = base.row(static_cast<Eigen::Index>(rng.uniform_int(base.rows())));
    return x;
}

struct Case {
    std::string name;
    Matrix real;
    Matrix fake;
    bool ties;  // whether distances equal radii here (the conventions then differ)
};

std::vector<Case> cases(Eigen::Index d) {
    const Eigen::Index n = d >= 32 ? 200 : 260;
    std::vector<Case> out;
    out.push_back(
        {"gaussian", gaussian_points(n, d, 1), gaussian_points(n + 13, d, 2, 0.1, 1.1), false});
    out.push_back({"lattice", lattice(n, d, 1.0, 3), lattice(n - 9, d, 1.0, 4), true});
    out.push_back({"lattice 0.1, offset 1e5", (lattice(n, d, 0.1, 5).array() + 1e5).matrix(),
                   (lattice(n, d, 0.1, 6).array() + 1e5).matrix(), true});
    out.push_back({"duplicates", duplicates(n, d, 7), duplicates(n, d, 8), true});
    out.push_back(
        {"all equal", Matrix::Constant(n, d, 0.75), Matrix::Constant(n - 5, d, 0.75), true});
    // Every fake point at a dyadic offset (exact in binary) from a real point.
    const Matrix base = lattice(n, d, 0.5, 9);
    Matrix shifted = base;
    shifted.col(0).array() += 0.5;
    out.push_back({"on the radius", base, shifted, true});
    return out;
}

std::string convention_name(BallKind ball) { return ball == BallKind::kOpen ? "open" : "closed"; }

KnnOptions options_of(KnnMethod method, int threads, BallKind ball) {
    KnnOptions options;
    options.method = method;
    options.threads = threads;
    options.ball = ball;
    return options;
}

void expect_same(const PrdcResult& got, const PrdcResult& want, const std::string& what) {
    // Exact: the same pairs counted, the same integers divided.
    EXPECT_EQ(got.precision, want.precision) << what;
    EXPECT_EQ(got.recall, want.recall) << what;
    EXPECT_EQ(got.density, want.density) << what;
    EXPECT_EQ(got.coverage, want.coverage) << what;
}

// ---- both conventions against the reference -------------------------------------------------

TEST(PrdcBalls, BothConventionsMatchTheReferenceOnBothPathsAndAnyThreadCount) {
    // d = 1, 2, 3 take the k-d tree under kAuto, 32 and 64 the brute force; both paths are
    // forced in every dimension.
    for (Eigen::Index d : {1, 2, 3, 32, 64}) {
        for (const Case& c : cases(d)) {
            for (int k : {1, 3, 5}) {
                const PrdcResult closed = reference_prdc(c.real, c.fake, k, false);
                const PrdcResult open = reference_prdc(c.real, c.fake, k, true);
                for (BallKind ball : {BallKind::kClosed, BallKind::kOpen}) {
                    const PrdcResult& want = ball == BallKind::kOpen ? open : closed;
                    for (KnnMethod method : {KnnMethod::kKdTree, KnnMethod::kBruteForce})
                        for (int threads : {1, 3})
                            expect_same(
                                compute_prdc(c.real, c.fake, k, options_of(method, threads, ball)),
                                want,
                                c.name + " d=" + std::to_string(d) + " k=" + std::to_string(k) +
                                    " " + convention_name(ball) +
                                    (method == KnnMethod::kKdTree ? " kd-tree" : " brute force") +
                                    " threads=" + std::to_string(threads));
                }
                // Continuous data has no ties: the conventions agree. Data with ties is where
                // they part (checked below on the lattice, where the gap is large).
                if (!c.ties) expect_same(open, closed, c.name + ": conventions on continuous data");
            }
        }
    }
}

TEST(PrdcBalls, OnALatticeTheConventionsDifferHugely) {
    // 2-D points of {0, 1, 2}^2, 500 each: nine sites, about 55 duplicates each, so every k-th
    // radius is 0 and a closed ball holds its site's duplicates while an open ball of radius 0
    // holds nothing. That this test can fail: the reference itself must show the gap.
    const Matrix real = lattice(500, 2, 1.0, 21), fake = lattice(500, 2, 1.0, 22);
    const PrdcResult closed = reference_prdc(real, fake, 5, false);
    const PrdcResult open = reference_prdc(real, fake, 5, true);
    EXPECT_EQ(closed.precision, 1.0);
    EXPECT_EQ(closed.coverage, 1.0);
    EXPECT_GT(closed.density, 5.0);
    EXPECT_EQ(open.precision, 0.0);
    EXPECT_EQ(open.density, 0.0);
    EXPECT_EQ(open.coverage, 0.0);
    for (KnnMethod method : {KnnMethod::kKdTree, KnnMethod::kBruteForce}) {
        expect_same(compute_prdc(real, fake, 5, options_of(method, 0, BallKind::kClosed)), closed,
                    "closed");
        expect_same(compute_prdc(real, fake, 5, options_of(method, 0, BallKind::kOpen)), open,
                    "open");
    }
}

// ---- the boundary itself, on ball_counts ----------------------------------------------------

TEST(PrdcBalls, APointAtExactlyTheRadiusCountsForClosedAndNotForOpen) {
    // Queries exactly on the sphere of radius 5 around the origin (3-4-5 triangles, exact in
    // double), just outside it and just inside it, at a scale where the brute force's float
    // screen cannot decide them (they go to the exact test) and in 3-D and 40-D (both paths
    // under kAuto; both forced below).
    for (Eigen::Index d : {3, 40}) {
        Matrix c = Matrix::Zero(1, d), q = Matrix::Zero(4, d);
        q(0, 0) = 3, q(0, 1) = 4;                         // e = 25 exactly
        q(1, 0) = -4, q(1, 2) = 3;                        // e = 25 exactly
        q(2, 0) = 3, q(2, 1) = std::nextafter(4.0, 5.0);  // just outside
        q(3, 0) = 3, q(3, 1) = std::nextafter(4.0, 3.0);  // just inside
        const std::vector<double> r2 = {25.0};
        for (KnnMethod method : {KnnMethod::kKdTree, KnnMethod::kBruteForce}) {
            for (int threads : {1, 2}) {
                const BallCounts closed =
                    ball_counts(c, r2, q, options_of(method, threads, BallKind::kClosed));
                EXPECT_EQ(closed.balls_per_query, (std::vector<int>{1, 1, 0, 1}));
                EXPECT_EQ(closed.queries_per_ball, (std::vector<int>{3}));
                const BallCounts open =
                    ball_counts(c, r2, q, options_of(method, threads, BallKind::kOpen));
                EXPECT_EQ(open.balls_per_query, (std::vector<int>{0, 0, 0, 1}));
                EXPECT_EQ(open.queries_per_ball, (std::vector<int>{1}));
                // Both directions of the mutual counts, balls of radius 5 around the queries.
                const std::vector<double> q_r2(4, 25.0);
                const MutualBallCounts mutual = mutual_ball_counts(
                    c, r2, q, q_r2, options_of(method, threads, BallKind::kOpen));
                EXPECT_EQ(mutual.a_balls.balls_per_query, (std::vector<int>{0, 0, 0, 1}));
                EXPECT_EQ(mutual.b_balls.balls_per_query, (std::vector<int>{1}));
                EXPECT_EQ(mutual.b_balls.queries_per_ball, (std::vector<int>{0, 0, 0, 1}));
            }
        }
    }
}

TEST(PrdcBalls, AnOpenBallOfRadiusZeroHoldsNothing) {
    Matrix c(2, 2), q(3, 2);
    c << 1, 1, 2, 2;
    q << 1, 1, 1, 1, 2, 2;
    const std::vector<double> r2 = {0.0, 0.0};
    for (KnnMethod method : {KnnMethod::kKdTree, KnnMethod::kBruteForce}) {
        const BallCounts open = ball_counts(c, r2, q, options_of(method, 1, BallKind::kOpen));
        EXPECT_EQ(open.balls_per_query, (std::vector<int>{0, 0, 0}));
        EXPECT_EQ(open.queries_per_ball, (std::vector<int>{0, 0}));
        const BallCounts closed = ball_counts(c, r2, q, options_of(method, 1, BallKind::kClosed));
        EXPECT_EQ(closed.balls_per_query, (std::vector<int>{1, 1, 1}));
        EXPECT_EQ(closed.queries_per_ball, (std::vector<int>{2, 1}));
    }
}

// ---- the metric and its key ---------------------------------------------------------------

TEST(PrdcBalls, TheMetricKeyPicksTheConvention) {
    const MetricEntry* entry = find_metric("prdc");
    ASSERT_NE(entry, nullptr);
    const auto key = std::find_if(entry->keys.begin(), entry->keys.end(),
                                  [](const ConfigKey& k) { return k.name == "ball"; });
    ASSERT_NE(key, entry->keys.end());
    EXPECT_EQ(std::get<std::string>(key->default_value), "closed");
    EXPECT_EQ(key->choices, (std::vector<std::string>{"closed", "open"}));

    const Matrix real = lattice(120, 2, 1.0, 31), fake = lattice(110, 2, 1.0, 32);
    const FixedGaussianModel model(Vector::Zero(2), SquareMatrix::Identity(2, 2));
    const MetricInput input{real, fake, model, std::nullopt};
    for (const bool open : {false, true}) {
        Params p;
        p.set("k", std::int64_t{5});
        p.set("ball", std::string(open ? "open" : "closed"));
        const std::unique_ptr<Metric> metric = entry->make(p, 1);
        const MetricValues v = metric->compute(input);
        const PrdcResult want = reference_prdc(real, fake, 5, open);
        ASSERT_EQ(v.size(), 4u);
        EXPECT_EQ(v[0].second, want.precision) << open;
        EXPECT_EQ(v[1].second, want.recall) << open;
        EXPECT_EQ(v[2].second, want.density) << open;
        EXPECT_EQ(v[3].second, want.coverage) << open;
    }
}

}  // namespace prdc_ball_test
}  // namespace madlab
