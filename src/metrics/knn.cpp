// Exact k-nearest-neighbour search (madlab/metrics/knn.h): the checks of the inputs and the
// choice between the two search paths, the k-d tree (knn_kd_tree.cpp) and the blocked brute
// force (knn_brute_force.cpp).

#include "madlab/metrics/knn.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "knn_paths.h"
#include "madlab/core/error.h"

namespace madlab {
namespace {

void check_points(const MatrixView& x, const char* what) {
    if (static_cast<std::uint64_t>(x.rows()) >= std::numeric_limits<std::uint32_t>::max())
        throw DataError(std::string(what) + ": more than 2^32 - 1 points is not supported");
    if (!x.allFinite())
        throw DataError(std::string(what) +
                        " contain NaN or infinite coordinates; distances are undefined");
}

void check_same_dim(const MatrixView& a, const MatrixView& b) {
    if (a.cols() != b.cols())
        throw DataError("k-NN: point sets differ in dimension (" + std::to_string(a.cols()) +
                        " vs " + std::to_string(b.cols()) + " columns)");
}

void check_radii(std::span<const double> radii_sq, const MatrixView& centres) {
    if (static_cast<Eigen::Index>(radii_sq.size()) != centres.rows())
        throw DataError("ball counts: " + std::to_string(radii_sq.size()) + " radii for " +
                        std::to_string(centres.rows()) + " centres");
    for (double r : radii_sq)
        if (!(r >= 0.0) || std::isinf(r))
            throw DataError("ball counts: squared radii must be finite and >= 0");
}

bool use_kd_tree(std::size_t d, const KnnOptions& options) {
    switch (options.method) {
        case KnnMethod::kKdTree:
            return true;
        case KnnMethod::kBruteForce:
            return false;
        case KnnMethod::kAuto:
            break;
    }
    return d <= static_cast<std::size_t>(std::max(options.kd_tree_max_dim, 0));
}

}  // namespace

std::vector<double> kth_neighbour_sq_distances(const MatrixView& points, int k,
                                               const KnnOptions& options) {
    check_points(points, "k-NN points");
    if (k < 1 || static_cast<Eigen::Index>(k) >= points.rows())
        throw DataError("k-NN radii need 1 <= k <= n - 1; got k = " + std::to_string(k) +
                        " with n = " + std::to_string(points.rows()) + " points");
    if (use_kd_tree(static_cast<std::size_t>(points.cols()), options))
        return knn::kth_kd_tree(points, k, options.threads);
    return knn::kth_brute_force(points, k, options.threads, options.max_simd_bits);
}

BallCounts ball_counts(const MatrixView& centres, std::span<const double> radii_sq,
                       const MatrixView& queries, const KnnOptions& options) {
    check_points(centres, "ball centres");
    check_points(queries, "ball queries");
    check_same_dim(centres, queries);
    check_radii(radii_sq, centres);
    if (use_kd_tree(static_cast<std::size_t>(centres.cols()), options))
        return knn::balls_kd_tree(centres, radii_sq, queries, options.ball, options.threads);
    return knn::mutual_brute_force(centres, radii_sq, queries, {}, false, options.ball,
                                   options.threads, options.max_simd_bits)
        .a_balls;
}

MutualBallCounts mutual_ball_counts(const MatrixView& a, std::span<const double> a_radii_sq,
                                    const MatrixView& b, std::span<const double> b_radii_sq,
                                    const KnnOptions& options) {
    check_points(a, "ball centres");
    check_points(b, "ball centres");
    check_same_dim(a, b);
    check_radii(a_radii_sq, a);
    check_radii(b_radii_sq, b);
    if (use_kd_tree(static_cast<std::size_t>(a.cols()), options))
        return MutualBallCounts{
            knn::balls_kd_tree(a, a_radii_sq, b, options.ball, options.threads),
            knn::balls_kd_tree(b, b_radii_sq, a, options.ball, options.threads)};
    return knn::mutual_brute_force(a, a_radii_sq, b, b_radii_sq, true, options.ball,
                                   options.threads, options.max_simd_bits);
}

}  // namespace madlab
