#include "madlab/metrics/knn.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "madlab/core/error.h"
#include "madlab/core/rng.h"
#include "naive_reference.h"
#include "test_models.h"

namespace madlab {
namespace {

using testing::gaussian_points;
using testing::naive_kth;
using testing::naive_sq_dist;

// ---- naive O(N^2) references ----------------------------------------------------------------

BallCounts naive_balls(const Matrix& c, const std::vector<double>& r2, const Matrix& q) {
    BallCounts out;
    out.balls_per_query.assign(static_cast<std::size_t>(q.rows()), 0);
    out.queries_per_ball.assign(static_cast<std::size_t>(c.rows()), 0);
    for (Eigen::Index i = 0; i < c.rows(); ++i)
        for (Eigen::Index j = 0; j < q.rows(); ++j)
            if (naive_sq_dist(c, i, q, j) <= r2[static_cast<std::size_t>(i)]) {
                ++out.balls_per_query[static_cast<std::size_t>(j)];
                ++out.queries_per_ball[static_cast<std::size_t>(i)];
            }
    return out;
}

// ---- data sets, ordinary and adversarial ----------------------------------------------------

// Rows drawn with replacement from `distinct` points: many exact duplicates.
Matrix with_duplicates(Eigen::Index n, Eigen::Index d, Eigen::Index distinct, std::uint64_t seed) {
    const Matrix base = gaussian_points(distinct, d, seed);
    Rng rng(seed + 1000);
    Matrix x(n, d);
    for (Eigen::Index i = 0; i < n; ++i)
        x.row(i) = base.row(static_cast<Eigen::Index>(rng.uniform_int(distinct)));
    return x;
}

// Random points of the lattice step * {0, 1, 2}^d: distances tie everywhere.
Matrix lattice_points(Eigen::Index n, Eigen::Index d, double step, std::uint64_t seed) {
    Rng rng(seed);
    Matrix x(n, d);
    for (Eigen::Index i = 0; i < n; ++i)
        for (Eigen::Index j = 0; j < d; ++j)
            x(i, j) = step * static_cast<double>(rng.uniform_int(3));
    return x;
}

// The full 2-D grid {0..side-1}^2 (each point has 4 neighbours at distance 1, 4 at sqrt 2).
Matrix grid_2d(int side, double step) {
    Matrix x(side * side, 2);
    for (int a = 0; a < side; ++a)
        for (int b = 0; b < side; ++b) {
            x(a * side + b, 0) = step * a;
            x(a * side + b, 1) = step * b;
        }
    return x;
}

struct DataSet {
    std::string name;
    Matrix x;
};

std::vector<DataSet> data_sets(Eigen::Index d) {
    std::vector<DataSet> out;
    out.push_back({"gaussian", gaussian_points(500, d, 1)});
    out.push_back({"offset 1e6", gaussian_points(300, d, 2, 1e6, 1e-3)});
    out.push_back({"duplicates", with_duplicates(400, d, 40, 3)});
    out.push_back({"all equal", Matrix::Constant(300, d, 1.25)});
    out.push_back({"lattice", lattice_points(400, d, 1.0, 4)});
    out.push_back({"lattice 0.1", lattice_points(400, d, 0.1, 5)});
    // Extreme scales: the brute force's power-of-two frame keeps float in range.
    out.push_back({"scale 1e-140", gaussian_points(300, d, 7, 0.0, 1e-140)});
    out.push_back({"scale 1e140", gaussian_points(300, d, 8, 0.0, 1e140)});
    Matrix outliers = gaussian_points(300, d, 6);
    outliers.topRows(3).array() += 1e3;  // large norms: loose brute-force tolerances
    out.push_back({"outliers", outliers});
    if (d == 2) out.push_back({"grid", grid_2d(20, 0.1)});
    return out;
}

KnnOptions with_method(KnnMethod method, int threads = 0) {
    KnnOptions options;
    options.method = method;
    options.threads = threads;
    return options;
}

const KnnMethod kMethods[] = {KnnMethod::kKdTree, KnnMethod::kBruteForce};

std::string method_name(KnnMethod m) { return m == KnnMethod::kKdTree ? "kd-tree" : "brute"; }

// ---- k-th neighbour radii -------------------------------------------------------------------

TEST(KthNeighbour, MatchesNaiveOnOrdinaryAndAdversarialData) {
    for (Eigen::Index d : {2, 32}) {
        for (const DataSet& data : data_sets(d)) {
            for (int k : {1, 5, 10}) {
                const std::vector<double> expected = naive_kth(data.x, k);
                for (KnnMethod method : kMethods) {
                    EXPECT_EQ(kth_neighbour_sq_distances(data.x, k, with_method(method)), expected)
                        << data.name << " d=" << d << " k=" << k << " " << method_name(method);
                }
            }
        }
    }
}

TEST(KthNeighbour, DuplicatesCountAtDistanceZero) {
    Matrix x(4, 2);
    x << 0, 0, 0, 0, 3, 4, 0, 0;  // three copies of the origin, one point at distance 5
    for (KnnMethod method : kMethods) {
        EXPECT_EQ(kth_neighbour_sq_distances(x, 1, with_method(method)),
                  (std::vector<double>{0, 0, 25, 0}));
        EXPECT_EQ(kth_neighbour_sq_distances(x, 2, with_method(method)),
                  (std::vector<double>{0, 0, 25, 0}));
        EXPECT_EQ(kth_neighbour_sq_distances(x, 3, with_method(method)),
                  (std::vector<double>{25, 25, 25, 25}));
    }
}

TEST(KthNeighbour, AllEqualPointsHaveRadiusZero) {
    for (Eigen::Index d : {2, 20}) {
        // 700 points: several row and column blocks and many batches of exact recomputation.
        const Matrix x = Matrix::Constant(700, d, -3.5);
        for (KnnMethod method : kMethods)
            EXPECT_EQ(kth_neighbour_sq_distances(x, 5, with_method(method)),
                      std::vector<double>(700, 0.0));
    }
}

TEST(KthNeighbour, KEqualToNMinusOneIsTheFarthestPoint) {
    const Matrix x = gaussian_points(9, 3, 11);
    for (KnnMethod method : kMethods)
        EXPECT_EQ(kth_neighbour_sq_distances(x, 8, with_method(method)), naive_kth(x, 8));
}

TEST(KthNeighbour, DoesNotDependOnThreadsOrKernel) {
    const Matrix x = gaussian_points(1000, 24, 12);
    for (KnnMethod method : kMethods) {
        const auto one = kth_neighbour_sq_distances(x, 5, with_method(method, 1));
        EXPECT_EQ(kth_neighbour_sq_distances(x, 5, with_method(method, 3)), one);
        EXPECT_EQ(kth_neighbour_sq_distances(x, 5, with_method(method, 0)), one);
    }
    for (const DataSet& data : data_sets(32)) {
        const auto expected = naive_kth(data.x, 5);
        for (int bits : {128, 256, 512}) {
            KnnOptions options = with_method(KnnMethod::kBruteForce);
            options.max_simd_bits = bits;
            EXPECT_EQ(kth_neighbour_sq_distances(data.x, 5, options), expected)
                << data.name << " bits=" << bits;
        }
    }
}

TEST(KthNeighbour, AutoUsesEitherPathWithTheSameResult) {
    const Matrix x = gaussian_points(300, 16, 13);
    const Matrix y = gaussian_points(300, 17, 14);
    EXPECT_EQ(kth_neighbour_sq_distances(x, 4), naive_kth(x, 4));
    EXPECT_EQ(kth_neighbour_sq_distances(y, 4), naive_kth(y, 4));
}

TEST(KthNeighbour, RejectsBadInput) {
    const Matrix x = gaussian_points(5, 2, 15);
    EXPECT_THROW(kth_neighbour_sq_distances(x, 5), DataError);
    EXPECT_THROW(kth_neighbour_sq_distances(x, 0), DataError);
    Matrix bad = x;
    bad(2, 1) = std::numeric_limits<double>::quiet_NaN();
    EXPECT_THROW(kth_neighbour_sq_distances(bad, 2), DataError);
}

// ---- ball membership ------------------------------------------------------------------------

void expect_counts_eq(const BallCounts& got, const BallCounts& expected, const std::string& what) {
    EXPECT_EQ(got.balls_per_query, expected.balls_per_query) << what;
    EXPECT_EQ(got.queries_per_ball, expected.queries_per_ball) << what;
}

TEST(BallCounts, MatchesNaiveWithOwnRadii) {
    for (Eigen::Index d : {2, 32}) {
        const auto centres = data_sets(d);
        for (std::size_t s = 0; s < centres.size(); ++s) {
            // Queries: another data set of the same kind (N != M) and the centres themselves.
            const Matrix& c = centres[s].x;
            const Matrix& q = centres[(s + 1) % centres.size()].x;
            for (int k : {1, 5, 10}) {
                const std::vector<double> r2 = naive_kth(c, k);
                for (const Matrix* queries : {&q, &c}) {
                    const BallCounts expected = naive_balls(c, r2, *queries);
                    for (KnnMethod method : kMethods)
                        expect_counts_eq(ball_counts(c, r2, *queries, with_method(method)),
                                         expected,
                                         centres[s].name + " d=" + std::to_string(d) +
                                             " k=" + std::to_string(k) + " " + method_name(method));
                }
            }
        }
    }
}

TEST(BallCounts, ZeroRadiusBallsContainTheirDuplicates) {
    Matrix c(2, 2), q(3, 2);
    c << 1, 1, 2, 2;
    q << 1, 1, 1, 1, 2, 2.0000000001;
    const std::vector<double> r2 = {0.0, 0.0};
    for (KnnMethod method : kMethods) {
        const BallCounts got = ball_counts(c, r2, q, with_method(method));
        EXPECT_EQ(got.balls_per_query, (std::vector<int>{1, 1, 0}));
        EXPECT_EQ(got.queries_per_ball, (std::vector<int>{2, 0}));
    }
}

TEST(BallCounts, RadiusIsInclusive) {
    // Query exactly on the sphere of radius 5 (3-4-5 triangle): inside with `<=`.
    Matrix c(1, 2), q(2, 2);
    c << 0, 0;
    q << 3, 4, 3, 4.000001;
    const std::vector<double> r2 = {25.0};
    for (KnnMethod method : kMethods) {
        const BallCounts got = ball_counts(c, r2, q, with_method(method));
        EXPECT_EQ(got.balls_per_query, (std::vector<int>{1, 0}));
    }
}

TEST(BallCounts, MutualMatchesBothDirections) {
    for (Eigen::Index d : {2, 32}) {
        const Matrix a = with_duplicates(350, d, 60, 21);
        const Matrix b = gaussian_points(290, d, 22, 0.2);
        for (int k : {1, 5}) {
            const auto ra = naive_kth(a, k), rb = naive_kth(b, k);
            const BallCounts ea = naive_balls(a, ra, b), eb = naive_balls(b, rb, a);
            for (KnnMethod method : kMethods) {
                for (int threads : {1, 2}) {
                    const MutualBallCounts got =
                        mutual_ball_counts(a, ra, b, rb, with_method(method, threads));
                    expect_counts_eq(got.a_balls, ea, "a balls " + method_name(method));
                    expect_counts_eq(got.b_balls, eb, "b balls " + method_name(method));
                }
            }
        }
    }
}

// A view whose rows sit apart in memory (the first d columns of a wider matrix, as a numpy
// column slice arrives from the Python package) gives exactly the results of its packed copy,
// on both paths.
TEST(BallCounts, ViewsWithRowsApartMatchTheirPackedCopy) {
    for (Eigen::Index d : {2, 32}) {
        const Matrix wide_a = with_duplicates(300, d + 3, 50, 23);
        const Matrix wide_b = gaussian_points(250, d + 3, 24, 0.2);
        const MatrixView a = wide_a.leftCols(d), b = wide_b.leftCols(d);
        ASSERT_GT(a.outerStride(), a.cols());
        const Matrix packed_a = a, packed_b = b;
        for (KnnMethod method : kMethods) {
            const KnnOptions options = with_method(method, 2);
            const auto ra = kth_neighbour_sq_distances(a, 4, options);
            EXPECT_EQ(ra, naive_kth(packed_a, 4)) << method_name(method);
            const auto rb = kth_neighbour_sq_distances(b, 4, options);
            const MutualBallCounts got = mutual_ball_counts(a, ra, b, rb, options);
            expect_counts_eq(got.a_balls, naive_balls(packed_a, ra, packed_b),
                             "view a balls " + method_name(method));
            expect_counts_eq(got.b_balls, naive_balls(packed_b, rb, packed_a),
                             "view b balls " + method_name(method));
            expect_counts_eq(ball_counts(a, ra, b, options), naive_balls(packed_a, ra, packed_b),
                             "view balls " + method_name(method));
        }
    }
}

TEST(BallCounts, EmptyQueriesAndBadInput) {
    const Matrix c = gaussian_points(10, 3, 23);
    const std::vector<double> r2(10, 1.0);
    for (KnnMethod method : kMethods) {
        const BallCounts got = ball_counts(c, r2, Matrix(0, 3), with_method(method));
        EXPECT_TRUE(got.balls_per_query.empty());
        EXPECT_EQ(got.queries_per_ball, std::vector<int>(10, 0));
    }
    EXPECT_THROW(ball_counts(c, std::vector<double>(9, 1.0), c), DataError);
    EXPECT_THROW(ball_counts(c, r2, gaussian_points(4, 2, 24)), DataError);
    EXPECT_THROW(ball_counts(c, std::vector<double>(10, -1.0), c), DataError);
}

}  // namespace
}  // namespace madlab
