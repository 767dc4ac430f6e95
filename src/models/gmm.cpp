#include "madlab/models/gmm.h"

#include <fmt/format.h>

#include <Eigen/Cholesky>
#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

#include "madlab/core/error.h"
#include "madlab/models/model_registry.h"
#include "vector_exp.h"

namespace madlab {

namespace {

// Column-major n x d copy of a data set: dimension j of every point is one contiguous column,
// so the per-component kernels below are simple vectorisable loops over points.
using ColMatrix = Eigen::MatrixXd;
using Array = Eigen::ArrayXd;

constexpr double kJitter = 1e-12;
// Responsibilities below e^kNegligibleLogRatio (< 2e-22) times the largest one of their row are
// set to exactly zero: they change the bound by less than K * 2e-22 relative and the M-step
// sums by less than n * 2e-22 absolute, and skipping them saves most exponentials.
constexpr double kNegligibleLogRatio = -50.0;
constexpr int kMaxJitterAttempts = 40;
// Beyond this dimension the M-step forms covariances with a matrix product (blocked, O(n d^2)
// with good constants); below it, d (d + 1) / 2 fused weighted reductions are faster.
constexpr Eigen::Index kGemmCovarianceDim = 16;

// Working parameters of one EM run.
struct Mixture {
    Vector weights;
    Matrix means;  // K x d
    std::vector<SquareMatrix> covariances;
    std::vector<SquareMatrix> precision_chol;   // upper U_k, U_k U_k' = Sigma_k^-1
    std::vector<SquareMatrix> covariance_chol;  // lower L_k, L_k L_k' = Sigma_k
    Vector log_det_precision_chol;
    int empty = 0;     // components whose responsibility mass fell below kEmptyMass
    int jittered = 0;  // covariances that needed a jitter to be positive definite

