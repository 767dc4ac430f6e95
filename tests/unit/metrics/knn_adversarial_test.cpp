// Every k-NN path against a naive O(N M) double-precision reference on adversarial data, in the
// dimensions where the paths switch (k-d tree at d <= 16, blocked brute force above): d = 1, 2,
// 3, 64, 300. Complements knn_test.cpp (d = 2 and 32) and prdc_test.cpp.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "madlab/core/error.h"
#include "madlab/core/rng.h"
#include "madlab/metrics/knn.h"
#include "madlab/metrics/prdc.h"
#include "naive_reference.h"
#include "test_models.h"

namespace madlab {
namespace {

using testing::gaussian_points;
using testing::naive_kth;
using testing::naive_prdc;

// Points on the integer lattice {0..3}^d times `step`: squared distances are exact small
// integers times step^2, so distances tie everywhere and many points lie exactly on the k-th
// radius of others.
Matrix lattice(Eigen::Index n, Eigen::Index d, double step, std::uint64_t seed) {
    Rng rng(seed);
    Matrix x(n, d);
    for (Eigen::Index i = 0; i < x.size(); ++i)
        x.data()[i] = step * static_cast<double>(rng.uniform_int(4));
    return x;
}

// Each centre's k-th neighbour radius realised exactly: for every point c of `base`, a point
// at c + r e_0 for a dyadic r (exact in binary), so that k-th radii and ball tests hit values
// computed from the same coordinates.
Matrix on_the_radius(const Matrix& base, double r) {
    Matrix out = base;
    out.col(0).array() += r;
    return out;
}

// Clusters at scales 1e-3 and 1e3 in one set: the brute force's error bound depends on the
// norms, so small-scale ties next to large norms are the hard case.
Matrix mixed_scales(Eigen::Index n, Eigen::Index d, std::uint64_t seed) {
    Matrix x = gaussian_points(n, d, seed);
    for (Eigen::Index i = 0; i < n; ++i) {
        if (i % 3 == 0) x.row(i) *= 1e-3;
        if (i % 3 == 1) x.row(i) = x.row(i) * 1e-3 + Eigen::RowVectorXd::Constant(d, 1e3);
    }
    return x;
}

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
};

std::vector<Case> cases(Eigen::Index d) {
    const Eigen::Index n = d >= 64 ? 240 : 300;
    std::vector<Case> out;
    out.push_back({"gaussian", gaussian_points(n, d, 1), gaussian_points(n + 17, d, 2, 0.1, 1.1)});
    out.push_back({"lattice", lattice(n, d, 1.0, 3), lattice(n - 11, d, 1.0, 4)});
    out.push_back({"lattice 0.1", lattice(n, d, 0.1, 5), lattice(n, d, 0.1, 6)});
    const Matrix base = gaussian_points(n, d, 7);
    out.push_back({"on the radius", base, on_the_radius(base, 0.25)});
    out.push_back({"duplicates", duplicates(n, d, 8), duplicates(n, d, 9)});
    out.push_back({"all equal", Matrix::Constant(n, d, 0.75), Matrix::Constant(n, d, 0.75)});
    out.push_back({"mixed scales", mixed_scales(n, d, 10), mixed_scales(n, d, 11)});
    out.push_back(
        {"offset 1e5", gaussian_points(n, d, 12, 1e5, 1e-2), gaussian_points(n, d, 13, 1e5, 1e-2)});
    return out;
}

void expect_same(const PrdcResult& got, const PrdcResult& want, const std::string& what) {
    // Exact: the same pairs counted, the same integers divided.
    EXPECT_EQ(got.precision, want.precision) << what;
    EXPECT_EQ(got.recall, want.recall) << what;
    EXPECT_EQ(got.density, want.density) << what;
    EXPECT_EQ(got.coverage, want.coverage) << what;
}

TEST(KnnAdversarial, EveryPathMatchesTheNaiveReference) {
    for (Eigen::Index d : {1, 2, 3, 64, 300}) {
        for (const Case& c : cases(d)) {
            for (int k : {1, 5}) {
                const std::vector<double> radii = naive_kth(c.real, k);
                const PrdcResult want = naive_prdc(c.real, c.fake, k);
                for (KnnMethod method : {KnnMethod::kKdTree, KnnMethod::kBruteForce}) {
                    // The k-d tree at d = 300 is slow and never chosen; skip it there.
                    if (method == KnnMethod::kKdTree && d > 64) continue;
                    for (int threads : {1, 2}) {
                        KnnOptions o;
                        o.method = method;
                        o.threads = threads;
                        const std::string what =
                            c.name + " d=" + std::to_string(d) + " k=" + std::to_string(k) +
                            (method == KnnMethod::kKdTree ? " tree" : " brute") +
                            " threads=" + std::to_string(threads);
                        EXPECT_EQ(kth_neighbour_sq_distances(c.real, k, o), radii) << what;
                        expect_same(compute_prdc(c.real, c.fake, k, o), want, what);
                    }
                }
            }
        }
    }
}

// The brute force works in blocks of 288 points (knn.cpp kBlock) and carries the k-th distance
// thresholds of earlier rounds of blocks into later ones; the sets above fit in one block. Here
// N and M span several blocks (and a last, partial one), at d = 64 and at d = 2048 (the
// Inception feature size, where the kernel's depth loop is longest), with duplicates across
// blocks and exact ties at the radius, so every round and its carried thresholds meet the
// naive reference.
TEST(KnnAdversarial, SeveralBlocksMatchTheNaiveReference) {
    struct Size {
        Eigen::Index d, n, m;
    };
    // d = 2048 keeps to two blocks and two sets: the naive reference is O(N M d) in double.
    for (const Size& size : {Size{64, 1000, 731}, Size{2048, 400, 321}}) {
        const Eigen::Index d = size.d, n = size.n, m = size.m;
        const Matrix base = gaussian_points(n, d, 30);
        std::vector<Case> sets;
        sets.push_back({"duplicates", duplicates(n, d, 32), duplicates(m, d, 33)});
        sets.push_back({"on the radius", base, on_the_radius(base, 0.25)});
        if (d <= 64) {
            sets.push_back({"gaussian", base, gaussian_points(m, d, 31, 0.1, 1.1)});
            sets.push_back({"lattice", lattice(n, d, 1.0, 34), lattice(m, d, 1.0, 35)});
        }
        for (const Case& c : sets) {
            const int k = 5;
            const std::vector<double> radii = naive_kth(c.real, k);
            const PrdcResult want = naive_prdc(c.real, c.fake, k);
            for (int threads : {1, 2}) {
                KnnOptions o;
                o.method = KnnMethod::kBruteForce;
                o.threads = threads;
                const std::string what = c.name + " d=" + std::to_string(d) +
                                         " n=" + std::to_string(n) +
                                         " threads=" + std::to_string(threads);
                EXPECT_EQ(kth_neighbour_sq_distances(c.real, k, o), radii) << what;
                expect_same(compute_prdc(c.real, c.fake, k, o), want, what);
            }
        }
    }
}

TEST(KnnAdversarial, TooFewPointsIsAClearDataError) {
    // k-th neighbour radii need k + 1 points: N = k is an error, N = k + 1 is fine.
    const Matrix five = gaussian_points(5, 3, 20), six = gaussian_points(6, 3, 21);
    EXPECT_THROW(compute_prdc(five, six, 5), DataError);
    EXPECT_THROW(compute_prdc(six, five, 5), DataError);
    EXPECT_NO_THROW(compute_prdc(six, six, 5));
    try {
        compute_prdc(five, six, 5);
    } catch (const DataError& e) {
        EXPECT_NE(std::string(e.what()).find("k+1 = 6"), std::string::npos) << e.what();
    }
}

}  // namespace
}  // namespace madlab
