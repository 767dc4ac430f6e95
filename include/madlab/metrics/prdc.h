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
// Ball convention. The reference implementations differ on a point at exactly the radius:
// - Kynkaanniemi et al.'s code (github.com/kynkaat/improved-precision-and-recall-metric,
//   precision_recall.py, ManifoldEstimator.evaluate) counts it: `distance <= radius`, closed
//   balls;
// - Naeem et al.'s official code (github.com/clovaai/generative-evaluation-prdc, prdc/prdc.py,
//   compute_prdc) does not: `distance < radius`, open balls, for all four values.
// madlab uses closed balls by default (BallKind::kClosed; metrics.ball = "closed"): a collapsed
// model's duplicates have radius 0 and still count as inside, where open balls report nothing
// at all. metrics.ball = "open" gives Naeem et al.'s convention. The two agree when no distance
// equals a radius exactly (continuous data, almost surely) and differ hugely on data with ties
// (duplicates, lattices): there a closed ball of radius r holds every point at distance r.
// k = 5 by default, as in the MAD paper (Alemohammad et al. 2023, "Self-consuming generative
// models go MAD"; also Naeem et al.'s recommendation); Kynkaanniemi et al. used k = 3.
// For two samples of one continuous distribution, E[coverage] = 1 - prod_{j<k} (N-1-j)/(N+M-1-j)
// and E[density] = 1 (both conventions).

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
// throws DataError otherwise. Exact (knn.h); the result never depends on `threads`. Closed
// balls.
PrdcResult compute_prdc(const MatrixView& real, const MatrixView& fake, int k = 5, int threads = 0);
// The same with every k-NN option: the ball convention (KnnOptions::ball), and the search path
// (to force the k-d tree or the brute-force path).
PrdcResult compute_prdc(const MatrixView& real, const MatrixView& fake, int k,
                        const KnnOptions& options);

// Metric "prdc": values "precision", "recall", "density", "coverage" of the real test set
// against the samples, with closed or open balls (metrics.ball). Left out (empty result) when
// the samples contain non-finite values.
class PrdcMetric : public Metric {
public:
    // k >= 1 (ConfigError otherwise); threads: 0 = all cores.
    explicit PrdcMetric(int k = 5, int threads = 0, BallKind ball = BallKind::kClosed);
    std::string name() const override { return "prdc"; }
    MetricValues compute(const MetricInput& input) const override;

private:
    int k_;
    int threads_;
    BallKind ball_;
};

}  // namespace madlab
