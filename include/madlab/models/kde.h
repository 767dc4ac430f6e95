#pragma once
// Gaussian kernel density estimator with one isotropic bandwidth.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "madlab/core/matrix.h"
#include "madlab/models/generative_model.h"

namespace madlab {

struct KdeOptions {
    // How the bandwidth h is chosen at fit().
    enum class Rule { kScott, kSilverman, kFixed };
    Rule rule = Rule::kScott;
    double bandwidth = 0.0;  // model.bandwidth: h itself when rule == kFixed, then > 0
};

// p(x) = (1/n) sum_j N(x; y_j, h^2 I) over the training points y_j, h the kernel's standard
// deviation (scikit-learn's KernelDensity "bandwidth"). With sigma^2 the mean over dimensions of
// the per-dimension sample variance (divisor n - 1):
//   Scott's rule (Scott 1992, "Multivariate Density Estimation"):  h = sigma n^(-1/(d+4));
//   Silverman's rule (Silverman 1986, "Density Estimation for Statistics and Data Analysis"):
//                                                  h = sigma (n (d+2) / 4)^(-1/(d+4)),
// both the normal-reference rules of thumb (as in scipy's gaussian_kde, but isotropic).
// sample() picks a training point uniformly and adds h sqrt(bias) z, z ~ N(0, I): the kernel
// bandwidth scaled by sqrt(lambda) (SCIENCE.md section 3), so each refit adds bias * h^2 to the
// per-dimension variance (the functional error of SCIENCE.md section 4).
// mean_nll() is exact: -mean_i log((1/n) sum_j N(x_i; y_j, h^2 I)) by a log-sum-exp over j.
// In up to kTreeMaxDim dimensions it walks a k-d tree (median splits, bounding boxes; Friedman,
// Bentley & Finkel 1977) and skips every box whose nearest possible point has a kernel value
// below e^-(kTailLogRatio + ln n) times the largest one seen, so the skipped terms sum to less
// than e^-kTailLogRatio (4e-18) of the total: below double rounding. Above kTreeMaxDim it
// computes all n distances as |x|^2 + |y|^2 - 2 x.y with matrix products on centred data.
// Degenerate data: when sigma = 0 (all points equal, or n = 1) or the rule gives h < 1e-140
// (h^2 near the subnormal range), h = kBandwidthFloor * max(1, max_ij |y_ij|) and
// FitInfo.degenerate is set.
class KdeModel : public ContinuousModel {
public:
    static constexpr double kBandwidthFloor = 1e-8;
    static constexpr long kTreeMaxDim = 16;
    static constexpr double kTailLogRatio = 40.0;

    // Throws ConfigError if rule is kFixed and bandwidth is not a finite number > 0.
    explicit KdeModel(KdeOptions options = {});

    std::string family() const override { return "kde"; }
    std::optional<double> mean_nll(const Matrix& x) const;
    std::unique_ptr<ContinuousModel> clone() const override;

    const KdeOptions& options() const { return options_; }
    // The bandwidth h of the last fit.
    double bandwidth() const { return bandwidth_; }
    // The training points, in the order given to fit().
    const Matrix& points() const { return points_; }

    // The rule-of-thumb bandwidth for data with the given sample size, dimension and sigma.
    static double rule_bandwidth(KdeOptions::Rule rule, double sigma, Eigen::Index n,
                                 Eigen::Index d);

protected:
    // Throws NumericalError on a matrix without columns.
    FitInfo do_fit(const Matrix& train, FitContext<Matrix>& context) override;
    Matrix do_sample(std::size_t n, double bias, Rng& rng, std::string_view purpose) const override;
    // {"nll", mean_nll(x)} when finite.
    NamedValues do_score_held_out(const Matrix& x) const override { return nll_score(mean_nll(x)); }

private:
    // A k-d tree node: rows [begin, end) of tree_points_; leaves have left == -1.
    struct Node {
        Eigen::Index begin = 0;
        Eigen::Index end = 0;
        int left = -1;
        int right = -1;
    };

    void build_tree();
    int build_node(std::vector<Eigen::Index>& order, Eigen::Index begin, Eigen::Index end);
    // log sum_j exp(-|x - y_j|^2 / (2 h^2)) for one point x (length d), by the tree.
    double log_kernel_sum_tree(const double* x) const;

    KdeOptions options_;
    double bandwidth_ = 0.0;
    Matrix points_;  // n x d as given (sampling draws from it)
    // Tree path: points in tree order, column-major; nodes; per node its bounding box
    // (box_lo_/box_hi_ hold d entries per node).
    Eigen::MatrixXd tree_points_;
    std::vector<Node> nodes_;
    std::vector<double> box_lo_, box_hi_;
    // Dense path: centre, centred points and their squared norms.
    Vector centre_;
    Matrix centred_;
    Eigen::ArrayXd centred_sq_norms_;
};

}  // namespace madlab
