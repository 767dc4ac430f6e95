#pragma once
// Exact k-nearest-neighbour radii and ball membership, the geometry under precision, recall,
// density and coverage (prdc.h).
//
// "Exact" means: every decision compares values of squared_distance() below, the one
// definition of distance in this file, so ties at a radius and duplicate points (distance 0) are
// decided exactly as the definitions say, whichever search path runs and however many threads
// it uses. Memory is linear in the number of points; no N x N matrix is ever built
// (SCIENCE.md section 6).
//
// Two search paths, chosen by KnnOptions::method, give identical results:
// - k-d tree (nanoflann) in low dimension. Its pruning bounds are accumulated with rounding, so
//   every search runs against a bound inflated by a relative 1e-9 (far above that rounding) and
//   the exact test (`<=`, or `<` for open balls) is applied to each point the tree reports. Ball
//   membership is ball-centric: each ball asks the tree of query points for its members, so the
//   cost does not depend on the spread of the radii.
// - blocked brute force otherwise: blocks of approximate distances |q|^2 + |x|^2 - 2 q.x in
//   single precision (centred, power-of-two scaled coordinates; a register-blocked kernel using
//   AVX-512 or AVX2 where the CPU has it) with a proven error bound; only pairs within that
//   bound of a decision threshold are recomputed with squared_distance() and compared with
//   `<=` (or `<` for open balls); a pair decided from its bound is farther than the bound from
//   the radius, on the same side for both conventions. k-NN radii within one
//   set compute each pair of blocks once (distances are symmetric).

#include <cstddef>
#include <span>
#include <vector>

#include "madlab/core/matrix.h"

namespace madlab {

// The one definition of squared Euclidean distance between two d-vectors: sum over j = 0..d-1,
// in that order, of (a_j - b_j)^2 in double. Symmetric bit for bit; exactly 0 for equal points.
inline double squared_distance(const double* a, const double* b, std::size_t d) {
    double sum = 0.0;
    for (std::size_t j = 0; j < d; ++j) {
        const double diff = a[j] - b[j];
        sum += diff * diff;
    }
    return sum;
}

enum class KnnMethod {
    kAuto,        // k-d tree when d <= KnnOptions::kd_tree_max_dim, else blocked brute force
    kKdTree,      // force the k-d tree
    kBruteForce,  // force the blocked brute force
};

// Which points a ball B(c, r) holds, with e = squared_distance(q, c) and r2 its squared radius:
// closed {q : e <= r2} (a ball of radius 0 holds the duplicates of its centre) or open
// {q : e < r2} (a ball of radius 0 holds nothing). Both are decided exactly, on both paths.
enum class BallKind {
    kClosed,
    kOpen,
};

struct KnnOptions {
    KnnMethod method = KnnMethod::kAuto;
    // The balls ball_counts() and mutual_ball_counts() count; kth_neighbour_sq_distances() does
    // not read it.
    BallKind ball = BallKind::kClosed;
    int kd_tree_max_dim = 16;  // kAuto's switch: k-d trees lose to brute force above this
    int threads = 0;           // 0 = all cores; results never depend on it
    // Widest vectors the brute-force kernel may use: 512 (AVX-512), 256 (AVX2 + FMA) or 128
    // (portable). The best one the CPU supports is used; lower it only to test the others.
    int max_simd_bits = 512;
};

// Squared k-NN radii of a point set within itself: for each row i, the k-th smallest of
// squared_distance(x_i, x_j) over j != i. Duplicates of x_i count (distance 0), so a point with
// k duplicates has radius 0. Requires 1 <= k <= n - 1 (throws DataError otherwise) and finite
// coordinates. Returns squared radii so that callers compare like with like: taking a square
// root and squaring it again would not give the same double.
std::vector<double> kth_neighbour_sq_distances(const MatrixView& points, int k,
                                               const KnnOptions& options = {});

// Ball membership of query points in balls B(c_i, r_i) = {q : squared_distance(q, c_i) <=
// radii_sq[i]} (closed balls, the default: a ball of radius 0 contains its duplicates), or with
// `<` (KnnOptions::ball = BallKind::kOpen).
struct BallCounts {
    std::vector<int> balls_per_query;   // for each query: number of balls that contain it
    std::vector<int> queries_per_ball;  // for each ball: number of queries it contains
};

// Counts for balls centred at the rows of `centres` (radii_sq.size() == centres.rows()) and the
// rows of `queries` (same number of columns). A query is in at least one ball iff
// balls_per_query > 0; a ball holds some query iff queries_per_ball > 0.
BallCounts ball_counts(const MatrixView& centres, std::span<const double> radii_sq,
                       const MatrixView& queries, const KnnOptions& options = {});

// Two point sets that both carry balls, counted both ways: a_balls == ball_counts(a, a_radii_sq,
// b) and b_balls == ball_counts(b, b_radii_sq, a). The brute-force path evaluates each pair of
// points once for both directions, which is why this exists.
struct MutualBallCounts {
    BallCounts a_balls;  // balls around a, queried with the points of b
    BallCounts b_balls;  // balls around b, queried with the points of a
};
MutualBallCounts mutual_ball_counts(const MatrixView& a, std::span<const double> a_radii_sq,
                                    const MatrixView& b, std::span<const double> b_radii_sq,
                                    const KnnOptions& options = {});

}  // namespace madlab
