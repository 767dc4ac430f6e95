#include "madlab/metrics/prdc.h"

#include <algorithm>
#include <string>
#include <vector>

#include "madlab/core/error.h"
#include "madlab/metrics/metric_registry.h"

namespace madlab {
namespace {

void check_size(Eigen::Index n, int k, const char* which) {
    if (n < static_cast<Eigen::Index>(k) + 1)
        throw DataError("precision/recall need at least k+1 = " + std::to_string(k + 1) +
                        " points per set, got " + std::to_string(n) + " " + which +
                        " points; raise metrics.n_eval or lower metrics.k");
}

double fraction_positive(const std::vector<int>& counts) {
    if (counts.empty()) return 0.0;
    const auto positive = std::count_if(counts.begin(), counts.end(), [](int c) { return c > 0; });
    return static_cast<double>(positive) / static_cast<double>(counts.size());
}

}  // namespace

PrdcResult compute_prdc(const MatrixView& real, const MatrixView& fake, int k, int threads) {
    KnnOptions options;
    options.threads = threads;
    return compute_prdc(real, fake, k, options);
}

PrdcResult compute_prdc(const MatrixView& real, const MatrixView& fake, int k,
                        const KnnOptions& options) {
    if (k < 1) throw DataError("precision/recall need k >= 1, got k = " + std::to_string(k));
    check_size(real.rows(), k, "real");
    check_size(fake.rows(), k, "generated");
    if (real.cols() != fake.cols())
        throw DataError("precision/recall: real points have " + std::to_string(real.cols()) +
                        " dimensions but generated points have " + std::to_string(fake.cols()));

    const std::vector<double> real_radii = kth_neighbour_sq_distances(real, k, options);
    const std::vector<double> fake_radii = kth_neighbour_sq_distances(fake, k, options);
    const MutualBallCounts counts = mutual_ball_counts(real, real_radii, fake, fake_radii, options);

    PrdcResult out;
    // Generated points inside real balls: precision and density.
    out.precision = fraction_positive(counts.a_balls.balls_per_query);
    long long inside = 0;
    for (int c : counts.a_balls.balls_per_query) inside += c;
    out.density =
        static_cast<double>(inside) / (static_cast<double>(k) * static_cast<double>(fake.rows()));
    // Real balls holding a generated point: coverage.
    out.coverage = fraction_positive(counts.a_balls.queries_per_ball);
    // Real points inside generated balls: recall.
    out.recall = fraction_positive(counts.b_balls.balls_per_query);
    return out;
}

PrdcMetric::PrdcMetric(int k, int threads, BallKind ball) : k_(k), threads_(threads), ball_(ball) {
    if (k < 1) throw ConfigError("metrics.k must be >= 1, got " + std::to_string(k));
}

MetricValues PrdcMetric::compute(const MetricInput& input) const {
    if (!input.samples.allFinite()) return {};
    KnnOptions options;
    options.threads = threads_;
    options.ball = ball_;
    const PrdcResult r = compute_prdc(input.real_test, input.samples, k_, options);
    return {{"precision", r.precision},
            {"recall", r.recall},
            {"density", r.density},
            {"coverage", r.coverage}};
}

}  // namespace madlab

namespace madlab {
namespace {

const MetricRegistrar kPrdcMetric({
    .name = "prdc",
    .help = "precision, recall, density and coverage by exact k-nearest-neighbour balls",
    .keys = {{.name = "k",
              .type = ConfigKey::Type::kInt,
              .default_value = std::int64_t{5},
              .min = 1,
              .max = 1000,
              .help = "neighbours for precision, recall, density and coverage (5 as in the "
                      "MAD paper; Kynkaanniemi et al. used 3)",
              .text = false},
             {.name = "ball",
              .type = ConfigKey::Type::kString,
              .default_value = std::string("closed"),
              .choices = {"closed", "open"},
              .help = "a point at exactly the k-NN radius is inside (closed, `<=`, Kynkaanniemi "
                      "et al.'s code) or not (open, `<`, Naeem et al.'s prdc code)",
              .text = false}},
    .make =
        [](const Params& p, int threads) {
            const BallKind ball =
                p.get_string("ball") == "open" ? BallKind::kOpen : BallKind::kClosed;
            return std::unique_ptr<Metric>(
                new PrdcMetric(static_cast<int>(p.get_int("k")), threads, ball));
        },
    .check =
        [](const Params& p, std::size_t n_eval, std::size_t n_test) {
            const auto k = static_cast<std::size_t>(p.get_int("k"));
            if (n_eval <= k || n_test <= k)
                throw ConfigError(fmt::format(
                    "metrics.k = {} needs more than k points per set; metrics.n_eval = {} and "
                    "metrics.n_test = {}",
                    k, n_eval, n_test));
        },
});

}  // namespace
}  // namespace madlab
