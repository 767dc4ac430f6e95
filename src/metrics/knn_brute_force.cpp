// The blocked brute-force path of the exact k-NN search (madlab/metrics/knn.h): approximate
// distances from a single-precision register-blocked kernel with a proven error bound, and
// squared_distance() for every pair that bound cannot decide.

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <utility>
#include <vector>

#include "knn_paths.h"
#include "madlab/core/error.h"
#include "madlab/core/parallel.h"

#if defined(__x86_64__) || defined(__i386__)
#define MADLAB_KNN_X86 1
#endif

namespace madlab::knn {
namespace {

constexpr float kInfF = std::numeric_limits<float>::infinity();

// Approximate squared distances g = |q|^2 + |x|^2 - 2 q.x come from a register-blocked kernel
// in single precision (twice the throughput of double); every decision they cannot settle is
// taken with squared_distance() in double. Coordinates are centred on the mean of the point
// sets involved and multiplied by a power of two (exact) so that the largest squared norm is at
// most 1, far from float's overflow and underflow.
//
// Error bound, in scaled units, with u = 2^-24, d dimensions and S = |q|^2 + |x|^2: rounding the
// centred coordinates to float moves the distance by at most 4 u S; the float dot product (any
// order, with or without FMA) errs by at most d u S / 2 times 2; rounding the norms and the
// final sum adds 3 u S; squared_distance() itself errs by (d + 2) 2^-53 2 S. So |g - e| <=
// (d + 10) u S. The tolerance is four times that plus an absolute term for gradual underflow:
// tolerance(S) = (4d + 48) u S + (4d + 48) FLT_TRUE_MIN (scaled units). A pair is decided from
// g when g is farther than the tolerance from the threshold and recomputed exactly otherwise.

constexpr int kRowTile = 6;          // kernel register tile: 6 rows x (2 vectors) columns
constexpr std::size_t kStrip = 32;   // columns per packed strip (a multiple of 2W for all W)
constexpr std::size_t kBlock = 288;  // points per block (a multiple of kRowTile and kStrip)

// The common frame of the approximate phase: coordinates are (x - centre) * scale.
struct Frame {
    Vector centre;
    double scale = 1.0;     // a power of two
    double unscale = 1.0;   // 1 / scale^2, exact: turns scaled squared distances back
    double max_norm = 0.0;  // largest |x - centre|^2 over the point sets, original units
};

Frame make_frame(const MatrixView& a, const MatrixView* b) {
    Frame f;
    Vector sum = a.colwise().sum().transpose();
    double count = static_cast<double>(a.rows());
    if (b != nullptr) {
        sum += b->colwise().sum().transpose();
        count += static_cast<double>(b->rows());
    }
    f.centre = count > 0 ? Vector(sum / count) : sum;
    auto max_norm = [&](const MatrixView& x) {
        double m = 0.0;
        for (Eigen::Index i = 0; i < x.rows(); ++i)
            m = std::max(m, (x.row(i).transpose() - f.centre).squaredNorm());
        return m;
    };
    f.max_norm = std::max(max_norm(a), b != nullptr ? max_norm(*b) : 0.0);
    if (!std::isfinite(f.max_norm))
        throw DataError(
            "k-NN: squared distances overflow double precision (coordinates beyond about 1e150 "
            "in magnitude); rescale the data");
    if (f.max_norm > 0.0) {
        int exponent = 0;
        std::frexp(std::sqrt(f.max_norm), &exponent);  // sqrt(max_norm) < 2^exponent
        f.scale = std::ldexp(1.0, -exponent);
        f.unscale = std::ldexp(1.0, 2 * exponent);
    }
    return f;
}

struct Tolerance {
    double relative;
    double absolute;
    Tolerance(std::size_t d, const Frame& frame)
        : relative((4.0 * static_cast<double>(d) + 48.0) * std::ldexp(1.0, -24)),
          absolute((4.0 * static_cast<double>(d) + 48.0) *
                   std::numeric_limits<float>::denorm_min() * frame.unscale) {}
    // Bound on |g - e| for a pair whose squared norms (original units) add up to norm_sum.
    double operator()(double norm_sum) const { return relative * norm_sum + absolute; }
};

// The kernel emits g < threshold; thresholds are just_above(value) so that g <= value is kept.
double just_above(double value) { return std::nextafter(value, kInf); }

// A threshold in original units as the kernel sees it: scaled and rounded up to a float, so
// that the kernel never skips a pair the double comparison would keep.
float kernel_threshold(double value, const Frame& frame) {
    const double scaled = value / frame.unscale;
    float f = static_cast<float>(scaled);
    if (static_cast<double>(f) < scaled)
        f = std::nextafter(f, std::numeric_limits<float>::infinity());
    return f;
}

// A point set in the frame, in blocks of kBlock points (zero padding), stored twice: as rows
// (point i at rows[i * d]) and transposed in strips of kStrip points (component t of point
// s * kStrip + c at strips[(s * d + t) * kStrip + c]), so that the kernel streams one
// contiguous strip per column tile.
struct CentredBlocks {
    std::size_t n = 0;
    std::size_t d = 0;
    std::size_t blocks = 0;
    std::vector<float> rows;
    std::vector<float> strips;
    std::vector<float> kernel_norms;  // scaled squared norms of the float points, 0 for padding
    std::vector<double> norms;        // the same in original units, for tolerances
    const float* block_rows(std::size_t b) const { return rows.data() + b * kBlock * d; }
    const float* block_strips(std::size_t b) const { return strips.data() + b * kBlock * d; }
    const float* block_norms(std::size_t b) const { return kernel_norms.data() + b * kBlock; }
    std::size_t block_size(std::size_t b) const { return std::min(kBlock, n - b * kBlock); }
};

CentredBlocks centre_blocks(const MatrixView& x, const Frame& frame) {
    CentredBlocks out;
    out.n = static_cast<std::size_t>(x.rows());
    out.d = static_cast<std::size_t>(x.cols());
    out.blocks = (out.n + kBlock - 1) / kBlock;
    out.rows.assign(out.blocks * kBlock * out.d, 0.0f);
    out.strips.assign(out.blocks * kBlock * out.d, 0.0f);
    out.kernel_norms.assign(out.blocks * kBlock, 0.0f);
    out.norms.assign(out.blocks * kBlock, 0.0);
    for (std::size_t i = 0; i < out.n; ++i) {
        const std::size_t strip = i / kStrip, c = i % kStrip;
        double norm = 0.0;
        for (std::size_t t = 0; t < out.d; ++t) {
            const auto it = static_cast<Eigen::Index>(t);
            const float v = static_cast<float>(
                (x(static_cast<Eigen::Index>(i), it) - frame.centre[it]) * frame.scale);
            out.rows[i * out.d + t] = v;
            out.strips[(strip * out.d + t) * kStrip + c] = v;
            norm += static_cast<double>(v) * static_cast<double>(v);
        }
        out.kernel_norms[i] = static_cast<float>(norm);
        out.norms[i] = norm * frame.unscale;
    }
    return out;
}

// One pair the kernel could not rule out: row i and column j within their blocks, approximate g
// (scaled units).
struct NearPair {
    std::uint32_t i;
    std::uint32_t j;
    float g;
};

// One block of rows against one block of columns; thresholds and norms in scaled units.
struct KernelArgs {
    const float* q;        // kBlock x d, row-major
    const float* q_norms;  // kBlock
    const float* row_thr;  // kBlock
    const float* xt;       // kBlock / kStrip strips of d x kStrip
    const float* x_norms;  // kBlock
    const float* col_thr;  // kBlock
    std::size_t d;
};

typedef float Vec4 __attribute__((vector_size(16)));
typedef float Vec8 __attribute__((vector_size(32)));
typedef float Vec16 __attribute__((vector_size(64)));
typedef std::int32_t Bits4 __attribute__((vector_size(16)));
typedef std::int32_t Bits8 __attribute__((vector_size(32)));
typedef std::int32_t Bits16 __attribute__((vector_size(64)));
template <int W>
struct Simd;
template <>
struct Simd<4> {
    using V = Vec4;
    using Bits = Bits4;
};
template <>
struct Simd<8> {
    using V = Vec8;
    using Bits = Bits8;
};
template <>
struct Simd<16> {
    using V = Vec16;
    using Bits = Bits16;
};

// True if any lane has its sign bit set: OR of the lanes by log2(W) shuffles (GCC), or lane by
// lane elsewhere.
template <int W>
[[gnu::always_inline]] inline bool any_sign_bit(const typename Simd<W>::Bits& bits) {
#if defined(__GNUC__) && !defined(__clang__)
    using Bits = typename Simd<W>::Bits;
    Bits v = bits;
    for (int step = W / 2; step >= 1; step /= 2) {
        Bits swap;
        for (int w = 0; w < W; ++w) swap[w] = w ^ step;
        v |= __builtin_shuffle(v, swap);
    }
    return v[0] < 0;
#else
    std::int32_t lanes[W];
    std::memcpy(lanes, &bits, sizeof(lanes));
    std::int32_t all = 0;
    for (int w = 0; w < W; ++w) all |= lanes[w];
    return all < 0;
#endif
}

// Emits every pair (i, j) of the block with g_ij < row_thr[i] or g_ij < col_thr[j], where
// g_ij = |q_i|^2 + |x_j|^2 - 2 q_i.x_j, and returns their number (at most kBlock^2). W floats
// per vector register; the register tile is kRowTile rows x 2W columns. The values tested are
// the values emitted, so nothing the callers' tests would keep is skipped. Inlined into one
// function per instruction set below.
template <int W>
[[gnu::always_inline]] inline std::size_t near_pairs_kernel(const KernelArgs& a, NearPair* out) {
    using V = typename Simd<W>::V;
    using Bits = typename Simd<W>::Bits;
    constexpr std::size_t kCols = 2 * W;
    const std::size_t d = a.d;
    std::size_t count = 0;
    // Columns outside, rows inside: a strip of kCols columns (d x kCols floats) stays in L1
    // while every row tile of the block streams past it.
    for (std::size_t j0 = 0; j0 < kBlock; j0 += kCols) {
        const float* x = a.xt + (j0 / kStrip) * d * kStrip + j0 % kStrip;
        V xn0, xn1, ct0, ct1;
        std::memcpy(&xn0, a.x_norms + j0, sizeof(V));
        std::memcpy(&xn1, a.x_norms + j0 + W, sizeof(V));
        std::memcpy(&ct0, a.col_thr + j0, sizeof(V));
        std::memcpy(&ct1, a.col_thr + j0 + W, sizeof(V));
        for (std::size_t i0 = 0; i0 < kBlock; i0 += kRowTile) {
            const float* q = a.q + i0 * d;
            V acc[kRowTile][2] = {};
            for (std::size_t t = 0; t < d; ++t) {
                V x0, x1;
                std::memcpy(&x0, x + t * kStrip, sizeof(V));
                std::memcpy(&x1, x + t * kStrip + W, sizeof(V));
#pragma GCC unroll 6
                for (int r = 0; r < kRowTile; ++r) {
                    const float s = q[static_cast<std::size_t>(r) * d + t];
                    acc[r][0] += s * x0;
                    acc[r][1] += s * x1;
                }
            }
            // g < thr iff g - thr has its sign bit set (IEEE subtraction is sign-exact, x - x
            // is +0). Testing sign bits keeps vector comparisons out of the hot path: GCC
            // scalarises them in functions compiled with a target attribute.
            Bits signs = {};
#pragma GCC unroll 6
            for (int r = 0; r < kRowTile; ++r) {
                const float qn = a.q_norms[i0 + r];
                const float rt = a.row_thr[i0 + r];
                acc[r][0] = qn + xn0 - 2.0f * acc[r][0];
                acc[r][1] = qn + xn1 - 2.0f * acc[r][1];
                const V s0 = acc[r][0] - rt, s1 = acc[r][1] - rt, s2 = acc[r][0] - ct0,
                        s3 = acc[r][1] - ct1;
                Bits b0, b1, b2, b3;
                std::memcpy(&b0, &s0, sizeof(V));
                std::memcpy(&b1, &s1, sizeof(V));
                std::memcpy(&b2, &s2, sizeof(V));
                std::memcpy(&b3, &s3, sizeof(V));
                signs |= b0 | b1 | b2 | b3;
            }
            if (!any_sign_bit<W>(signs)) continue;
            // Rare: copy the tile out of the registers and test its pairs one by one.
            float g[kRowTile][kCols];
#pragma GCC unroll 6
            for (int r = 0; r < kRowTile; ++r) {
                std::memcpy(&g[r][0], &acc[r][0], sizeof(V));
                std::memcpy(&g[r][W], &acc[r][1], sizeof(V));
            }
            for (int r = 0; r < kRowTile; ++r) {
                const float rt = a.row_thr[i0 + r];
                for (std::size_t c = 0; c < kCols; ++c)
                    if (g[r][c] < rt || g[r][c] < a.col_thr[j0 + c])
                        out[count++] = {static_cast<std::uint32_t>(i0 + r),
                                        static_cast<std::uint32_t>(j0 + c), g[r][c]};
            }
        }
    }
    return count;
}

using NearPairsFn = std::size_t (*)(const KernelArgs&, NearPair*);

std::size_t near_pairs_portable(const KernelArgs& a, NearPair* out) {
    return near_pairs_kernel<4>(a, out);
}
#ifdef MADLAB_KNN_X86
[[gnu::target("avx2,fma")]] std::size_t near_pairs_avx2(const KernelArgs& a, NearPair* out) {
    return near_pairs_kernel<8>(a, out);
}
[[gnu::target("avx512f,fma")]] std::size_t near_pairs_avx512(const KernelArgs& a, NearPair* out) {
    return near_pairs_kernel<16>(a, out);
}
#endif

// The widest kernel this CPU runs and `max_simd_bits` allows. Only the speed depends on it.
NearPairsFn select_kernel(int max_simd_bits) {
#ifdef MADLAB_KNN_X86
    if (max_simd_bits >= 512 && __builtin_cpu_supports("avx512f")) return near_pairs_avx512;
    if (max_simd_bits >= 256 && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return near_pairs_avx2;
#else
    (void)max_simd_bits;
#endif
    return near_pairs_portable;
}

// Selection of the exact m-th smallest squared distance of one row i, fed with the columns the
// kernel could not rule out. Two upper bounds on the answer R drive the threshold T (the kernel
// skips every column with g >= T):
// - G, the m-th smallest g offered so far: the m columns behind it have e <= G + tol_max, so
//   R <= G + tol_max, and a column with g > G + 2 tol_max has e > R;
// - U, the m-th smallest exact distance computed so far: R <= U, and a column with g > U +
//   tol_max has e > U >= R.
// Columns below T wait in a short list; when it fills up, entries above the (lower) current T
// are dropped, and if many remain (near-ties) they are recomputed exactly. Every column dropped
// or skipped has e > R, and every column with e <= R (at least m of them) is recomputed exactly,
// so the m-th smallest computed exact distance is R. The order in which columns are offered
// changes the work, never the result.
class KthSelector {
public:
    KthSelector(std::size_t m, double tol_max) : m_(m), tol_max_(tol_max) {}
    double threshold() const { return threshold_; }

    // Column j with approximate distance g; exact(j) returns squared_distance(x_i, x_j).
    template <class Exact>
    void offer(double g, std::uint32_t j, const Exact& exact) {
        if (!(g < threshold_)) return;
        if (keep_smallest(g_best_, g)) lower_threshold(g_best_.back() + 2.0 * tol_max_);
        pending_.push_back({g, j});
        if (pending_.size() < cap()) return;
        std::erase_if(pending_, [&](const Pending& p) { return !(p.g < threshold_); });
        if (pending_.size() > cap() / 2) resolve(exact);
    }

    // Lowers the threshold with the m-th smallest g of any m distinct columns (offered or not):
    // G in the comment above. Infinity is ignored.
    void bound_by(double g_mth) { lower_threshold(g_mth + 2.0 * tol_max_); }

    // The exact m-th smallest distance, once every column has been offered.
    template <class Exact>
    double finish(const Exact& exact) {
        resolve(exact);
        return best_.back();
    }

private:
    struct Pending {
        double g;
        std::uint32_t j;
    };
    std::size_t cap() const { return 2 * m_ + 16; }

    template <class Exact>
    void resolve(const Exact& exact) {
        for (const Pending& p : pending_)
            if (p.g < threshold_ && keep_smallest(best_, exact(p.j)))
                lower_threshold(best_.back() + tol_max_);
        pending_.clear();
    }
    // Inserts v into the sorted list of the m smallest values; true if the list is full after.
    bool keep_smallest(std::vector<double>& list, double v) const {
        if (list.size() == m_) {
            if (!(v < list.back())) return true;
            list.pop_back();
        }
        list.insert(std::upper_bound(list.begin(), list.end(), v), v);
        return list.size() == m_;
    }
    void lower_threshold(double value) { threshold_ = std::min(threshold_, just_above(value)); }

    std::size_t m_;
    double tol_max_;
    double threshold_ = kInf;
    std::vector<double> g_best_;  // m smallest g offered, ascending
    std::vector<double> best_;    // m smallest exact distances computed, ascending
    std::vector<Pending> pending_;
};

// Rounds of block pairs in which no block appears twice, so that the pairs of one round run in
// parallel and each updates its two blocks' rows alone: first every block with itself, then
// the off-diagonal pairs by the circle method (round-robin tournament).
std::vector<std::vector<std::pair<std::size_t, std::size_t>>> block_rounds(std::size_t blocks) {
    std::vector<std::vector<std::pair<std::size_t, std::size_t>>> rounds(1);
    for (std::size_t b = 0; b < blocks; ++b) rounds[0].emplace_back(b, b);
    const std::size_t players = blocks + blocks % 2;  // an odd count gets a bye
    for (std::size_t r = 0; r + 1 < players; ++r) {
        std::vector<std::pair<std::size_t, std::size_t>> round;
        for (std::size_t p = 0; p < players / 2; ++p) {
            const std::size_t first = p == 0 ? players - 1 : (r + p) % (players - 1);
            const std::size_t second = (r + players - 1 - p) % (players - 1);
            if (first < blocks && second < blocks)
                round.emplace_back(std::min(first, second), std::max(first, second));
        }
        rounds.push_back(std::move(round));
    }
    return rounds;
}

}  // namespace

// The point itself is at distance 0, so the m-th smallest over all points with m = k + 1 is the
// k-th over the others. Each pair of blocks is computed once and offered to both of its rows
// and columns (distances are symmetric bit for bit).

std::vector<double> kth_brute_force(const MatrixView& x, int k, int threads, int max_simd_bits) {
    const NearPairsFn kernel = select_kernel(max_simd_bits);
    const std::size_t n = static_cast<std::size_t>(x.rows());
    const std::size_t d = static_cast<std::size_t>(x.cols());
    const Frame frame = make_frame(x, nullptr);
    const CentredBlocks pts = centre_blocks(x, frame);
    const Tolerance tolerance(d, frame);
    const std::size_t m = static_cast<std::size_t>(k) + 1;
    std::vector<KthSelector> selectors;
    selectors.reserve(n);
    std::vector<float> thr(pts.blocks * kBlock, -kInfF);  // kernel thresholds; padding: none
    for (std::size_t i = 0; i < n; ++i) {
        selectors.emplace_back(m, tolerance(pts.norms[i] + frame.max_norm));
        thr[i] = kernel_threshold(selectors[i].threshold(), frame);
    }
    auto exact_from = [&](std::size_t i) {
        return [&x, d, xi = x.row(static_cast<Eigen::Index>(i)).data()](std::uint32_t j) {
            return squared_distance(xi, x.row(static_cast<Eigen::Index>(j)).data(), d);
        };
    };
    const std::vector<float> no_thr(kBlock, -kInfF);

    for (const auto& round : block_rounds(pts.blocks)) {
        parallel_for(round.size(), threads, [&](std::size_t task) {
            const auto [rb, cb] = round[task];
            const bool diagonal = rb == cb;
            const std::size_t r0 = rb * kBlock, c0 = cb * kBlock;
            const std::size_t n_rows = pts.block_size(rb), n_cols = pts.block_size(cb);
            // Within a diagonal block each pair appears twice; the row direction suffices.
            const KernelArgs args{pts.block_rows(rb),
                                  pts.block_norms(rb),
                                  thr.data() + r0,
                                  pts.block_strips(cb),
                                  pts.block_norms(cb),
                                  diagonal ? no_thr.data() : thr.data() + c0,
                                  d};
            // Not zero-filled: only the emitted prefix is touched.
            const auto pairs = std::make_unique_for_overwrite<NearPair[]>(kBlock * kBlock);
            const std::size_t n_pairs = kernel(args, pairs.get());
            if (diagonal) {
                // The first round emits every pair (thresholds are still infinite). Bounding
                // each row by the m-th smallest g of its block first lets only the few columns
                // below that bound through offer().
                std::vector<double> smallest(n_rows * m, kInf);  // per row, ascending
                for (std::size_t p = 0; p < n_pairs; ++p) {
                    const NearPair& pair = pairs[p];
                    if (pair.i >= n_rows || pair.j >= n_cols) continue;
                    const double g = static_cast<double>(pair.g) * frame.unscale;
                    double* list = smallest.data() + pair.i * m;
                    if (!(g < list[m - 1])) continue;
                    std::size_t pos = m - 1;
                    for (; pos > 0 && list[pos - 1] > g; --pos) list[pos] = list[pos - 1];
                    list[pos] = g;
                }
                for (std::size_t i = 0; i < n_rows; ++i)
                    selectors[r0 + i].bound_by(smallest[i * m + m - 1]);
            }
            for (std::size_t p = 0; p < n_pairs; ++p) {
                const NearPair& pair = pairs[p];
                if (pair.i >= n_rows || pair.j >= n_cols) continue;
                const std::size_t i = r0 + pair.i, j = c0 + pair.j;
                const double g = static_cast<double>(pair.g) * frame.unscale;
                selectors[i].offer(g, static_cast<std::uint32_t>(j), exact_from(i));
                if (!diagonal) selectors[j].offer(g, static_cast<std::uint32_t>(i), exact_from(j));
            }
            for (std::size_t i = r0; i < r0 + n_rows; ++i)
                thr[i] = kernel_threshold(selectors[i].threshold(), frame);
            for (std::size_t j = c0; j < c0 + n_cols; ++j)
                thr[j] = kernel_threshold(selectors[j].threshold(), frame);
        });
    }
    std::vector<double> out(n);
    parallel_for((n + kBlock - 1) / kBlock, threads, [&](std::size_t b) {
        for (std::size_t i = b * kBlock; i < std::min(n, (b + 1) * kBlock); ++i)
            out[i] = selectors[i].finish(exact_from(i));
    });
    return out;
}

// Each pair of points is evaluated once, for both directions.
MutualBallCounts mutual_brute_force(const MatrixView& a, std::span<const double> a_radii_sq,
                                    const MatrixView& b, std::span<const double> b_radii_sq,
                                    bool b_has_balls, BallKind ball, int threads,
                                    int max_simd_bits) {
    const NearPairsFn kernel = select_kernel(max_simd_bits);
    const std::size_t na = static_cast<std::size_t>(a.rows());
    const std::size_t nb = static_cast<std::size_t>(b.rows());
    const std::size_t d = static_cast<std::size_t>(a.cols());
    MutualBallCounts out;
    out.a_balls.queries_per_ball.assign(na, 0);
    if (b_has_balls) out.b_balls.balls_per_query.assign(na, 0);
    std::vector<std::atomic<int>> a_balls_per_query(nb), b_queries_per_ball(b_has_balls ? nb : 0);
    if (na > 0 && nb > 0) {
        const Frame frame = make_frame(a, &b);
        const CentredBlocks rows = centre_blocks(a, frame);
        const CentredBlocks cols = centre_blocks(b, frame);
        const Tolerance tolerance(d, frame);
        // Thresholds: each radius plus the largest tolerance of any pair in its row or column.
        std::vector<float> row_thr(rows.blocks * kBlock, -kInfF);
        for (std::size_t i = 0; i < na; ++i)
            row_thr[i] = kernel_threshold(
                just_above(a_radii_sq[i] + tolerance(rows.norms[i] + frame.max_norm)), frame);
        std::vector<float> col_thr(cols.blocks * kBlock, -kInfF);
        if (b_has_balls)
            for (std::size_t j = 0; j < nb; ++j)
                col_thr[j] = kernel_threshold(
                    just_above(b_radii_sq[j] + tolerance(cols.norms[j] + frame.max_norm)), frame);

        parallel_for(rows.blocks, threads, [&](std::size_t rb) {
            const std::size_t r0 = rb * kBlock, n_rows = rows.block_size(rb);
            // Not zero-filled: only the emitted prefix is touched.
            const auto pairs = std::make_unique_for_overwrite<NearPair[]>(kBlock * kBlock);
            for (std::size_t cb = 0; cb < cols.blocks; ++cb) {
                const std::size_t c0 = cb * kBlock, n_cols = cols.block_size(cb);
                const KernelArgs args{rows.block_rows(rb),
                                      rows.block_norms(rb),
                                      row_thr.data() + r0,
                                      cols.block_strips(cb),
                                      cols.block_norms(cb),
                                      col_thr.data() + c0,
                                      d};
                const std::size_t n_pairs = kernel(args, pairs.get());
                for (std::size_t p = 0; p < n_pairs; ++p) {
                    const NearPair& pair = pairs[p];
                    if (pair.i >= n_rows || pair.j >= n_cols) continue;
                    const std::size_t i = r0 + pair.i, j = c0 + pair.j;
                    const double g = static_cast<double>(pair.g) * frame.unscale;
                    const double tol = tolerance(rows.norms[i] + cols.norms[j]);
                    double exact = -1.0;  // squared_distance(a_i, b_j), computed at most once
                    // |g - e| <= tol, so g < r2 - tol means e < r2 (inside either ball) and
                    // g > r2 + tol means e > r2 (outside either); the rest is decided exactly.
                    // The kernel's thresholds (r2 + tol, rounded up) keep every pair with
                    // e <= r2, a superset of the open ball's pairs.
                    auto inside = [&](double r2) {
                        if (g < r2 - tol) return true;
                        if (g > r2 + tol) return false;
                        if (exact < 0.0)
                            exact = squared_distance(a.row(static_cast<Eigen::Index>(i)).data(),
                                                     b.row(static_cast<Eigen::Index>(j)).data(), d);
                        return in_ball(exact, r2, ball);
                    };
                    if (inside(a_radii_sq[i])) {
                        ++out.a_balls.queries_per_ball[i];
                        a_balls_per_query[j].fetch_add(1, std::memory_order_relaxed);
                    }
                    if (b_has_balls && inside(b_radii_sq[j])) {
                        ++out.b_balls.balls_per_query[i];
                        b_queries_per_ball[j].fetch_add(1, std::memory_order_relaxed);
                    }
                }
            }
        });
    }
    out.a_balls.balls_per_query = load_all(a_balls_per_query);
    out.b_balls.queries_per_ball = load_all(b_queries_per_ball);
    return out;
}

}  // namespace madlab::knn
