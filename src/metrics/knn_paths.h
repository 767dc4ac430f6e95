#pragma once
// The two search paths behind madlab/metrics/knn.h, one file each: the k-d tree
// (knn_kd_tree.cpp) and the blocked brute force (knn_brute_force.cpp). Private to the metrics
// layer. knn.cpp checks the inputs and picks the path; each function here assumes checked
// inputs (finite coordinates, equal dimensions, one finite radius >= 0 per centre,
// 1 <= k <= n - 1) and returns exactly what the public function of the same contract returns.

#include <atomic>
#include <limits>
#include <span>
#include <vector>

#include "madlab/core/matrix.h"
#include "madlab/metrics/knn.h"

namespace madlab::knn {

constexpr double kInf = std::numeric_limits<double>::infinity();

// kth_neighbour_sq_distances() through a k-d tree of the points.
std::vector<double> kth_kd_tree(const MatrixView& x, int k, int threads);

// ball_counts() through a k-d tree of the queries, asked once per ball.
BallCounts balls_kd_tree(const MatrixView& centres, std::span<const double> radii_sq,
                         const MatrixView& queries, BallKind ball, int threads);

// Exact k-th smallest squared distance of each point to the other points of the same set
// (kth_neighbour_sq_distances()) by blocked brute force, with the widest kernel this CPU runs
// up to max_simd_bits (KnnOptions::max_simd_bits: only the speed depends on it).
std::vector<double> kth_brute_force(const MatrixView& x, int k, int threads, int max_simd_bits);

// Both directions of ball membership between a (rows) and b (columns) by blocked brute force
// (mutual_ball_counts()). Without b_has_balls, b carries no balls (b_radii_sq is not read) and
// out.b_balls stays empty: out.a_balls is then ball_counts(a, a_radii_sq, b).
MutualBallCounts mutual_brute_force(const MatrixView& a, std::span<const double> a_radii_sq,
                                    const MatrixView& b, std::span<const double> b_radii_sq,
                                    bool b_has_balls, BallKind ball, int threads,
                                    int max_simd_bits);

// The exact membership test of both paths: e (a squared_distance() value) is in the ball of
// squared radius r2.
constexpr bool in_ball(double e, double r2, BallKind ball) {
    return ball == BallKind::kClosed ? e <= r2 : e < r2;
}

// Counters shared between tasks. Integer increments commute, so totals do not depend on the
// order in which threads apply them.
inline std::vector<int> load_all(const std::vector<std::atomic<int>>& counts) {
    std::vector<int> out(counts.size());
    for (std::size_t i = 0; i < counts.size(); ++i) out[i] = counts[i].load();
    return out;
}

}  // namespace madlab::knn