    void resize(Eigen::Index k, Eigen::Index d) {
        weights.resize(k);
        means.resize(k, d);
        covariances.assign(static_cast<std::size_t>(k), SquareMatrix::Zero(d, d));
        precision_chol.assign(static_cast<std::size_t>(k), SquareMatrix::Zero(d, d));
        covariance_chol.assign(static_cast<std::size_t>(k), SquareMatrix::Zero(d, d));
        log_det_precision_chol.resize(k);
    }
};

bool usable_factor(const Eigen::LLT<SquareMatrix>& llt) {
    if (llt.info() != Eigen::Success) return false;
    const auto diag = llt.matrixLLT().diagonal().array();
    return (diag > 0.0).all() && diag.isFinite().all();
}

// Cholesky factors of covariance k; adds a growing jitter to its diagonal if it is not
// positive definite. Returns true if jitter was added.
bool factorise(Mixture& m, std::size_t k) {
    SquareMatrix& cov = m.covariances[k];
    const Eigen::Index d = cov.rows();
    Eigen::LLT<SquareMatrix> llt(cov);
    bool jittered = false;
    if (!usable_factor(llt)) {
        const double mean_diag = cov.trace() / static_cast<double>(d);
        double jitter = kJitter * (mean_diag > 0.0 ? mean_diag : 1.0);
        double added = 0.0;
        int attempt = 0;
        for (; attempt < kMaxJitterAttempts && !usable_factor(llt); ++attempt, jitter *= 10.0) {
            cov.diagonal().array() += jitter - added;
            added = jitter;
            llt.compute(cov);
        }
        if (!usable_factor(llt)) {
            throw NumericalError(
                "gmm: a component covariance is not finite; check the data for NaN or inf");
        }
        jittered = true;
    }
    m.covariance_chol[k] = llt.matrixL();
    SquareMatrix inverse = SquareMatrix::Identity(d, d);
    llt.matrixL().solveInPlace(inverse);  // L^-1, lower
    m.precision_chol[k] = inverse.transpose();
    m.log_det_precision_chol[static_cast<Eigen::Index>(k)] =
        -m.covariance_chol[k].diagonal().array().log().sum();
    return jittered;
}

void factorise_all(Mixture& m) {
    m.jittered = 0;
    for (std::size_t k = 0; k < m.covariances.size(); ++k) m.jittered += factorise(m, k);
}

// logp(i, k) = log w_k + log N(x_i; mu_k, Sigma_k), using y = (x - mu_k)' U_k:
// log N = sum_j log U_k(j, j) - (d log 2 pi + |y|^2) / 2. q and t are n-sized scratch arrays.
void weighted_log_prob(const ColMatrix& x, const Vector& weights, const Matrix& means,
                       const std::vector<SquareMatrix>& precision_chol,
                       const Vector& log_det_precision_chol, ColMatrix& logp, Array& q, Array& t) {
    const Eigen::Index d = x.cols();
    const Eigen::Index n_comp = weights.size();
    const double half_d_log_2pi = 0.5 * static_cast<double>(d) * std::log(2.0 * std::numbers::pi);
    for (Eigen::Index k = 0; k < n_comp; ++k) {
        const SquareMatrix& u = precision_chol[static_cast<std::size_t>(k)];
        const double constant = std::log(weights(k)) + log_det_precision_chol(k) - half_d_log_2pi;
        auto out = logp.col(k).array();
        if (d == 2) {  // one fused pass for the common 2-D case
            const double m0 = means(k, 0), m1 = means(k, 1);
            const double u00 = u(0, 0), u01 = u(0, 1), u11 = u(1, 1);
            const auto x0 = x.col(0).array() - m0;
            const auto x1 = x.col(1).array() - m1;
            out = constant - 0.5 * ((u00 * x0).square() + (u01 * x0 + u11 * x1).square());
            continue;
        }
        q.setZero();
        for (Eigen::Index j = 0; j < d; ++j) {
            t = u(0, j) * (x.col(0).array() - means(k, 0));
            for (Eigen::Index l = 1; l <= j; ++l) t += u(l, j) * (x.col(l).array() - means(k, l));
            q += t.square();
        }
        out = constant - 0.5 * q;
    }
}

// Turns logp into responsibilities in place (row-wise softmax) and returns the mean over rows
// of logsumexp_k logp(i, k). ranges[k] receives a range of rows outside which column k is zero.
double normalise_rows(ColMatrix& logp, Array& row_max, Array& row_sum,
                      std::vector<detail::IndexRange>& ranges) {
    const Eigen::Index n = logp.rows();
    const Eigen::Index n_comp = logp.cols();
    ranges.resize(static_cast<std::size_t>(n_comp));
    row_max = logp.col(0).array();
    for (Eigen::Index k = 1; k < n_comp; ++k) row_max = row_max.max(logp.col(k).array());
    row_sum.setZero();
    for (Eigen::Index k = 0; k < n_comp; ++k) {
        auto c = logp.col(k).array();
        const auto range = detail::exp_in_place(c.data(), row_max.data(), n, kNegligibleLogRatio);
        ranges[static_cast<std::size_t>(k)] = range;
        const Eigen::Index len = range.end - range.begin;
        row_sum.segment(range.begin, len) += c.segment(range.begin, len);
    }
    const double bound = (row_max + row_sum.log()).mean();
    row_sum = row_sum.inverse();
    for (Eigen::Index k = 0; k < n_comp; ++k) {
        const auto range = ranges[static_cast<std::size_t>(k)];
        const Eigen::Index len = range.end - range.begin;
        logp.col(k).segment(range.begin, len).array() *= row_sum.segment(range.begin, len);
    }
    return bound;
}

// M-step from responsibilities resp (n x K), column k zero outside ranges[k]; diff is n x d
// scratch. Means of empty components are left as they were.
void m_step(const ColMatrix& x, const ColMatrix& resp,
            const std::vector<detail::IndexRange>& ranges, double reg_covar, Mixture& m,
            ColMatrix& diff) {
    const Eigen::Index d = x.cols();
    const Eigen::Index n_comp = resp.cols();
    const double tiny = 10.0 * std::numeric_limits<double>::epsilon();
    m.empty = 0;
    for (Eigen::Index k = 0; k < n_comp; ++k) {
        const auto range = ranges[static_cast<std::size_t>(k)];
        const Eigen::Index b = range.begin;
        const Eigen::Index len = range.end - range.begin;
        const auto r = resp.col(k).segment(b, len).array();
        const double mass = r.sum();
        m.weights(k) = mass + tiny;
        SquareMatrix& cov = m.covariances[static_cast<std::size_t>(k)];
        cov.setZero();
        if (mass < GmmModel::kEmptyMass) {
            ++m.empty;
        } else {
            for (Eigen::Index j = 0; j < d; ++j) {
                m.means(k, j) = (r * x.col(j).segment(b, len).array()).sum() / mass;
            }
            if (d == 2) {
                const auto x0 = x.col(0).segment(b, len).array() - m.means(k, 0);
                const auto x1 = x.col(1).segment(b, len).array() - m.means(k, 1);
                cov(0, 0) = (r * x0.square()).sum() / mass;
                cov(1, 0) = cov(0, 1) = (r * x0 * x1).sum() / mass;
                cov(1, 1) = (r * x1.square()).sum() / mass;
            } else {
                auto dk = diff.topRows(len);
                for (Eigen::Index j = 0; j < d; ++j) {
                    dk.col(j).array() = x.col(j).segment(b, len).array() - m.means(k, j);
                }
                if (d > kGemmCovarianceDim) {
                    cov.noalias() = dk.transpose() * (dk.array().colwise() * r).matrix() / mass;
                } else {
                    for (Eigen::Index j = 0; j < d; ++j) {
                        for (Eigen::Index l = 0; l <= j; ++l) {
                            cov(j, l) = cov(l, j) =
                                (r * dk.col(j).array() * dk.col(l).array()).sum() / mass;
                        }
                    }
                }
            }
        }
        cov.diagonal().array() += reg_covar;
    }
    m.weights /= m.weights.sum();
}

// Squared distances from every row of x to point p (length d).
template <class Point>
void squared_distances(const ColMatrix& x, const Point& p, Array& out) {
    out = (x.col(0).array() - p(0)).square();
    for (Eigen::Index j = 1; j < x.cols(); ++j) out += (x.col(j).array() - p(j)).square();
}

// Greedy k-means++ seeding (Arthur & Vassilvitskii 2007; scikit-learn's greedy variant with
// 2 + floor(ln K) candidates per centre, keeping the one that lowers the potential most).
Matrix kmeans_plus_plus(const ColMatrix& x, Eigen::Index n_comp, Rng& rng) {
    const Eigen::Index n = x.rows();
    const Eigen::Index d = x.cols();
    Matrix centres(n_comp, d);
    const int trials = 2 + static_cast<int>(std::floor(std::log(static_cast<double>(n_comp))));
    Array closest(n), candidate(n), best_closest(n);
    // Sampling i with probability closest(i) / sum: block sums (vectorised) locate the block,
    // a scan inside it the point. A running prefix sum over all n points would be a serial
    // chain of n additions per centre, the slowest part of seeding.
    constexpr Eigen::Index kBlock = 64;
    const Eigen::Index n_blocks = (n + kBlock - 1) / kBlock;
    std::vector<double> block_sums(static_cast<std::size_t>(n_blocks));
    auto draw = [&](double total) {
        const double r = rng.uniform() * total;
        // First point at which the running sum exceeds r; it has closest(i) > 0. Rounding can
        // leave r beyond the last running sum: then the last point with positive weight.
        double acc = 0.0;
        for (Eigen::Index blk = 0; blk < n_blocks; ++blk) {
            const double w = block_sums[static_cast<std::size_t>(blk)];
            if (acc + w <= r) {
                acc += w;
                continue;
            }
            const Eigen::Index end = std::min(n, (blk + 1) * kBlock);
            for (Eigen::Index i = blk * kBlock; i < end; ++i) {
                acc += closest(i);
                if (acc > r && closest(i) > 0.0) return i;
            }
        }
        Eigen::Index last = n - 1;
        while (last > 0 && !(closest(last) > 0.0)) --last;
        return last;
    };
    const auto first = static_cast<Eigen::Index>(rng.uniform_int(static_cast<std::uint64_t>(n)));
    centres.row(0) = x.row(first);
    squared_distances(x, centres.row(0), closest);
    for (Eigen::Index c = 1; c < n_comp; ++c) {
        double total = 0.0;
        for (Eigen::Index blk = 0; blk < n_blocks; ++blk) {
            const Eigen::Index begin = blk * kBlock;
            const double w = closest.segment(begin, std::min(kBlock, n - begin)).sum();
            block_sums[static_cast<std::size_t>(blk)] = w;
            total += w;
        }
        if (!(total > 0.0)) {  // every point coincides with a centre: pick uniformly
            const auto idx =
                static_cast<Eigen::Index>(rng.uniform_int(static_cast<std::uint64_t>(n)));
            centres.row(c) = x.row(idx);
            continue;
        }
        double best_potential = std::numeric_limits<double>::infinity();
        Eigen::Index best = 0;
        for (int t = 0; t < trials; ++t) {
            const Eigen::Index idx = draw(total);
            if (d == 2) {  // one fused pass
                const double p0 = x(idx, 0), p1 = x(idx, 1);
                candidate = ((x.col(0).array() - p0).square() + (x.col(1).array() - p1).square())
                                .min(closest);
            } else {
                squared_distances(x, x.row(idx), candidate);
                candidate = candidate.min(closest);
            }
            const double potential = candidate.sum();
            if (potential < best_potential) {
                best_potential = potential;
                best = idx;
                best_closest.swap(candidate);
            }
        }
        centres.row(c) = x.row(best);
        closest.swap(best_closest);
    }
    return centres;
}

// Lloyd's algorithm from the given centres until no label changes (at most
// GmmModel::kLloydMaxIter updates). Ties go to the lowest centre index; a centre with no points
// stays where it is. Returns the labels of the final assignment.
std::vector<int> lloyd(const ColMatrix& x, Matrix& centres) {
    const Eigen::Index n = x.rows();
    const Eigen::Index d = x.cols();
    const Eigen::Index n_comp = centres.rows();
    std::vector<int> labels(static_cast<std::size_t>(n), 0);
    Array best(n), dist(n), label(n);  // labels as doubles: the loop below vectorises
    auto assign = [&]() {
        best.setConstant(std::numeric_limits<double>::infinity());
        label.setZero();
        for (Eigen::Index k = 0; k < n_comp; ++k) {
            if (d == 2) {
                const double c0 = centres(k, 0), c1 = centres(k, 1);
                dist = (x.col(0).array() - c0).square() + (x.col(1).array() - c1).square();
            } else {
                squared_distances(x, centres.row(k), dist);
            }
            const double kd = static_cast<double>(k);
            // Two separate loops: GCC vectorises each select, not both in one loop.
            const double* dist_p = dist.data();
            const double* best_p = best.data();
            double* label_p = label.data();
            for (Eigen::Index i = 0; i < n; ++i) {
                label_p[i] = dist_p[i] < best_p[i] ? kd : label_p[i];
            }
            best = best.min(dist);
        }
        bool changed = false;
        for (Eigen::Index i = 0; i < n; ++i) {
            const int l = static_cast<int>(label(i));
            changed |= l != labels[static_cast<std::size_t>(i)];
            labels[static_cast<std::size_t>(i)] = l;
        }
        return changed;
    };
    assign();
    Matrix sums(n_comp, d);
    std::vector<Eigen::Index> counts(static_cast<std::size_t>(n_comp));
    for (int iter = 0; iter < GmmModel::kLloydMaxIter; ++iter) {
        sums.setZero();
        std::fill(counts.begin(), counts.end(), 0);
        for (Eigen::Index i = 0; i < n; ++i) {
            const int k = labels[static_cast<std::size_t>(i)];
            ++counts[static_cast<std::size_t>(k)];
            for (Eigen::Index j = 0; j < d; ++j) sums(k, j) += x(i, j);
        }
        for (Eigen::Index k = 0; k < n_comp; ++k) {
            const auto count = counts[static_cast<std::size_t>(k)];
            if (count > 0) centres.row(k) = sums.row(k) / static_cast<double>(count);
        }
        if (!assign()) break;
    }
    return labels;
}

// Stable counting sort of the rows of x (and of labels) by label.
void sort_by_label(ColMatrix& x, std::vector<int>& labels, Eigen::Index n_comp) {
    const auto n = static_cast<Eigen::Index>(labels.size());
    std::vector<Eigen::Index> start(static_cast<std::size_t>(n_comp) + 1, 0);
    for (int l : labels) ++start[static_cast<std::size_t>(l) + 1];
    for (std::size_t k = 1; k < start.size(); ++k) start[k] += start[k - 1];
    ColMatrix sorted(n, x.cols());
    std::vector<int> sorted_labels(labels.size());
    for (Eigen::Index i = 0; i < n; ++i) {
        const int l = labels[static_cast<std::size_t>(i)];
        const Eigen::Index to = start[static_cast<std::size_t>(l)]++;
        sorted.row(to) = x.row(i);
        sorted_labels[static_cast<std::size_t>(to)] = l;
    }
    x.swap(sorted);
    labels.swap(sorted_labels);
}

}  // namespace

GmmModel::GmmModel(GmmOptions options) : options_(options) {
    if (options_.components < 1) {
        throw ConfigError(
            fmt::format("model.components must be >= 1, got {}", options_.components));
    }
    if (options_.max_iter < 1) {
        throw ConfigError(fmt::format("model.max_iter must be >= 1, got {}", options_.max_iter));
    }
    if (!(options_.tol >= 0.0) || !std::isfinite(options_.tol)) {
        throw ConfigError(
            fmt::format("model.tol must be a finite number >= 0, got {}", options_.tol));
    }
    if (!(options_.reg_covar >= 0.0) || !std::isfinite(options_.reg_covar)) {
        throw ConfigError(fmt::format("model.reg_covar must be a finite number >= 0, got {}",
                                      options_.reg_covar));
    }
    if (options_.n_init < 1) {
        throw ConfigError(fmt::format("model.n_init must be >= 1, got {}", options_.n_init));
    }
}

FitInfo GmmModel::do_fit(const Matrix& train, FitContext<Matrix>& context) {
    Rng& rng = context.rng;
    const Eigen::Index n = train.rows();
    const Eigen::Index d = train.cols();
    if (n == 0 || d == 0) {
        throw NumericalError(fmt::format(
            "gmm: cannot fit a {} x {} data set (need at least one row and one column)", n, d));
    }
    const Eigen::Index n_comp = options_.components;
    ColMatrix x = train;
    // Buffers allocated once per fit and reused by every iteration.
    ColMatrix resp(n, n_comp);
    ColMatrix diff(d == 2 ? 0 : n, d);
    Array a(n), b(n);
    std::vector<detail::IndexRange> ranges;
    Mixture current, best;
    current.resize(n_comp, d);

    FitInfo info;
    double best_bound = -std::numeric_limits<double>::infinity();
    std::vector<double> history;
    for (int init = 0; init < options_.n_init; ++init) {
        Matrix centres = kmeans_plus_plus(x, n_comp, rng);
        std::vector<int> labels = lloyd(x, centres);
        if (init == 0) {
            // EM is invariant under a permutation of the points (up to rounding), so reorder
            // them by k-means label: each component's responsibilities then sit in few chunks,
            // and normalise_rows / m_step skip the rest.
            sort_by_label(x, labels, n_comp);
        }
        resp.setZero();
        ranges.assign(static_cast<std::size_t>(n_comp), detail::IndexRange{n, 0});
        for (Eigen::Index i = 0; i < n; ++i) {
            const auto k = static_cast<std::size_t>(labels[static_cast<std::size_t>(i)]);
            resp(i, static_cast<Eigen::Index>(k)) = 1.0;
            ranges[k].begin = std::min(ranges[k].begin, static_cast<std::ptrdiff_t>(i));
            ranges[k].end = i + 1;
        }
        for (auto& range : ranges) {
            if (range.end == 0) range.begin = 0;
        }
        current.means = centres;  // kept by components that k-means left empty
        m_step(x, resp, ranges, options_.reg_covar, current, diff);
        factorise_all(current);

        history.clear();
        double bound = -std::numeric_limits<double>::infinity();
        bool converged = false;
        int iterations = 0;
        for (int iter = 1; iter <= options_.max_iter; ++iter) {
            const double previous = bound;
            weighted_log_prob(x, current.weights, current.means, current.precision_chol,
                              current.log_det_precision_chol, resp, a, b);
            bound = normalise_rows(resp, a, b, ranges);
            m_step(x, resp, ranges, options_.reg_covar, current, diff);
            factorise_all(current);
            history.push_back(bound);
            iterations = iter;
            if (std::abs(bound - previous) < options_.tol) {
                converged = true;
                break;
            }
        }
        if (init == 0 || bound > best_bound) {
            best_bound = bound;
            best = current;
            bound_history_ = history;
            info.converged = converged;
            info.iterations = iterations;
        }
    }

    weights_ = best.weights;
    means_ = best.means;
    covariances_ = best.covariances;
    precision_chol_ = best.precision_chol;
    log_det_precision_chol_ = best.log_det_precision_chol;
    covariance_chol_ = best.covariance_chol;
    lower_bound_ = best_bound;
    cumulative_weights_.resize(n_comp);
    double sum = 0.0;
    for (Eigen::Index k = 0; k < n_comp; ++k) cumulative_weights_(k) = sum += weights_(k);

    if (best.empty > 0 || best.jittered > 0) {
        info.degenerate = true;
        info.note =
            fmt::format("{} of {} components empty, {} covariances regularised with extra jitter",
                        best.empty, n_comp, best.jittered);
    }
    if (!info.converged) {
        if (!info.note.empty()) info.note += "; ";
        info.note += fmt::format("EM did not converge in {} iterations (tol {})", options_.max_iter,
                                 options_.tol);
    }
    // Recorded every generation of a study: an EM that stops at max_iter is worth seeing.
    info.values.emplace_back("fit_converged", info.converged ? 1.0 : 0.0);
    return info;
}

Matrix GmmModel::do_sample(std::size_t n, double bias, Rng& rng,
                           std::string_view /*purpose*/) const {
    const Eigen::Index d = means_.cols();
    const Eigen::Index n_comp = weights_.size();
    const double scale = std::sqrt(bias);
    const double total = cumulative_weights_(n_comp - 1);
    const double* cum_begin = cumulative_weights_.data();
    const double* cum_end = cum_begin + n_comp;
    Matrix out(static_cast<Eigen::Index>(n), d);
    Vector z(d);
    for (Eigen::Index i = 0; i < out.rows(); ++i) {
        const double u = rng.uniform() * total;
        const Eigen::Index k =
            std::min<Eigen::Index>(std::upper_bound(cum_begin, cum_end, u) - cum_begin, n_comp - 1);
        for (Eigen::Index j = 0; j < d; ++j) z(j) = rng.normal();
        const SquareMatrix& l = covariance_chol_[static_cast<std::size_t>(k)];
        for (Eigen::Index j = 0; j < d; ++j) {
            double v = 0.0;
            for (Eigen::Index m = 0; m <= j; ++m) v += l(j, m) * z(m);
            out(i, j) = means_(k, j) + scale * v;
        }
    }
    return out;
}

std::optional<double> GmmModel::mean_nll(const Matrix& x) const {
    require_fitted();
    if (x.cols() != means_.cols()) {
        throw DataError(fmt::format("gmm: data has {} columns but the model was fitted on {}",
                                    x.cols(), means_.cols()));
    }
    if (x.rows() == 0) throw NumericalError("gmm: mean_nll of an empty data set");
    const ColMatrix xc = x;
    ColMatrix logp(x.rows(), weights_.size());
    Array a(x.rows()), b(x.rows());
    std::vector<detail::IndexRange> ranges;
    weighted_log_prob(xc, weights_, means_, precision_chol_, log_det_precision_chol_, logp, a, b);
    return -normalise_rows(logp, a, b, ranges);
}

std::unique_ptr<ContinuousModel> GmmModel::clone() const {
    return std::make_unique<GmmModel>(*this);
}

}  // namespace madlab

