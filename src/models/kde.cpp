#include "madlab/models/kde.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <numeric>

#include "madlab/core/error.h"
#include "madlab/models/model_registry.h"
#include "vector_exp.h"

namespace madlab {

namespace {

// Points per k-d tree leaf.
constexpr Eigen::Index kLeafSize = 16;
// Test rows per block in the dense (matrix-product) path of mean_nll.
constexpr Eigen::Index kBlockRows = 128;

// log sum_j exp(-dist_j * inv_two_h2), stable: the smallest distance is factored out.
// dist is overwritten.
double log_sum_exp_neg(Eigen::ArrayXd& dist, double inv_two_h2) {
    const double min_dist = dist.minCoeff();
    dist = (min_dist - dist) * inv_two_h2;
    detail::exp_in_place(dist.data(), nullptr, dist.size());
    return -min_dist * inv_two_h2 + std::log(dist.sum());
}

}  // namespace

KdeModel::KdeModel(KdeOptions options) : options_(options) {
    if (options_.rule == KdeOptions::Rule::kFixed &&
        !(options_.bandwidth > 0.0 && std::isfinite(options_.bandwidth))) {
        throw ConfigError(fmt::format(
            "model.bandwidth must be a finite number > 0 with a fixed bandwidth rule, got {}",
            options_.bandwidth));
    }
}

double KdeModel::rule_bandwidth(KdeOptions::Rule rule, double sigma, Eigen::Index n,
                                Eigen::Index d) {
    const double exponent = -1.0 / (static_cast<double>(d) + 4.0);
    const double nd = static_cast<double>(n);
    switch (rule) {
        case KdeOptions::Rule::kScott:
            return sigma * std::pow(nd, exponent);
        case KdeOptions::Rule::kSilverman:
            return sigma * std::pow(nd * (static_cast<double>(d) + 2.0) / 4.0, exponent);
        case KdeOptions::Rule::kFixed:
            break;
    }
    throw ConfigError("model.bandwidth: a fixed bandwidth has no rule of thumb");
}

FitInfo KdeModel::do_fit(const Matrix& train, FitContext<Matrix>& /*context*/) {
    const Eigen::Index n = train.rows();
    const Eigen::Index d = train.cols();
    if (n == 0 || d == 0) {
        throw NumericalError(fmt::format(
            "kde: cannot fit a {} x {} data set (need at least one row and one column)", n, d));
    }
    FitInfo info;
    points_ = train;
    double h = options_.bandwidth;
    if (options_.rule != KdeOptions::Rule::kFixed) {
        double sigma = 0.0;
        if (n > 1) {
            const Eigen::RowVectorXd mean = train.colwise().mean();
            const double sum_sq = (train.rowwise() - mean).squaredNorm();
            sigma = std::sqrt(sum_sq / static_cast<double>(n - 1) / static_cast<double>(d));
        }
        h = rule_bandwidth(options_.rule, sigma, n, d);
    }
    // h^2 must be a positive normal double, with room, for the density to be finite.
    if (!(h >= 1e-140) || !std::isfinite(h)) {
        const double floor = kBandwidthFloor * std::max(1.0, train.cwiseAbs().maxCoeff());
        info.degenerate = true;
        info.note =
            fmt::format("bandwidth {:.3g} too small (no spread); floored to {:.3g}", h, floor);
        h = floor;
    }
    bandwidth_ = h;
    nodes_.clear();
    box_lo_.clear();
    box_hi_.clear();
    tree_points_.resize(0, 0);
    centre_.resize(0);
    centred_.resize(0, 0);
    centred_sq_norms_.resize(0);
    if (d <= kTreeMaxDim) {
        build_tree();
    } else {
        centre_ = train.colwise().mean().transpose();
        centred_ = train.rowwise() - centre_.transpose();
        centred_sq_norms_ = centred_.rowwise().squaredNorm().array();
    }
    return info;
}

void KdeModel::build_tree() {
    const Eigen::Index n = points_.rows();
    std::vector<Eigen::Index> order(static_cast<std::size_t>(n));
    std::iota(order.begin(), order.end(), Eigen::Index{0});
    nodes_.reserve(static_cast<std::size_t>(2 * (n / kLeafSize + 1)));
    build_node(order, 0, n);
    tree_points_.resize(n, points_.cols());
    for (Eigen::Index i = 0; i < n; ++i) {
        tree_points_.row(i) = points_.row(order[static_cast<std::size_t>(i)]);
    }
}

// Splits at the median of the widest dimension of the node's bounding box. The partition uses
// the total order (coordinate, original index) and leaves keep their points in index order, so
// the tree (and the summation order) does not depend on the standard library.
int KdeModel::build_node(std::vector<Eigen::Index>& order, Eigen::Index begin, Eigen::Index end) {
    const Eigen::Index d = points_.cols();
    const int id = static_cast<int>(nodes_.size());
    nodes_.push_back({begin, end, -1, -1});
    Eigen::Index widest = 0;
    double widest_span = 0.0;
    for (Eigen::Index l = 0; l < d; ++l) {
        double lo = std::numeric_limits<double>::infinity();
        double hi = -lo;
        for (Eigen::Index i = begin; i < end; ++i) {
            const double v = points_(order[static_cast<std::size_t>(i)], l);
            lo = std::min(lo, v);
            hi = std::max(hi, v);
        }
        box_lo_.push_back(lo);
        box_hi_.push_back(hi);
        if (hi - lo > widest_span) {
            widest_span = hi - lo;
            widest = l;
        }
    }
    const auto first = order.begin() + begin;
    const auto last = order.begin() + end;
    if (end - begin <= kLeafSize || !(widest_span > 0.0)) {
        std::sort(first, last);
        return id;
    }
    const Eigen::Index mid = begin + (end - begin) / 2;
    // Partition (coordinate, index) pairs: contiguous keys, cheaper than indirect compares.
    std::vector<std::pair<double, Eigen::Index>> keys;
    keys.reserve(static_cast<std::size_t>(end - begin));
    for (auto it = first; it != last; ++it) keys.emplace_back(points_(*it, widest), *it);
    std::nth_element(keys.begin(), keys.begin() + (mid - begin), keys.end());
    for (std::size_t i = 0; i < keys.size(); ++i)
        first[static_cast<std::ptrdiff_t>(i)] = keys[i].second;
    const int left = build_node(order, begin, mid);
    const int right = build_node(order, mid, end);
    nodes_[static_cast<std::size_t>(id)].left = left;
    nodes_[static_cast<std::size_t>(id)].right = right;
    return id;
}

double KdeModel::log_kernel_sum_tree(const double* x) const {
    const Eigen::Index d = tree_points_.cols();
    const double inv_two_h2 = 0.5 / (bandwidth_ * bandwidth_);
    // Boxes farther than min_dist + slack (squared) hold only terms below e^-cut of the largest.
    const double cut = kTailLogRatio + std::log(static_cast<double>(tree_points_.rows()));
    const double slack = cut / inv_two_h2;
    double min_dist = std::numeric_limits<double>::infinity();
    double sum = 0.0;  // sum_j exp((min_dist - dist_j) * inv_two_h2) over the points seen
    double buffer[kLeafSize];
    auto box_dist = [&](int node) {
        const double* lo = box_lo_.data() + static_cast<std::ptrdiff_t>(node) * d;
        const double* hi = box_hi_.data() + static_cast<std::ptrdiff_t>(node) * d;
        double s = 0.0;
        for (Eigen::Index l = 0; l < d; ++l) {
            const double below = lo[l] - x[l];
            const double above = x[l] - hi[l];
            const double gap = below > 0.0 ? below : (above > 0.0 ? above : 0.0);
            s += gap * gap;
        }
        return s;
    };
    // Adds the kernel terms of tree points [first, first + len), len <= kLeafSize.
    auto add_block = [&](Eigen::Index first, Eigen::Index len) {
        {
            const double* col = tree_points_.col(0).data() + first;
            for (Eigen::Index i = 0; i < len; ++i) buffer[i] = (col[i] - x[0]) * (col[i] - x[0]);
        }
        for (Eigen::Index l = 1; l < d; ++l) {
            const double* col = tree_points_.col(l).data() + first;
            const double xl = x[l];
            for (Eigen::Index i = 0; i < len; ++i) buffer[i] += (col[i] - xl) * (col[i] - xl);
        }
        // Two interleaved chains: a single chain of dependent minima is latency bound.
        double min_even = buffer[0], min_odd = buffer[len - 1];
        for (Eigen::Index i = 0; i + 1 < len; i += 2) {
            min_even = std::min(min_even, buffer[i]);
            min_odd = std::min(min_odd, buffer[i + 1]);
        }
        const double block_min = std::min(min_even, min_odd);
        if (block_min < min_dist) {  // rescale the sum to the new reference distance
            const double shift = (block_min - min_dist) * inv_two_h2;  // < 0, or -inf at start
            sum = shift < detail::kExpCutoff ? 0.0 : sum * detail::exp_nonpositive(shift);
            min_dist = block_min;
        }
        // Terms below e^kExpCutoff (1e-304) are clamped to it rather than zeroed (one select,
        // so the loop vectorises): the sum holds the term 1 of the nearest point, so they are
        // lost in rounding exactly as the true values would be.
        if (block_min > min_dist + slack) return;  // every term below e^-cut of the largest
        for (Eigen::Index i = 0; i < len; ++i) {
            const double e = (min_dist - buffer[i]) * inv_two_h2;
            buffer[i] = detail::exp_nonpositive(e > detail::kExpCutoff ? e : detail::kExpCutoff);
        }
        double sum_even = 0.0, sum_odd = len % 2 == 1 ? buffer[len - 1] : 0.0;
        for (Eigen::Index i = 0; i + 1 < len; i += 2) {
            sum_even += buffer[i];
            sum_odd += buffer[i + 1];
        }
        sum += sum_even + sum_odd;
    };
    auto visit = [&](auto&& self, int id, double box) -> void {
        if (box > min_dist + slack) return;
        const Node& node = nodes_[static_cast<std::size_t>(id)];
        if (node.left >= 0) {
            const double box_left = box_dist(node.left);
            const double box_right = box_dist(node.right);
            if (box_left <= box_right) {
                self(self, node.left, box_left);
                self(self, node.right, box_right);
            } else {
                self(self, node.right, box_right);
                self(self, node.left, box_left);
            }
            return;
        }
        // A leaf holds at most kLeafSize points unless they all coincide: go in blocks.
        for (Eigen::Index first = node.begin; first < node.end; first += kLeafSize) {
            add_block(first, std::min(kLeafSize, node.end - first));
        }
    };
    visit(visit, 0, box_dist(0));
    return -min_dist * inv_two_h2 + std::log(sum);
}

Matrix KdeModel::do_sample(std::size_t n, double bias, Rng& rng,
                           std::string_view /*purpose*/) const {
    const Eigen::Index d = points_.cols();
    const auto n_points = static_cast<std::uint64_t>(points_.rows());
    const double scale = bandwidth_ * std::sqrt(bias);
    Matrix out(static_cast<Eigen::Index>(n), d);
    for (Eigen::Index i = 0; i < out.rows(); ++i) {
        const auto j = static_cast<Eigen::Index>(rng.uniform_int(n_points));
        for (Eigen::Index l = 0; l < d; ++l) out(i, l) = points_(j, l) + scale * rng.normal();
    }
    return out;
}

std::optional<double> KdeModel::mean_nll(const Matrix& x) const {
    require_fitted();
    const Eigen::Index d = points_.cols();
    const Eigen::Index n = points_.rows();
    if (x.cols() != d) {
        throw DataError(
            fmt::format("kde: data has {} columns but the model was fitted on {}", x.cols(), d));
    }
    const Eigen::Index m = x.rows();
    if (m == 0) throw NumericalError("kde: mean_nll of an empty data set");
    const double h2 = bandwidth_ * bandwidth_;
    const double inv_two_h2 = 0.5 / h2;
    // -log p(x) = log n + (d/2) log(2 pi h^2) - log sum_j exp(-|x - y_j|^2 / (2 h^2)).
    const double log_norm = std::log(static_cast<double>(n)) +
                            0.5 * static_cast<double>(d) * std::log(2.0 * std::numbers::pi * h2);
    double total = 0.0;
    if (d <= kTreeMaxDim) {
        for (Eigen::Index i = 0; i < m; ++i) total += log_kernel_sum_tree(x.row(i).data());
    } else {
        Eigen::ArrayXd dist(n);
        Matrix block;  // rows of x, centred
        Matrix cross;  // block x n: x_i . y_j
        for (Eigen::Index start = 0; start < m; start += kBlockRows) {
            const Eigen::Index rows = std::min(kBlockRows, m - start);
            block = x.middleRows(start, rows).rowwise() - centre_.transpose();
            cross.noalias() = block * centred_.transpose();
            for (Eigen::Index i = 0; i < rows; ++i) {
                const double x_sq = block.row(i).squaredNorm();
                dist = (x_sq + centred_sq_norms_ - 2.0 * cross.row(i).transpose().array()).max(0.0);
                total += log_sum_exp_neg(dist, inv_two_h2);
            }
        }
    }
    return log_norm - total / static_cast<double>(m);
}

std::unique_ptr<ContinuousModel> KdeModel::clone() const {
    return std::make_unique<KdeModel>(*this);
}

}  // namespace madlab

namespace madlab {
namespace {

const ModelFamilyRegistrar kKdeFamily({
    .name = "kde",
    .help = "Gaussian kernel density estimate on the training points",
    .keys = {{.name = "bandwidth",
              .type = ConfigKey::Type::kNumberOrChoice,
              .default_value = std::string("scott"),
              .min = 0.0,
              .min_open = true,
              .choices = {"scott", "silverman"},
              .help = "the kernel's standard deviation h, or the rule of thumb that chooses it"}},
    .make_vectors =
        [](const Params& p) {
            KdeOptions options;
            if (const auto* rule = std::get_if<std::string>(&p.at("bandwidth"))) {
                options.rule =
                    *rule == "scott" ? KdeOptions::Rule::kScott : KdeOptions::Rule::kSilverman;
            } else {
                options.rule = KdeOptions::Rule::kFixed;
                options.bandwidth = p.get_double("bandwidth");
            }
            return std::unique_ptr<ContinuousModel>(std::make_unique<KdeModel>(options));
        },
});

}  // namespace
}  // namespace madlab
