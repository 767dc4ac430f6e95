// The k-d tree path of the exact k-NN search (madlab/metrics/knn.h): nanoflann trees whose leaf
// distances are squared_distance(), searched against bounds inflated just enough to survive
// nanoflann's rounding; the exact test decides every point the tree reports.

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <limits>
#include <nanoflann.hpp>
#include <type_traits>
#include <vector>

#include "knn_paths.h"
#include "madlab/core/parallel.h"

namespace madlab::knn {
namespace {

// nanoflann prunes a subtree when its lower bound on the squared distance exceeds the result
// set's worstDist(). That bound is accumulated with rounding (relative error a few times
// 1e-16 per level), so a point exactly at a radius could be pruned by a bound rounded up. Every
// search therefore runs against inflated(r2), a relative 1e-9 above the radius, and the exact
// decision is taken in addPoint with squared_distance() values. The leaf distances nanoflann
// computes are squared_distance() itself (ExactL2 below).

constexpr double kSearchSlack = 1e-9;

// Strictly above r2 (adding the smallest denormal lifts 0 and denormals; for normal r2 the
// relative slack does), without a libm call in the search loop.
double inflated(double r2) {
    return r2 + r2 * kSearchSlack + std::numeric_limits<double>::denorm_min();
}

// Point i is the d values at data + i * stride (stride >= d: the rows of a view may sit apart).
struct PointCloud {
    const double* data;
    std::size_t n;
    std::size_t d;
    std::size_t stride;
    std::size_t kdtree_get_point_count() const { return n; }
    double kdtree_get_pt(std::uint32_t i, std::size_t j) const { return data[i * stride + j]; }
    template <class Bbox>
    bool kdtree_get_bbox(Bbox&) const {
        return false;
    }
};

// nanoflann distance adaptor whose leaf distance is squared_distance().
struct ExactL2 {
    using ElementType = double;
    using DistanceType = double;
    const PointCloud& cloud;
    explicit ExactL2(const PointCloud& c) : cloud(c) {}
    double evalMetric(const double* a, std::uint32_t b, std::size_t size) const {
        return squared_distance(a, cloud.data + b * cloud.stride, size);
    }
    template <class U, class V>
    double accum_dist(U a, V b, std::size_t) const {
        return (a - b) * (a - b);
    }
};

constexpr std::size_t kLeafSize = 16;
constexpr std::size_t kKdBlock = 256;  // queries per parallel task

// A k-d tree over the rows of x; Dim is the dimension when fixed at compile time (faster
// searches), -1 otherwise.
template <int Dim>
class KdIndex {
public:
    explicit KdIndex(const MatrixView& x)
        : cloud_{x.data(), static_cast<std::size_t>(x.rows()), static_cast<std::size_t>(x.cols()),
                 static_cast<std::size_t>(x.outerStride())},
          tree_(static_cast<int>(x.cols()), cloud_,
                nanoflann::KDTreeSingleIndexAdaptorParams(kLeafSize)) {}
    template <class ResultSet>
    void search(ResultSet& result, const double* point) const {
        tree_.findNeighbors(result, point, nanoflann::SearchParams());
    }

private:
    PointCloud cloud_;
    nanoflann::KDTreeSingleIndexAdaptor<ExactL2, PointCloud, Dim, std::uint32_t> tree_;
};

// Calls f(std::integral_constant<int, Dim>) with Dim = d for the common small dimensions and
// Dim = -1 (dimension known at run time only) otherwise.
template <class F>
decltype(auto) with_kd_dim(std::size_t d, F&& f) {
    switch (d) {
        case 1:
            return f(std::integral_constant<int, 1>{});
        case 2:
            return f(std::integral_constant<int, 2>{});
        case 3:
            return f(std::integral_constant<int, 3>{});
        default:
            return f(std::integral_constant<int, -1>{});
    }
}

// Result set keeping the m smallest distances seen (values only: ties at the m-th value do not
// change it, whichever of the tied points is kept).
class SmallestDistances {
public:
    explicit SmallestDistances(int m) : dist_(static_cast<std::size_t>(m)), m_(m) {}
    void reset() {
        count_ = 0;
        bound_ = kInf;
    }
    double worstDist() const { return bound_; }
    bool full() const { return count_ == m_; }
    std::size_t size() const { return static_cast<std::size_t>(count_); }
    bool addPoint(double dist, std::uint32_t) {
        if (count_ == m_ && dist >= dist_[m_ - 1]) return true;
        int i = count_ < m_ ? count_++ : m_ - 1;
        while (i > 0 && dist_[i - 1] > dist) {
            dist_[i] = dist_[i - 1];
            --i;
        }
        dist_[i] = dist;
        if (count_ == m_) bound_ = inflated(dist_[m_ - 1]);
        return true;
    }
    double largest() const { return dist_[m_ - 1]; }

private:
    std::vector<double> dist_;
    int m_;
    int count_ = 0;
    double bound_ = kInf;
};

// Result set for one ball: counts the tree's points with squared_distance <= r2 (Ball =
// kClosed) or < r2 (kOpen). The search bound inflated(r2) lies strictly above r2 for both, so
// every point at the radius reaches addPoint, where in_ball() decides it exactly. The
// convention is a template argument so that the comparison in this hot loop is a constant.
template <BallKind Ball>
class BallVisitor {
public:
    BallVisitor(double r2, std::vector<std::atomic<int>>& balls_per_point)
        : r2_(r2), bound_(inflated(r2)), balls_per_point_(balls_per_point) {}
    double worstDist() const { return bound_; }
    bool full() const { return true; }
    std::size_t size() const { return static_cast<std::size_t>(hits_); }
    bool addPoint(double dist, std::uint32_t j) {
        if (in_ball(dist, r2_, Ball)) {
            balls_per_point_[j].fetch_add(1, std::memory_order_relaxed);
            ++hits_;
        }
        return true;
    }
    int hits() const { return hits_; }

private:
    double r2_;
    double bound_;
    std::vector<std::atomic<int>>& balls_per_point_;
    int hits_ = 0;
};

template <int Dim>
std::vector<double> kth_kd_tree_dim(const MatrixView& x, int k, int threads) {
    const KdIndex<Dim> index(x);
    const std::size_t n = static_cast<std::size_t>(x.rows());
    std::vector<double> out(n);
    const std::size_t blocks = (n + kKdBlock - 1) / kKdBlock;
    parallel_for(blocks, threads, [&](std::size_t b) {
        // The point itself is found at distance 0, the smallest possible value, so the (k+1)-th
        // smallest distance over all points is the k-th over the others.
        SmallestDistances result(k + 1);
        for (std::size_t i = b * kKdBlock; i < std::min(n, (b + 1) * kKdBlock); ++i) {
            result.reset();
            index.search(result, x.row(static_cast<Eigen::Index>(i)).data());
            out[i] = result.largest();
        }
    });
    return out;
}

template <int Dim, BallKind Ball>
BallCounts balls_kd_tree_dim(const MatrixView& centres, std::span<const double> radii_sq,
                             const MatrixView& queries, int threads) {
    BallCounts out;
    const std::size_t nc = static_cast<std::size_t>(centres.rows());
    const std::size_t nq = static_cast<std::size_t>(queries.rows());
    out.queries_per_ball.assign(nc, 0);
    std::vector<std::atomic<int>> balls_per_query(nq);
    if (nq > 0 && nc > 0) {
        // Ball-centric: each ball asks the tree of queries for the points inside it, so the work
        // is the number of (ball, member) pairs plus one tree descent per ball, whatever the
        // spread of the radii.
        const KdIndex<Dim> index(queries);
        const std::size_t blocks = (nc + kKdBlock - 1) / kKdBlock;
        parallel_for(blocks, threads, [&](std::size_t b) {
            for (std::size_t i = b * kKdBlock; i < std::min(nc, (b + 1) * kKdBlock); ++i) {
                BallVisitor<Ball> visitor(radii_sq[i], balls_per_query);
                index.search(visitor, centres.row(static_cast<Eigen::Index>(i)).data());
                out.queries_per_ball[i] = visitor.hits();
            }
        });
    }
    out.balls_per_query = load_all(balls_per_query);
    return out;
}

}  // namespace

std::vector<double> kth_kd_tree(const MatrixView& x, int k, int threads) {
    return with_kd_dim(static_cast<std::size_t>(x.cols()), [&](auto dim) {
        return kth_kd_tree_dim<decltype(dim)::value>(x, k, threads);
    });
}

BallCounts balls_kd_tree(const MatrixView& centres, std::span<const double> radii_sq,
                         const MatrixView& queries, BallKind ball, int threads) {
    return with_kd_dim(static_cast<std::size_t>(centres.cols()), [&](auto dim) {
        constexpr int kDim = decltype(dim)::value;
        if (ball == BallKind::kOpen)
            return balls_kd_tree_dim<kDim, BallKind::kOpen>(centres, radii_sq, queries, threads);
        return balls_kd_tree_dim<kDim, BallKind::kClosed>(centres, radii_sq, queries, threads);
    });
}

}  // namespace madlab::knn