namespace madlab {
namespace {

const ModelFamilyRegistrar kGmmFamily({
    .name = "gmm",
    .help = "Gaussian mixture with full covariances, fitted by EM from k-means++ starts",
    .keys = {{.name = "components",
              .type = ConfigKey::Type::kInt,
              .default_value = std::int64_t{8},
              .min = 1,
              .max = 100000,
              .help = "mixture components"},
             {.name = "max_iter",
              .type = ConfigKey::Type::kInt,
              .default_value = std::int64_t{100},
              .min = 1,
              .max = 1000000,
              .help = "EM iterations at most, per initialisation"},
             {.name = "tol",
              .type = ConfigKey::Type::kDouble,
              .default_value = 1e-3,
              .help = "EM stops when the mean log-likelihood bound changes by less"},
             {.name = "reg_covar",
              .type = ConfigKey::Type::kDouble,
              .default_value = 1e-6,
              .help = "added to every covariance diagonal"},
             {.name = "n_init",
              .type = ConfigKey::Type::kInt,
              .default_value = std::int64_t{1},
              .min = 1,
              .max = 1000,
              .help = "EM restarts (k-means++ initialisations); the best bound wins"}},
    .make_vectors =
        [](const Params& p) {
            GmmOptions options;
            options.components = static_cast<int>(p.get_int("components"));
            options.max_iter = static_cast<int>(p.get_int("max_iter"));
            options.tol = p.get_double("tol");
            options.reg_covar = p.get_double("reg_covar");
            options.n_init = static_cast<int>(p.get_int("n_init"));
            return std::unique_ptr<ContinuousModel>(std::make_unique<GmmModel>(options));
        },
});

}  // namespace
}  // namespace madlab
