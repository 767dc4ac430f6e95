#pragma once
// Precision and recall (Kynkaanniemi et al. 2019, "Improved precision and recall metric for
// assessing generative models") and density and coverage (Naeem et al. 2020, "Reliable fidelity
// and diversity metrics for generative models"), computed exactly (SCIENCE.md section 6).
//
// With real points x_1..x_N, generated points y_1..y_M and r_k(p) the distance from p to its
// k-th nearest neighbour in its own set (p itself excluded, duplicates included):
//   precision = (1/M) #{j : y_j in some B(x_i, r_k(x_i))}
//   recall    = (1/N) #{i : x_i in some B(y_j, r_k(y_j))}
//   density   = (1/(kM)) sum_j #{i : y_j in B(x_i, r_k(x_i))}
//   coverage  = (1/N) #{i : some y_j in B(x_i, r_k(x_i))}
// Balls are closed (`<=`, as the reference implementations): a collapsed model's duplicates
// have radius 0 and still count as inside. For two samples of one continuous distribution,
// E[coverage] = 1 - prod_{j<k} (N-1-j)/(N+M-1-j) and E[density] = 1.

#include <string>

#include "madlab/core/matrix.h"
#include "madlab/metrics/knn.h"
#include "madlab/metrics/metric.h"

namespace madlab {

struct PrdcResult {
    double precision = 0.0;
    double recall = 0.0;
    double density = 0.0;
    double coverage = 0.0;
};

// Requires k >= 1, N >= k + 1 and M >= k + 1 points, equal dimensions and finite coordinates;
// throws DataError otherwise. Exact (knn.h); the result never depends on `threads`.
PrdcResult compute_prdc(const MatrixView& real, const MatrixView& fake, int k = 5, int threads = 0);
// The same with every k-NN option (to force the k-d tree or the brute-force path).
PrdcResult compute_prdc(const MatrixView& real, const MatrixView& fake, int k,
                        const KnnOptions& options);

// Metric "prdc": values "precision", "recall", "density", "coverage" of the real test set
// against the samples. Left out (empty result) when the samples contain non-finite values.
class PrdcMetric : public Metric {
public:
    // k >= 1 (ConfigError otherwise); threads: 0 = all cores.
    explicit PrdcMetric(int k = 5, int threads = 0);
    std::string name() const override { return "prdc"; }
    MetricValues compute(const MetricInput& input) const override;

private:
    int k_;
    int threads_;
};

}  // namespace madlab
