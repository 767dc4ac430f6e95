#pragma once
// Kernel inception distance (KID; Binkowski et al. 2018, "Demystifying MMD GANs"): the unbiased
// estimate of the squared maximum mean discrepancy between real points X and generated points Y
// in d dimensions, with the cubic polynomial kernel
//   k(a, b) = (a.b / d + 1)^3,
// averaged over subsets (SCIENCE.md section 6). For one pair of subsets x_1..x_m of X and
// y_1..y_m of Y, drawn without replacement,
//   MMD^2_u = sum_{i != j} [k(x_i, x_j) + k(y_i, y_j)] / (m (m - 1)) - 2 sum_{i, j} k(x_i, y_j) /
//   m^2,
// which is what torch-fidelity and clean-fid compute. KID is the mean over the subsets (its
// expectation is MMD^2 >= 0, but one estimate may be negative); kid_std is the standard deviation
// over the subsets (divisor: number of subsets), as torch-fidelity reports it.

#include <cstdint>
#include <string>

#include "madlab/core/matrix.h"
#include "madlab/metrics/metric.h"

namespace madlab {

// The most subsets compute_kid accepts. The subsets' indices are drawn before any kernel sum (so
// that the thread count cannot change them): 10,000 subsets of 1,000 points hold 160 MB of
// indices, and the mean over subsets has long settled (its standard error falls as
// 1/sqrt(subsets); torch-fidelity and clean-fid use 100).
constexpr int kMaxKidSubsets = 10000;

struct KidOptions {
    int subsets = 100;       // number of subset pairs
    int subset_size = 1000;  // m = min(N, M, subset_size)
    std::uint64_t seed = 0;  // the subsets drawn depend on it alone (not on the thread count)
    int threads = 0;         // 0 = all cores
};

struct KidResult {
    double kid = 0.0;      // mean of MMD^2_u over the subsets
    double kid_std = 0.0;  // standard deviation over the subsets (divisor: subsets)
    int subset_size = 0;   // m actually used
};

// Requires equal dimensions, finite coordinates, 1 <= subsets <= kMaxKidSubsets, subset_size >= 2
// and at least 2 points in each set; throws DataError (ConfigError for bad options) otherwise.
// Subsets are drawn by a partial Fisher-Yates shuffle of each set from Rng(seed), in subset order;
// the kernel sums are computed in double (Gram matrices by OpenBLAS when loaded, blas.h), so the
// result does not depend on `threads`.
KidResult compute_kid(const MatrixView& real, const MatrixView& fake,
                      const KidOptions& options = {});

// Metric "kid": values "kid" and "kid_std" of the real test set against the samples. Left out
// (empty result) when the samples contain non-finite values or either set has < 2 points.
class KidMetric : public Metric {
public:
    explicit KidMetric(KidOptions options = {});
    std::string name() const override { return "kid"; }
    MetricValues compute(const MetricInput& input) const override;

private:
    KidOptions options_;
};

}  // namespace madlab
